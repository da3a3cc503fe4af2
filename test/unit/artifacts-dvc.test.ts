/**
 * Reading `.dvc` and `dvc.lock` files. The YAML texts below are what DVC 3.67.1 wrote
 * (`dvc add`, `dvc stage add` + `dvc repro` in a throwaway repository); the data files are
 * recreated so the recorded hashes can be checked against our own digest.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dvcDigest } from "../../src/artifacts/digest.js";
import { findDvcInfo, readDvcFile, readDvcLock } from "../../src/artifacts/dvc.js";
import { MltrailError } from "../../src/errors.js";

const FOO_DVC = `outs:
- md5: acbd18db4cc2f85cedef654fccc4a4d8
  size: 3
  hash: md5
  path: foo
`;
const FLAT_DVC = `outs:
- md5: 5ea40360f5b4ec688df672a4db9c17d1.dir
  size: 6
  nfiles: 2
  hash: md5
  path: flat
`;
const LEGACY_DVC = `outs:
- md5: d3b07384d113edec49eaa6238ad5ff00
  size: 4
  path: old.txt
`;
const LOCK = `schema: '2.0'
stages:
  prepare:
    cmd: mkdir -p data/prepared && cp data/raw.csv data/prepared/x.csv && echo 
      hi > data/prepared/y.txt
    deps:
    - path: data/raw.csv
      hash: md5
      md5: e5ebd4c02cefbe7955977c67ada242b7
      size: 8
    outs:
    - path: data/prepared
      hash: md5
      md5: 8fb66ff8f036ceecab7626b00a5fd4bb.dir
      size: 11
      nfiles: 2
  train:
    cmd: cat data/prepared/x.csv > model.bin
    deps:
    - path: data/prepared
      hash: md5
      md5: 8fb66ff8f036ceecab7626b00a5fd4bb.dir
      size: 11
      nfiles: 2
    outs:
    - path: model.bin
      hash: md5
      md5: e5ebd4c02cefbe7955977c67ada242b7
      size: 8
`;

let repo: string;
const put = (rel: string, content: string): void => {
  const file = path.join(repo, ...rel.split("/"));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
};

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-dvc-"));
  fs.mkdirSync(path.join(repo, ".dvc"));
  put("foo", "foo");
  put("foo.dvc", FOO_DVC);
  put("flat/foo", "foo");
  put("flat/bar", "bar");
  put("flat.dvc", FLAT_DVC);
  put("old.txt", "foo\n");
  put("old.txt.dvc", LEGACY_DVC);
  put("data/raw.csv", "a,b\n1,2\n");
  put("data/prepared/x.csv", "a,b\n1,2\n");
  put("data/prepared/y.txt", "hi\n");
  put("model.bin", "a,b\n1,2\n");
  put("dvc.lock", LOCK);
  // a nested pipeline whose stage runs in a wdir
  put("exp/dvc.yaml", "stages:\n  build:\n    wdir: work\n    cmd: make\n    outs:\n    - out.bin\n");
  put(
    "exp/dvc.lock",
    "schema: '2.0'\nstages:\n  build:\n    cmd: make\n    outs:\n    - path: out.bin\n      hash: md5\n      md5: 0123456789abcdef0123456789abcdef\n      size: 1\n",
  );
});
afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

describe("readDvcFile / readDvcLock", () => {
  it("parses a file and a directory .dvc", async () => {
    expect(await readDvcFile(path.join(repo, "foo.dvc"))).toEqual({
      outs: [{ path: "foo", md5: "acbd18db4cc2f85cedef654fccc4a4d8", hashName: "md5", size: 3, isDir: false }],
    });
    expect((await readDvcFile(path.join(repo, "flat.dvc"))).outs[0]).toEqual({
      path: "flat",
      md5: "5ea40360f5b4ec688df672a4db9c17d1.dir",
      hashName: "md5",
      size: 6,
      nfiles: 2,
      isDir: true,
    });
  });

  it("marks entries without `hash: md5` as legacy md5-dos2unix", async () => {
    expect((await readDvcFile(path.join(repo, "old.txt.dvc"))).outs[0]?.hashName).toBe("md5-dos2unix");
  });

  it("parses dvc.lock stages, deps and outs", async () => {
    const stages = await readDvcLock(path.join(repo, "dvc.lock"));
    expect(stages.map((s) => s.name)).toEqual(["prepare", "train"]);
    expect(stages[0]?.cmd).toBe("mkdir -p data/prepared && cp data/raw.csv data/prepared/x.csv && echo hi > data/prepared/y.txt");
    expect(stages[0]?.outs).toEqual([
      { path: "data/prepared", md5: "8fb66ff8f036ceecab7626b00a5fd4bb.dir", hashName: "md5", size: 11, nfiles: 2, isDir: true },
    ]);
    expect(stages[1]?.deps[0]?.path).toBe("data/prepared");
  });

  it("rejects invalid YAML, wrong shapes and unknown lock schemas", async () => {
    put("bad/a.dvc", "outs: [\n");
    put("bad/b.dvc", "outs:\n- md5: 1\n");
    put("bad/dvc.lock", "schema: '3.0'\nstages: {}\n");
    for (const f of ["bad/a.dvc", "bad/b.dvc"]) {
      await expect(readDvcFile(path.join(repo, f))).rejects.toMatchObject({ code: "DVC_FILE" });
    }
    await expect(readDvcLock(path.join(repo, "bad/dvc.lock"))).rejects.toBeInstanceOf(MltrailError);
  });
});

describe("findDvcInfo", () => {
  it("prefers <path>.dvc", async () => {
    expect(await findDvcInfo(path.join(repo, "flat"))).toMatchObject({ md5: "5ea40360f5b4ec688df672a4db9c17d1.dir", nfiles: 2, role: "out", isDir: true });
    expect(await findDvcInfo(`${path.join(repo, "flat")}/`)).toMatchObject({ md5: "5ea40360f5b4ec688df672a4db9c17d1.dir" });
  });

  it("finds outputs and dependencies in the nearest dvc.lock, walking up", async () => {
    const prepared = await findDvcInfo(path.join(repo, "data", "prepared"));
    expect(prepared).toMatchObject({ md5: "8fb66ff8f036ceecab7626b00a5fd4bb.dir", stage: "prepare", role: "out", hashName: "md5" });
    expect(path.resolve(prepared?.file ?? "")).toBe(path.join(repo, "dvc.lock"));
    expect(await findDvcInfo(path.join(repo, "data", "raw.csv"))).toMatchObject({ md5: "e5ebd4c02cefbe7955977c67ada242b7", stage: "prepare", role: "dep" });
  });

  it("applies the stage wdir from dvc.yaml", async () => {
    expect(await findDvcInfo(path.join(repo, "exp", "work", "out.bin"))).toMatchObject({ md5: "0123456789abcdef0123456789abcdef", stage: "build" });
    expect(await findDvcInfo(path.join(repo, "exp", "out.bin"))).toBeUndefined();
  });

  it("returns undefined for unknown paths and stops at the repository root", async () => {
    expect(await findDvcInfo(path.join(repo, "data", "nope.csv"))).toBeUndefined();
    const outer = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-dvc-outer-"));
    try {
      fs.writeFileSync(
        path.join(outer, "dvc.lock"),
        "schema: '2.0'\nstages:\n  s:\n    outs:\n    - path: inner/x\n      hash: md5\n      md5: ffffffffffffffffffffffffffffffff\n",
      );
      fs.mkdirSync(path.join(outer, "inner", ".dvc"), { recursive: true });
      expect(await findDvcInfo(path.join(outer, "inner", "x"))).toBeUndefined();
    } finally {
      fs.rmSync(outer, { recursive: true, force: true });
    }
  });

  it("recorded hashes equal our digest of the same data", async () => {
    for (const rel of ["foo", "flat", "data/prepared", "data/raw.csv", "model.bin"]) {
      const known = await findDvcInfo(path.join(repo, ...rel.split("/")));
      const mine = await dvcDigest(path.join(repo, ...rel.split("/")));
      expect(known?.md5, rel).toBe(mine.md5);
      expect(known?.size, rel).toBe(mine.size);
    }
  });
});
