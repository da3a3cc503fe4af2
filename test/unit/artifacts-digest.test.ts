/**
 * DVC-compatible digests and artifact path validation.
 *
 * The expected `.dir` hashes, sizes and file counts below were obtained with the real DVC
 * 3.67.1 (`pip install dvc` in a throwaway venv; `git init && dvc init`, the same files
 * created, then `dvc add <dir>` and the `md5`/`size`/`nfiles` read back from `<dir>.dvc`;
 * the listings quoted are the `.dir` objects DVC wrote under `.dvc/cache/files/md5/`).
 * Each case is also recomputed here from the algorithm with an independent implementation.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareCodePoints, dvcDigest, dvcTreeJson, fileDigests, pythonJsonString, treeSha256 } from "../../src/artifacts/digest.js";
import { SourceEntryError } from "../../src/artifacts/errors.js";
import { checkArtifactPath, joinArtifactPath } from "../../src/artifacts/paths.js";
import { MltrailError, ValidationError } from "../../src/errors.js";

let root: string;
const md5 = (data: string | Buffer): string => createHash("md5").update(data).digest("hex");
const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

type Tree = Record<string, string | Buffer>;
function write(dir: string, files: Tree): string {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, ...rel.split("/"));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

/** Independent re-implementation of DVC's `.dir` hash for plain trees (no ignores, no links). */
function handDirHash(files: Tree): string {
  const escapeJson = (s: string): string => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const entries = Object.entries(files)
    .map(([relpath, content]) => ({ relpath, md5: md5(content) }))
    .sort((a, b) => {
      const x = [...a.relpath].map((c) => c.codePointAt(0) ?? 0);
      const y = [...b.relpath].map((c) => c.codePointAt(0) ?? 0);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
      return x.length - y.length;
    });
  const json = `[${entries.map((e) => `{"md5": ${escapeJson(e.md5)}, "relpath": ${escapeJson(e.relpath)}}`).join(", ")}]`;
  return `${md5(Buffer.from(json, "utf8"))}.dir`;
}

const FLAT: Tree = { foo: "foo", bar: "bar" };
const NESTED: Tree = { "Z.bin": Buffer.from([0, 1]), "a.csv": "x,y\n1,2\n", "sub/b.txt": "hello\n", "\u00e9t\u00e9.txt": "summer\n" };
const DEEP: Tree = { "a/b/c/d.txt": "d", "a/b.txt": "b", "a-b": "dash", "a.b": "dot", "a b": "space", A: "" };
const UNICODE: Tree = {
  "\u00e9t\u00e9.txt": "nfc",
  "e\u0301te\u0301.txt": "nfd",
  "\ufb00.txt": "ff",
  "\u{1F600}.txt": "grin",
  "\u65e5\u672c/\u8a9e.csv": "jp",
  'q"uote': "q",
  "back\\slash": "b",
  "tab\tname": "t",
  "del\u007f": "d",
};

// dvc add → (md5, size, nfiles)
const DVC_VECTORS: { name: string; tree: Tree; md5: string; size: number; nfiles: number }[] = [
  { name: "flat (dvc-data test_build_directory)", tree: FLAT, md5: "5ea40360f5b4ec688df672a4db9c17d1.dir", size: 6, nfiles: 2 },
  { name: "nested + non-ASCII", tree: NESTED, md5: "73db38661aa4a5059ef4d8a89e5bb2d8.dir", size: 23, nfiles: 4 },
  { name: "deep nesting, separator ordering", tree: DEEP, md5: "3466c23fc4172b8e217db6844cc605a9.dir", size: 14, nfiles: 6 },
  { name: "non-ASCII, astral, NFD, quote, backslash, tab, DEL", tree: UNICODE, md5: "e8b8f39b9c5bfa4cd99d257b6738944e.dir", size: 18, nfiles: 9 },
];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-digest-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("file digests", () => {
  it.each([
    ["empty", "", "d41d8cd98f00b204e9800998ecf8427e"],
    ["foo", "foo", "acbd18db4cc2f85cedef654fccc4a4d8"],
    ["foo + newline", "foo\n", "d3b07384d113edec49eaa6238ad5ff00"],
  ])("DVC md5 of %s", async (name, content, expected) => {
    const file = path.join(root, `file-${name.replace(/\W/g, "_")}`);
    fs.writeFileSync(file, content);
    const d = await dvcDigest(file);
    expect(d).toMatchObject({ isDir: false, md5: expected, size: content.length, nfiles: 1, sha256: sha256(content) });
  });

  it.each([0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3.5 * 1024 * 1024])("sha256/md5/size equal node:crypto on %i random bytes", async (n) => {
    const data = randomBytes(n);
    const file = path.join(root, `random-${n}`);
    fs.writeFileSync(file, data);
    expect(await fileDigests(file)).toEqual({ sha256: sha256(data), md5: md5(data), size: n });
  });
});

describe("DVC directory hash (vectors from dvc 3.67.1)", () => {
  it.each(DVC_VECTORS)("$name", async ({ name, tree, md5: expected, size, nfiles }) => {
    const dir = write(path.join(root, name.replace(/\W/g, "_")), tree);
    const d = await dvcDigest(dir);
    expect(d).toMatchObject({ isDir: true, md5: expected, size, nfiles });
    expect(handDirHash(tree)).toBe(expected);
    expect(d.sha256).toBe(treeSha256(Object.entries(tree).map(([relpath, c]) => ({ relpath, sha256: sha256(c) }))));
  });

  it("serializes the listing byte-for-byte like the .dir objects DVC wrote", () => {
    const flat = '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar"}, {"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]';
    expect(dvcTreeJson(Object.entries(FLAT).map(([relpath, c]) => ({ relpath, md5: md5(c) })))).toBe(flat);
    expect(`${md5(flat)}.dir`).toBe("5ea40360f5b4ec688df672a4db9c17d1.dir");
    const unicode =
      '[{"md5": "92eb5ffee6ae2fec3ad71c777531578f", "relpath": "back\\\\slash"}, {"md5": "8277e0910d750195b448797616e091ad", "relpath": "del\\u007f"}, ' +
      '{"md5": "6caf8d04636c1659eb0e17f9662196da", "relpath": "e\\u0301te\\u0301.txt"}, {"md5": "7694f4a66316e53c8cdd9d9954bd611d", "relpath": "q\\"uote"}, ' +
      '{"md5": "e358efa489f58062f10dd7316b65649e", "relpath": "tab\\tname"}, {"md5": "062993585a465aecb861561818225523", "relpath": "\\u00e9t\\u00e9.txt"}, ' +
      '{"md5": "55add3d845bfcd87a9b0949b0da49c0a", "relpath": "\\u65e5\\u672c/\\u8a9e.csv"}, {"md5": "633de4b0c14ca52ea2432a3c8a5c4c31", "relpath": "\\ufb00.txt"}, ' +
      '{"md5": "5def364ad6c9979e15c76d09c03bc659", "relpath": "\\ud83d\\ude00.txt"}]';
    expect(dvcTreeJson(Object.entries(UNICODE).map(([relpath, c]) => ({ relpath, md5: md5(c) })))).toBe(unicode);
    expect(`${md5(unicode)}.dir`).toBe("e8b8f39b9c5bfa4cd99d257b6738944e.dir");
  });

  it("sorts by code point like Python, not by UTF-16 unit", () => {
    expect(["\u{1F600}", "\ufb00", "a/b", "a.b", "a-b"].sort(compareCodePoints)).toEqual(["a-b", "a.b", "a/b", "\ufb00", "\u{1F600}"]);
    expect(pythonJsonString('é"\\\n\u0001\u007f~')).toBe('"\\u00e9\\"\\\\\\n\\u0001\\u007f~"');
  });

  it("an empty directory (or one with only ignored entries) hashes the empty listing", async () => {
    const dir = path.join(root, "emptyd");
    fs.mkdirSync(path.join(dir, "inner", "deeper"), { recursive: true });
    write(dir, { ".git": "gitdir: x" });
    const d = await dvcDigest(dir);
    expect(d).toMatchObject({ md5: "d751713988987e9331980363e24189ce.dir", size: 0, nfiles: 0 }); // dvc add: same
    expect(d.md5).toBe(`${md5("[]")}.dir`);
  });

  it.skipIf(process.platform === "win32")("follows file symlinks as DVC does (dvc: bf20265e….dir, 4 files, 12 bytes), and folder links too", async () => {
    const base = path.join(root, "linkcase");
    write(base, { foo: "foo", "links/real.txt": "real", "links/realdir/x.txt": "x" });
    const dir = path.join(base, "links");
    fs.symlinkSync("real.txt", path.join(dir, "link.txt"));
    fs.symlinkSync("../foo", path.join(dir, "outside"));
    const d = await dvcDigest(dir);
    expect(d).toMatchObject({ md5: "bf20265e62331e617d07b155c14a6cbe.dir", size: 12, nfiles: 4 });
    expect(d.files.map((f) => f.relpath)).toEqual(["link.txt", "outside", "real.txt", "realdir/x.txt"]);
    // DVC leaves a folder link out (its md5 stays bf20265e…); mltrail never skips: it counts.
    fs.symlinkSync("realdir", path.join(dir, "linkdir"));
    const withDirLink = await dvcDigest(dir);
    expect(withDirLink).toMatchObject({ size: 13, nfiles: 5 });
    expect(withDirLink.files.map((f) => f.relpath)).toEqual(["link.txt", "linkdir/x.txt", "outside", "real.txt", "realdir/x.txt"]);
    expect(withDirLink.md5).toBe(`${md5(dvcTreeJson(withDirLink.files))}.dir`);
    fs.symlinkSync("nowhere", path.join(dir, "dangling"));
    const err = await dvcDigest(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceEntryError);
    expect(err).toMatchObject({ problem: "dangling-link", path: path.join(dir, "dangling") });
  });

  it("applies DVC's default ignores (dvc: 73b6f609….dir and c69b3cb2….dir)", async () => {
    const ign1 = write(path.join(root, "ign1"), {
      "keep.txt": "keep",
      ".git/config": "cfg",
      "sub/.git": "gitdir: x",
      ".hg/x": "hg",
      "sub/.hg": "file named .hg",
      ".gitignore": "*.tmp\n",
      ".dvcx": "not ignored",
    });
    expect(await dvcDigest(ign1)).toMatchObject({ md5: "73b6f609673f8df4a5d51674b7a51054.dir", size: 35, nfiles: 4 });
    const ign3 = write(path.join(root, "ign3"), {
      "keep.txt": "keep",
      "sub/.dvc": "file named .dvc",
      "sub/x": "x",
      "other/.dvc/config": "c",
      "other/y": "y",
      "z/.dvc/config": "c2",
    });
    expect(await dvcDigest(ign3)).toMatchObject({ md5: "c69b3cb240dc261baea2080f6278f50b.dir", size: 4, nfiles: 1 });
  });

  it("refuses a .dvcignore inside the directory, as DVC does", async () => {
    const dir = write(path.join(root, "withign"), { a: "x\n", ".dvcignore": "*.tmp\n" });
    const err = await dvcDigest(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MltrailError);
    expect(err).toMatchObject({ code: "DVCIGNORE" });
  });
});

describe("treeSha256", () => {
  it("is sha256 over sorted relpath NUL sha256 LF lines", () => {
    const files = [
      { relpath: "b", sha256: "22" },
      { relpath: "a/x", sha256: "11" },
    ];
    expect(treeSha256(files)).toBe(sha256("a/x\u000011\nb\u000022\n"));
    expect(treeSha256([...files].reverse())).toBe(treeSha256(files));
  });
});

describe("artifact paths", () => {
  it.each([
    "a",
    "a/b.txt",
    "models/clf/model.json",
    "..a",
    "a..",
    "a/.hidden",
    "été/ü.bin",
    `${"x".repeat(255)}/`.repeat(3) + "x".repeat(232),
    "é".repeat(127),
    ".mltrail/manifest.json",
  ])("accepts %j", (p) => {
    expect(checkArtifactPath(p)).toBe(p);
  });

  it.each([
    ["", "empty"],
    ["..", ".."],
    ["../x", ".."],
    ["a/../b", ".."],
    ["a/..", ".."],
    ["/etc/passwd", "absolute"],
    ["C:\\x", "\\"],
    ["C:/x", "drive"],
    ["a\\b", "\\"],
    ["a\0b", "NUL"],
    ["a//b", "empty segments"],
    ["a/", "empty segments"],
    ["./a", ". segments"],
    ["a/./b", ". segments"],
    [".", ". segments"],
    ["x".repeat(1001), "at most 1000"],
    ["x".repeat(300), "at most 255 bytes"],
    [`a/${"é".repeat(128)}/b`, "at most 255 bytes"],
  ])("rejects %j (%s)", (p, rule) => {
    const err = ((): unknown => {
      try {
        return checkArtifactPath(p, "artifactPath");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe("artifactPath");
    expect((err as ValidationError).rule).toContain(rule);
  });

  it("rejects non-strings and joins with /", () => {
    expect(() => checkArtifactPath(42, "p")).toThrow(ValidationError);
    expect(joinArtifactPath("models", "clf/model.json")).toBe("models/clf/model.json");
    expect(joinArtifactPath(undefined, "r.html")).toBe("r.html");
    expect(joinArtifactPath("", "r.html")).toBe("r.html");
    expect(() => joinArtifactPath("models", "../x")).toThrow(ValidationError);
    expect(() => joinArtifactPath("/abs", "x")).toThrow(ValidationError);
  });
});
