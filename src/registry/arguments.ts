/**
 * Checks of the arguments of the registry's public methods, so a value of the wrong type or
 * shape is a ValidationError naming the field, the value and the rule (never a TypeError,
 * never stored). Pure.
 *
 * @packageDocumentation
 */
import * as z from "zod/mini";
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
const bump = z.enum(["major", "minor", "patch"], { error: "must be major, minor or patch" });
const text = z.string({ error: "must be a string" });
const optionalText = z.optional(text);

const registerSchema = z.object(
  {
    runId: z.string({ error: "must be a string" }).check(z.minLength(1, { error: "must be the id of a run" })),
    artifactPath: optionalText,
    source: optionalText,
    version: optionalText,
    bump: z.optional(bump),
    changes: z.optional(z.array(z.object({ description: text, bump }, { error: "must be { description, bump }" }), { error: "must be an array" })),
    contentDigest: z.optional(z.custom<string>(isContentDigest, { error: DIGEST_RULE })),
    architectureDigest: z.optional(
      z
        .string({ error: "must be a string" })
        .check(
          z.minLength(1, { error: ARCHITECTURE_RULE }),
          z.maxLength(256, { error: ARCHITECTURE_RULE }),
          z.refine(noControlCharacters, { error: ARCHITECTURE_RULE }),
        ),
    ),
    bumpPolicy: z.optional(z.enum(["semantic", "strict"], { error: 'must be "semantic" or "strict"' })),
    prerelease: optionalText,
    initial: z.optional(z.enum(["1.0.0", "0.1.0"], { error: 'must be "1.0.0" or "0.1.0"' })),
    base: optionalText,
    rationale: optionalText,
    aliases: z.optional(z.array(text, { error: "must be an array of alias names" })),
    tags: z.optional(userMap(isString)),
    description: optionalText,
  },
  { error: "must be an object ({ runId, … })" },
);

const updateSchema = z.object({ description: optionalText, tags: z.optional(userMap(isString)) }, { error: "must be an object ({ description?, tags? })" });

/** Throws the first issue of a failed parse as a ValidationError on `field` (plus the issue's path). */
function check<T>(schema: z.ZodMiniType<T>, value: unknown, field: string): T {
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
