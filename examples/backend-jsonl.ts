/**
 * A complete third-party backend in one file: runs as JSON lines, one file per run, under a
 * folder named by a `jsonl:<folder>` tracking URI. It uses only what the package exports
 * (docs/backends.md walks through it).
 *
 *   npx tsx examples/backend-jsonl.ts   # logs a run to jsonl:<temp folder> and reads it back
 *
 * Every line of `<folder>/<runId>.jsonl` is one JSON object: `{ "run": … }` first, then
 * `metric`, `param`, `tag`, `name` and `end` lines. Appending only, it declares
 * `appendOnly`; replays after a crash append duplicates, which reading folds away.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BackendCapabilities,
  type BackendContext,
  type BackendQueries,
  type Experiment,
  type Metric,
  NotFoundError,
  type ReplicationSink,
  type RunRecord,
  type RunStatus,
  registerBackend,
  type SinkBatch,
  type SinkRun,
  type TrackingBackend,
  Tracker,
} from "mltrail";

/** What this backend can do: no search syntax (the tracker filters), no registry (the local store keeps it), no artifacts. */
const CAPABILITIES: BackendCapabilities = {
  replication: true,
  queries: true,
  search: false,
  registry: false,
  artifacts: false,
  readBack: false,
  appendOnly: true,
};

/** JSON has no NaN or ±Infinity: such values are written as strings. */
const encode = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
const decode = (v: number | string): number => (typeof v === "number" ? v : Number(v));

type Line =
  | { run: { experiment: string; name: string; startTime: number } }
  | { metric: { key: string; value: number | string; step: number; timestamp: number } }
  | { param: { key: string; value: string } }
  | { tag: { key: string; value: string } }
  | { name: string }
  | { end: { status: RunStatus; endTime: number } };

class JsonlSink implements ReplicationSink {
  readonly settleMs = 0; // a local append cannot land late
  constructor(
    private readonly dir: string,
    readonly limits: ReplicationSink["limits"],
  ) {}

  private append(runId: string, lines: readonly Line[]): void {
    fs.appendFileSync(path.join(this.dir, `${runId}.jsonl`), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
  }

  async experimentId(name: string): Promise<string> {
    return name; // experiments are named, not numbered, here
  }
  async findRun(_experimentId: string, run: SinkRun): Promise<string | undefined> {
    return fs.existsSync(path.join(this.dir, `${run.runKey}.jsonl`)) ? run.runKey : undefined;
  }
  async createRun(experimentId: string, run: SinkRun): Promise<string> {
    fs.mkdirSync(this.dir, { recursive: true });
    this.append(run.runKey, [{ run: { experiment: experimentId, name: run.name, startTime: run.startTime } }]);
    return run.runKey;
  }
  async logBatch(runId: string, batch: SinkBatch): Promise<void> {
    this.append(runId, [
      ...batch.params.map((param) => ({ param })),
      ...batch.tags.map((tag) => ({ tag })),
      ...batch.metrics.map((m) => ({ metric: { key: m.key, value: encode(m.value), step: m.step, timestamp: m.timestamp } })),
    ]);
  }
  async renameRun(runId: string, name: string): Promise<void> {
    this.append(runId, [{ name }]);
  }
  async endRun(runId: string, status: RunStatus, endTime: number): Promise<void> {
    this.append(runId, [{ end: { status, endTime } }]);
  }
  async uploadArtifact(): Promise<void> {} // no artifact storage: the local run log keeps the files
  async logDataset(): Promise<void> {}
  async finishArtifacts(): Promise<void> {}
  close(): void {}
}

class JsonlQueries implements BackendQueries {
  constructor(private readonly dir: string) {}

  private lines(runId: string): Line[] {
    const file = path.join(this.dir, `${runId}.jsonl`);
    if (!/^[\w-]+$/.test(runId) || !fs.existsSync(file)) throw new NotFoundError(`run "${runId}" not found in ${this.dir}`);
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Line);
  }

  private history(runId: string): Metric[] {
    const seen = new Set<string>();
    const out: Metric[] = [];
    for (const l of this.lines(runId)) {
      if (!("metric" in l)) continue;
      const id = JSON.stringify(l.metric);
      if (seen.has(id)) continue; // a replayed batch
      seen.add(id);
      out.push({ ...l.metric, value: decode(l.metric.value) });
    }
    return out;
  }

  async getRun(runId: string): Promise<RunRecord> {
    const lines = this.lines(runId);
    const head = lines[0];
    if (head === undefined || !("run" in head)) throw new NotFoundError(`run "${runId}" has no header line`);
    let name = head.run.name;
    let end: { status: RunStatus; endTime: number } | undefined;
    const params: Record<string, string> = {};
    const tags: Record<string, string> = {};
    for (const l of lines) {
      if ("param" in l) params[l.param.key] = l.param.value;
      else if ("tag" in l) tags[l.tag.key] = l.tag.value;
      else if ("name" in l) name = l.name;
      else if ("end" in l) end = l.end;
    }
    const metrics: Record<string, number> = {};
    const latest: Record<string, Metric> = {};
    for (const m of this.history(runId)) {
      const best = latest[m.key];
      if (best === undefined || m.step > best.step || (m.step === best.step && m.timestamp >= best.timestamp)) latest[m.key] = m;
    }
    for (const [key, m] of Object.entries(latest)) metrics[key] = m.value;
    return {
      info: {
        runId,
        experimentId: head.run.experiment,
        name,
        status: end?.status ?? "RUNNING",
        startTime: head.run.startTime,
        ...(end === undefined ? {} : { endTime: end.endTime }),
      },
      data: { params, metrics, tags: { ...tags, "mlflow.runName": name } },
    };
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return this.history(runId).filter((m) => m.key === key); // the tracker applies step ranges and limits
  }

  private runIds(): string[] {
    return fs.existsSync(this.dir) ? fs.readdirSync(this.dir).flatMap((f) => (f.endsWith(".jsonl") ? [f.slice(0, -6)] : [])) : [];
  }

  async searchRuns(experimentIds: readonly string[]): Promise<RunRecord[]> {
    const runs = await Promise.all(this.runIds().map((id) => this.getRun(id)));
    return runs.filter((r) => experimentIds.includes(r.info.experimentId)); // no search syntax: the tracker filters and orders
  }

  async listExperiments(): Promise<Experiment[]> {
    const names = new Set((await Promise.all(this.runIds().map((id) => this.getRun(id)))).map((r) => r.info.experimentId));
    return [...names].map((name) => ({ experimentId: name, name, creationTime: 0, tags: {} }));
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return (await this.listExperiments()).find((e) => e.name === name);
  }

  async listArtifacts(runId: string): Promise<[]> {
    this.lines(runId); // a miss is a NotFoundError
    return [];
  }

  async downloadArtifacts(runId: string, artifactPath: string): Promise<string> {
    throw new NotFoundError(`no artifact "${artifactPath}" in run "${runId}": this backend stores none`);
  }

  async runDatasets(runId: string): Promise<[]> {
    this.lines(runId);
    return [];
  }
}

/**
 * The backend for `jsonl:<folder>` (relative to the tracker's `cwd`).
 * @example `registerBackend("jsonl", jsonlBackend)`
 */
export function jsonlBackend(context: BackendContext): TrackingBackend {
  const dir = path.resolve(context.cwd, context.uri.slice("jsonl:".length));
  return {
    kind: "jsonl",
    target: `jsonl:${dir}`, // one spelling per folder: the key of each run's cursor
    capabilities: CAPABILITIES,
    sink: () => new JsonlSink(dir, context.limits),
    queries: new JsonlQueries(dir),
    close: () => undefined,
  };
}

/** Logs a run to a `jsonl:` folder with one tracker and reads it back with another. */
async function demo(): Promise<void> {
  registerBackend("jsonl", jsonlBackend);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-jsonl-"));
  const options = { trackingUri: `jsonl:${path.join(work, "runs")}`, spoolDir: path.join(work, "spool"), experiment: "demo", captureContext: false };
  const writer = new Tracker(options);
  const runId = await writer.withRun({ name: "jsonl-demo", params: { lr: 0.01 } }, (run) => {
    for (let step = 0; step < 3; step++) run.logMetric("loss", 1 / (step + 1), { step });
    run.logMetric("loss", Number.NaN, { step: 3 });
    return run.id;
  });
  const { pending } = await writer.close({ timeoutMs: 10_000 });
  const reader = new Tracker(options);
  const run = await reader.getRun(runId);
  const history = await reader.getMetricHistory(runId, "loss");
  const found = await reader.searchRuns({ filter: "params.lr = '0.01'" });
  let miss = "";
  await reader.getRun("0123456789abcdef0123456789abcdef").catch((err: unknown) => {
    miss = err instanceof NotFoundError ? "NotFoundError" : String(err);
  });
  await reader.close();
  console.log(
    JSON.stringify({
      dir: path.join(work, "runs"),
      runId,
      pending,
      status: run.info.status,
      params: run.data.params,
      history: history.map((m) => String(m.value)),
      found: found.length,
      miss,
    }),
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await demo();
