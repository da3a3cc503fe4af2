/**
 * A/B tests of model versions: GrowthBook-compatible sticky assignment, exposures and outcomes
 * logged to a tracking run, and analysis. Uses the public API of `Tracker` only.
 *
 * @packageDocumentation
 */
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { ModelVersion } from "../models.js";
import type { Run } from "../run.js";
import { analyzeData, exposureKey, outcomeKey, readData } from "./analyze.js";
import { getBucketRanges, hashV1, hashV2, type HashVersion, type VariationRange } from "./hash.js";
import { AB_DEFAULT_EXPERIMENT, AB_KEY_TAG, type AbReader, type AbTracker, checkConfigSpec, configParams, findRuns } from "./record.js";
import type { AbAnalysis, AbTestConfig, AbTestOptions, AbUnit, AbVariant, AnalyzeOptions, Assignment } from "./types.js";

export { AB_DEFAULT_EXPERIMENT, AB_KEY_TAG, type AbReader, type AbTracker } from "./record.js";

/**
 * An A/B test read from its record: configuration and analysis, no assignment.
 * @example `const view = await openAbTest(tracker, "churn-1.1"); await view.analyze({ metric: "converted" });`
 */
export interface AbTestView {
  /** Frozen configuration. */
  readonly config: AbTestConfig;
  /** Runs of the test known when it was opened. */
  readonly runIds: readonly string[];
  /** Analyzes an outcome metric over every run of the test. @example `await view.analyze({ metric: "converted" })` */
  analyze(options: AnalyzeOptions): Promise<AbAnalysis>;
}

/**
 * Opens an existing A/B test from its record (read-only: configuration and analysis).
 * Throws NotFoundError when no run carries the key.
 * @param experiment experiment of the test's runs. @default "ab-tests"
 * @example `const view = await openAbTest(tracker, "churn-1.1");`
 */
export async function openAbTest(tracker: AbReader, key: string, experiment = AB_DEFAULT_EXPERIMENT): Promise<AbTestView> {
  const { runIds, config } = await findRuns(tracker, key, experiment);
  if (config === undefined) throw new NotFoundError(`no A/B test "${key}" in experiment "${experiment}"`);
  return { config, runIds, analyze: async (options) => analyzeWith(tracker, config, options) };
}

async function analyzeWith(tracker: AbReader, config: AbTestConfig, options: AnalyzeOptions): Promise<AbAnalysis> {
  if (typeof options?.metric !== "string" || !/^[A-Za-z0-9_.-]+$/.test(options.metric))
    throw new ValidationError("analyze metric", options?.metric, "must be letters, digits, '_', '.' or '-'");
  const { runIds } = await findRuns(tracker, config.key, config.experiment);
  return analyzeData(config, await readData(tracker, runIds, config, options.metric), options, runIds);
}

/**
 * Creates (or joins) an A/B test. The first process to create a key resolves each variant's
 * `ref` once and freezes versions, weights, bucket ranges, seed, coverage and hash version in
 * its run's params (`ab.*`, tag `mltrail.ab.key`). Later calls with the same key reuse that
 * frozen record (so every process serves the same versions even after an alias moves); they
 * must pass the same settings or get a ConflictError. Each call starts its own run, to which
 * this process logs exposures and outcomes; `analyze` reads all of them.
 * @example
 * ```ts
 * const test = await createAbTest(tracker, { key: "churn-1.1", variants: [{ model: "churn", ref: "champion" }, { model: "churn", ref: "challenger" }] });
 * const { modelVersion } = test.assign(userId);
 * ```
 */
export async function createAbTest(tracker: AbTracker, options: AbTestOptions): Promise<AbTest> {
  checkConfigSpec(options);
  const experiment = options.experiment ?? AB_DEFAULT_EXPERIMENT;
  const n = options.variants.length;
  const weights = options.variants.every((v) => v.weight === undefined) ? undefined : options.variants.map((v) => v.weight ?? 0);
  const coverage = options.coverage ?? 1;
  const ranges = getBucketRanges(n, coverage, weights);
  const wanted = {
    key: options.key,
    seed: options.seed ?? options.key,
    hashVersion: options.hashVersion ?? 2,
    hashAttribute: options.hashAttribute ?? "id",
    coverage,
    experiment,
  } as const;
  const existing = (await findRuns(tracker, options.key, experiment)).config;
  let config: AbTestConfig;
  if (existing !== undefined) {
    const same =
      existing.seed === wanted.seed &&
      existing.hashVersion === wanted.hashVersion &&
      existing.hashAttribute === wanted.hashAttribute &&
      existing.coverage === coverage &&
      existing.variants.length === n &&
      existing.variants.every(
        (v, i) =>
          v.model === options.variants[i]?.model &&
          v.ref === (options.variants[i]?.ref ?? "latest") &&
          v.range[0] === ranges[i]?.[0] &&
          v.range[1] === ranges[i]?.[1],
      );
    if (!same)
      throw new ConflictError(`A/B test "${options.key}" already exists with other settings: a running test's allocation cannot change; use a new key`);
    config = existing;
  } else {
    const variants: AbVariant[] = [];
    for (let i = 0; i < n; i++) {
      const spec = options.variants[i] as AbTestOptions["variants"][number];
      const ref = spec.ref ?? "latest";
      const mv = await tracker.getModelVersion(spec.model, ref);
      const range = ranges[i] as VariationRange;
      variants.push({ model: spec.model, ref, version: mv.version, weight: weights?.[i] ?? 1 / n, range });
    }
    config = { ...wanted, variants };
  }
  const versions = await Promise.all(config.variants.map((v) => tracker.getModelVersion(v.model, v.version)));
  const run = await tracker.startRun({ experiment, name: `ab-${options.key}`, params: configParams(config), tags: { [AB_KEY_TAG]: options.key } });
  return new AbTest(tracker, run, config, versions, options.exposureCacheSize ?? 100_000);
}

/**
 * A running A/B test in this process. Get one from `createAbTest(tracker, options)` (or
 * `tracker.abTest(options)`). `assign` and `recordOutcome` are synchronous and do no I/O.
 * @example
 * ```ts
 * const { variantIndex, modelVersion } = test.assign("user-42");
 * test.recordOutcome("user-42", "converted", 1);
 * const { decision, reason } = await test.analyze({ metric: "converted" });
 * ```
 */
export class AbTest implements AbTestView {
  /** Frozen configuration. */
  readonly config: AbTestConfig;
  /** This process's run (exposures and outcomes go there). */
  readonly run: Run;
  private readonly tracker: AbTracker;
  private readonly results: readonly Assignment[];
  private readonly outside: Assignment;
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly seed: string;
  private readonly v2: boolean;
  private readonly attribute: string;
  // Units seen recently, in two generations: a unit is remembered while it was used within the
  // last `capacity / 2` to `capacity` distinct units (approximate LRU with O(1) steps and no
  // deletions, which make V8 Maps slow to iterate).
  private recent = new Set<string>();
  private older = new Set<string>();
  private readonly half: number;
  private readonly exposureSteps: number[];
  private readonly exposureKeys: readonly string[];
  private readonly outcomeSteps = new Map<string, number>();
  private readonly outcomeKeys = new Map<string, readonly string[]>();

  /** @internal Use `createAbTest`. */
  constructor(tracker: AbTracker, run: Run, config: AbTestConfig, versions: readonly ModelVersion[], capacity: number) {
    this.tracker = tracker;
    this.run = run;
    this.config = config;
    this.results = versions.map((modelVersion, variantIndex) => Object.freeze({ variantIndex, modelVersion, inExperiment: true }));
    this.outside = Object.freeze({ variantIndex: -1, modelVersion: versions[0] as ModelVersion, inExperiment: false });
    this.starts = Float64Array.from(config.variants, (v) => v.range[0]);
    this.ends = Float64Array.from(config.variants, (v) => v.range[1]);
    this.seed = config.seed;
    this.v2 = config.hashVersion === 2;
    this.attribute = config.hashAttribute;
    this.half = Math.max(1, Math.ceil(capacity / 2));
    this.exposureSteps = config.variants.map(() => 0);
    this.exposureKeys = config.variants.map((_, i) => exposureKey(i));
  }

  /** Test key. @example `test.key // "churn-1.1"` */
  get key(): string {
    return this.config.key;
  }

  /** Runs of the test: this process's. @example `test.runIds` */
  get runIds(): readonly string[] {
    return [this.run.id];
  }

  /** The hash version in use. @example `test.hashVersion // 2` */
  get hashVersion(): HashVersion {
    return this.config.hashVersion;
  }

  private unitId(unit: AbUnit): string {
    if (typeof unit === "string") return unit;
    const v = unit?.[this.attribute];
    return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
  }

  /**
   * The variant of a unit without logging anything (pure, deterministic).
   * @example `test.variantOf("user-42") // 0 | 1 | … | -1`
   */
  variantOf(unit: AbUnit): number {
    return this.indexOf(this.unitId(unit));
  }

  private indexOf(id: string): number {
    if (id === "") return -1;
    const h = this.v2 ? hashV2(this.seed, id) : hashV1(this.seed, id);
    const starts = this.starts;
    const ends = this.ends;
    for (let i = 0; i < starts.length; i++) if (h >= (starts[i] as number) && h < (ends[i] as number)) return i;
    return -1;
  }

  /**
   * Assigns a unit: the same id always gets the same variant, in any process, as GrowthBook
   * would. Logs an exposure the first time this process sees the unit (a bounded, approximately
   * least-recently-used set remembers between `exposureCacheSize / 2` and `exposureCacheSize` units). Units outside the coverage get the control's model
   * with `variantIndex: -1, inExperiment: false` and are not logged. Returns shared frozen objects.
   * @example `const { modelVersion, inExperiment } = test.assign({ id: "user-42" });`
   */
  assign(unit: AbUnit): Assignment {
    const id = this.unitId(unit);
    const i = this.indexOf(id);
    if (i < 0) return this.outside;
    if (this.recent.has(id)) return this.results[i] as Assignment;
    if (this.older.has(id)) {
      this.remember(id);
      return this.results[i] as Assignment;
    }
    this.remember(id);
    const step = this.exposureSteps[i] as number;
    this.exposureSteps[i] = step + 1;
    this.run.logMetric(this.exposureKeys[i] as string, 1, { step });
    return this.results[i] as Assignment;
  }

  private remember(id: string): void {
    if (this.recent.size >= this.half) {
      this.older = this.recent;
      this.recent = new Set<string>();
    }
    this.recent.add(id);
  }

  /**
   * Records an outcome of a unit for its variant (`ab.<metric>.v<i>`). For a binary metric log 1
   * once per converted unit (0 or nothing otherwise). Returns the variant index, or -1 when
   * the unit is outside the test (nothing is logged).
   * @example `test.recordOutcome("user-42", "converted", 1)`
   */
  recordOutcome(unit: AbUnit, metric: string, value: number): number {
    let keys = this.outcomeKeys.get(metric);
    if (keys === undefined) {
      if (typeof metric !== "string" || !/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(metric) || metric === "exposures")
        throw new ValidationError("outcome metric", metric, "must be letters, digits, '_', '.' or '-' and not 'exposures'");
      keys = this.config.variants.map((_, i) => outcomeKey(metric, i));
      this.outcomeKeys.set(metric, keys);
    }
    if (typeof value !== "number") throw new ValidationError("outcome value", value, "must be a number");
    const i = this.variantOf(unit);
    if (i < 0) return -1;
    const key = keys[i] as string;
    const step = this.outcomeSteps.get(key) ?? 0;
    this.outcomeSteps.set(key, step + 1);
    this.run.logMetric(key, value, { step });
    return i;
  }

  /**
   * Analyzes an outcome metric over every run of the test (all processes).
   * @example `const { decision, reason, variants } = await test.analyze({ metric: "converted" });`
   */
  analyze(options: AnalyzeOptions): Promise<AbAnalysis> {
    return analyzeWith(this.tracker, this.config, options);
  }

  /** Makes everything logged so far durable. @example `await test.flush()` */
  async flush(): Promise<void> {
    await this.run.flush();
  }

  /** Ends this process's run of the test (FINISHED). Idempotent. @example `await test.close()` */
  async close(): Promise<void> {
    await this.run.end();
  }
}
