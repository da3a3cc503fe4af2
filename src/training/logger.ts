/**
 * The framework-agnostic part of a training callback: when to log (every epoch, every batch,
 * every N-th batch), key prefixes and cached key names, a global batch step, training params
 * that tolerate a second `fit` on the same run, letting the event loop turn during long
 * synchronous training loops, and artifact writes awaited at the end of training.
 *
 * A framework's callback (TF.js's `mltrailCallback`, or one you write) turns its own hooks and
 * value types into calls on a {@link TrainingLogger}; see docs/integrations.md.
 *
 * @packageDocumentation
 */
import { ConflictError, ValidationError } from "../errors.js";
import type { NestedParams, ParamValue } from "../model/types.js";

/**
 * What a training logger needs of a run: a `Run` of `mltrail` or of `mltrail/browser` is one.
 * Declared here rather than picked from the Node `Run`, so the browser build reaches no Node code.
 * @example `const target: TrainingRun = await tracker.startRun({ name: "dense" });`
 */
export interface TrainingRun {
  /** Logs several metrics at one step (`run.logMetrics`). */
  logMetrics(metrics: Readonly<Record<string, number>>, options?: { readonly step?: number }): void;
  /** Logs one param (`run.logParam`). */
  logParam(key: string, value: ParamValue): void;
  /** Logs params, nested objects flattened (`run.logParams`). */
  logParams(params: NestedParams): void;
  /** Writes `text` as the artifact file `artifactFile`. Optional: without it, no text artifact is written. */
  logText?(text: string, artifactFile: string): Promise<unknown>;
}

/**
 * Options of a {@link TrainingLogger}.
 * @example `{ logEvery: 10, prefix: "encoder/", yieldEveryMs: 100 }`
 */
export interface TrainingLoggerOptions {
  /**
   * `"epoch"` logs epoch values only (step = epoch); `"batch"` also logs every batch's values
   * as `batch/<key>` with a global batch step (0, 1, 2, … across epochs); N logs the batch
   * values of every N-th global step (0, N, 2N, …).
   * @default "epoch"
   */
  readonly logEvery?: "epoch" | "batch" | number;
  /** Prepended to every metric, param and artifact name, e.g. `"encoder/"`. @default "" */
  readonly prefix?: string;
  /**
   * A synchronous training loop never lets the event loop turn, so logged records reach the
   * run log only when it does: `epochEnd` always lets it turn once; with a value > 0,
   * `batchEnd` also does at most every this many milliseconds.
   * @default 0
   */
  readonly yieldEveryMs?: number;
}

const DONE: Promise<void> = Promise.resolve();
/** One turn of the event loop: `setImmediate` in Node, a zero-delay timer in the browser (which has no setImmediate). */
const nextTurn: (callback: () => void) => unknown = typeof setImmediate === "function" ? setImmediate : (callback) => setTimeout(callback, 0);
const turn = (): Promise<void> => new Promise((resolve) => nextTurn(resolve));

/** A param the run refuses (bad value, or already logged with another value). By code too: a separately bundled SDK copy has its own classes. */
function isRefusedParam(err: unknown): boolean {
  if (err instanceof ValidationError || err instanceof ConflictError) return true;
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return code === "VALIDATION" || code === "CONFLICT";
}

function checkLogEvery(logEvery: TrainingLoggerOptions["logEvery"]): number {
  if (logEvery === undefined || logEvery === "epoch") return 0;
  if (logEvery === "batch") return 1;
  if (typeof logEvery === "number" && Number.isSafeInteger(logEvery) && logEvery >= 1) return logEvery;
  throw new ValidationError("options.logEvery", logEvery, 'must be "epoch", "batch" or a positive integer');
}

/**
 * Logs a training loop to a run: the part every framework's callback shares.
 *
 * @example
 * ```ts
 * const log = new TrainingLogger(run, { logEvery: 10 });
 * log.logParams({ lr: 0.01, epochs: 5 });
 * for (let epoch = 0; epoch < 5; epoch++) {
 *   for (const batch of batches) await log.batchEnd(trainStep(batch), (loss) => loss);
 *   await log.epochEnd(epoch, { loss: epochLoss, val_loss: valLoss });
 * }
 * await log.trainEnd();
 * ```
 */
export class TrainingLogger {
  /** Batches seen so far (the next global batch step). */
  globalStep = 0;
  /** The key prefix. */
  readonly prefix: string;
  private readonly every: number;
  private readonly yieldEveryMs: number;
  private lastYield = performance.now();
  private readonly epochKeys = new Map<string, string>();
  private readonly batchKeys = new Map<string, string>();
  private pending: Promise<unknown> = DONE;

  /** Throws ValidationError for a `run` that is not a run and for bad options. */
  constructor(
    private readonly run: TrainingRun,
    options: TrainingLoggerOptions = {},
  ) {
    if (run === null || typeof run !== "object" || typeof run.logMetrics !== "function") {
      throw new ValidationError("run", run, "must be a Run (from tracker.startRun())");
    }
    if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be a plain object");
    this.every = checkLogEvery(options.logEvery);
    const y = options.yieldEveryMs ?? 0;
    if (typeof y !== "number" || !Number.isFinite(y) || y < 0) throw new ValidationError("options.yieldEveryMs", y, "must be a number of milliseconds ≥ 0");
    this.yieldEveryMs = y;
    const prefix = options.prefix ?? "";
    if (typeof prefix !== "string") throw new ValidationError("options.prefix", prefix, "must be a string");
    this.prefix = prefix;
  }

  /**
   * Logs params with the prefix. A param the run refuses (already logged with another value by
   * an earlier fit, or invalid) is left out; the others are logged.
   * @example `log.logParams({ optimizer: "adam", epochs: 10 })`
   */
  logParams(params: Readonly<Record<string, string | number>>): void {
    const prefixed: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(params)) prefixed[this.prefix + k] = v;
    try {
      this.run.logParams(prefixed);
    } catch (err) {
      if (!isRefusedParam(err)) throw err;
      for (const [k, v] of Object.entries(prefixed)) {
        try {
          this.run.logParam(k, v);
        } catch (e) {
          if (!isRefusedParam(e)) throw e;
        }
      }
    }
  }

  /**
   * Logs an epoch's values with step = `epoch`, then lets the event loop turn once. `read`
   * turns a framework's value (a tensor, say) into a number; values it maps to undefined, and
   * the keys in `skip`, are left out.
   * @example `await log.epochEnd(3, { loss: 0.2, acc: 0.9 })`
   */
  epochEnd<V = number>(
    epoch: number,
    values: Readonly<Record<string, V>> | undefined,
    read?: (value: V) => number | undefined,
    skip?: ReadonlySet<string>,
  ): Promise<void> {
    const m = this.collect(values, this.epochKeys, "", read, skip);
    if (m !== undefined) this.run.logMetrics(m, { step: epoch });
    this.lastYield = performance.now();
    return turn();
  }

  /**
   * Counts a batch and, when `logEvery` says so, logs its values as `batch/<key>` with the
   * global step. Synchronous (no I/O, nothing awaited) unless `yieldEveryMs` is due.
   * @example `await log.batchEnd({ loss: 0.3 })`
   */
  batchEnd<V = number>(values: Readonly<Record<string, V>> | undefined, read?: (value: V) => number | undefined, skip?: ReadonlySet<string>): Promise<void> {
    const step = this.globalStep++;
    if (this.every !== 0 && step % this.every === 0) {
      const m = this.collect(values, this.batchKeys, "batch/", read, skip);
      if (m !== undefined) this.run.logMetrics(m, { step });
    }
    if (this.yieldEveryMs > 0 && performance.now() - this.lastYield >= this.yieldEveryMs) {
      this.lastYield = performance.now();
      return turn();
    }
    return DONE;
  }

  /**
   * Starts writing a text artifact named after the prefix (`encoder_model_summary.txt`) without
   * waiting for it; {@link trainEnd} waits and surfaces its error. False when the run cannot
   * write text artifacts.
   * @example `log.writeText("model_summary.txt", summary)`
   */
  writeText(name: string, text: string): boolean {
    if (typeof this.run.logText !== "function") return false;
    const head = this.prefix.replace(/[/\\]+$/, "").replace(/[^\w.-]+/g, "_");
    const write = this.run.logText(text, `${head}${head ? "_" : ""}${name}`);
    write.catch(() => undefined);
    const before = this.pending;
    this.pending = Promise.all([before, write]);
    return true;
  }

  /** Waits for the artifact writes started during training; rejects if one failed. @example `await log.trainEnd()` */
  async trainEnd(): Promise<void> {
    const pending = this.pending;
    this.pending = DONE;
    await pending;
  }

  private collect<V>(
    values: Readonly<Record<string, V>> | undefined,
    keys: Map<string, string>,
    head: string,
    read?: (value: V) => number | undefined,
    skip?: ReadonlySet<string>,
  ): Record<string, number> | undefined {
    if (values == null) return undefined;
    let out: Record<string, number> | undefined;
    for (const key in values) {
      if (skip?.has(key)) continue;
      const raw = values[key] as V;
      const value = read === undefined ? (typeof raw === "number" ? raw : undefined) : read(raw);
      if (value === undefined) continue;
      let name = keys.get(key);
      if (name === undefined) {
        name = this.prefix + head + key;
        keys.set(key, name);
      }
      out ??= {};
      out[name] = value;
    }
    return out;
  }
}
