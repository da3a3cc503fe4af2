/**
 * Strict semantic versions for model releases and the planning of the next version
 * (README, "Model releases with semantic versions", rules 1–5). Pure: no I/O, no clock.
 *
 * @packageDocumentation
 */
import semver from "semver";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { compareBumps, requiredBump } from "./changes.js";
import type { Bump, Change } from "./signature.js";
import { channelOf, parseRelease, parseStrict } from "./strict-semver.js";
import type { Parsed, PrereleaseChannel } from "./strict-semver.js";

export { PRERELEASE_CHANNELS, checkVersion, compareVersions, isPrerelease, versionIdentity } from "./strict-semver.js";
export type { PrereleaseChannel } from "./strict-semver.js";

/**
 * A version a model already has, or had: deleted versions stay as tombstones (rule 5).
 *
 * @example
 * ```ts
 * const gone: ExistingVersion = { version: "1.1.0", deleted: true };
 * ```
 */
export interface ExistingVersion {
  readonly version: string;
  /** @default false */
  readonly deleted?: boolean;
}

/**
 * Input of {@link planVersion}.
 *
 * @example
 * ```ts
 * const input: PlanInput = { existing: [{ version: "1.2.0" }], required: "minor" };
 * ```
 */
export interface PlanInput {
  /** Every version of the model, including deleted ones. */
  readonly existing: readonly ExistingVersion[];
  /** An explicit version chosen by the user (exclusive with `bump`). */
  readonly requested?: string;
  /** A bump chosen by the user; must be ≥ `required`. */
  readonly bump?: Bump;
  /** The bump the changes require (from {@link requiredBump}); the higher of it and `requiredBecause`'s counts. */
  readonly required?: Bump;
  /** The changes behind `required`, named in the error when the bump is too small. */
  readonly requiredBecause?: readonly Change[];
  /** Release on a prerelease channel: `X.Y.Z-<channel>.N`. */
  readonly prerelease?: PrereleaseChannel;
  /** For a backport: the existing release whose `major.minor` line gets the new version. */
  readonly base?: string;
  /**
   * The first stable version when the model has none yet.
   *
   * @default "1.0.0"
   */
  readonly initial?: "1.0.0" | "0.1.0";
}

/**
 * Output of {@link planVersion}.
 *
 * @example
 * ```ts
 * const p: PlannedVersion = { version: "1.3.0", bump: "minor", previous: "1.2.0" };
 * ```
 */
export interface PlannedVersion {
  /** The new version (a requested version is returned as given, build metadata included). */
  readonly version: string;
  /** The field incremented from `previous`, or `"initial"` when there is no earlier stable release. */
  readonly bump: Bump | "initial";
  /** The highest non-deleted stable release below the new version, when there is one. */
  readonly previous?: string;
}

interface Known extends Parsed {
  readonly deleted: boolean;
}

function highest<T extends Parsed>(list: readonly T[]): T | undefined {
  let top: T | undefined;
  for (const v of list) if (top === undefined || semver.compare(v.sv, top.sv) > 0) top = v;
  return top;
}

const tuple = (p: Parsed): string => `${p.sv.major}.${p.sv.minor}.${p.sv.patch}`;
const sameLine = (a: Parsed, b: Parsed): boolean => a.sv.major === b.sv.major && a.sv.minor === b.sv.minor;

/** Rules 5 and 3 for a candidate version. */
function checkPlacement(known: readonly Known[], v: Parsed, field: string): void {
  const used = known.find((k) => k.identity === v.identity);
  if (used !== undefined) {
    throw new ConflictError(
      used.deleted
        ? `version ${v.identity} was used before (deleted versions are tombstones) — rule 5`
        : `version ${v.identity} already exists (a version is never reused) — rule 5`,
    );
  }
  const line = known.filter((k) => sameLine(k, v));
  const lineTop = highest(line);
  if (lineTop !== undefined && semver.compare(v.sv, lineTop.sv) <= 0) {
    const rule = `must be greater than every version of line ${v.sv.major}.${v.sv.minor} (${lineTop.identity}${lineTop.deleted ? ", deleted," : ""} exists) — rule 3`;
    throw new ValidationError(field, v.raw, rule);
  }
  const top = highest(known.filter((k) => k.stable));
  if (top !== undefined && semver.compare(v.sv, top.sv) < 0) {
    const backport = v.sv.patch > 0 && line.some((k) => !k.deleted);
    if (!backport) {
      const rule = `is below the highest version ${top.identity} and is not a patch on an existing major.minor line (only backports may be) — rule 3`;
      throw new ValidationError(field, v.raw, rule);
    }
  }
}

function increment(from: Parsed, to: Parsed): Bump {
  if (to.sv.major !== from.sv.major) return "major";
  return to.sv.minor !== from.sv.minor ? "minor" : "patch";
}

/** In 0.x a breaking change bumps MINOR (and a minor change bumps minor, a patch patch). */
function effective(level: Bump, zeroX: boolean): Bump {
  return zeroX && level === "major" ? "minor" : level;
}

function checkBump(got: Bump, required: Bump | undefined, because: readonly Change[], zeroX: boolean, field: string, value: unknown): void {
  if (required === undefined || compareBumps(effective(got, zeroX), effective(required, zeroX)) >= 0) return;
  const reasons = because.filter((c) => c.bump === required);
  const first = reasons[0];
  const head = first === undefined ? "" : `${first.description}${reasons.length > 1 ? ` (and ${reasons.length - 1} more)` : ""} → `;
  const note = zeroX && required === "major" ? " (a minor bump in 0.x)" : "";
  const hint = first?.hint === undefined ? "" : `; ${first.hint}`;
  throw new ValidationError(field, value, `${head}${required} required${note}, got ${got} — rule 2 (a bump may be raised, never lowered)${hint}`);
}

function previousStable(known: readonly Known[], target: Parsed): Known | undefined {
  const t = parseStrict(tuple(target), "version");
  return highest(known.filter((k) => k.stable && !k.deleted && semver.compare(k.sv, t.sv) < 0));
}

function liveBase(known: readonly Known[], base: string): Known {
  const b = parseStrict(base, "base");
  const found = known.find((k) => k.identity === b.identity && !k.deleted);
  if (found === undefined || !found.stable) throw new ValidationError("base", base, "must be an existing, non-deleted stable release");
  return found;
}

/**
 * Plans the version of a new release, enforcing rules 1–5:
 *
 * - `requested`: checked (strict semver, allowed prerelease shape), never reused — equal
 *   identity to an existing or deleted version is a {@link ConflictError} (rule 5) — greater
 *   than every version of its `major.minor` line, and below the overall highest stable
 *   version only as a patch on an existing line (rule 3). The field it increments over the
 *   previous stable release below it (or `base`) must be ≥ the required bump (rule 2).
 * - `bump`: applied to the highest stable version (deleted ones included, so a tombstone is
 *   skipped over), or to the top of `base`'s line for a backport; must be ≥ `required`.
 * - neither: `required`, or `patch` when nothing is required.
 * - no stable version yet: `initial` (`1.0.0`, or `0.1.0`).
 * - in 0.x a major change increments MINOR; minor and patch changes increment minor and
 *   patch. Leave 0.x by requesting `1.0.0`.
 * - `prerelease`: the computed `X.Y.Z` becomes `X.Y.Z-<channel>.N`, N = 1 + the highest N on
 *   that channel for `X.Y.Z` (deleted ones included), starting at 0 like `semver.inc`.
 *
 * @throws {@link ConflictError} when the version was used (rule 5); {@link ValidationError}
 *   otherwise, naming the rule.
 * @example
 * ```ts
 * planVersion({ existing: [] }); // { version: "1.0.0", bump: "initial" }
 * planVersion({ existing: [{ version: "1.2.0" }], required: "minor" }); // { version: "1.3.0", bump: "minor", previous: "1.2.0" }
 * planVersion({ existing: [{ version: "1.2.0" }], bump: "minor", prerelease: "rc" }); // { version: "1.3.0-rc.0", … }
 * planVersion({ existing: [{ version: "1.2.0" }], requested: "1.2.1", required: "major" });
 * // ValidationError: version: "1.2.1" is not valid: major required, got patch — rule 2 …
 * ```
 */
export function planVersion(input: PlanInput): PlannedVersion {
  const known: Known[] = input.existing.map((e, i) => ({ ...parseStrict(e.version, `existing[${i}].version`), deleted: e.deleted === true }));
  const because = input.requiredBecause ?? [];
  const fromChanges = requiredBump(because);
  const required =
    input.required === undefined ? fromChanges : fromChanges === undefined || compareBumps(input.required, fromChanges) >= 0 ? input.required : fromChanges;
  const base = input.base === undefined ? undefined : liveBase(known, input.base);

  if (input.requested !== undefined) {
    if (input.bump !== undefined) throw new ValidationError("bump", input.bump, "give either a version or a bump, not both");
    const v = parseRelease(input.requested, "version");
    const ch = channelOf(v);
    if (input.prerelease !== undefined && ch?.channel !== input.prerelease) {
      throw new ValidationError("version", input.requested, `must be a prerelease on the ${input.prerelease} channel (X.Y.Z-${input.prerelease}.N) — rule 4`);
    }
    checkPlacement(known, v, "version");
    const prev = base ?? previousStable(known, v);
    if (prev === undefined) return { version: v.raw, bump: "initial" };
    if (semver.compare(prev.sv, v.sv) >= 0) throw new ValidationError("version", v.raw, `must be greater than its base ${prev.identity} — rule 3`);
    const got = increment(prev, v);
    checkBump(got, required, because, prev.sv.major === 0 && v.sv.major === 0, "version", v.raw);
    return { version: v.raw, bump: got, previous: prev.raw };
  }

  const stables = known.filter((k) => k.stable);
  const from = base === undefined ? highest(stables) : highest(stables.filter((k) => sameLine(k, base)));
  let target: string;
  let bump: Bump | "initial";
  if (from === undefined) {
    target = input.initial ?? "1.0.0";
    bump = "initial";
  } else {
    const level = input.bump ?? required ?? "patch";
    const zeroX = from.sv.major === 0;
    if (input.bump !== undefined) checkBump(input.bump, required, because, zeroX, "bump", input.bump);
    bump = effective(level, zeroX);
    target = semver.inc(from.identity, bump) ?? "";
  }
  if (input.prerelease !== undefined) {
    const channel = input.prerelease;
    const ns = known
      .filter((k) => tuple(k) === target)
      .map((k) => channelOf(k))
      .filter((c) => c?.channel === channel);
    const n = ns.reduce((max, c) => Math.max(max, (c?.n ?? -1) + 1), 0);
    target = `${target}-${channel}.${n}`;
  }
  const v = parseRelease(target, "version (computed)");
  checkPlacement(known, v, "version (computed)");
  const prev = previousStable(known, v);
  return prev === undefined ? { version: target, bump } : { version: target, bump, previous: prev.raw };
}

/**
 * Promotes a prerelease to the stable version of the same `X.Y.Z` (rule 4): `1.3.0-rc.2` →
 * `1.3.0`, a new version with the same content. Any channel may be promoted.
 *
 * @throws {@link NotFoundError} when the prerelease does not exist or was deleted;
 *   {@link ConflictError} when the stable version exists or was used (rule 5);
 *   {@link ValidationError} when `version` is not a prerelease or the stable version breaks rule 3.
 * @example
 * ```ts
 * promote([{ version: "1.2.0" }, { version: "1.3.0-rc.2" }], "1.3.0-rc.2"); // "1.3.0"
 * ```
 */
export function promote(existing: readonly ExistingVersion[], version: string): string {
  const known: Known[] = existing.map((e, i) => ({ ...parseStrict(e.version, `existing[${i}].version`), deleted: e.deleted === true }));
  const pre = parseRelease(version, "version");
  if (pre.stable) throw new ValidationError("version", version, "is not a prerelease: only X.Y.Z-<channel>.N can be promoted — rule 4");
  const found = known.find((k) => k.identity === pre.identity);
  if (found === undefined || found.deleted) {
    throw new NotFoundError(`prerelease ${pre.identity} ${found === undefined ? "does not exist" : "was deleted"}; nothing to promote`);
  }
  const stable = parseStrict(tuple(pre), "version");
  checkPlacement(known, stable, "version");
  return stable.identity;
}
