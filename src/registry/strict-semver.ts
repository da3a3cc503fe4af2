/**
 * Strict semantic versions (README, "Model releases with semantic versions", rules 1 and 4): parsing, identity,
 * ordering. Pure.
 *
 * @packageDocumentation
 */
import semver from "semver";
import type { SemVer } from "semver";
import { ValidationError } from "../errors.js";

/**
 * The allowed prerelease channels, in semver order (`alpha` < `beta` < `rc`).
 *
 * @example
 * ```ts
 * PRERELEASE_CHANNELS.includes("rc"); // true
 * ```
 */
export const PRERELEASE_CHANNELS = ["alpha", "beta", "rc"] as const;

/**
 * A prerelease channel: versions look like `X.Y.Z-<channel>.N`.
 *
 * @example
 * ```ts
 * const ch: PrereleaseChannel = "beta";
 * ```
 *
 * @useDeclaredType
 */
export type PrereleaseChannel = (typeof PRERELEASE_CHANNELS)[number];

/**
 * A parsed strict version.
 *
 * @internal
 * @example
 * ```ts
 * parseStrict("1.2.0+b", "version").identity; // "1.2.0"
 * ```
 */
export interface Parsed {
  readonly raw: string;
  readonly sv: SemVer;
  readonly identity: string;
  readonly stable: boolean;
}

const RULE1 = 'must be a strict SemVer 2.0.0 version MAJOR.MINOR.PATCH[-prerelease][+build], without a leading "v" or spaces — rule 1';
const RULE4 = "prereleases must be X.Y.Z-alpha.N, X.Y.Z-beta.N or X.Y.Z-rc.N (N a non-negative integer) — rule 4";

/**
 * Parses a strict SemVer 2.0.0 version (rule 1); throws {@link ValidationError} naming `field`.
 *
 * @internal
 * @example
 * ```ts
 * parseStrict("1.2.0-rc.1", "version").stable; // false
 * ```
 */
export function parseStrict(value: unknown, field: string): Parsed {
  const sv = typeof value === "string" && /^\d/.test(value) && value === value.trim() ? semver.parse(value, { loose: false }) : null;
  if (sv === null || typeof value !== "string") throw new ValidationError(field, value, RULE1);
  return { raw: value, sv, identity: sv.version, stable: sv.prerelease.length === 0 };
}

/**
 * The channel and number of an `X.Y.Z-<channel>.N` prerelease, else `undefined`.
 *
 * @internal
 * @example
 * ```ts
 * channelOf(parseStrict("1.3.0-rc.2", "v")); // { channel: "rc", n: 2 }
 * ```
 */
export function channelOf(p: Parsed): { channel: PrereleaseChannel; n: number } | undefined {
  const [channel, n, ...rest] = p.sv.prerelease;
  const known = PRERELEASE_CHANNELS.find((c) => c === channel);
  if (known === undefined || typeof n !== "number" || !Number.isSafeInteger(n) || rest.length > 0) return undefined;
  return { channel: known, n };
}

/**
 * Parses a version acceptable for a new release (rules 1 and 4).
 *
 * @internal
 * @example
 * ```ts
 * parseRelease("1.3.0-dev", "version"); // ValidationError … rule 4
 * ```
 */
export function parseRelease(value: unknown, field: string): Parsed {
  const p = parseStrict(value, field);
  if (!p.stable && channelOf(p) === undefined) throw new ValidationError(field, value, RULE4);
  return p;
}

/**
 * Checks that a value is an acceptable release version: strict SemVer 2.0.0 (rule 1, no
 * leading `v`, no loose forms) whose prerelease, if any, is `alpha.N`, `beta.N` or `rc.N`
 * (rule 4). Returns it unchanged.
 *
 * @param field - Field name used in the error.
 * @default field `"version"`
 * @throws {@link ValidationError} naming rule 1 or rule 4.
 * @example
 * ```ts
 * checkVersion("1.3.0-rc.2+sha.5114f85"); // "1.3.0-rc.2+sha.5114f85"
 * checkVersion("v1.3.0"); // ValidationError … rule 1
 * checkVersion("1.3.0-dev"); // ValidationError … rule 4
 * ```
 */
export function checkVersion(value: unknown, field = "version"): string {
  return parseRelease(value, field).raw;
}

/**
 * The identity of a version: its canonical form without build metadata (rule 1), so
 * `1.2.0+a` and `1.2.0+b` are the same version.
 *
 * @throws {@link ValidationError} when `version` is not strict semver.
 * @example
 * ```ts
 * versionIdentity("1.2.0+build.7"); // "1.2.0"
 * ```
 */
export function versionIdentity(version: string): string {
  return parseStrict(version, "version").identity;
}

/**
 * Semver precedence of two strict versions, build metadata ignored: -1, 0 or 1.
 *
 * @throws {@link ValidationError} when either is not strict semver.
 * @example
 * ```ts
 * compareVersions("1.10.0", "1.9.0"); // 1
 * compareVersions("1.0.0-rc.1", "1.0.0"); // -1
 * compareVersions("1.0.0+a", "1.0.0+b"); // 0
 * ```
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  return semver.compare(parseStrict(a, "version").sv, parseStrict(b, "version").sv);
}

/**
 * Whether a strict semver version has a prerelease part.
 *
 * @throws {@link ValidationError} when `version` is not strict semver.
 * @example
 * ```ts
 * isPrerelease("1.3.0-rc.2"); // true
 * isPrerelease("1.3.0+build"); // false
 * ```
 */
export function isPrerelease(version: string): boolean {
  return !parseStrict(version, "version").stable;
}
