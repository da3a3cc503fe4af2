/**
 * Checks of the arguments of the registry's public methods, so a value of the wrong type or
 * shape is a ValidationError naming the field, the value and the rule (never a TypeError,
 * never stored). Pure.
 *
 * @packageDocumentation
 */
import { z } from "zod";
import { ValidationError } from "../errors.js";
import { isString, userMap } from "./records.js";

const DIGEST_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha512: 128, sha1: 40, md5: 32 };
const DIGEST_RULE =
  "must be <algorithm>:<hex digest> with sha256 (64 hex digits), sha512 (128), sha1 (40) or md5 (32), e.g. the contentDigest run.logModel returns";

/**
 * Whether `value` is a content digest: `sha256:<64 hex>`, `sha512:<128 hex>`, `sha1:<40 hex>`
 * or `md5:<32 hex>` (lowercase hex).
 * @example `isContentDigest("sha256:" + "0".repeat(64)) // true`
 */
export function isContentDigest(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const m = /^([a-z0-9]+):([0-9a-f]+)$/.exec(value);
  return m !== null && DIGEST_LENGTHS[m[1] as string] === (m[2] as string).length;
}

const ARCHITECTURE_RULE =
  "must be a non-empty string of at most 256 characters without control characters (any stable name of the architecture, e.g. architectureDigestOf(json))";
const noControlCharacters = (s: string): boolean => ![...s].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === "\u007f");
const bump = z.enum(["major", "minor", "patch"], { message: "must be major, minor or patch" });
const text = z.string({ message: "must be a string" });

const registerSchema = z.object(
  {
    runId: text.min(1, { message: "must be the id of a run" }),
    artifactPath: text.optional(),
    source: text.optional(),
    version: text.optional(),
    bump: bump.optional(),
    changes: z.array(z.object({ description: text, bump }, { message: "must be { description, bump }" }), { message: "must be an array" }).optional(),
    contentDigest: z.custom<string>(isContentDigest, { message: DIGEST_RULE }).optional(),
    architectureDigest: text
      .min(1, { message: ARCHITECTURE_RULE })
      .max(256, { message: ARCHITECTURE_RULE })
      .refine(noControlCharacters, { message: ARCHITECTURE_RULE })
      .optional(),
    bumpPolicy: z.enum(["semantic", "strict"], { message: 'must be "semantic" or "strict"' }).optional(),
    prerelease: text.optional(),
    initial: z.enum(["1.0.0", "0.1.0"], { message: 'must be "1.0.0" or "0.1.0"' }).optional(),
    base: text.optional(),
    rationale: text.optional(),
    aliases: z.array(text, { message: "must be an array of alias names" }).optional(),
    tags: userMap(isString).optional(),
    description: text.optional(),
  },
  { message: "must be an object ({ runId, … })" },
);

const updateSchema = z.object({ description: text.optional(), tags: userMap(isString).optional() }, { message: "must be an object ({ description?, tags? })" });

/** Throws the first issue of a failed parse as a ValidationError on `field` (plus the issue's path). */
function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  let at = field;
  let bad: unknown = value;
  for (const part of issue?.path ?? []) {
    at += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
    bad = bad !== null && typeof bad === "object" ? (bad as Record<PropertyKey, unknown>)[part as PropertyKey] : undefined;
  }
  throw new ValidationError(at, bad, issue?.message ?? "is invalid");
}

/**
 * Checks the options of `registerModel` (types and shapes; the semver rules come later).
 * @throws {@link ValidationError} naming e.g. `options.changes[0].bump`.
 * @example `checkRegisterOptions({ runId, bump: "minor" })`
 */
export function checkRegisterOptions(options: unknown): void {
  check(registerSchema, options, "options");
}

/**
 * Checks the change of `updateModelVersion`: an object with an optional string `description`
 * and optional string `tags`.
 * @throws {@link ValidationError}
 * @example `checkVersionChange({ tags: { owner: "growth" } })`
 */
export function checkVersionChange(change: unknown): void {
  check(updateSchema, change, "update");
}

/**
 * Checks a version reference or alias argument: a non-empty string. Returns it.
 * @param field - Field name used in the error. @default "ref"
 * @throws {@link ValidationError}
 * @example `checkRefArgument("^1.2")`
 */
export function checkRefArgument(value: unknown, field = "ref"): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new ValidationError(field, value, 'must be a version, range, alias or "latest" (a non-empty string)');
  return value;
}
