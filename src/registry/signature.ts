/**
 * Model signatures (the input/output contract of a released model) and the diff between two
 * of them, each difference tagged with the semver bump it requires (README, "Model
 * releases with semantic versions", rule 2). Pure: no I/O.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";

/**
 * One named input or output tensor / column of a model.
 *
 * @example
 * ```ts
 * const age: TensorSpec = { name: "age", dtype: "float32", shape: [null, 1] };
 * ```
 */
export interface TensorSpec {
  /** Unique name within its list (inputs or outputs). */
  readonly name: string;
  /** Element type, compared as an exact string, e.g. `"float32"`, `"int64"`, `"string"`. */
  readonly dtype: string;
  /** Dimensions; `null` is a variable-size dimension (MLflow's `-1`). Absent: not declared. */
  readonly shape?: readonly (number | null)[];
  /**
   * Whether callers may omit this input (or the model may omit this output).
   *
   * @default false
   */
  readonly optional?: boolean;
}

/**
 * The contract of a model: its inputs, outputs and, for a classifier, its output label set.
 *
 * @example
 * ```ts
 * const sig: ModelSignature = {
 *   inputs: [{ name: "age", dtype: "float32" }],
 *   outputs: [{ name: "p", dtype: "float32", shape: [null, 2] }],
 *   labels: ["stay", "churn"],
 * };
 * ```
 */
export interface ModelSignature {
  /** The inputs the model takes, matched by name (their order is not part of the contract). */
  readonly inputs: readonly TensorSpec[];
  /** The outputs the model returns, matched by name (their order is not part of the contract). */
  readonly outputs: readonly TensorSpec[];
  /** The classifier's output labels, in index order. Absent is the same as empty. */
  readonly labels?: readonly string[];
}

/**
 * A semver bump level, lowest to highest: `patch` < `minor` < `major`.
 *
 * @example
 * ```ts
 * const b: Bump = "minor";
 * ```
 */
export type Bump = "major" | "minor" | "patch";

/**
 * What kind of difference a {@link Change} records.
 *
 * @example
 * ```ts
 * const k: ChangeKind = "input-removed";
 * ```
 */
export type ChangeKind =
  | "input-removed"
  | "input-added-required"
  | "input-added-optional"
  | "input-dtype-changed"
  | "input-shape-changed"
  | "input-made-optional"
  | "input-made-required"
  | "output-removed"
  | "output-added"
  | "output-dtype-changed"
  | "output-shape-changed"
  | "output-made-optional"
  | "output-made-required"
  | "labels-changed"
  | "labels-reordered"
  | "signature-declared"
  | "signature-dropped"
  | "architecture-changed"
  | "weights-changed"
  | "data-changed"
  | "params-changed"
  | "metadata-changed"
  | "declared";

/**
 * One difference between two releases and the bump it requires.
 *
 * @example
 * ```ts
 * const c: Change = { kind: "input-removed", bump: "major", subject: "age", description: 'input "age" removed' };
 * ```
 */
export interface Change {
  /** What changed, e.g. `"input-removed"`. */
  readonly kind: ChangeKind;
  /** The smallest semver bump a release with this change needs. */
  readonly bump: Bump;
  /** The input, output, dataset or label the change is about, when there is one. */
  readonly subject?: string;
  /** Human-readable, e.g. `input "age" dtype float32 → int32`. */
  readonly description: string;
  /** How to make this change need less, added to the error when a bump is too small. */
  readonly hint?: string;
}

function shapeText(shape: readonly (number | null)[] | undefined): string {
  return shape === undefined ? "undeclared" : JSON.stringify(shape);
}

function sameShape(a: readonly (number | null)[] | undefined, b: readonly (number | null)[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function change(kind: ChangeKind, bump: Bump, subject: string | undefined, description: string): Change {
  return subject === undefined ? { kind, bump, description } : { kind, bump, subject, description };
}

function diffSpecs(side: "input" | "output", a: readonly TensorSpec[], b: readonly TensorSpec[]): Change[] {
  const out: Change[] = [];
  const next = new Map(b.map((t) => [t.name, t]));
  const prev = new Map(a.map((t) => [t.name, t]));
  for (const old of a) {
    const now = next.get(old.name);
    const q = JSON.stringify(old.name);
    if (now === undefined) {
      out.push(change(`${side}-removed`, "major", old.name, `${side} ${q} removed`));
      continue;
    }
    if (old.dtype !== now.dtype) {
      out.push(change(`${side}-dtype-changed`, "major", old.name, `${side} ${q} dtype ${old.dtype} → ${now.dtype}`));
    }
    if (!sameShape(old.shape, now.shape)) {
      const text = `${side} ${q} shape ${shapeText(old.shape)} → ${shapeText(now.shape)}`;
      out.push(change(`${side}-shape-changed`, "major", old.name, text));
    }
    const wasOptional = old.optional === true;
    const isOptional = now.optional === true;
    if (wasOptional !== isOptional) {
      // Inputs: relaxing is compatible, tightening breaks callers. Outputs: the reverse.
      const relaxing = isOptional;
      const bump: Bump = side === "input" ? (relaxing ? "minor" : "major") : relaxing ? "major" : "minor";
      const kind: ChangeKind = relaxing ? `${side}-made-optional` : `${side}-made-required`;
      out.push(change(kind, bump, old.name, `${side} ${q} ${relaxing ? "required → optional" : "optional → required"}`));
    }
  }
  for (const added of b) {
    if (prev.has(added.name)) continue;
    const q = JSON.stringify(added.name);
    if (side === "output") out.push(change("output-added", "minor", added.name, `output ${q} added`));
    else if (added.optional === true) out.push(change("input-added-optional", "minor", added.name, `optional input ${q} added`));
    else out.push(change("input-added-required", "major", added.name, `required input ${q} added`));
  }
  return out;
}

function diffLabels(a: readonly string[], b: readonly string[]): Change[] {
  const before = new Set(a);
  const after = new Set(b);
  const added = b.filter((l) => !before.has(l));
  const removed = a.filter((l) => !after.has(l));
  const q = (ls: string[]): string => ls.map((l) => JSON.stringify(l)).join(", ");
  if (added.length > 0 || removed.length > 0) {
    const parts = [...(added.length > 0 ? [`added ${q(added)}`] : []), ...(removed.length > 0 ? [`removed ${q(removed)}`] : [])];
    return [change("labels-changed", "major", undefined, `label set changed: ${parts.join("; ")}`)];
  }
  if (a.some((l, i) => l !== b[i])) {
    return [change("labels-reordered", "major", undefined, `label order changed: [${q([...a])}] → [${q([...b])}]`)];
  }
  return [];
}

/**
 * Lists every difference from signature `a` (previous release) to `b` (candidate), each with
 * the bump it requires. Inputs and outputs are matched by name, so a rename is a removal plus
 * an addition.
 *
 * Major: input/output removed, required input added, dtype or shape changed (declared ↔
 * undeclared counts), input optional → required, output required → optional, label set
 * changed (any label added or removed) or reordered (the index → label mapping moved).
 * Minor: optional input added, output added, input required → optional, output optional →
 * required.
 *
 * @example
 * ```ts
 * diffSignatures(
 *   { inputs: [{ name: "age", dtype: "float32" }], outputs: [] },
 *   { inputs: [{ name: "age", dtype: "int32" }], outputs: [] },
 * );
 * // [{ kind: "input-dtype-changed", bump: "major", subject: "age", description: 'input "age" dtype float32 → int32' }]
 * ```
 */
export function diffSignatures(a: ModelSignature, b: ModelSignature): Change[] {
  return [...diffSpecs("input", a.inputs, b.inputs), ...diffSpecs("output", a.outputs, b.outputs), ...diffLabels(a.labels ?? [], b.labels ?? [])];
}

const MAX_NAME = 256;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(rec: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(rec)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(`${field}.${key}`, rec[key], `unknown field; allowed: ${allowed.join(", ")}`);
    }
  }
}

function checkText(value: unknown, field: string, what: string): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > MAX_NAME || CONTROL.test(value)) {
    throw new ValidationError(field, value, `${what} must be a non-empty string of at most ${MAX_NAME} characters without control characters`);
  }
  return value;
}

function checkSpec(value: unknown, field: string): TensorSpec {
  if (!isRecord(value)) throw new ValidationError(field, value, "must be an object { name, dtype, shape?, optional? }");
  checkKeys(value, ["name", "dtype", "shape", "optional"], field);
  const name = checkText(value.name, `${field}.name`, "a name");
  const dtype = checkText(value.dtype, `${field}.dtype`, "a dtype");
  const spec: { name: string; dtype: string; shape?: (number | null)[]; optional?: boolean } = { name, dtype };
  if (value.shape !== undefined) {
    if (!Array.isArray(value.shape)) throw new ValidationError(`${field}.shape`, value.shape, "must be an array of dimensions");
    const shape: (number | null)[] = [];
    value.shape.forEach((d: unknown, i: number) => {
      if (d !== null && !(typeof d === "number" && Number.isSafeInteger(d) && d >= 0)) {
        throw new ValidationError(`${field}.shape[${i}]`, d, "must be a non-negative integer, or null for a variable-size dimension (MLflow's -1)");
      }
      shape.push(d);
    });
    spec.shape = shape;
  }
  if (value.optional !== undefined) {
    if (typeof value.optional !== "boolean") throw new ValidationError(`${field}.optional`, value.optional, "must be a boolean");
    if (value.optional) spec.optional = true;
  }
  return spec;
}

function checkSpecList(value: unknown, field: string): TensorSpec[] {
  if (!Array.isArray(value)) throw new ValidationError(field, value, "must be an array of { name, dtype, shape?, optional? }");
  const seen = new Set<string>();
  return value.map((v: unknown, i: number) => {
    const spec = checkSpec(v, `${field}[${i}]`);
    if (seen.has(spec.name)) throw new ValidationError(`${field}[${i}].name`, spec.name, "duplicate name: names must be unique");
    seen.add(spec.name);
    return spec;
  });
}

/**
 * Validates a user-given signature and returns a clean copy (unknown fields rejected,
 * `optional: false` dropped). Names must be unique among inputs, among outputs and among
 * labels.
 *
 * @param value - What the user passed.
 * @param field - Field path used in error messages.
 * @default field `"signature"`
 * @throws {@link ValidationError} naming the field, e.g. `signature.inputs[2].dtype`.
 * @example
 * ```ts
 * const sig = checkSignature({ inputs: [{ name: "age", dtype: "float32" }], outputs: [{ name: "p", dtype: "float32" }] });
 * checkSignature({ inputs: [{ name: "age" }], outputs: [] }); // ValidationError: signature.inputs[0].dtype: …
 * ```
 */
export function checkSignature(value: unknown, field = "signature"): ModelSignature {
  if (!isRecord(value)) throw new ValidationError(field, value, "must be an object { inputs, outputs, labels? }");
  checkKeys(value, ["inputs", "outputs", "labels"], field);
  const inputs = checkSpecList(value.inputs, `${field}.inputs`);
  const outputs = checkSpecList(value.outputs, `${field}.outputs`);
  if (value.labels === undefined) return { inputs, outputs };
  if (!Array.isArray(value.labels)) throw new ValidationError(`${field}.labels`, value.labels, "must be an array of strings");
  const seen = new Set<string>();
  const labels = value.labels.map((l: unknown, i: number) => {
    const label = checkText(l, `${field}.labels[${i}]`, "a label");
    if (seen.has(label)) throw new ValidationError(`${field}.labels[${i}]`, label, "duplicate label: labels must be unique");
    seen.add(label);
    return label;
  });
  return { inputs, outputs, labels };
}
