/**
 * The shapes of what a registry store reads back (files of the local store, tags on an MLflow
 * server), checked with zod at the boundary (zod/mini: the browser build reads releases too): a record that does not parse is damage, reported
 * by the caller and skipped, never trusted. Maps with user keys (tags, params, metrics,
 * aliases) keep every own key, `__proto__` included (zod's record would drop it).
 *
 * @packageDocumentation
 */
import * as z from "zod/mini";
import type { ChangeCategory } from "./changes.js";
import { checkSignature } from "./signature.js";
import type { ChangeKind } from "./signature.js";
import type { AuditEntry, ReleaseChange, ReleaseExplanation, StoredVersion } from "./store.js";
import { defined } from "../internal/defined.js";

/**
 * A schema of a plain object whose values all pass `check`. The object is returned as is, so
 * no own key is lost (`__proto__` included).
 * @example `userMap(isString).parse({ owner: "growth" })`
 */
export function userMap<V>(check: (value: unknown) => value is V): z.ZodMiniType<Readonly<Record<string, V>>> {
  return z.custom<Readonly<Record<string, V>>>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every(check),
    { error: "must be an object of strings (or of numbers, for metrics)" },
  );
}

/** Whether a value is a string (for {@link userMap}). @example `userMap(isString)` */
export const isString = (v: unknown): v is string => typeof v === "string";
const isNumber = (v: unknown): v is number => typeof v === "number";
const optionalString = z.optional(z.string());

const datasetSchema = z.object({ name: z.string(), digest: z.string(), source: optionalString, context: optionalString });

const bumpSchema = z.enum(["major", "minor", "patch"]);
/** Change details written by another mltrail version may not parse here: then they are left out, the record stays readable. */
const changeDetailsSchema = z.pipe(
  z.catch(z.optional(z.array(z.object({ category: z.string(), kind: z.string(), bump: bumpSchema, description: z.string() }))), undefined),
  z.transform((list) =>
    list?.map((c): ReleaseChange => ({ category: c.category as ChangeCategory, kind: c.kind as ChangeKind, bump: c.bump, description: c.description })),
  ),
);

const explanationSchema = z.object({
  name: z.string().check(z.minLength(1)),
  method: z.string().check(z.minLength(1)),
  artifactPath: z.string().check(z.minLength(1)),
  digest: z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/)),
  globalImportance: z.optional(userMap(isNumber)),
});

/**
 * Parses one explanation entry (of a release record, or of a run's `mltrail.explanation/<name>`
 * tag with its name added), or `undefined` when damaged.
 * @example `parseReleaseExplanation({ name: "shap", method: "kernel-shap", artifactPath: "explanations/shap.json", digest, globalImportance })`
 */
export function parseReleaseExplanation(raw: unknown): ReleaseExplanation | undefined {
  const parsed = explanationSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  return { name: e.name, method: e.method, artifactPath: e.artifactPath, digest: e.digest, ...defined({ globalImportance: e.globalImportance }) };
}

/** Explanations written by another mltrail version may not parse here: a damaged entry is left out, the record stays readable. */
const explanationsSchema = z.pipe(
  z.catch(z.optional(z.array(z.unknown())), undefined),
  z.transform((list) => list?.map(parseReleaseExplanation).filter((e) => e !== undefined)),
);

/** The release fields stored next to the name, version and source (the MLflow `mltrail.release` tag holds these). */
const releaseBodySchema = z.object({
  runId: optionalString,
  signature: z.optional(z.unknown()),
  contentDigest: optionalString,
  architectureDigest: optionalString,
  author: z.string(),
  createdAt: z.number(),
  rationale: z.string(),
  metrics: userMap(isNumber),
  params: userMap(isString),
  datasets: z.array(datasetSchema),
  gitCommit: optionalString,
  bump: z.string(),
  changes: z.array(z.string()),
  changeDetails: changeDetailsSchema,
  explanations: explanationsSchema,
  deprecated: optionalString,
  deletedAt: z.optional(z.number()),
  description: optionalString,
  tags: userMap(isString),
});

/** The release fields of {@link StoredVersion} other than name, version, backend version and source. */
export type ReleaseBody = Omit<StoredVersion, "name" | "version" | "backendVersion" | "source">;

/**
 * Parses the release fields of a stored version (JSON already parsed), or returns `undefined`
 * when they are not a release record.
 * @example `parseReleaseBody(JSON.parse(tags["mltrail.release"]))`
 */
export function parseReleaseBody(raw: unknown): ReleaseBody | undefined {
  const parsed = releaseBodySchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const b = parsed.data;
  let signature: StoredVersion["signature"];
  try {
    signature = b.signature === undefined || b.signature === null ? undefined : checkSignature(b.signature);
  } catch {
    return undefined;
  }
  return {
    runId: b.runId,
    signature,
    contentDigest: b.contentDigest,
    ...defined({ architectureDigest: b.architectureDigest }),
    author: b.author,
    createdAt: b.createdAt,
    rationale: b.rationale,
    metrics: b.metrics,
    params: b.params,
    datasets: b.datasets.map((d) => ({
      name: d.name,
      digest: d.digest,
      ...defined({ source: d.source }),
      ...defined({ context: d.context }),
    })),
    gitCommit: b.gitCommit,
    bump: b.bump,
    changes: b.changes,
    ...defined({ changeDetails: b.changeDetails }),
    ...defined({ explanations: b.explanations }),
    deprecated: b.deprecated,
    deletedAt: b.deletedAt,
    description: b.description,
    tags: b.tags,
  };
}

const headSchema = z.object({
  name: z.string(),
  version: z.string().check(z.minLength(1)),
  backendVersion: z.string().check(z.regex(/^\d+$/)),
  source: z.string(),
});

/**
 * Parses one stored version (a local `versions/<n>.json`), or `undefined` when damaged.
 * @example `parseStoredVersion(JSON.parse(text))`
 */
export function parseStoredVersion(raw: unknown): StoredVersion | undefined {
  const head = headSchema.safeParse(raw);
  const body = parseReleaseBody(raw);
  return head.success && body !== undefined ? { ...body, ...head.data } : undefined;
}

const auditSchema = z.object({
  action: z.enum(["release", "promote", "alias", "alias-delete", "deprecate", "delete", "update"]),
  version: optionalString,
  alias: optionalString,
  from: optionalString,
  by: z.string(),
  at: z.number(),
  reason: optionalString,
  bump: optionalString,
  changes: z.optional(z.array(z.string())),
});

/**
 * Parses one audit entry, or `undefined` when damaged.
 * @example `parseAuditEntry(JSON.parse(line))`
 */
export function parseAuditEntry(raw: unknown): AuditEntry | undefined {
  const parsed = auditSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { action, by, at, ...rest } = parsed.data;
  return { action, by, at, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
}

/**
 * Parses an alias map (`{ alias: version }`), keeping every own key, or `undefined` when damaged.
 * @example `parseAliases({ champion: "1.2.0" })`
 */
export function parseAliases(raw: unknown): Readonly<Record<string, string>> | undefined {
  const parsed = userMap(isString).safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

const modelFileSchema = z.object({ name: z.string(), createdAt: z.number() });

/**
 * Parses a local `model.json` (`{ name, createdAt }`), or `undefined` when damaged.
 * @example `parseModelFile({ name: "churn", createdAt: 1764170000000 })`
 */
export function parseModelFile(raw: unknown): { readonly name: string; readonly createdAt: number } | undefined {
  const parsed = modelFileSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A copy of `map` with `key` set (or removed when `value` is undefined) as an own property,
 * so `__proto__` and friends are ordinary keys.
 * @example `withKey({ a: "1" }, "__proto__", "2")` // own keys a and __proto__
 */
export function withKey(map: Readonly<Record<string, string>>, key: string, value: string | undefined): Record<string, string> {
  const out = Object.fromEntries(Object.entries(map).filter(([k]) => k !== key));
  if (value !== undefined) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}
