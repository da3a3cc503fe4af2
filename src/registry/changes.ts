/**
 * Infers what changed between the previous release and a candidate, and the bump that
 * requires (README, "Model releases with semantic versions", rule 2). Pure: no I/O.
 *
 * @packageDocumentation
 */
import { diffSignatures } from "./signature.js";
import type { Bump, Change, ModelSignature } from "./signature.js";

/**
 * What is known about a release, for comparing it with another one.
 *
 * @example
 * ```ts
 * const facts: ReleaseFacts = {
 *   signature: { inputs: [{ name: "age", dtype: "float32" }], outputs: [{ name: "p", dtype: "float32" }] },
 *   contentDigest: "sha256:ab12…",
 *   datasets: [{ name: "train", digest: "md5:9f…" }],
 *   params: { lr: "0.01" },
 *   metadataDigest: "sha256:cd34…",
 * };
 * ```
 */
export interface ReleaseFacts {
  readonly signature?: ModelSignature;
  /** Digest over all model files (the weights). */
  readonly contentDigest?: string;
  /** Training datasets by name with their content digests. */
  readonly datasets?: readonly { readonly name: string; readonly digest: string }[];
  /** Training hyper-parameters. */
  readonly params?: Readonly<Record<string, string>>;
  /** Digest over packaging / descriptive metadata (README, requirements, tags…). */
  readonly metadataDigest?: string;
}

/**
 * Result of {@link inferChanges}.
 *
 * @example
 * ```ts
 * const r: InferredChanges = { identical: false, changes: [] };
 * ```
 */
export interface InferredChanges {
  /** True when the candidate is the previous release again: no new version should be made. */
  readonly identical: boolean;
  readonly changes: Change[];
}

const RANK: Readonly<Record<Bump, number>> = { patch: 0, minor: 1, major: 2 };

/**
 * Orders bump levels: negative when `a` is lower than `b`, 0 when equal, positive when higher.
 *
 * @example
 * ```ts
 * compareBumps("major", "minor"); // 1
 * ["major", "patch"].sort(compareBumps); // ["patch", "major"]
 * ```
 */
export function compareBumps(a: Bump, b: Bump): number {
  return RANK[a] - RANK[b];
}

/**
 * The bump a list of changes requires: the highest one (`major` > `minor` > `patch`), or
 * `undefined` for an empty list.
 *
 * @example
 * ```ts
 * requiredBump([{ kind: "weights-changed", bump: "minor", description: "weights changed" }]); // "minor"
 * requiredBump([]); // undefined
 * ```
 */
export function requiredBump(changes: readonly Change[]): Bump | undefined {
  let best: Bump | undefined;
  for (const c of changes) if (best === undefined || compareBumps(c.bump, best) > 0) best = c.bump;
  return best;
}

function diffDatasets(a: ReleaseFacts["datasets"], b: ReleaseFacts["datasets"]): Change[] {
  const before = new Map((a ?? []).map((d) => [d.name, d.digest]));
  const after = new Map((b ?? []).map((d) => [d.name, d.digest]));
  const out: Change[] = [];
  for (const [name, digest] of after) {
    const old = before.get(name);
    if (old === digest) continue;
    const how = old === undefined ? `${name} added` : name;
    out.push({ kind: "data-changed", bump: "minor", subject: name, description: `training data changed (${how})` });
  }
  for (const name of before.keys()) {
    if (!after.has(name)) {
      out.push({ kind: "data-changed", bump: "minor", subject: name, description: `training data changed (${name} removed)` });
    }
  }
  return out;
}

const MAX_LISTED = 5;

function diffParams(a: ReleaseFacts["params"], b: ReleaseFacts["params"]): Change[] {
  const before = a ?? {};
  const after = b ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changed = keys.filter((k) => before[k] !== after[k]);
  if (changed.length === 0) return [];
  const shown = changed.slice(0, MAX_LISTED).join(", ");
  const more = changed.length > MAX_LISTED ? ` and ${changed.length - MAX_LISTED} more` : "";
  return [{ kind: "params-changed", bump: "minor", description: `params changed (${shown}${more})` }];
}

function diffSignatureFacts(a: ModelSignature | undefined, b: ModelSignature | undefined): Change[] {
  if (a !== undefined && b !== undefined) return diffSignatures(a, b);
  if (a !== undefined) {
    return [{ kind: "signature-dropped", bump: "major", description: "signature no longer declared (compatibility cannot be checked)" }];
  }
  if (b !== undefined) return [{ kind: "signature-declared", bump: "patch", description: "signature declared" }];
  return [];
}

/**
 * Lists what changed from the previous release to a candidate:
 *
 * - the signature diff ({@link diffSignatures}); a signature declared for the first time is a
 *   patch, a signature dropped is major;
 * - content digest changed, or unknown on either side → minor `weights changed`;
 * - a dataset digest changed, added or removed → minor `training data changed (name)`;
 * - any param changed, added or removed → one minor `params changed (keys)`;
 * - metadata digest changed → patch `metadata changed`.
 *
 * `identical` is true only when both content digests are known and equal and nothing else
 * differs: then no new version is made. Without a previous release there is nothing to
 * compare: `{ identical: false, changes: [] }` (a first release).
 *
 * @example
 * ```ts
 * inferChanges({ contentDigest: "a" }, { contentDigest: "b" });
 * // { identical: false, changes: [{ kind: "weights-changed", bump: "minor", description: "weights changed" }] }
 * inferChanges({ contentDigest: "a" }, { contentDigest: "a" }); // { identical: true, changes: [] }
 * ```
 */
export function inferChanges(previous: ReleaseFacts | undefined, next: ReleaseFacts): InferredChanges {
  if (previous === undefined) return { identical: false, changes: [] };
  const changes: Change[] = [...diffSignatureFacts(previous.signature, next.signature)];
  const known = previous.contentDigest !== undefined && next.contentDigest !== undefined;
  if (!known) {
    changes.push({ kind: "weights-changed", bump: "minor", description: "weights may have changed (content digest unknown)" });
  } else if (previous.contentDigest !== next.contentDigest) {
    changes.push({ kind: "weights-changed", bump: "minor", description: "weights changed" });
  }
  changes.push(...diffDatasets(previous.datasets, next.datasets), ...diffParams(previous.params, next.params));
  if (previous.metadataDigest !== next.metadataDigest) {
    changes.push({ kind: "metadata-changed", bump: "patch", description: "metadata changed" });
  }
  return { identical: known && changes.length === 0, changes };
}
