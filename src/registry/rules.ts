/**
 * The store-independent parts of rules 6 (immutability) and 8 (concurrent releases) of
 * the README, "Model releases with semantic versions". Pure: the retry helper only calls what it is given.
 *
 * @packageDocumentation
 */
import { ConflictError, ValidationError } from "../errors.js";

/**
 * The fields of a released version that may change afterwards (rule 6). Everything else —
 * version, files, digest, signature, lineage, metrics at release — is immutable.
 *
 * @example
 * ```ts
 * MUTABLE_VERSION_FIELDS.includes("tags"); // true
 * ```
 */
export const MUTABLE_VERSION_FIELDS = ["aliases", "tags", "description", "deprecated", "deprecationReason"] as const;

/**
 * A field name from {@link MUTABLE_VERSION_FIELDS}.
 *
 * @example
 * ```ts
 * const f: MutableVersionField = "deprecated";
 * ```
 */
export type MutableVersionField = (typeof MUTABLE_VERSION_FIELDS)[number];

/**
 * Rejects an update of a released version that touches an immutable field (rule 6). Keys
 * whose value is `undefined` are ignored.
 *
 * @param field - Prefix of the field named in the error.
 * @default field `"update"`
 * @throws {@link ValidationError} naming the first immutable field and rule 6.
 * @example
 * ```ts
 * checkVersionUpdate({ description: "better docs", deprecated: true }); // ok
 * checkVersionUpdate({ contentDigest: "sha256:…" });
 * // ValidationError: update.contentDigest: "sha256:…" is not valid: is immutable once released … — rule 6
 * ```
 */
export function checkVersionUpdate(update: Readonly<Record<string, unknown>>, field = "update"): void {
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined || (MUTABLE_VERSION_FIELDS as readonly string[]).includes(key)) continue;
    throw new ValidationError(`${field}.${key}`, value, `is immutable once released (only ${MUTABLE_VERSION_FIELDS.join(", ")} may change) — rule 6`);
  }
}

/**
 * Options of {@link releaseWithRetry}.
 *
 * @example
 * ```ts
 * const o: RetryOptions = { computed: true, maxRetries: 3 };
 * ```
 */
export interface RetryOptions {
  /** Whether the version was computed (from a bump or the changes) rather than given by the user. */
  readonly computed: boolean;
  /**
   * Retries after the first attempt, when `computed`.
   *
   * @default 3
   */
  readonly maxRetries?: number;
}

/**
 * Runs a release attempt under rule 8: when it loses a race (throws {@link ConflictError})
 * and the version was computed, it is re-planned on top of the winner by calling `attempt`
 * again, at most `maxRetries` more times; a user-given version is never retried. `attempt`
 * must plan the version afresh from the current state and leave nothing behind when it loses.
 *
 * @param attempt - Called with the attempt number, starting at 0.
 * @throws the last {@link ConflictError}, or any other error at once.
 * @example
 * ```ts
 * const mv = await releaseWithRetry(async () => {
 *   const plan = planVersion({ existing: await store.versions(name), required });
 *   return store.insertVersion(name, plan.version); // throws ConflictError when taken
 * }, { computed: true });
 * ```
 */
export async function releaseWithRetry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retries = options.computed ? (options.maxRetries ?? 3) : 0;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof ConflictError) || n >= retries) throw e;
    }
  }
}
