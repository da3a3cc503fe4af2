/**
 * Infers what changed between the previous release and a candidate, and the bump that
 * requires (README, "Model releases with semantic versions", rule 2). Pure: no I/O.
 *
 * @packageDocumentation
 */
import { diffSignatures } from "./signature.js";
import type { Bump, Change, ChangeKind, ModelSignature } from "./signature.js";

/**
 * How strictly new weights and changed params are versioned.
 *
 * - `"semantic"`: the founding convention — a change in the model architecture is a minor
 *   (1.1.0), a tweak to hyperparameters a patch (1.0.1). New weights of a known, unchanged
 *   architecture and changed params are patches; new weights whose architecture cannot be
 *   checked stay minor.
 * - `"strict"`: any new weights and any changed param are minor (the rules before
 *   semantic bumps became the default), for teams that want every retrained model to be a minor.
 *
 * Both: a broken signature is major; a changed architecture, new training data, a new
 * optional input or a new output is minor; metadata only is a patch.
 *
 * @default "semantic"
 * @example
 * ```ts
 * await tracker.registerModel("churn", { runId, ...saved, bumpPolicy: "strict" });
 * ```
 */
export type BumpPolicy = "semantic" | "strict";

/**
 * What is known about a release, for comparing it with another one.
 *
 * @example
 * ```ts
 * const facts: ReleaseFacts = {
 *   signature: { inputs: [{ name: "age", dtype: "float32" }], outputs: [{ name: "p", dtype: "float32" }] },
 *   contentDigest: "sha256:ab12…",
 *   architectureDigest: "sha256:77e0…",
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
  /** Digest of the model's topology (layers, their configs, connections), without weights. */
  readonly architectureDigest?: string;
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

/**
 * Options of {@link inferChanges}.
 *
 * @example
 * ```ts
 * const o: InferOptions = { policy: "strict" };
 * ```
 */
export interface InferOptions {
  /** @default "semantic" */
  readonly policy?: BumpPolicy;
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

function diffParams(a: ReleaseFacts["params"], b: ReleaseFacts["params"], bump: Bump): Change[] {
  const before = a ?? {};
  const after = b ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changed = keys.filter((k) => before[k] !== after[k]);
  if (changed.length === 0) return [];
  const shown = changed.slice(0, MAX_LISTED).join(", ");
  const more = changed.length > MAX_LISTED ? ` and ${changed.length - MAX_LISTED} more` : "";
  return [{ kind: "params-changed", bump, description: `params changed (${shown}${more})` }];
}

function diffSignatureFacts(a: ModelSignature | undefined, b: ModelSignature | undefined): Change[] {
  if (a !== undefined && b !== undefined) return diffSignatures(a, b);
  if (a !== undefined) {
    return [{ kind: "signature-dropped", bump: "major", description: "signature no longer declared (compatibility cannot be checked)" }];
  }
  if (b !== undefined) return [{ kind: "signature-declared", bump: "patch", description: "signature declared" }];
  return [];
}

/** How to make new weights of an unchanged architecture a patch, for the error of a too-small bump. */
export const ARCHITECTURE_HINT =
  "to release new weights of an unchanged architecture as a patch, prove the architecture: log a TF.js model folder (saveModel, or run.logModel of a folder with model.json) or pass architectureDigest to registerModel, for this release and the previous one";

/** When only the previous release lacks an architecture digest: it cannot be given afterwards (rule 6). */
const PREVIOUS_HINT =
  "the previous release has no architecture digest (an opaque model, or released before mltrail recorded one), so this release is a minor; the next ones compare architectures";

function unknownArchitecture(previous: ReleaseFacts, next: ReleaseFacts): { what: string; hint: string } {
  if (previous.architectureDigest === undefined && next.architectureDigest === undefined) return { what: "architecture unknown", hint: ARCHITECTURE_HINT };
  return previous.architectureDigest === undefined
    ? { what: "architecture of the previous release unknown", hint: PREVIOUS_HINT }
    : { what: "architecture of this release unknown", hint: ARCHITECTURE_HINT };
}

/** Architecture and weights, under `policy`. */
function diffModel(previous: ReleaseFacts, next: ReleaseFacts, policy: BumpPolicy): Change[] {
  const out: Change[] = [];
  const archKnown = previous.architectureDigest !== undefined && next.architectureDigest !== undefined;
  if (archKnown && previous.architectureDigest !== next.architectureDigest) {
    out.push({ kind: "architecture-changed", bump: "minor", description: "architecture changed" });
  }
  const weightsKnown = previous.contentDigest !== undefined && next.contentDigest !== undefined;
  if (weightsKnown && previous.contentDigest === next.contentDigest) return out;
  const what = weightsKnown ? "weights changed" : "weights may have changed (content digest unknown)";
  if (policy === "strict") {
    out.push({ kind: "weights-changed", bump: "minor", description: what });
  } else if (archKnown) {
    out.push({
      kind: "weights-changed",
      bump: "patch",
      description: previous.architectureDigest === next.architectureDigest ? `${what} (same architecture)` : what,
    });
  } else {
    const unknown = unknownArchitecture(previous, next);
    out.push({ kind: "weights-changed", bump: "minor", description: `${what}; ${unknown.what}`, hint: unknown.hint });
  }
  return out;
}

/**
 * Lists what changed from the previous release to a candidate:
 *
 * - the signature diff ({@link diffSignatures}); a signature declared for the first time is a
 *   patch, a signature dropped is major;
 * - architecture digest changed (both known) → minor `architecture changed`;
 * - content digest changed, or unknown on either side → `weights changed`: a patch when the
 *   architecture digest is known on both sides, a minor when it is not (with a hint on how
 *   to prove it), always a minor under the `"strict"` policy;
 * - a dataset digest changed, added or removed → minor `training data changed (name)`;
 * - any param changed, added or removed → one `params changed (keys)`: a patch, a minor under
 *   `"strict"`;
 * - metadata digest changed → patch `metadata changed`.
 *
 * `identical` is true only when both content digests are known and equal and nothing else
 * differs: then no new version is made. Without a previous release there is nothing to
 * compare: `{ identical: false, changes: [] }` (a first release).
 *
 * @example
 * ```ts
 * inferChanges({ contentDigest: "a", architectureDigest: "t" }, { contentDigest: "b", architectureDigest: "t" });
 * // { identical: false, changes: [{ kind: "weights-changed", bump: "patch", description: "weights changed (same architecture)" }] }
 * inferChanges({ contentDigest: "a" }, { contentDigest: "b" }, { policy: "strict" });
 * // { identical: false, changes: [{ kind: "weights-changed", bump: "minor", description: "weights changed" }] }
 * inferChanges({ contentDigest: "a" }, { contentDigest: "a" }); // { identical: true, changes: [] }
 * ```
 */
export function inferChanges(previous: ReleaseFacts | undefined, next: ReleaseFacts, options: InferOptions = {}): InferredChanges {
  if (previous === undefined) return { identical: false, changes: [] };
  const policy = options.policy ?? "semantic";
  const changes: Change[] = [...diffSignatureFacts(previous.signature, next.signature), ...diffModel(previous, next, policy)];
  changes.push(...diffDatasets(previous.datasets, next.datasets), ...diffParams(previous.params, next.params, policy === "strict" ? "minor" : "patch"));
  if (previous.metadataDigest !== next.metadataDigest) {
    changes.push({ kind: "metadata-changed", bump: "patch", description: "metadata changed" });
  }
  const known = previous.contentDigest !== undefined && next.contentDigest !== undefined;
  return { identical: known && changes.length === 0, changes };
}

/**
 * What part of a model a change is about, as release records list it.
 *
 * @example
 * ```ts
 * const c: ChangeCategory = "architecture";
 * ```
 */
export type ChangeCategory = "signature" | "architecture" | "weights" | "data" | "params" | "metadata" | "declared";

/**
 * The {@link ChangeCategory} of a change kind: every input, output, label and signature kind
 * is `"signature"`.
 *
 * @example
 * ```ts
 * changeCategory("input-removed"); // "signature"
 * changeCategory("architecture-changed"); // "architecture"
 * ```
 */
export function changeCategory(kind: ChangeKind): ChangeCategory {
  switch (kind) {
    case "architecture-changed":
      return "architecture";
    case "weights-changed":
      return "weights";
    case "data-changed":
      return "data";
    case "params-changed":
      return "params";
    case "metadata-changed":
      return "metadata";
    case "declared":
      return "declared";
    default:
      return "signature";
  }
}
