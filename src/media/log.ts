/**
 * `run.logImage`, `run.logTable` and `run.logFigure`: rich artifacts in the layouts MLflow's
 * UI and Python client read, written through the ordinary artifact path (so they reach the
 * server like any artifact, after an outage or a crash too).
 *
 * - Images by step: `images/<key>+step+<n>+timestamp+<ms>+<uuid>.png` plus a thumbnail
 *   `…+compressed.png` (at most 256 px a side) and the tag `mlflow.loggedImages`, as MLflow's
 *   `log_image(key=…, step=…)` writes them (`/` in a key becomes `~`).
 * - Tables: pandas' `orient="split"` JSON (`{"columns": […], "data": [[…]]}`) listed in the tag
 *   `mlflow.loggedArtifacts`, as `mlflow.log_table` writes them, so `mlflow.load_table` finds them.
 *
 * @packageDocumentation
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { ValidationError } from "../errors.js";
import { checkOptions } from "../model/args.js";
import { checkStep, checkTimestamp, ILL_FORMED_RULE, isWellFormedText } from "../model/validate.js";
import { type ArtifactContext, type ArtifactInfo, jsonOf, logData } from "../artifacts/run-artifacts.js";
import { checkUserArtifactPath } from "../artifacts/paths.js";
import { encodeImage, type ImageInput } from "./image.js";
import { encodePng, fitWithin } from "./png.js";

/**
 * Options of `run.logImage`.
 * @example `{ step: 100 }`
 */
export interface ImageOptions {
  /** Training step of an image logged by key. @default 0 */
  readonly step?: number;
  /** Time of the image, integer ms since the epoch. @default the time of the call */
  readonly timestamp?: number;
}

/**
 * A logged image.
 * @example `{ path: "images/samples+step+3+timestamp+…png", thumbnailPath: "…+compressed.png", step: 3, sha256: "…", size: 1234 }`
 */
export interface LoggedImage extends ArtifactInfo {
  /** The key, for an image logged by key and step. */
  readonly key?: string;
  /** The step, for an image logged by key. */
  readonly step?: number;
  /** The thumbnail MLflow's image grid shows, for an image logged by key. */
  readonly thumbnailPath?: string;
}

/**
 * A table: an array of row objects (columns in first-seen order; a missing cell is `null`), or
 * columns and rows as MLflow stores them.
 * @example `[{ input: "a", score: 0.9 }, { input: "b", score: 0.4 }]`
 */
export type TableInput = readonly Readonly<Record<string, unknown>>[] | TableColumnsAndRows;

/**
 * A table as MLflow stores it: column names, and rows of values in that order.
 * @example `{ columns: ["text", "score"], data: [["hi", 0.9]] }`
 */
export interface TableColumnsAndRows {
  /** Column names, unique. */
  readonly columns: readonly string[];
  /** Rows, each with one value per column. */
  readonly data: readonly (readonly unknown[])[];
}

/** What MLflow's image grid parses: the characters `log_image` allows in a key. */
const IMAGE_KEY = /^[A-Za-z0-9_\-./ ]+$/;
const IMAGE_FILE = /\.(png|jpe?g)$/i;
/** Characters `mlflow.log_table` refuses in a table's path. */
const TABLE_FORBIDDEN = /["',:[\]{}]/;
const THUMBNAIL_SIDE = 256;

/** `run.logImage`. @internal */
export async function logImage(ctx: ArtifactContext, image: ImageInput, key: string, options?: ImageOptions): Promise<LoggedImage> {
  ctx.checkOpen();
  const opts = checkOptions<ImageOptions>("logImage options", options);
  if (typeof key !== "string" || key === "") throw new ValidationError("image path", key, "must be a non-empty string");
  const encoded = encodeImage(image);
  if (IMAGE_FILE.test(key)) {
    // A file name: a plain artifact at that path, like MLflow's log_image(image, artifact_file).
    if (opts.step !== undefined || opts.timestamp !== undefined)
      throw new ValidationError("image path", key, 'is a file name (it ends in .png/.jpg): step and timestamp need a key without extension, e.g. "samples"');
    const wantsPng = key.toLowerCase().endsWith(".png");
    if (wantsPng !== (encoded.format === "png"))
      throw new ValidationError("image path", key, `has the wrong extension for a ${encoded.format.toUpperCase()} image`);
    return logData(ctx, encoded.bytes, checkUserArtifactPath(key, "image path"));
  }
  if (!IMAGE_KEY.test(key))
    throw new ValidationError("image key", key, "may hold only letters, digits, _ - . / and spaces (MLflow's rule), or end in .png/.jpg to log a file");
  if (encoded.format !== "png")
    throw new ValidationError("image", "JPEG bytes", "images by step are stored as PNG for MLflow's image grid: pass a PNG, raw pixels or a tensor");
  const step = opts.step === undefined ? 0 : checkStep("image", opts.step);
  const timestamp = opts.timestamp === undefined ? ctx.clock() : checkTimestamp("image", opts.timestamp);
  const base = `images/${key.replace(/\//g, "~")}+step+${step}+timestamp+${timestamp}+${randomUUID()}`;
  const thumbnail = encoded.pixels === undefined ? encoded.bytes : encodePng(fitWithin(encoded.pixels, THUMBNAIL_SIDE));
  const main = await logData(ctx, encoded.bytes, checkUserArtifactPath(`${base}.png`, "image key"));
  const thumb = await logData(ctx, thumbnail, `${base}+compressed.png`);
  if (ctx.getTag?.("mlflow.loggedImages") !== "True") ctx.setTag("mlflow.loggedImages", "True");
  return { ...main, key, step, thumbnailPath: thumb.path };
}

/** Non-finite numbers become null (pandas' JSON has no NaN); anything else must be JSON. */
function cell(value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value === undefined ? null : value;
}

function tableOf(rows: TableInput): { columns: string[]; data: unknown[][] } {
  if (Array.isArray(rows)) {
    const columns: string[] = [];
    const seen = new Set<string>();
    rows.forEach((row, i) => {
      if (row === null || typeof row !== "object" || Array.isArray(row))
        throw new ValidationError(`table row ${i}`, row, "must be an object of column → value");
      for (const k of Object.keys(row)) if (!seen.has(k)) seen.add(k) && columns.push(k);
    });
    return { columns, data: rows.map((row: Readonly<Record<string, unknown>>) => columns.map((c) => cell(Object.hasOwn(row, c) ? row[c] : null))) };
  }
  const t = rows as { columns?: unknown; data?: unknown };
  if (t === null || typeof t !== "object" || !Array.isArray(t.columns) || !Array.isArray(t.data))
    throw new ValidationError("table", rows, "must be an array of row objects or { columns, data }");
  const columns = t.columns.map((c, i) => {
    if (typeof c !== "string") throw new ValidationError(`table column ${i}`, c, "must be a string");
    return c;
  });
  if (new Set(columns).size !== columns.length) throw new ValidationError("table columns", columns.join(", "), "must be unique");
  const data = t.data.map((row, i) => {
    if (!Array.isArray(row) || row.length !== columns.length) throw new ValidationError(`table row ${i}`, row, `must be an array of ${columns.length} values`);
    return row.map(cell);
  });
  return { columns, data };
}

/** The table already logged at `rel` in this run, when there is one (MLflow appends to it). */
async function previousTable(ctx: ArtifactContext, rel: string): Promise<{ columns: string[]; data: unknown[][] } | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(ctx.artifactsDir, ...rel.split("/")), "utf8");
  } catch {
    return undefined;
  }
  try {
    return tableOf(JSON.parse(text) as TableInput);
  } catch {
    throw new ValidationError("table path", rel, "already holds a file that is not a table: choose another path");
  }
}

/** `[{"path": "a.json", "type": "table"}]` with Python's `json.dumps` separators, which `mlflow.load_table`'s LIKE filter expects. */
function loggedArtifactsTag(items: readonly Readonly<Record<string, unknown>>[]): string {
  const obj = (o: Readonly<Record<string, unknown>>): string =>
    `{${Object.entries(o)
      .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(", ")}}`;
  return `[${items.map(obj).join(", ")}]`;
}

/** `run.logTable`. @internal */
export async function logTable(ctx: ArtifactContext, rows: TableInput, artifactPath: string): Promise<ArtifactInfo> {
  ctx.checkOpen();
  const rel = checkUserArtifactPath(artifactPath, "table path");
  if (!rel.endsWith(".json")) throw new ValidationError("table path", rel, "must end in .json (MLflow's table format)");
  if (TABLE_FORBIDDEN.test(rel)) throw new ValidationError("table path", rel, "must not contain \" ' , : [ ] { } (mlflow.load_table cannot find such a path)");
  const table = tableOf(rows);
  const before = await previousTable(ctx, rel);
  let merged = table;
  if (before !== undefined) {
    const columns = [...before.columns, ...table.columns.filter((c) => !before.columns.includes(c))];
    const pad = (t: { columns: string[]; data: unknown[][] }): unknown[][] =>
      t.data.map((r) => columns.map((c) => (t.columns.includes(c) ? r[t.columns.indexOf(c)] : null)));
    merged = { columns, data: [...pad(before), ...pad(table)] };
  }
  const info = await logData(ctx, jsonOf("table", merged), rel);
  let listed: Record<string, unknown>[] = [];
  try {
    const parsed: unknown = JSON.parse(ctx.getTag?.("mlflow.loggedArtifacts") ?? "[]");
    if (Array.isArray(parsed)) listed = parsed.filter((x): x is Record<string, unknown> => x !== null && typeof x === "object");
  } catch {
    listed = [];
  }
  if (!listed.some((x) => x.path === rel && x.type === "table"))
    ctx.setTag("mlflow.loggedArtifacts", loggedArtifactsTag([...listed, { path: rel, type: "table" }]));
  return info;
}

/** `run.logFigure`. @internal */
export function logFigure(ctx: ArtifactContext, figure: string, artifactPath: string): Promise<ArtifactInfo> {
  return Promise.resolve().then(() => {
    const rel = checkUserArtifactPath(artifactPath, "figure path");
    const kind = /\.svg$/i.test(rel) ? "svg" : /\.html?$/i.test(rel) ? "html" : undefined;
    if (kind === undefined) throw new ValidationError("figure path", rel, "must end in .svg or .html");
    if (typeof figure !== "string") throw new ValidationError("figure", figure, "must be a string of SVG or HTML");
    if (!isWellFormedText(figure)) throw new ValidationError("figure", figure, ILL_FORMED_RULE);
    if (kind === "svg" && !/<svg[\s>]/i.test(figure))
      throw new ValidationError("figure", `${figure.slice(0, 40)}…`, "must hold an <svg> element for a .svg path");
    return logData(ctx, figure, rel);
  });
}
