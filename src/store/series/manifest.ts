/**
 * The per-key point files of a long run (`runs/<runId>/series/`), derived from its journal so
 * that the history of one key reads only that key's points:
 *
 * - `<gen>-<n>.pts`: the points of the n-th key, 24 bytes each (step, timestamp, value as
 *   little-endian float64), in logged order;
 * - `series.json`: which key is in which file and how many of its points count, the journal
 *   position they were folded up to, and the corrupt lines met. Replaced atomically; a file
 *   may hold more points than it says (a killed update): they are ignored and overwritten.
 *
 * A missing, damaged or other-version `series.json`, or one whose journal position no longer
 * exists, is rebuilt from the journal under a new `<gen>`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import type { CorruptLine } from "../../log/segments.js";
import type { JournalPosition } from "../index/entry.js";

/** Version of `series.json` and its point files. */
export const SERIES_VERSION = 1;
/** Bytes of one point in a point file. */
export const POINT_BYTES = 24;
/** File name of the manifest inside `series/`. */
export const MANIFEST_FILE = "series.json";

/** One key's point file. */
export interface SeriesKey {
  readonly key: string;
  /** Points that count (the file may hold more after a killed update). */
  count: number;
  /** Every step is at least the one before, in logged order: a step range is one slice. */
  sorted: boolean;
  /** Step of the last point (for keeping `sorted`). */
  lastStep: number;
}

/** The manifest of a run's point files. */
export interface SeriesManifest {
  readonly format: "mltrail-series";
  readonly version: number;
  /** Generation: names the point files of this build (a rebuild starts a new one). */
  readonly gen: string;
  readonly position: JournalPosition;
  readonly keys: SeriesKey[];
  readonly corrupt: CorruptLine[];
}

const schema = z.object({
  format: z.literal("mltrail-series"),
  version: z.literal(SERIES_VERSION),
  gen: z.string().regex(/^[0-9a-z]+$/),
  position: z.object({ segment: z.string(), offset: z.number(), size: z.number(), mtimeMs: z.number() }),
  keys: z.array(z.object({ key: z.string(), count: z.number().int().nonnegative(), sorted: z.boolean(), lastStep: z.number() })),
  corrupt: z.array(z.object({ segment: z.string(), line: z.number(), offset: z.number(), reason: z.string() })),
});

/** The series folder of a run folder. */
export function seriesDir(runDir: string): string {
  return path.join(runDir, "series");
}

/** File of the n-th key of a generation. */
export function pointFile(dir: string, gen: string, n: number): string {
  return path.join(dir, `${gen}-${n}.pts`);
}

/** Reads the manifest; undefined when missing, damaged or of another version (then rebuilt). */
export function readManifest(dir: string): SeriesManifest | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, MANIFEST_FILE), "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as SeriesManifest) : undefined;
  } catch {
    return undefined;
  }
}
