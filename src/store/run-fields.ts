/**
 * Run fields for `searchRuns`, shared by the filter parser (`filter-parser.ts`) and run
 * ordering (`order.ts`): scanning a field out of filter or order text and reading its value
 * from a run. A field is `metrics.<key>`, `params.<key>`, `tags.<key>` or an attribute
 * (`attributes.<name>`, or the bare name), spelled as MLflow's `SearchUtils` accepts it.
 *
 * @packageDocumentation
 */

import { ownValue } from "../internal/keyed.js";
import { ValidationError } from "../errors.js";
import type { RunRecord } from "../model/types.js";

/**
 * The kind of a run field: what follows is a metric key, param key, tag key or attribute name.
 * @example `"metric"` for `metrics.acc`
 */
export type RunFieldEntity = "metric" | "param" | "tag" | "attribute";

/**
 * A resolved run field. For attributes `key` is the canonical name (`run_id`, `run_name`,
 * `status`, `start_time`, `end_time`); aliases such as `created` are already resolved.
 * @example `{ entity: "metric", key: "val-loss" }` for ``metrics.`val-loss` ``
 */
export interface RunField {
  /** What kind of value the field reads. */
  readonly entity: RunFieldEntity;
  /** Metric, param or tag key, or canonical attribute name. */
  readonly key: string;
}

/**
 * Reports a syntax error at `position` of the text being parsed; never returns.
 * @example `fail(12, "or", "MLflow filters have no OR")` @internal
 */
export type Fail = (position: number, text: string, rule: string) => never;

/** Prefix → entity, with MLflow's alternate spellings. */
const PREFIXES: ReadonlyMap<string, RunFieldEntity> = new Map<string, RunFieldEntity>([
  ["metrics", "metric"],
  ["metric", "metric"],
  ["params", "param"],
  ["param", "param"],
  ["parameters", "param"],
  ["parameter", "param"],
  ["tags", "tag"],
  ["tag", "tag"],
  ["attributes", "attribute"],
  ["attribute", "attribute"],
  ["attr", "attribute"],
  ["run", "attribute"],
]);

/** Attribute name or alias → canonical name. */
const ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ["run_id", "run_id"],
  ["run_name", "run_name"],
  ["status", "status"],
  ["start_time", "start_time"],
  ["end_time", "end_time"],
  ["created", "start_time"],
  ["Created", "start_time"],
  ["run name", "run_name"],
  ["Run name", "run_name"],
  ["Run Name", "run_name"],
]);

/** The tag MLflow stores the run name in; read from `info.name` when the tag is absent. */
const RUN_NAME_TAG = "mlflow.runName";

const SUPPORTED_FIELDS =
  "fields are metrics.<key>, params.<key>, tags.<key> or attributes.<name> " + "(run_id, run_name, status, start_time, end_time, created)";

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const BARE_KEY = /[A-Za-z0-9_.]+/y;
const UNQUOTED_RUN = /[^\s=!<>(),'"]+/y;

/**
 * True for the attributes compared as numbers (`start_time`, `end_time`).
 * @example `isNumericAttribute("start_time") === true` @internal
 */
export function isNumericAttribute(name: string): boolean {
  return name === "start_time" || name === "end_time";
}

/**
 * Index of the first non-whitespace character at or after `pos`.
 * @example `skipSpaces("  a", 0) === 2` @internal
 */
export function skipSpaces(src: string, pos: number): number {
  let i = pos;
  while (i < src.length && /\s/.test(src.charAt(i))) i++;
  return i;
}

/**
 * Reads text quoted with the character at `pos`; no escapes.
 * @example `scanQuoted("`a b`", 0, "name", fail).text === "a b"` @internal
 */
export function scanQuoted(src: string, pos: number, what: string, fail: Fail): { text: string; end: number } {
  const quote = src.charAt(pos);
  const close = src.indexOf(quote, pos + 1);
  const rule = `unterminated ${what} starting at position ${pos}: close it with ${quote}`;
  if (close < 0) return fail(pos, src.slice(pos), rule);
  return { text: src.slice(pos + 1, close), end: close + 1 };
}

function resolveAttribute(name: string, pos: number, fail: Fail, bare: boolean): string {
  const canonical = ATTRIBUTES.get(name);
  if (canonical !== undefined) return canonical;
  if (name === "user_id" || name === "artifact_uri") {
    return fail(pos, name, `attribute ${name} is not recorded by the local store; ${SUPPORTED_FIELDS}`);
  }
  const hint = bare ? `; did you mean metrics.${name}, params.${name} or tags.${name}?` : "";
  return fail(pos, name, `unknown attribute "${name}"${hint}; ${SUPPORTED_FIELDS}`);
}

/**
 * Reads a field at `start`: `metrics.acc`, ``metrics.`val-loss` ``, `tags."a b"`,
 * `tags.mlflow.runName`, `attributes.status`, `run.start_time` or a bare attribute name. Prefixes are
 * case-sensitive, as in MLflow.
 * @example `scanField("metrics.acc > 1", 0, fail) // { field: { entity: "metric", key: "acc" }, end: 11 }` @internal
 */
export function scanField(src: string, start: number, fail: Fail): { field: RunField; end: number } {
  let head: string;
  let pos: number;
  if (src.charAt(start) === "`") {
    ({ text: head, end: pos } = scanQuoted(src, start, "quoted name", fail));
  } else {
    WORD.lastIndex = start;
    const m = WORD.exec(src);
    if (m === null) return fail(start, excerpt(src, start), `expected a field here; ${SUPPORTED_FIELDS}`);
    head = m[0];
    pos = WORD.lastIndex;
  }
  if (src.charAt(pos) !== ".") {
    return { field: { entity: "attribute", key: resolveAttribute(head, start, fail, true) }, end: pos };
  }
  const entity = PREFIXES.get(head);
  if (entity === undefined) {
    const rule =
      head === "dataset" || head === "datasets" ? "dataset filters are not supported by the local store" : `unknown prefix "${head}" (prefixes are lowercase)`;
    return fail(start, head, `${rule}; ${SUPPORTED_FIELDS}`);
  }
  pos += 1;
  const keyPos = pos;
  let key: string;
  const q = src.charAt(pos);
  if (q === "`" || q === '"') {
    ({ text: key, end: pos } = scanQuoted(src, pos, "quoted name", fail));
    if (key === "") return fail(keyPos, src.slice(start, pos), "the quoted key is empty");
  } else {
    BARE_KEY.lastIndex = pos;
    const m = BARE_KEY.exec(src);
    UNQUOTED_RUN.lastIndex = keyPos;
    const raw = UNQUOTED_RUN.exec(src)?.[0] ?? "";
    if (raw === "") {
      return fail(keyPos, `${head}.`, `expected a key after "${head}.", e.g. ${head}.my_key or ${head}.\`my key\``);
    }
    if (m === null || m[0].length < raw.length) {
      return fail(keyPos, `${head}.${raw}`, `a key with characters other than letters, digits, "_" and "." must be quoted: ${head}.\`${raw}\``);
    }
    key = m[0];
    pos = BARE_KEY.lastIndex;
  }
  if (entity === "attribute") key = resolveAttribute(key, keyPos, fail, false);
  return { field: { entity, key }, end: pos };
}

/**
 * The text at `pos` up to the next space (at most 40 characters), for error messages; the whole source
 * when `pos` is at the end.
 * @example `excerpt("a > b or c", 6) === "or"` @internal
 */
export function excerpt(src: string, pos: number): string {
  if (pos >= src.length) return src;
  const m = /\S+/y;
  m.lastIndex = pos;
  return (m.exec(src)?.[0] ?? src.slice(pos)).slice(0, 40);
}

/**
 * A reader for one field: returns the run's value, or `undefined` when the run lacks it (no such
 * metric/param/tag, or no `end_time` yet). `tags.mlflow.runName` falls back to the run's name.
 * @example `fieldReader({ entity: "param", key: "lr" })(run) // "0.001"` @internal
 */
export function fieldReader(field: RunField): (run: RunRecord) => string | number | undefined {
  const { key } = field;
  switch (field.entity) {
    case "metric":
      return (run) => numberOrUndefined(ownValue(run.data.metrics, key));
    case "param":
      return (run) => stringOrUndefined(ownValue(run.data.params, key));
    case "tag":
      if (key === RUN_NAME_TAG) return (run) => stringOrUndefined(ownValue(run.data.tags, key)) ?? run.info.name;
      return (run) => stringOrUndefined(ownValue(run.data.tags, key));
    case "attribute":
      switch (key) {
        case "run_id":
          return (run) => run.info.runId;
        case "run_name":
          return (run) => run.info.name;
        case "status":
          return (run) => run.info.status;
        case "start_time":
          return (run) => run.info.startTime;
        case "end_time":
          return (run) => run.info.endTime;
        default:
          throw new ValidationError("attribute", key, `unknown attribute; ${SUPPORTED_FIELDS}`);
      }
  }
}

/* Records are plain objects: `typeof` checks keep prototype members (`constructor`) out. */
const numberOrUndefined = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const stringOrUndefined = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
