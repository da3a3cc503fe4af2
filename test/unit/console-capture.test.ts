/**
 * Console capture on the LOCAL store: stdout and stderr while the run is open, secrets masked
 * like argv, UTF-8 split across writes kept whole, parts rotated and the total bounded, the
 * streams' `write` restored exactly at run end; and, in child processes running the built
 * package, the capture stored and the streams restored when the process crashes or exits
 * without ending its run (the timers never keep it alive).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Tracker } from "../../src/index.js";
import { maskText } from "../../src/capture/masking.js";
import type { Run } from "../../src/run.js";
import { ensureDist, projectRoot } from "../fixtures/replication/harness.js";

let tmp: string;
let tracker: Tracker;
/** What reached the (stubbed) terminal. */
let terminal: string[];
let stubs: { out: PropertyDescriptor | undefined; err: PropertyDescriptor | undefined };

/** Own `write` stubs on both streams, so captured output stays out of the test's output and the restore can be checked exactly. */
function stubStreams(): void {
  stubs = { out: Object.getOwnPropertyDescriptor(process.stdout, "write"), err: Object.getOwnPropertyDescriptor(process.stderr, "write") };
  for (const stream of [process.stdout, process.stderr]) {
    const write = (chunk: string | Uint8Array): boolean => {
      terminal.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1"));
      return true;
    };
    Object.defineProperty(stream, "write", { value: write, writable: true, configurable: true, enumerable: false });
  }
}

function unstubStreams(): void {
  for (const [stream, own] of [
    [process.stdout, stubs.out],
    [process.stderr, stubs.err],
  ] as const) {
    if (own === undefined) delete (stream as { write?: unknown }).write;
    else Object.defineProperty(stream, "write", own);
  }
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-console-"));
  terminal = [];
  tracker = new Tracker({ trackingUri: path.join(tmp, "store"), experiment: "console", captureContext: false, handleExit: false, logLevel: "error" });
  stubStreams();
});
afterEach(async () => {
  unstubStreams();
  await tracker.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const stored = (run: Run, rel: string): string =>
  fs.readFileSync(path.join(tmp, "store", "experiments", run.experimentId, "runs", run.id, "artifacts", rel), "utf8");

describe("console capture", () => {
  it("stores stdout and stderr with secrets masked, and restores the streams exactly at run end", async () => {
    const stubOut = process.stdout.write;
    const stubErr = process.stderr.write;
    const run = await tracker.startRun({ captureConsole: true });
    expect(process.stdout.write).not.toBe(stubOut);
    process.stdout.write("epoch 1 loss=0.3\n");
    process.stderr.write("connecting to https://alice:s3cret@db.example/x with --api-key k-123 password=hunter2\n");
    const euro = Buffer.from("price: 5€\n");
    process.stdout.write(euro.subarray(0, 10)); // the € is cut in the middle
    process.stdout.write(euro.subarray(10));
    process.stdout.write("no newline at the end");
    await run.end();
    expect(process.stdout.write).toBe(stubOut);
    expect(process.stderr.write).toBe(stubErr);
    expect(terminal.join("")).toContain("password=hunter2"); // the terminal sees the output unchanged
    expect(stored(run, "console/output.log")).toBe(
      "epoch 1 loss=0.3\nconnecting to https://***@db.example/x with --api-key *** password=***\nprice: 5€\nno newline at the end\n",
    );
    process.stdout.write("after the end\n");
    expect(stored(run, "console/output.log")).not.toContain("after the end");
  });

  it("rotates into parts and stores at most maxBytes, then says how much it left out", async () => {
    const run = await tracker.startRun({ captureConsole: { maxBytes: 4096 } });
    const line = `${"x".repeat(99)}\n`;
    for (let i = 0; i < 60; i++) process.stdout.write(line); // 6000 bytes
    await run.end();
    const parts = (await tracker.listArtifacts(run.id, "console")).map((e) => e.path).sort();
    expect(parts).toEqual(["console/output.1.log", "console/output.2.log", "console/output.3.log", "console/output.log"]);
    const texts = ["console/output.log", "console/output.1.log", "console/output.2.log", "console/output.3.log"].map((p) => stored(run, p));
    const all = texts.join("");
    expect(all.split(line).length - 1).toBe(40); // 4000 bytes of whole lines fit in 4096
    expect(all).toContain("[mltrail] console capture stopped storing at maxBytes (4096); 2000 more bytes were printed and not stored");
    for (const t of texts.slice(0, 3)) expect(Buffer.byteLength(t)).toBeGreaterThanOrEqual(1024);
  });

  it("two runs capturing at once both get the output; the streams come back when the last ends", async () => {
    const stub = process.stdout.write;
    const a = await tracker.startRun({ name: "a", captureConsole: true });
    const b = await tracker.startRun({ name: "b", captureConsole: true });
    process.stdout.write("shared\n");
    await a.end();
    process.stdout.write("only b\n");
    expect(process.stdout.write).not.toBe(stub);
    await b.end();
    expect(process.stdout.write).toBe(stub);
    expect(stored(a, "console/output.log")).toBe("shared\n");
    expect(stored(b, "console/output.log")).toBe("shared\nonly b\n");
  });

  it("masks free text like argv", () => {
    // Masking errs on the side of hiding more: the header's name masks its whole value, and a token runs to the next space.
    expect(maskText("Authorization: Bearer abc.def.ghi  (token ghp_abcdefghijklmnop)")).toBe("Authorization: *** ***  (token ***");
    expect(maskText("uploaded with ghp_abcdefghijklmnop ok")).toBe("uploaded with *** ok");
    expect(maskText('{"password": "p w", "user": "bob"}')).toBe('{"password": "***", "user": "bob"}');
    expect(maskText("GET https://bucket.s3/x?X-Amz-Signature=abc done")).toBe("GET https://bucket.s3/x?*** done");
    expect(maskText("loss 0.25 at --max-tokens 512")).toBe("loss 0.25 at --max-tokens 512");
    // Every rule still applies behind the quick check that skips ordinary lines.
    expect(maskText("cfg apiKey: abc DB_PASS=x1 --pw x2 clientSecret=x3 AKIA_ABCDEFGHIJKL")).toBe("cfg apiKey: *** DB_PASS=*** --pw *** clientSecret=*** ***");
    expect(maskText("epoch 3 loss=0.1 acc=0.9")).toBe("epoch 3 loss=0.1 acc=0.9");
  });
});

describe("console capture when the process ends without run.end()", () => {
  beforeAll(async () => {
    await ensureDist();
  }, 240_000);

  /** Runs a child that starts a capturing run with system metrics, prints, then crashes or just returns. */
  function child(
    mode: "crash" | "natural" | "sigterm",
    store: string,
  ): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
    const dist = pathToFileURL(path.join(projectRoot, "dist", "index.js")).href;
    const script = `
      import { Tracker } from ${JSON.stringify(dist)};
      const t = new Tracker({ trackingUri: ${JSON.stringify(store)}, experiment: "exit", captureContext: false, logLevel: "error", systemMetrics: { intervalMs: 100 }, captureConsole: true });
      const run = await t.startRun({ name: ${JSON.stringify(mode)} });
      console.log("started --token tok-1");
      console.error("to stderr");
      process.on("exit", () => { if (Object.hasOwn(process.stdout, "write") || Object.hasOwn(process.stderr, "write")) process.exitCode = 42; });
      ${mode === "crash" ? 'setTimeout(() => { throw new Error("boom"); }, 0);' : mode === "sigterm" ? 'setTimeout(() => process.kill(process.pid, "SIGTERM"), 0);' : ""}
    `;
    return new Promise((resolve) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, signal: error?.signal ?? null, stdout, stderr }),
      );
    });
  }

  it.each(["crash", "natural", "sigterm"] as const)("%s: the output is stored, the streams restored, the process not kept alive", async (mode) => {
    const store = path.join(tmp, `store-${mode}`);
    const result = await child(mode, store);
    if (mode === "sigterm") expect(result.signal).toBe("SIGTERM");
    else expect(result.code).toBe(mode === "crash" ? 1 : 0);
    expect(result.stdout).toContain("started --token tok-1");
    const t = new Tracker({ trackingUri: store, experiment: "exit", captureContext: false, handleExit: false, logLevel: "error" });
    try {
      const [run] = await t.searchRuns();
      expect(run?.info.status).toBe({ crash: "FAILED", natural: "FINISHED", sigterm: "KILLED" }[mode]);
      const dir = path.join(store, "experiments", run?.info.experimentId ?? "", "runs", run?.info.runId ?? "", "artifacts");
      const text = fs.readFileSync(path.join(dir, "console", "output.log"), "utf8");
      if (mode !== "crash") expect(text).toBe("started --token ***\nto stderr\n");
      else expect(text).toMatch(/^started --token \*\*\*\nto stderr\nUncaught Error: boom\n {4}at /);
    } finally {
      await t.close();
    }
  });
});
