/**
 * The texts of a DVCLive folder, as DVCLive 3.49 writes them: numbers in the TSV plots and the
 * `metrics.json` summary, the summary nested by `/`, `params.yaml`, the folder's `dvc.yaml`, and
 * the file of each metric key.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import { stringify } from "yaml";

/**
 * A metric value as DVCLive writes it: the shortest decimal that reads back to the same double,
 * `-0.0` for minus zero, and, as DVCLive does (`str(val)` in Python), `nan`, `inf` and `-inf`:
 * JSON has no token for them and Python's `float()` reads these back.
 * @example `formatValue(Number.NaN)` → `"nan"`
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Number.POSITIVE_INFINITY) return "inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  if (value === 0 && Object.is(value, -0)) return "-0.0";
  return String(value);
}

/** A value of `metrics.json`: a number, or DVCLive's string for NaN and ±Infinity. */
export type SummaryValue = number | string;

/** A `metrics.json` document. */
export interface Summary {
  [key: string]: SummaryValue | Summary;
}

/** A value as the summary holds it: the number itself when JSON can hold it. */
function summaryValue(value: number): SummaryValue {
  return Number.isFinite(value) && !Object.is(value, -0) ? value : formatValue(value);
}

/**
 * The `metrics.json` summary: each metric's latest value nested by `/` (`train/loss` →
 * `{ train: { loss } }`), as DVCLive nests it. A key whose prefix is itself a metric (`a` and
 * `a/b`) cannot nest, so it stays whole at the top level (`"a/b"`). `step` is the highest step
 * logged, unless a metric is called `step`.
 * @example `summaryOf({ "train/loss": 0.5 }, 3)` → `{ train: { loss: 0.5 }, step: 3 }`
 */
export function summaryOf(latest: Readonly<Record<string, number>>, step: number | undefined): Summary {
  const out: Summary = {};
  const leaves = new Set(Object.keys(latest));
  const flat: [string, SummaryValue][] = [];
  for (const [key, value] of Object.entries(latest)) {
    const parts = key.split("/");
    const prefixes = parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/"));
    if (prefixes.some((p) => leaves.has(p))) {
      flat.push([key, summaryValue(value)]);
      continue;
    }
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next === "object") node = next;
      else node = node[part] = {};
    }
    node[parts[parts.length - 1] as string] = summaryValue(value);
  }
  for (const [key, value] of flat) out[key] = value;
  if (step !== undefined && !("step" in out)) out["step"] = step;
  return out;
}

/**
 * `metrics.json` text: four-space indent and a final newline, as DVCLive writes it.
 * @example `summaryText({ loss: 0.5 })` → `"{\n    \"loss\": 0.5\n}\n"`
 */
export function summaryText(summary: Summary): string {
  return `${JSON.stringify(summary, null, 4)}\n`;
}

/**
 * A param as `params.yaml` holds it. Params are strings in mltrail (as in MLflow); one that is
 * exactly a number's shortest decimal, or `true`/`false`, is written as that number or boolean
 * so `dvc params diff` and `dvc exp show` show it as such; every other value stays a string
 * (quoted by the YAML writer when it would read back as something else).
 * @example `paramValue("0.001")` → `0.001`; `paramValue("1e3x")` → `"1e3x"`
 */
export function paramValue(value: string): string | number | boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  const n = Number(value);
  return value.trim() !== "" && Number.isFinite(n) && String(n) === value ? n : value;
}

/**
 * `params.yaml` text: one flat key per param (a nested param `a.b` stays `a.b`, which DVC shows
 * the same way as a nested one).
 * @example `paramsText({ lr: "0.001" })` → `"lr: 0.001\n"`
 */
export function paramsText(params: Readonly<Record<string, string>>): string {
  const doc: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(params)) doc[k] = paramValue(v);
  return stringify(doc, { lineWidth: 0 });
}

/**
 * The folder's `dvc.yaml`: its metrics, params and plots sections, with paths relative to it, as
 * DVCLive writes them with `Live(dir, dvcyaml="<dir>/dvc.yaml")`.
 * @example `dvcYamlText({ params: true, metrics: true, plots: true })`
 */
export function dvcYamlText(has: { params: boolean; metrics: boolean; plots: boolean }): string {
  const doc: Record<string, unknown> = {};
  if (has.params) doc["params"] = ["params.yaml"];
  if (has.metrics) doc["metrics"] = ["metrics.json"];
  if (has.plots) doc["plots"] = [{ "plots/metrics": { x: "step" } }];
  return stringify(doc);
}

/** Longest file or folder name, in UTF-8 bytes, most file systems accept. */
const NAME_MAX_BYTES = 255;

/** A path segment with the characters a file name cannot hold (on some system) as `%XX`. */
function fileSegment(segment: string): string {
  const s = segment.replace(/[%\\:*?"<>|\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
  return s === "" ? "%" : s === "." || s === ".." ? s.replace(/\./g, "%2E") : s;
}

/**
 * The TSV file of a metric key, relative to `plots/metrics/`: `/` makes folders as in DVCLive;
 * `:` (a key character Windows forbids in names) is written `%3A`, and so are the other
 * characters no file name may hold and `%` itself, so no two keys share a file; a name too long
 * for the file system is shortened and given a hash of the key.
 * @example `metricFile("train/loss")` → `"train/loss.tsv"`
 */
export function metricFile(key: string): string {
  const parts = key.split("/").map(fileSegment);
  return parts
    .map((p, i) => {
      const ext = i === parts.length - 1 ? ".tsv" : "";
      if (Buffer.byteLength(p + ext) <= NAME_MAX_BYTES) return p + ext;
      const hash = createHash("sha256").update(key).digest("hex").slice(0, 16);
      let cut = p.slice(0, 100);
      while (Buffer.byteLength(cut) > 200) cut = cut.slice(0, -1);
      return `${cut}~${hash}${ext}`;
    })
    .join("/");
}

/**
 * The header of a metric's TSV: `timestamp`, `step` and the key's last `/` segment, DVCLive's
 * column order. DVC plots the last column against `step`.
 * @example `tsvHeader("train/loss")` → `"timestamp\tstep\tloss\n"`
 */
export function tsvHeader(key: string): string {
  const name = key.slice(key.lastIndexOf("/") + 1);
  // Quoted as Python's csv module quotes (keys logged through mltrail never need it).
  return `timestamp\tstep\t${/[\t\r\n"]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name}\n`;
}
