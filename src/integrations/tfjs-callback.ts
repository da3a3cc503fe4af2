/**
 * The TF.js training callback: logs `logs` as metrics (step = epoch, or a global batch step),
 * training params, and the model summary. The batch path is synchronous: one `logMetrics`
 * call, no await, no I/O.
 *
 * @packageDocumentation
 */
import { TrainingLogger, type TrainingLoggerOptions, type TrainingRun } from "../training/logger.js";
import type { FitParams, LayersModelLike, LogValue, TfLogs } from "./tfjs-types.js";

/**
 * Options of {@link mltrailCallback}.
 *
 * @example
 * ```ts
 * const options: MltrailCallbackOptions = { logEvery: 10, prefix: "train/" };
 * ```
 */
export interface MltrailCallbackOptions extends TrainingLoggerOptions {
  /**
   * When to log: `"epoch"` logs epoch metrics only (step = epoch); `"batch"` also logs every
   * batch's values as `batch/<key>` with a global batch step (0, 1, 2, … across epochs); a
   * number N logs the batch values of every N-th global batch step (0, N, 2N, …).
   *
   * @default "epoch"
   */
  readonly logEvery?: "epoch" | "batch" | number;
  /** Prepended to every metric and param key, e.g. `"encoder/"`. @default "" */
  readonly prefix?: string;
  /** Log the model summary (`model.summary()`) as the text artifact `model_summary.txt`. @default true */
  readonly logModelSummary?: boolean;
  /**
   * Log training params at the start of training: `optimizer`, `learning_rate`, `batch_size`,
   * `epochs`, `layers`, `total_params`. Params are immutable: one already logged with another
   * value (a second `fit` on the same run) is left as it was.
   *
   * @default true
   */
  readonly logParams?: boolean;
  /**
   * TF.js's `fit` never lets the event loop turn by itself, so what is logged during a fit
   * reaches the run log (and the server) only when the loop turns: the callback lets it turn
   * once at the end of every epoch. With a value > 0 it also lets it turn (one `setImmediate`,
   * no I/O awaited) from `onBatchEnd` at most every this many milliseconds, for long epochs.
   *
   * @default 0 (only at epoch ends)
   */
  readonly yieldEveryMs?: number;
  /**
   * The model being trained. Only needed where TF.js does not hand it to the callback: when
   * `@tensorflow/tfjs` cannot be loaded synchronously (some browser bundles), the callback is a
   * plain object and sees no model. In Node it is found by itself.
   *
   * @default the model passed to the callback by `model.fit` / `model.fitDataset`
   */
  readonly model?: LayersModelLike;
}

/**
 * The part of a `Run` the callback uses (text artifacts are optional): a `TrainingRun`.
 *
 * @example
 * ```ts
 * const run: CallbackRun = await tracker.startRun({ name: "dense" });
 * ```
 */
export type CallbackRun = TrainingRun;

/**
 * The callback object: pass it in `callbacks` of `model.fit` or `model.fitDataset`. In Node it
 * is a `tf.Callback` (so TF.js gives it the model and params); elsewhere a plain object with
 * the same methods, which TF.js wraps.
 *
 * @example
 * ```ts
 * const cb: MltrailCallback = mltrailCallback(run);
 * await model.fit(xs, ys, { epochs: 5, callbacks: [cb] });
 * cb.globalStep; // batches seen so far
 * ```
 */
export interface MltrailCallback {
  /** Number of batches this callback has seen (the next global batch step). */
  readonly globalStep: number;
  /** Called by TF.js before training with the fit params; `epochs` and `batchSize` are logged as the params `epochs` and `batch_size`. */
  setParams(params: FitParams): void;
  /** Called by TF.js with the model being trained; anything that is not a LayersModel is ignored. */
  setModel(model: unknown): void;
  /** Called by TF.js when training starts: logs the training params and starts writing the model summary. */
  onTrainBegin(logs?: TfLogs): Promise<void>;
  /** Called by TF.js when training ends: waits for the model summary to be written and rejects if that failed. */
  onTrainEnd(logs?: TfLogs): Promise<void>;
  /** Called by TF.js after each epoch: logs its values with step = `epoch`, then lets the event loop turn once. */
  onEpochEnd(epoch: number, logs?: TfLogs): Promise<void>;
  /** Called by TF.js after each batch: logs its values as `batch/<key>` per `logEvery`; synchronous unless `yieldEveryMs` is due. */
  onBatchEnd(batch: number, logs?: TfLogs): Promise<void>;
}

const NOT_METRICS = new Set(["batch", "size"]);

const NOT_METRICS_SET: ReadonlySet<string> = NOT_METRICS;
const DONE: Promise<void> = Promise.resolve();

function numberOf(value: LogValue | undefined): number | undefined {
  if (typeof value === "number") return value;
  if (value === undefined || value === null || typeof value !== "object" || typeof value.dataSync !== "function") return undefined;
  const first = value.dataSync()[0];
  return typeof first === "number" ? first : undefined;
}

function modelOf(value: unknown): LayersModelLike | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const m = value as Partial<LayersModelLike>;
  return typeof m.countParams === "function" && Array.isArray(m.layers) ? (value as LayersModelLike) : undefined;
}

/** Training params from the model and TF.js's fit params. @internal */
export function trainingParams(model: LayersModelLike | undefined, fit: FitParams | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const optimizer = model?.optimizer;
  if (optimizer != null) {
    const name = typeof optimizer.getClassName === "function" ? optimizer.getClassName() : optimizer.constructor.name;
    if (name) out["optimizer"] = name;
    const config = typeof optimizer.getConfig === "function" ? (optimizer.getConfig() as Record<string, unknown>) : {};
    const lr = config["learningRate"] ?? (optimizer as { learningRate?: unknown }).learningRate;
    if (typeof lr === "number") out["learning_rate"] = lr;
  }
  if (typeof fit?.batchSize === "number") out["batch_size"] = fit.batchSize;
  if (typeof fit?.epochs === "number") out["epochs"] = fit.epochs;
  if (model !== undefined) {
    // A Sequential model trains through an inner model whose layers include the InputLayer.
    out["layers"] = model.layers.filter((l) => (l as { getClassName?: () => string }).getClassName?.() !== "InputLayer").length;
    out["total_params"] = model.countParams();
  }
  return out;
}

/** The model summary as text (what `model.summary()` prints). @internal */
export function modelSummary(model: LayersModelLike): string {
  const lines: string[] = [];
  model.summary(undefined, undefined, (line?: string) => lines.push(line ?? ""));
  return `${lines.join("\n")}\n`;
}

/** The TF.js side: the model, the fit params and the summary; the rest is a TrainingLogger. */
class Core {
  model: LayersModelLike | undefined;
  params: FitParams | undefined;
  readonly log: TrainingLogger;
  private summaryLogged = false;

  constructor(
    run: CallbackRun,
    private readonly options: MltrailCallbackOptions,
  ) {
    this.log = new TrainingLogger(run, options);
    this.model = options.model;
  }

  trainBegin(): void {
    if (this.options.logParams !== false) this.log.logParams(trainingParams(this.model, this.params));
    const model = this.model;
    if (this.options.logModelSummary !== false && !this.summaryLogged && model !== undefined) {
      // Not awaited here: training starts at once; onTrainEnd waits for it and surfaces its error.
      this.summaryLogged = this.log.writeText("model_summary.txt", modelSummary(model));
    }
  }

  epochEnd(epoch: number, logs: TfLogs | undefined): Promise<void> {
    return this.log.epochEnd(epoch, logs, numberOf, NOT_METRICS_SET);
  }

  batchEnd(logs: TfLogs | undefined): Promise<void> {
    return this.log.batchEnd(logs, numberOf, NOT_METRICS_SET);
  }

  trainEnd(): Promise<void> {
    return this.log.trainEnd();
  }
}

/** TF.js's `tf.Callback` class, or null where it cannot be had synchronously. @internal */
export type CallbackBase = new () => object;

/**
 * The callback of {@link mltrailCallback} on TF.js's `tf.Callback` class `Base` (what each
 * entry finds: `require` in Node, the static import in the browser), or a plain object when null.
 * @internal
 */
export function callbackOn(run: CallbackRun, options: MltrailCallbackOptions, Base: CallbackBase | null): MltrailCallback {
  const core = new Core(run, options);
  return Base === null ? plainCallback(core) : asTfCallback(Base, plainCallback(core));
}

/**
 * A `tf.Callback` carrying the plain callback's functions as its own properties: TF.js uses it
 * as is (and hands it the model); a second copy of TF.js that does not recognise it as its own
 * Callback wraps it like a plain object, which works just as well.
 */
function asTfCallback(Base: CallbackBase, callback: MltrailCallback): MltrailCallback {
  return Object.defineProperties(new Base(), Object.getOwnPropertyDescriptors(callback)) as MltrailCallback;
}

/**
 * The callback as plain functions (TF.js's `CustomCallbackArgs`). A plain object is wrapped by
 * TF.js in a `CustomCallback` that calls the functions as its methods: its `params` are the
 * fit params; it hands no model, so `options.model` supplies it.
 */
function plainCallback(core: Core): MltrailCallback {
  const fitParams = (self: unknown): void => {
    const p = (self as { params?: unknown } | undefined)?.params;
    if (p !== null && typeof p === "object") core.params = p as FitParams;
  };
  return {
    get globalStep() {
      return core.log.globalStep;
    },
    setParams(params: FitParams): void {
      core.params = params;
    },
    setModel(model: unknown): void {
      core.model = modelOf(model) ?? core.model;
    },
    onTrainBegin(this: unknown): Promise<void> {
      fitParams(this);
      core.trainBegin();
      return DONE;
    },
    onTrainEnd: () => core.trainEnd(),
    onEpochEnd: (epoch: number, logs?: TfLogs): Promise<void> => core.epochEnd(epoch, logs),
    onBatchEnd: (_batch: number, logs?: TfLogs): Promise<void> => core.batchEnd(logs),
  };
}
