/**
 * A run's replicator reads its journal on before the records it holds run out: with a backlog
 * of several reads, a batch is always going ahead of the cursor's (pipelining), not only until
 * the end of each read, and no batch cut short by the end of a read goes ahead. Driven step by
 * step against a sink that answers a log-batch only once the next one arrives.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, expect, it } from "vitest";
import type { ReplicationSink, SinkBatch } from "../../src/backends/types.js";
import { JournalWriter } from "../../src/log/journal.js";
import { MLFLOW_LIMITS } from "../../src/model/limits.js";
import { PipelineGate } from "../../src/remote/pipeline-gate.js";
import { ReplicationState } from "../../src/remote/replication-state.js";
import { RunReplicator, type RunSource } from "../../src/remote/run-replicator.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const COUNT = 60_000; // about 5.6 MB of journal: several reads of the replicator
const value = (i: number): number => 1 / (i + 1);
/** A batch nothing follows is answered after this long (far longer than a journal read). */
const ALONE_AFTER_MS = 1000;

it("keeps a batch going ahead across journal reads: only the first and the last go alone", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-read-ahead-"));
  dirs.push(root);
  const runDir = path.join(root, "run");
  const journalDir = path.join(runDir, "journal");
  fs.mkdirSync(journalDir, { recursive: true });
  const { writer } = await JournalWriter.open(journalDir, { durability: "interval", fsyncIntervalMs: 60_000 });
  for (let i = 0; i < COUNT; i++) writer.appendMetric('"loss"', value(i), 1_700_000_000_000 + i, i);
  await writer.close();

  const state = await ReplicationState.load(runDir, "http://127.0.0.1:1");
  state.state.remoteRunId = "remote-run";
  // Each log-batch is answered when the next one arrives: only a batch sent while the one before
  // it is out keeps the chain going. One that nothing follows is answered after a while, and
  // counted as alone.
  const calls: SinkBatch[] = [];
  let alone = 0;
  let answerPrevious: (() => void) | undefined;
  const refuse = (): Promise<never> => Promise.reject(new Error("not used by this test"));
  const sink: ReplicationSink = {
    limits: MLFLOW_LIMITS,
    settleMs: 0,
    experimentId: refuse,
    findRun: refuse,
    createRun: refuse,
    logBatch: (_runId, batch) => {
      calls.push(batch);
      answerPrevious?.();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          alone++;
          resolve();
        }, ALONE_AFTER_MS);
        answerPrevious = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
    renameRun: refuse,
    endRun: refuse,
    uploadArtifact: refuse,
    logDataset: refuse,
    finishArtifacts: refuse,
    close: () => undefined,
  };
  const source: RunSource = {
    runId: "run",
    runKey: "key",
    experimentName: "exp",
    name: "run",
    startTime: 1_700_000_000_000,
    user: undefined,
    runDir,
    journalDir,
    writtenSeq: () => COUNT,
    state,
  };
  let acked = 0;
  const rr = new RunReplicator(source, {
    sink,
    experimentId: refuse,
    remoteIdOf: async () => undefined,
    awaitingCreation: () => false,
    acquireExtraRequest: () => true,
    releaseExtraRequest: () => undefined,
    pipelineGate: new PipelineGate(),
    onRemoteId: () => undefined,
    onAcked: (_source, count) => {
      acked += count;
    },
    onRejected: () => undefined,
    onCorrupt: () => undefined,
    onNotKept: () => undefined,
  });
  for (let steps = 0; ; steps++) {
    expect(steps).toBeLessThan(1000);
    const result = await rr.step();
    if (result.kind === "idle") break;
    expect(result.kind).toBe("progress");
  }

  expect(acked).toBe(COUNT);
  expect(rr.ackedSeq).toBe(COUNT);
  // Every point went exactly once, in order.
  const sent = calls.flatMap((c) => c.metrics);
  expect(sent.length).toBe(COUNT);
  sent.forEach((m, i) => {
    expect(m).toEqual({ key: "loss", value: value(i), timestamp: 1_700_000_000_000 + i, step: i });
  });
  // The first batch goes alone (no answer yet says the server is fast), and so does the last.
  expect(calls.length).toBe(COUNT / 1000);
  expect(alone).toBe(2);
});
