/**
 * Resolving a reference (exact version, `latest`, semver range, alias) to one model version,
 * and the naming rules for models and aliases (README, "Model releases with semantic versions", rule 7). Pure.
 *
 * @packageDocumentation
 */
import semver from "semver";
import type { SemVer } from "semver";
import { ValidationError } from "../errors.js";

/**
 * One version as seen by {@link resolveRef}.
 *
 * @example
 * ```ts
 * const v: ResolvableVersion = { version: "1.2.0", deprecated: true };
 * ```
 */
export interface ResolvableVersion {
  readonly version: string;
  /** @default false */
  readonly deprecated?: boolean;
  /** A tombstone: never resolved. @default false */
  readonly deleted?: boolean;
}

/**
 * A parsed `"name@ref"` string.
 *
 * @example
 * ```ts
 * const r: ModelRef = { name: "churn", ref: "^2" };
 * ```
 */
export interface ModelRef {
  readonly name: string;
  readonly ref: string;
}

interface Candidate {
  readonly raw: string;
  readonly sv: SemVer;
  readonly deprecated: boolean;
}

/** Strict parse (rule 1): no leading `v`, no spaces; anything else is not a version. */
function strict(v: string): SemVer | null {
  return /^\d/.test(v) && v === v.trim() ? semver.parse(v, { loose: false }) : null;
}

function top(list: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of list) if (best === undefined || semver.compare(c.sv, best.sv) > 0) best = c;
  return best;
}

/** A `v` directly before a number (`v1`, `^v2`) is MLflow's version-number syntax, not semver here. */
const V_NUMBER = /(^|[\s<>=~^|])[vV]\d/;

/**
 * Resolves a reference to one version string (as stored), or `undefined` when nothing
 * matches. Deleted versions never resolve. In order:
 *
 * 1. an exact version, matched by identity (`1.2.0+b` finds `1.2.0+a`), deprecated or not;
 * 2. `latest` (any case): the highest non-deprecated stable version, else the highest stable;
 * 3. an alias name (a key of `aliases`), pointing at a non-deleted version;
 * 4. a semver range (`^1.2`, `~1.2.3`, `>=2 <3`, `1.x`, `*`): the highest non-deprecated match
 *    with semver's `includePrerelease: false` semantics — prereleases only match a range that
 *    names a prerelease of the same `X.Y.Z` (`>=1.3.0-rc.0`).
 *
 * An empty ref and `v`-prefixed numbers (`v2`, `^v1`) resolve to nothing.
 *
 * @example
 * ```ts
 * const vs = [{ version: "1.2.0" }, { version: "1.3.0", deprecated: true }, { version: "2.0.0-rc.1" }];
 * resolveRef(vs, { champion: "1.2.0" }, "^1");        // "1.2.0"
 * resolveRef(vs, { champion: "1.2.0" }, "champion");  // "1.2.0"
 * resolveRef(vs, {}, "latest");                        // "1.2.0"
 * resolveRef(vs, {}, ">=2.0.0-rc.0");                  // "2.0.0-rc.1"
 * ```
 */
export function resolveRef(versions: readonly ResolvableVersion[], aliases: Readonly<Record<string, string>>, ref: string): string | undefined {
  if (ref.trim() === "") return undefined;
  const live: Candidate[] = [];
  for (const v of versions) {
    const sv = v.deleted === true ? null : strict(v.version);
    if (sv !== null) live.push({ raw: v.version, sv, deprecated: v.deprecated === true });
  }
  const byIdentity = (version: string): string | undefined => {
    const sv = strict(version);
    return sv === null ? undefined : live.find((c) => c.sv.version === sv.version)?.raw;
  };

  if (strict(ref) !== null) return byIdentity(ref);
  if (ref.toLowerCase() === "latest") {
    const stable = live.filter((c) => c.sv.prerelease.length === 0);
    return (top(stable.filter((c) => !c.deprecated)) ?? top(stable))?.raw;
  }
  if (Object.hasOwn(aliases, ref)) {
    const target = aliases[ref];
    return target === undefined ? undefined : byIdentity(target);
  }
  if (V_NUMBER.test(ref) || semver.validRange(ref, { loose: false }) === null) return undefined;
  const range = new semver.Range(ref, { loose: false, includePrerelease: false });
  return top(live.filter((c) => !c.deprecated && range.test(c.sv)))?.raw;
}

/**
 * Splits `"name@ref"` at the LAST `@` (so a name may contain `@`); without `@` the ref is
 * `latest`.
 *
 * @throws {@link ValidationError} when the name is not a valid model name or the ref is empty.
 * @example
 * ```ts
 * parseModelRef("churn@^2");      // { name: "churn", ref: "^2" }
 * parseModelRef("churn");         // { name: "churn", ref: "latest" }
 * parseModelRef("team@churn@1.2.0"); // { name: "team@churn", ref: "1.2.0" }
 * ```
 */
export function parseModelRef(text: string): ModelRef {
  if (typeof text !== "string") throw new ValidationError("model reference", text, 'must be a string "name" or "name@ref"');
  const at = text.lastIndexOf("@");
  if (at < 0) return { name: checkModelName(text, "model reference"), ref: "latest" };
  const ref = text.slice(at + 1);
  if (ref.trim() === "") throw new ValidationError("model reference", text, 'the part after "@" must be a version, range, alias or "latest"');
  return { name: checkModelName(text.slice(0, at), "model reference"), ref };
}

const ALIAS = /^[\w-]{1,255}$/;

/**
 * Checks an alias name (rule 7): 1–255 characters of `[A-Za-z0-9_-]`; `latest` (any case),
 * `v<digits>` (any case) and anything semver-shaped (a version, or a range such as `1`, `12`
 * or `x`) are reserved. Returns the name unchanged.
 *
 * @param field - Field name used in the error.
 * @default field `"alias"`
 * @throws {@link ValidationError} naming rule 7.
 * @example
 * ```ts
 * checkAliasName("champion"); // "champion"
 * checkAliasName("v2");       // ValidationError: alias: "v2" is not valid: … reserved … — rule 7
 * ```
 */
export function checkAliasName(alias: unknown, field = "alias"): string {
  if (typeof alias !== "string" || !ALIAS.test(alias)) {
    throw new ValidationError(field, alias, "must be 1–255 characters of letters, digits, _ and - — rule 7");
  }
  if (alias.toLowerCase() === "latest") throw new ValidationError(field, alias, '"latest" is reserved (it is derived, never set) — rule 7');
  if (/^v\d+$/i.test(alias)) throw new ValidationError(field, alias, "v<digits> is reserved for version numbers — rule 7");
  if (semver.valid(alias, { loose: true }) !== null || semver.validRange(alias, { loose: true }) !== null) {
    throw new ValidationError(field, alias, "semver-shaped names (versions and ranges such as 1 or x) are reserved — rule 7");
  }
  return alias;
}

const MAX_MODEL_NAME = 256;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/%:\u0000-\u001f\u007f]/;

/**
 * Checks a model name: non-empty, at most 256 characters, no `/`, `%`, `:` or control
 * characters, no leading or trailing whitespace. Returns it unchanged.
 *
 * @param field - Field name used in the error.
 * @default field `"model name"`
 * @throws {@link ValidationError}
 * @example
 * ```ts
 * checkModelName("churn-classifier"); // "churn-classifier"
 * checkModelName("a/b");              // ValidationError
 * ```
 */
export function checkModelName(name: unknown, field = "model name"): string {
  if (typeof name !== "string" || name.trim() === "" || name !== name.trim() || name.length > MAX_MODEL_NAME || FORBIDDEN.test(name)) {
    throw new ValidationError(field, name, `must be 1–${MAX_MODEL_NAME} characters without "/", "%", ":", control characters or leading/trailing spaces`);
  }
  return name;
}
