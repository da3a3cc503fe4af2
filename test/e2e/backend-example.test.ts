/**
 * examples/backend-jsonl.ts, run as a user would (`npx tsx examples/backend-jsonl.ts`): a third
 * party's backend registered with `registerBackend` through the package's public API receives a
 * run by replication and answers the reads of a second tracker. The JSON-lines files are read
 * here directly, as the oracle of what the backend received.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

interface DemoOutput {
  dir: string;
  runId: string;
  pending: number;
  status: string;
  params: Record<string, string>;
  history: string[];
  found: number;
  miss: string;
}

it("npx tsx examples/backend-jsonl.ts replicates a run to its own backend and reads it back through it", async () => {
  const { stdout } = await run("npx", ["tsx", "examples/backend-jsonl.ts"], { cwd: root, env: { ...process.env } });
  const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as DemoOutput;
  try {
    expect(out).toMatchObject({
      pending: 0,
      status: "FINISHED",
      params: { lr: "0.01" },
      history: ["1", "0.5", String(1 / 3), "NaN"],
      found: 1,
      miss: "NotFoundError",
    });
    // What the backend itself holds: one file for the run, every record once or replayed.
    const lines = (await fs.readFile(path.join(out.dir, `${out.runId}.jsonl`), "utf8"))
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, { key?: string; value?: unknown; status?: string }>);
    expect(lines[0]).toMatchObject({ run: { experiment: "demo", name: "jsonl-demo" } });
    expect(lines.filter((l) => l["param"] !== undefined).map((l) => l["param"])).toContainEqual({ key: "lr", value: "0.01" });
    const values = new Set(lines.filter((l) => l["metric"]?.key === "loss").map((l) => l["metric"]?.value));
    expect(values).toEqual(new Set([1, 0.5, 1 / 3, "NaN"]));
    expect(lines.at(-1)).toMatchObject({ end: { status: "FINISHED" } });
  } finally {
    await fs.rm(path.dirname(out.dir), { recursive: true, force: true });
  }
});
