/**
 * A/B inference service: serves two released versions of a toy model, each user sticky to one
 * version by GrowthBook-compatible assignment, and records outcomes.
 *
 *   npx tsx examples/ab-inference.ts            # PORT (default 3000, 0 = any), loopback only
 *   GET  /predict?user=<id>&x=<number>  → { user, variant, version, inExperiment, prediction }
 *   POST /outcome  { "user": "<id>", "metric": "converted", "value": 1 }
 *   GET  /analysis?metric=converted[&format=text]
 *
 * At start it releases `ab-toy` 1.0.0 and 1.1.0 (idempotent: identical content is not released
 * twice) into the default local store, or MLFLOW_TRACKING_URI. AB_ASSIGN=0 serves 1.0.0 to
 * everyone without assignment (to measure the overhead of assignment, see bench/ab.mjs).
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import { createAbTest, formatAnalysis, Tracker } from "mltrail";

const tracker = new Tracker({ experiment: "ab-toy-training" });

// "Training": two runs whose model files are stand-ins; their digests make 1.0.0 then 1.1.0.
async function release(weights: string, rationale: string): Promise<string> {
  const run = await tracker.startRun({ params: { weights } });
  await run.end();
  const contentDigest = `sha256:${createHash("sha256").update(weights).digest("hex")}`; // what run.logModel would compute
  return (await tracker.registerModel("ab-toy", { runId: run.id, contentDigest, rationale })).version;
}
const released = [await release("toy-weights-1", "baseline"), await release("toy-weights-2", "retrained with more data")];

// The "models": deterministic functions of the input, one per version.
const MODELS: Record<string, (x: number) => number> = {
  "1.0.0": (x) => 1 / (1 + Math.exp(-(0.8 * x - 1))),
  "1.1.0": (x) => 1 / (1 + Math.exp(-(0.9 * x - 0.8))),
};

const test = await createAbTest(tracker, {
  key: process.env["AB_KEY"] ?? "ab-toy-1.1",
  variants: [
    { model: "ab-toy", ref: "1.0.0", weight: 0.5 },
    { model: "ab-toy", ref: "1.1.0", weight: 0.5 },
  ],
});
const assignOn = process.env["AB_ASSIGN"] !== "0";
const control = await tracker.getModelVersion("ab-toy", "1.0.0");

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain" : "application/json" });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 10_000) throw new Error("body too large");
  }
  return text;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  (async () => {
    if (req.method === "GET" && url.pathname === "/predict") {
      const user = url.searchParams.get("user") ?? "";
      const x = Number(url.searchParams.get("x") ?? "0");
      const a = assignOn ? test.assign(user) : { variantIndex: -1, modelVersion: control, inExperiment: false };
      const model = MODELS[a.modelVersion.version] ?? MODELS["1.0.0"];
      send(res, 200, { user, variant: a.variantIndex, version: a.modelVersion.version, inExperiment: a.inExperiment, prediction: model?.(x) });
    } else if (req.method === "POST" && url.pathname === "/outcome") {
      const body = JSON.parse(await readBody(req)) as { user?: string; metric?: string; value?: number };
      if (typeof body.user !== "string" || typeof body.value !== "number") return send(res, 400, { error: "need { user, value }" });
      send(res, 200, { variant: test.recordOutcome(body.user, body.metric ?? "converted", body.value) });
    } else if (req.method === "GET" && url.pathname === "/analysis") {
      const analysis = await test.analyze({ metric: url.searchParams.get("metric") ?? "converted" });
      send(res, 200, url.searchParams.get("format") === "text" ? formatAnalysis(analysis) : analysis);
    } else send(res, 404, { error: "not found" });
  })().catch((err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }));
});

server.listen(Number(process.env["PORT"] ?? 3000), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  console.log(`ab-toy ${released.join(", ")} released; test "${test.key}" run ${test.run.id}`);
  console.log(`listening http://127.0.0.1:${port}`);
});

async function shutdown(): Promise<void> {
  server.close();
  await test.close();
  await tracker.close();
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
