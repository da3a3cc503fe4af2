/**
 * `startRun({ name, resume: "auto" })`: after a SIGKILL the same call continues the killed run
 * (same id, history continues, no duplicate point); once that run has ended, the same call starts
 * a new run; without a name it is a ValidationError that stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker, ValidationError } from "mltrail"; // the built package (self-reference); types from src for tsc
import { requireDist, startFixture, tempStore } from "../fixtures/crash/harness.js";

let store: { root: string; cleanup(): void };

beforeAll(() => {
  requireDist();
  store = tempStore("resume-auto");
});

afterAll(() => store?.cleanup());

describe('startRun({ resume: "auto" })', () => {
  it("continues the crashed run of that name, and starts a new one once it has ended", async () => {
    const tracker = new Tracker({ trackingUri: store.root, experiment: "crash", captureContext: false, handleExit: false });
    try {
      // No run of that name yet: a new run, with every option applied.
      const first = await tracker.startRun({ name: "nightly", resume: "auto", params: { lr: 0.001 } });
      await first.end();

      const child = startFixture("steady-logger.mjs", [store.root, "nightly"]);
      const ready = await child.waitFor(/^ready /, 90_000);
      const [, killedId] = ready.split(" ") as [string, string];
      await child.waitFor((line) => /^flushed \d+$/.test(line), 90_000);
      child.kill("SIGKILL");
      expect((await child.exit()).signal).toBe("SIGKILL");
      expect((await tracker.getRun(killedId)).info).toMatchObject({ status: "KILLED", crashed: true });

      const resumed = await tracker.startRun({ name: "nightly", resume: "auto", params: { lr: 0.001 } });
      expect(resumed.id).toBe(killedId);
      expect(resumed.id).not.toBe(first.id);
      const next = (resumed.lastStep("x") ?? -1) + 1;
      for (let i = next; i < next + 10; i++) resumed.logMetric("x", i, { step: i });
      await resumed.end();
      const steps = (await tracker.getMetricHistory(killedId, "x")).map((m) => m.step);
      expect(steps).toEqual(steps.map((_, i) => i));
      expect((await tracker.getRun(killedId)).info.status).toBe("FINISHED");

      // The newest run of the name ended: a new run.
      const fresh = await tracker.startRun({ name: "nightly", resume: "auto" });
      expect([first.id, killedId]).not.toContain(fresh.id);
      expect(fresh.name).toBe("nightly");
      await fresh.end();

      const before = (await tracker.searchRuns({ experiment: "crash" })).length;
      await expect(tracker.startRun({ resume: "auto" })).rejects.toBeInstanceOf(ValidationError);
      await expect(tracker.startRun({ resume: "auto" })).rejects.toThrow(/options\.name/);
      expect(await tracker.searchRuns({ experiment: "crash" })).toHaveLength(before);
    } finally {
      await tracker.close();
    }
  }, 240_000);
});
