/**
 * Reading what DVC already knows about a path: `<path>.dvc` files (written by `dvc add`) and
 * `dvc.lock` files (written by `dvc repro`). Formats: dvc `dvc/output.py` (`Output.dumpd`),
 * `dvc/schema.py`, `dvc/stage/serialize.py`. An entry without `hash: md5` was written by
 * DVC 2.x: its `md5` is the legacy `md5-dos2unix` hash (text files hashed with CRLF turned
 * into LF), which equals our md5 only for binary files or text without CRLF.
 *
 * @packageDocumentation
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { MltrailError } from "../errors.js";
import { defined } from "../internal/defined.js";

/**
 * One output or dependency of a `.dvc` or `dvc.lock` file.
 * @example `{ path: "data", md5: "5ea4….dir", hashName: "md5", size: 6, nfiles: 2, isDir: true }`
 */
export interface DvcOut {
  /** The path as written, relative to the file's folder (and the stage's `wdir`). */
  readonly path: string;
  /** The recorded hash (`<hex>` or `<hex>.dir`), absent when DVC has not computed it. */
  readonly md5?: string;
  /** `"md5"` (DVC 3) or `"md5-dos2unix"` (no `hash:` field: DVC 2.x). */
  readonly hashName: "md5" | "md5-dos2unix";
  /** Bytes, when recorded. */
  readonly size?: number;
  /** Number of files of a directory, when recorded. */
  readonly nfiles?: number;
  /** Whether the hash is a directory hash (ends in `.dir`). */
  readonly isDir: boolean;
}

/**
 * A parsed `.dvc` file.
 * @example `{ wdir: undefined, outs: [{ path: "foo", md5: "acbd…", hashName: "md5", size: 3, isDir: false }] }`
 */
export interface DvcFile {
  /** Folder the out paths are relative to, relative to the file's folder (`wdir`). */
  readonly wdir?: string;
  /** The tracked outputs. */
  readonly outs: readonly DvcOut[];
}

/**
 * One stage of a `dvc.lock` file.
 * @example `{ name: "prepare", cmd: "python prep.py", deps: […], outs: […] }`
 */
export interface DvcLockStage {
  /** Stage name (`foreach` stages look like `name@key`). */
  readonly name: string;
  /** The command, when recorded (a list of commands is joined with `" && "`). */
  readonly cmd?: string;
  /** Dependencies with their hashes. */
  readonly deps: readonly DvcOut[];
  /** Outputs with their hashes. */
  readonly outs: readonly DvcOut[];
}

/**
 * What {@link findDvcInfo} found.
 * @example `{ md5: "8fb6….dir", hashName: "md5", isDir: true, size: 11, nfiles: 2, file: "dvc.lock", stage: "prepare", role: "out" }`
 */
export interface DvcInfo extends Omit<DvcOut, "path"> {
  /** The hash (always present here). */
  readonly md5: string;
  /** The `.dvc` or `dvc.lock` file it came from, as a path built from the one given. */
  readonly file: string;
  /** The stage, for `dvc.lock`. */
  readonly stage?: string;
  /** Whether the path is an output or a dependency of that stage (`.dvc` files: `"out"`). */
  readonly role: "out" | "dep";
}

const OutSchema = z.looseObject({
  path: z.string(),
  md5: z.string().optional(),
  hash: z.string().optional(),
  size: z.number().optional(),
  nfiles: z.number().optional(),
});
const DvcFileSchema = z.looseObject({ wdir: z.string().optional(), outs: z.array(OutSchema).default([]) });
const LockSchema = z.looseObject({
  schema: z.string().optional(),
  stages: z
    .record(
      z.string(),
      z.looseObject({
        cmd: z.union([z.string(), z.array(z.string())]).optional(),
        deps: z.array(OutSchema).default([]),
        outs: z.array(OutSchema).default([]),
      }),
    )
    .default({}),
});
const YamlStagesSchema = z.looseObject({ stages: z.record(z.string(), z.unknown()).optional() });

function toOut(o: z.output<typeof OutSchema>): DvcOut {
  return {
    path: o.path,
    ...defined({ md5: o.md5 }),
    hashName: o.hash === "md5" ? "md5" : "md5-dos2unix",
    ...defined({ size: o.size }),
    ...defined({ nfiles: o.nfiles }),
    isDir: o.md5?.endsWith(".dir") ?? false,
  };
}

async function readYaml<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S>> {
  const text = await fsp.readFile(file, "utf8");
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new MltrailError(`${file}: not valid YAML`, { code: "DVC_FILE", cause: error });
  }
  const result = schema.safeParse(data ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MltrailError(`${file}: not a DVC file (${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"})`, { code: "DVC_FILE" });
  }
  return result.data;
}

/**
 * Parses a `.dvc` file.
 *
 * @throws MltrailError `DVC_FILE` for invalid YAML or shape; file-system errors as is.
 * @example
 * ```ts
 * const { outs } = await readDvcFile("data.dvc");
 * outs[0]?.md5; // "5ea40360f5b4ec688df672a4db9c17d1.dir"
 * ```
 */
export async function readDvcFile(file: string): Promise<DvcFile> {
  const data = await readYaml(file, DvcFileSchema);
  return { ...defined({ wdir: data.wdir }), outs: data.outs.map(toOut) };
}

/**
 * Parses a `dvc.lock` file (schema `2.0`).
 *
 * @throws MltrailError `DVC_FILE` for invalid YAML, shape, or a schema other than `2.0`.
 * @example
 * ```ts
 * const stages = await readDvcLock("dvc.lock");
 * stages.find((s) => s.name === "prepare")?.outs[0]?.md5;
 * ```
 */
export async function readDvcLock(file: string): Promise<DvcLockStage[]> {
  const data = await readYaml(file, LockSchema);
  if (data.schema !== undefined && data.schema !== "2.0") {
    throw new MltrailError(`${file}: unsupported dvc.lock schema ${JSON.stringify(data.schema)} (expected "2.0")`, { code: "DVC_FILE" });
  }
  return Object.entries(data.stages).map(([name, stage]) => ({
    name,
    ...(stage.cmd === undefined ? {} : { cmd: Array.isArray(stage.cmd) ? stage.cmd.join(" && ") : stage.cmd }),
    deps: stage.deps.map(toOut),
    outs: stage.outs.map(toOut),
  }));
}

async function exists(file: string): Promise<boolean> {
  return fsp.access(file).then(
    () => true,
    () => false,
  );
}

/** `wdir` of each stage in the `dvc.yaml` next to a `dvc.lock` (`foreach` stages use their base name). */
async function stageDirs(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const file = path.join(dir, "dvc.yaml");
  if (!(await exists(file))) return out;
  const data = await readYaml(file, YamlStagesSchema).catch(() => ({ stages: undefined }));
  for (const [name, stage] of Object.entries(data.stages ?? {})) {
    const wdir = typeof stage === "object" && stage !== null ? (stage as Record<string, unknown>)["wdir"] : undefined;
    if (typeof wdir === "string") out.set(name, wdir);
  }
  return out;
}

function matches(out: DvcOut, base: string, target: string): boolean {
  if (out.md5 === undefined || out.path.includes("://")) return false;
  return path.resolve(base, out.path) === target;
}

function info(out: DvcOut, file: string, role: "out" | "dep", stage?: string): DvcInfo {
  const { path: _path, md5, ...rest } = out;
  return { ...rest, md5: md5 ?? "", file, role, ...defined({ stage }) };
}

/**
 * The hash DVC already recorded for `dataPath`: first `<dataPath>.dvc`, then the nearest
 * `dvc.lock` walking up the folders (outputs before dependencies), stopping at the DVC
 * repository root (the folder holding `.dvc/`) or the file-system root. Paths in a
 * `dvc.lock` are relative to its folder plus the stage's `wdir` from `dvc.yaml`.
 *
 * @param dataPath - a file or directory (need not exist).
 * @returns the recorded hash, or `undefined` when DVC has none for this exact path.
 * @example
 * ```ts
 * const known = await findDvcInfo("data/prepared");
 * if (known?.hashName === "md5") console.log(known.md5); // "8fb66ff8f036ceecab7626b00a5fd4bb.dir"
 * ```
 */
export async function findDvcInfo(dataPath: string): Promise<DvcInfo | undefined> {
  const target = path.resolve(dataPath.replace(/[/\\]+$/, ""));
  const dvcFile = `${dataPath.replace(/[/\\]+$/, "")}.dvc`;
  if (await exists(dvcFile)) {
    const parsed = await readDvcFile(dvcFile);
    const base = path.resolve(path.dirname(dvcFile), parsed.wdir ?? ".");
    const out = parsed.outs.find((o) => matches(o, base, target));
    if (out !== undefined) return info(out, dvcFile, "out");
  }
  let dir = path.dirname(target);
  const given = path.dirname(dataPath.replace(/[/\\]+$/, ""));
  for (let up = 0; ; up++) {
    const lock = path.join(dir, "dvc.lock");
    if (await exists(lock)) {
      const stages = await readDvcLock(lock);
      const wdirs = await stageDirs(dir);
      const shown = path.join(given, ...Array<string>(up).fill(".."), "dvc.lock");
      for (const role of ["out", "dep"] as const) {
        for (const stage of stages) {
          const base = path.resolve(dir, wdirs.get(stage.name.split("@")[0] ?? stage.name) ?? ".");
          const hit = (role === "out" ? stage.outs : stage.deps).find((o) => matches(o, base, target));
          if (hit !== undefined) return info(hit, shown, role, stage.name);
        }
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir || (await isDir(path.join(dir, ".dvc")))) return undefined;
    dir = parent;
  }
}

async function isDir(p: string): Promise<boolean> {
  return fsp.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
