/**
 * The kinds of change and the bump each requires, on the local store, with real tiny TF.js
 * models (the table is test/support/bump-cases.ts; the same table runs on the MLflow server in
 * test/integration/registry-bump-mlflow.test.ts). Also: the release record on disk lists each
 * change with its category, and a record written before categories existed still reads.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Command } from "commander";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Tracker, ValidationError, compareModelVersions, releaseChangeLines } from "../../src/index.js";
import { registerModelCommands } from "../../src/cli/models.js";
import { timelineSection } from "../../src/report/sections.js";
import { BUMP_CASES, checkBumpCase } from "../support/bump-cases.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(async () => {
  await tf.setBackend("cpu");
});

function newStore(): { tracker: Tracker; root: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), "mltrail-bump-"));
  const tracker = new Tracker({ trackingUri: root, experiment: "bump", captureContext: false, handleExit: false });
  cleanups.push(
    () => rmSync(root, { recursive: true, force: true }),
    async () => void (await tracker.close()),
  );
  return { tracker, root };
}

describe("local store: the bump each kind of change requires", () => {
  it.each(BUMP_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { tracker } = newStore();
    await checkBumpCase(tracker, "bump-model", c);
  });
});

describe("local store: release records", () => {
  it("record the architecture digest and each change with its category; a record without them still reads", async () => {
    const { tracker, root } = newStore();
    const c = BUMP_CASES.find((x) => x.name === "an extra hidden layer");
    if (c === undefined) throw new Error("missing case");
    const mv = await checkBumpCase(tracker, "bump-record", c);
    const folder = readdirSync(path.join(root, "registry")).find((f) => f.startsWith("bump-record"));
    const file = path.join(root, "registry", folder ?? "", "versions", "2.json");
    const onDisk = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(onDisk["architectureDigest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(onDisk["changeDetails"]).toEqual([
      { category: "architecture", kind: "architecture-changed", bump: "minor", description: "architecture changed" },
      { category: "weights", kind: "weights-changed", bump: "patch", description: "weights changed" },
    ]);
    // A record written before architecture digests and change details existed.
    const { architectureDigest: _a, changeDetails: _c, ...old } = onDisk;
    writeFileSync(file, JSON.stringify(old));
    const read = await tracker.getModelVersion("bump-record", mv?.version ?? "");
    expect(read.changes).toEqual(["architecture changed", "weights changed"]);
    expect(read.changeDetails).toBeUndefined();
    expect(read.architectureDigest).toBeUndefined();
    // Change details another mltrail version wrote that do not parse here: left out, the release still reads.
    writeFileSync(file, JSON.stringify({ ...onDisk, changeDetails: [{ category: "future", kind: 3 }] }));
    const odd = await tracker.getModelVersion("bump-record", mv?.version ?? "");
    expect(odd.changeDetails).toBeUndefined();
    expect(odd.architectureDigest).toBe(onDisk["architectureDigest"]);
  });

  it.each([
    [{ bumpPolicy: "loose" }, "options.bumpPolicy", 'must be "semantic" or "strict"'],
    [{ architectureDigest: "" }, "options.architectureDigest", "must be a non-empty string"],
    [{ architectureDigest: "a\u0007b" }, "options.architectureDigest", "without control characters"],
    [{ architectureDigest: 7 }, "options.architectureDigest", "must be a string"],
  ])("a bad %o is a ValidationError naming the option, and releases nothing", async (bad, field, rule) => {
    const { tracker } = newStore();
    const run = await tracker.startRun({});
    await run.end();
    const err = await tracker.registerModel("bump-bad", { runId: run.id, ...(bad as object) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field.endsWith(field)).toBe(true);
    expect((err as Error).message).toContain(rule);
    expect(await tracker.listModels()).toEqual([]);
  });
});

describe("why a bump was required: modelHistory, compare, the report and the CLI", () => {
  /** Runs `mltrail <args>` in process on the store at `root`; returns what it printed. */
  async function cli(root: string, args: string[]): Promise<string> {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
    try {
      const program = new Command().exitOverride();
      registerModelCommands(program, () => new Tracker({ trackingUri: root, experiment: "bump", captureContext: false, handleExit: false }));
      await program.parseAsync(["node", "mltrail", ...args]);
    } finally {
      spy.mockRestore();
    }
    return out.join("");
  }

  it("each change is shown with its category and the bump it required", async () => {
    const { tracker, root } = newStore();
    const c = BUMP_CASES.find((x) => x.name === "TF.js model retrained with another learning rate");
    if (c === undefined) throw new Error("missing case");
    await checkBumpCase(tracker, "why", c);
    const patch = await tracker.getModelVersion("why@1.0.1");
    expect(releaseChangeLines(patch)).toEqual(["weights: weights changed (same architecture)", "params: params changed (lr)"]);

    const cmp = await compareModelVersions(tracker, "why");
    expect(cmp.versions.map((v) => v.changeDetails?.map((d) => [d.category, d.bump]))).toEqual([
      [],
      [
        ["weights", "patch"],
        ["params", "patch"],
      ],
    ]);
    const html = timelineSection(cmp, await tracker.modelHistory("why"));
    expect(html).toContain('<span class="badge">weights</span>weights changed (same architecture) <span class="muted">(patch)</span>');
    expect(html).toContain('<span class="badge">params</span>params changed (lr) <span class="muted">(patch)</span>');

    const show = await cli(root, ["models", "show", "why@1.0.1"]);
    expect(show).toMatch(/bump\s+patch/);
    expect(show).toMatch(/changes\s+weights: weights changed \(same architecture\); params: params changed \(lr\)/);
    expect(show).toMatch(/architecture\s+sha256:[0-9a-f]{64}/);
    const history = await cli(root, ["models", "history", "why"]);
    expect(history).toMatch(/release\s+1\.0\.1 .*patch: weights: weights changed \(same architecture\); params: params changed \(lr\)/);
  });
});
