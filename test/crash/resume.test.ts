/**
 * Resume after SIGKILL: a child logs steadily and is killed mid-logging. While it lives, resuming
 * its run is a ConflictError; once it is dead the run reads KILLED, and `startRun({ resume })`
 * takes over the dead writer's lock and continues the same run: its history has every step
 * once, the new points follow, and the run ends FINISHED with a new end time. Resuming the
 * finished run again shows it RUNNING, then its new end status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, Tracker } from "mltrail"; // the built package (self-reference); types from src for tsc
import { requireDist, startFixture, tempStore } from "../fixtures/crash/harness.js";

let store: { root: string; cleanup(): void };

beforeAll(() => {
  requireDist();
  store = tempStore("resume");
});

afterAll(() => store?.cleanup());

function steps(history: readonly { step: number }[]): number[] {
  return history.map((m) => m.step);
}

describe("startRun({ resume }) after SIGKILL", () => {
  it("continues the killed run with no duplicate points and ends it anew", async () => {
    const child = startFixture("steady-logger.mjs", [store.root]);
    const ready = await child.waitFor(/^ready /, 90_000);
    const [, runId] = ready.split(" ") as [string, string];
    await child.waitFor((line) => /^flushed \d+$/.test(line) && Number(line.slice(8)) >= 400, 90_000);

    const tracker = new Tracker({ trackingUri: store.root, experiment: "crash", captureContext: false, handleExit: false });
    try {
      // The child holds the run: resuming it now is refused, and nothing is written.
      await expect(tracker.startRun({ resume: runId })).rejects.toBeInstanceOf(ConflictError);
      child.kill("SIGKILL");
      expect((await child.exit()).signal).toBe("SIGKILL");

      const killed = await tracker.getRun(runId);
      expect(killed.info.status).toBe("KILLED");
      const before = steps(await tracker.getMetricHistory(runId, "x"));
      expect(before.length).toBeGreaterThanOrEqual(400);
      expect(before).toEqual(before.map((_, i) => i)); // a gap-free prefix 0..n-1
      const next = before.length;

      const run = await tracker.startRun({ resume: runId, params: { resumed: { from: next } } });
      expect(run.id).toBe(runId);
      expect((await tracker.getRun(runId)).info.status).toBe("RUNNING");
      // Params are still immutable across the resume; the same value is a no-op.
      run.logParam("lr", 0.001);
      expect(() => run.logParam("lr", 0.5)).toThrow(ConflictError);
      for (let i = next; i < next + 100; i++) run.logMetric("x", i, { step: i });
      await run.end();

      const after = steps(await tracker.getMetricHistory(runId, "x"));
      expect(after).toEqual(after.map((_, i) => i));
      expect(after).toHaveLength(next + 100);
      const finished = await tracker.getRun(runId);
      expect(finished.info).toMatchObject({ status: "FINISHED" });
      expect(finished.info.crashed).toBeUndefined();
      expect(finished.info.endTime).toBeGreaterThanOrEqual(killed.info.startTime);
      expect(finished.data.params).toMatchObject({ lr: "0.001", seed: "42", "resumed.from": String(next) });
      expect(finished.data.metrics.x).toBe(next + 99);
      const listed = (await tracker.searchRuns({ experiment: "crash" })).find((r) => r.info.runId === runId);
      expect(listed?.info.status).toBe("FINISHED");

      // A finished run resumes too: RUNNING while open (searches included), then its new end.
      const again = await tracker.startRun({ resume: runId });
      expect((await tracker.getRun(runId)).info.status).toBe("RUNNING");
      expect((await tracker.searchRuns({ experiment: "crash" })).find((r) => r.info.runId === runId)?.info.status).toBe("RUNNING");
      again.logMetric("x", next + 100, { step: next + 100 });
      await again.end({ status: "FAILED" });
      const failed = await tracker.getRun(runId);
      expect(failed.info.status).toBe("FAILED");
      expect(failed.info.endTime).toBeGreaterThanOrEqual(finished.info.endTime as number);
      expect(steps(await tracker.getMetricHistory(runId, "x"))).toHaveLength(next + 101);

      // A fresh reader folds the journal from disk and agrees.
      const reader = new Tracker({ trackingUri: store.root, captureContext: false, handleExit: false });
      try {
        expect((await reader.getRun(runId)).info.status).toBe("FAILED");
        expect((await reader.searchRuns({ experiment: "crash" })).find((r) => r.info.runId === runId)?.info.status).toBe("FAILED");
      } finally {
        await reader.close();
      }
      await expect(tracker.startRun({ resume: "0000unknown" })).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.kill("SIGKILL");
      await tracker.close();
    }
  }, 200_000);
});
