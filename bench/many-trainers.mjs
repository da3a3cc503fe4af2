// Benchmark: many training processes logging to one shared MLflow server, all in one command.
//   (1) aggregate throughput of N processes (default 16) through mltrail vs N bare log-batch
//       loops (pre-built 1000-metric bodies, node:http keep-alive, one request in flight, resent
//       on a reset, 429 or 5xx), against the same server: MLflow with 4 workers on PostgreSQL,
//       and MLflow on SQLite (1 worker); --rounds R (default 3) alternations bare, mltrail, …,
//       bare: each mltrail wave is compared with the mean of the bare waves either side (the
//       database grows with every wave and the server slows with it), and the figure is the
//       median of the R ratios, printed with all of them
//   (2) overload: 64 processes on PostgreSQL, each way; the share of 429/5xx answers and resets
//       the clients saw, and a count in PostgreSQL that every metric row landed
//   (3) one run alone: one mltrail process vs a bare loop keeping 2 log-batch requests in
//       flight for one run, on SQLite and on PostgreSQL; R alternations, ratio of the medians
// Processes: test/fixtures/trainers/trainer.mjs (values a pure function of process, run, step, key).
//
// Usage: node bench/many-trainers.mjs [--quick] [--procs 16] [--overload 64] [--steps N] [--keys K] [--rounds R] [--part sqlite|postgres|overload] [--sqlite-pool N] [--trainer-nice N]
//   --trainer-nice N: trainer processes (both kinds) run at niceness N (os.setPriority), so the
//   server and its database get the CPU first: on a 2-core machine, the nearest to a server
//   with cores of its own, where the clients' CPU takes nothing from it
//   --sqlite-pool N: MLflow's SQLite server with a database pool of N connections (pool size N/2,
//   overflow N/2) instead of its default 15; README "Sharing a server" advises 2 per request it may hold
import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, setPriority } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR, fmt, fmtInt, loadMltrail, median, parseArgs, printTable, tempDir, writeResult } from "./common.mjs";

const args = parseArgs();
const QUICK = args.quick;
const PROCS = Number(args.procs ?? 16);
const OVERLOAD = Number(args.overload ?? 64);
const RUNS = 2;
const KEYS = Number(args.keys ?? 4);
const STEPS = Number(args.steps ?? (QUICK ? 600 : 2500)); // per run: 2 runs × STEPS × KEYS metrics per process
const OVERLOAD_STEPS = Math.max(100, Math.round(STEPS / 4));
const ROUNDS = Math.max(1, Number(args.rounds ?? (QUICK ? 1 : 3)));
/** Connections of the SQLite server's database pool (undefined: MLflow's default, 5 + 10 overflow). */
const SQLITE_POOL = args["sqlite-pool"] === undefined ? undefined : Number(args["sqlite-pool"]);
if (SQLITE_POOL !== undefined && !(Number.isInteger(SQLITE_POOL) && SQLITE_POOL >= 2)) {
  process.stderr.write(`--sqlite-pool must be a whole number of connections, at least 2 (got ${args["sqlite-pool"]})\n`);
  process.exit(2);
}
const TRAINER_NICE = args["trainer-nice"] === undefined ? undefined : Number(args["trainer-nice"]);
if (TRAINER_NICE !== undefined && !(Number.isInteger(TRAINER_NICE) && TRAINER_NICE >= 0 && TRAINER_NICE <= 19)) {
  process.stderr.write(`--trainer-nice must be a whole number from 0 to 19 (got ${args["trainer-nice"]})\n`);
  process.exit(2);
}
const SINGLE_STEPS = Number(args["single-steps"] ?? (QUICK ? 5_000 : 25_000)); // × KEYS metrics, one run
const ROOT = path.join(BENCH_DIR, "..");
const TRAINER = path.join(ROOT, "test", "fixtures", "trainers", "trainer.mjs");
const scripts = (name) => import(pathToFileURL(path.join(ROOT, "scripts", name)).href);

await loadMltrail(); // exits with a hint when dist/ is missing
const { startMlflowServer } = await scripts("mlflow-server.mjs");
const { startPostgres, findPostgresBin, PG_USER } = await scripts("postgres-server.mjs");
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
// Ctrl-C or a kill: exit through the servers' exit hooks (they stop PostgreSQL and MLflow).
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
const spool = tempDir("many-trainers");

/**
 * Runs `procs` trainers at once; resolves with their reports and the wall time. Every process
 * first loads what it needs and says "ready" (TRAINER_BARRIER); the clock starts when all are
 * ready and they are told to go together, so Node's and mltrail's loading is not timed.
 */
/** The machine's busy and total CPU ticks so far (Linux /proc/stat); undefined elsewhere. */
function machineTicks() {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

async function wave(mode, url, experiment, procs, runs, steps, inflight = 1) {
  let started = 0;
  let readyCount = 0;
  let go;
  const allReady = new Promise((resolve) => {
    go = resolve;
  });
  const children = Array.from({ length: procs }, (_, proc) => {
    const argv = [
      TRAINER,
      mode,
      url,
      path.join(spool.dir, `${experiment}-${proc}`),
      experiment,
      String(proc),
      String(runs),
      String(steps),
      String(KEYS),
      String(inflight),
    ];
    const child = spawn(process.execPath, argv, { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, TRAINER_BARRIER: "1" } });
    if (TRAINER_NICE !== undefined && child.pid !== undefined) setPriority(child.pid, TRAINER_NICE);
    let out = "";
    let ready = false;
    const report = new Promise((resolve, reject) => {
      child.stdout.on("data", (d) => {
        out += d;
        if (!ready && out.startsWith("ready\n")) {
          ready = true;
          if (++readyCount === procs) go();
        }
      });
      child.on("exit", (code) =>
        code === 0 && out.trim().split("\n").pop().startsWith("{")
          ? resolve(JSON.parse(out.trim().split("\n").pop()))
          : reject(new Error(`${mode} trainer ${proc} exited ${code} without its report; its output: ${JSON.stringify(out.slice(-500))}`)),
      );
    });
    return { child, report };
  });
  await allReady;
  started = performance.now();
  const ticks = machineTicks();
  for (const { child } of children) child.stdin.end("go\n");
  const reports = await Promise.all(children.map((c) => c.report));
  const ms = performance.now() - started;
  const ticksAfter = machineTicks();
  // How busy the whole machine was (server, database and trainers): below 100% the server was waiting, not short of CPU.
  const machineBusy = ticks === undefined || ticksAfter === undefined ? Number.NaN : (ticksAfter.busy - ticks.busy) / (ticksAfter.total - ticks.total);
  const metrics = reports.reduce((n, r) => n + r.metrics, 0);
  const answers = reports.reduce((n, r) => n + Object.values(r.statuses).reduce((a, b) => a + b, 0), 0);
  // Every answer that is not a 2xx: 429, 5xx, and MLflow's 400 for a database connection pool that ran dry under load.
  const errors = reports.reduce((n, r) => n + (r.statuses["5xx"] ?? 0) + (r.statuses["429"] ?? 0) + (r.statuses["4xx"] ?? 0), 0);
  const resets = reports.reduce((n, r) => n + r.resets, 0);
  const pending = reports.reduce((n, r) => n + r.pending, 0);
  const slowest = Math.max(...reports.map((r) => r.ms));
  const fastest = Math.min(...reports.map((r) => r.ms));
  const cpuMs = reports.reduce((n, r) => n + r.cpuMs, 0);
  // What the slowest trainer's tracker reported (errors, state changes), and when its own logging ended.
  const slowestReport = reports.find((r) => r.ms === slowest);
  if (slowestReport?.events?.length > 0 || (slowestReport?.loggedMs !== undefined && slowest > 1.25 * median(reports.map((r) => r.ms))))
    log(
      `${mode} slowest trainer ${slowestReport.proc}: ${Math.round(slowest)} ms (its logging done at ${Math.round(slowestReport.loggedMs ?? 0)} ms); ` +
        `its tracker reported: ${slowestReport.events?.length > 0 ? slowestReport.events.join(" | ") : "nothing"}`,
    );
  return {
    mode,
    procs,
    metrics,
    ms,
    rate: metrics / (ms / 1000),
    answers,
    errors,
    errorRate: answers === 0 ? 0 : errors / answers,
    resets,
    pending,
    fairness: fastest / slowest,
    fastestMs: fastest,
    slowestMs: slowest,
    // The trainers' CPU time while logging, and the share of the machine's cores it took from the server.
    cpuMs,
    cpuShare: cpuMs / (ms * availableParallelism()),
    machineBusy,
  };
}

async function createExperiment(url, name) {
  const res = await fetch(`${url}/api/2.0/mlflow/experiments/create`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`experiments/create: HTTP ${res.status}`);
  return (await res.json()).experiment_id;
}

/** Index of the median of `values` (the lower of the two middle ones for an even count). */
const medianIndex = (values) => values.indexOf([...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]);

/**
 * Compares mltrail with bare loops on one server: `rounds` alternations bare, mltrail, …, bare.
 * Each mltrail wave against the mean of the bare waves either side; the median of those ratios.
 */
async function compare(label, url, procs, steps, rounds = ROUNDS) {
  const runWave = async (mode, tag) => {
    const exp = `${label}-${mode}-${tag}-${Date.now()}`;
    await createExperiment(url, exp);
    const w = await wave(mode, url, exp, procs, RUNS, steps);
    log(
      `${label} ${mode} ×${procs}: ${fmtInt(w.rate)} metrics/s (${fmt(w.errorRate * 100, 2)}% 4xx/5xx, ${w.resets} resets; processes took ${fmt(w.fastestMs / 1000, 1)}–${fmt(w.slowestMs / 1000, 1)} s of ${fmt(w.ms / 1000, 1)} s; their CPU ${fmt(w.cpuMs / 1000, 1)} s, ${fmt(w.cpuShare * 100, 0)}% of the machine; the machine ${fmt(w.machineBusy * 100, 0)}% busy)`,
    );
    return { ...w, experiment: exp };
  };
  const bares = [await runWave("bare", "a0")];
  const mltrails = [];
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    mltrails.push(await runWave("mltrail", `b${r}`));
    bares.push(await runWave("bare", `a${r + 1}`));
    ratios.push(mltrails[r].rate / ((bares[r].rate + bares[r + 1].rate) / 2));
  }
  if (rounds > 1) log(`${label} mltrail/bare per round: ${ratios.map((x) => `${fmt(x)}×`).join(", ")}; median ${fmt(median(ratios))}×`);
  // The table shows the first and last bare waves and the mltrail wave of the median round.
  return { label, procs, bares, mltrails, ratios, bare1: bares[0], mltrail: mltrails[medianIndex(ratios)], bare2: bares[rounds], ratio: median(ratios) };
}

/** Metric rows PostgreSQL holds for an experiment (the ground truth of "every record landed"). */
function pgCount(db, experiment) {
  const sql = `SELECT count(*) FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid JOIN experiments e ON e.experiment_id = r.experiment_id WHERE e.name = '${experiment}'`;
  const psql = path.join(findPostgresBin(), "psql");
  return Number(execFileSync(psql, ["-h", "127.0.0.1", "-p", String(db.port), "-U", PG_USER, "-d", "mlflow", "-Atc", sql], { encoding: "utf8" }).trim());
}

async function single(label, url) {
  const expB = `${label}-single-bare-${Date.now()}`;
  const expM = `${label}-single-mltrail-${Date.now()}`;
  await createExperiment(url, expB);
  await createExperiment(url, expM);
  // A single run's rate is bimodal on PostgreSQL for bare loops and mltrail alike: alternate
  // and compare the medians.
  const bares = [];
  const mltrails = [];
  for (let r = 0; r < ROUNDS; r++) {
    bares.push(await wave("bare", url, expB, 1, 1, SINGLE_STEPS, 2));
    mltrails.push(await wave("mltrail", url, expM, 1, 1, SINGLE_STEPS));
  }
  const rates = (ws) => ws.map((w) => w.rate);
  // The table shows the waves at the median; the ratio is of the medians.
  const bare = bares[medianIndex(rates(bares))];
  const mltrail = mltrails[medianIndex(rates(mltrails))];
  const ratio = median(rates(mltrails)) / median(rates(bares));
  log(
    `${label} one run: mltrail ${rates(mltrails).map(fmtInt).join(" / ")}/s vs bare 2-in-flight ${rates(bares).map(fmtInt).join(" / ")}/s; medians ${fmtInt(median(rates(mltrails)))} vs ${fmtInt(median(rates(bares)))}`,
  );
  return { label, bare, mltrail, bares, mltrails, ratio };
}

/** `--part sqlite|postgres|overload`: only that part (SQLite, PostgreSQL with 16 and one run, or 64 on PostgreSQL); printed as JSON. */
const all = args.part === undefined;
const part = (name) => all || args.part === name;
const results = {
  procs: PROCS,
  overload: OVERLOAD,
  runs: RUNS,
  steps: STEPS,
  keys: KEYS,
  singleSteps: SINGLE_STEPS,
  sqlitePool: SQLITE_POOL ?? "default",
  trainerNice: TRAINER_NICE ?? 0,
};
try {
  // SQLite, one worker: the laptop setup.
  if (part("sqlite")) {
    const env =
      SQLITE_POOL === undefined
        ? undefined
        : { MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: String(Math.ceil(SQLITE_POOL / 2)), MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: String(Math.floor(SQLITE_POOL / 2)) };
    if (env !== undefined) log(`SQLite server's database pool: ${env.MLFLOW_SQLALCHEMYSTORE_POOL_SIZE} + ${env.MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW} overflow`);
    const sqlite = await startMlflowServer({ log, env });
    try {
      results.sqlite = await compare("sqlite", sqlite.url, PROCS, STEPS);
      results.singleSqlite = await single("sqlite", sqlite.url);
    } finally {
      await sqlite.stop();
    }
  }
  // PostgreSQL, 4 workers: the team setup.
  const db = part("postgres") || part("overload") ? await startPostgres({ log }) : undefined;
  if (db !== undefined) {
    try {
      const pg = await startMlflowServer({ backendStoreUri: await db.createDatabase("mlflow"), workers: 4, log });
      try {
        if (part("postgres")) {
          results.postgres = await compare("postgres", pg.url, PROCS, STEPS);
          results.singlePostgres = await single("postgres", pg.url);
        }
        if (part("overload")) {
          const over = await compare("overload", pg.url, OVERLOAD, OVERLOAD_STEPS, 1);
          for (const w of [over.bare1, over.mltrail, over.bare2]) w.landed = pgCount(db, w.experiment);
          results.overload = over;
        }
      } finally {
        await pg.stop();
      }
    } finally {
      await db.stop();
    }
  }
} finally {
  spool.cleanup();
}

if (!all) {
  const brief = ({ mode, rate, errorRate, resets, landed, metrics, pending, cpuMs, cpuShare, machineBusy }) => ({
    mode,
    rate,
    errorRate,
    resets,
    landed,
    metrics,
    pending,
    cpuMs,
    cpuShare,
    machineBusy,
  });
  const out = {};
  for (const [name, r] of Object.entries(results)) {
    if (typeof r !== "object") continue;
    out[name] =
      r.bare1 === undefined
        ? { ratio: r.ratio, bare: r.bares.map(brief), mltrail: r.mltrails.map(brief) }
        : { ratio: r.ratio, ratios: r.ratios, bare: r.bares.map(brief), mltrail: r.mltrails.map(brief) };
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}
const share = (w) => `${fmt(w.cpuShare * 100, 0)}%`;
const row = (c) => [
  c.label,
  c.procs,
  fmtInt(c.bare1.rate),
  fmtInt(c.mltrail.rate),
  fmtInt(c.bare2.rate),
  `${fmt(c.ratio)}×`,
  `${fmt(c.mltrail.fairness)}`,
  share(c.bare1),
  share(c.mltrail),
];
printTable(
  `${PROCS} processes × ${fmtInt(RUNS * STEPS * KEYS)} metrics, aggregate metrics/s (mltrail/bare: median of ${ROUNDS} rounds)`,
  ["server", "procs", "bare", "mltrail", "bare again", "mltrail/bare", "mltrail fastest/slowest", "bare trainers' CPU share", "mltrail trainers' CPU share"],
  [row(results.sqlite), row(results.postgres)],
);
console.log(
  `PostgreSQL 4 workers vs SQLite: bare ${fmt(results.postgres.bare1.rate / results.sqlite.bare1.rate)}×, mltrail ${fmt(results.postgres.mltrail.rate / results.sqlite.mltrail.rate)}×`,
);
const o = results.overload;
printTable(
  `Overload: ${OVERLOAD} processes × ${fmtInt(RUNS * OVERLOAD_STEPS * KEYS)} metrics on PostgreSQL (4 workers)`,
  ["client", "metrics/s", "4xx/5xx share", "resets", "rows in PostgreSQL", "rows logged"],
  [o.bare1, o.mltrail, o.bare2].map((w, i) => [
    i === 1 ? "mltrail" : i === 0 ? "bare" : "bare again",
    fmtInt(w.rate),
    `${fmt(w.errorRate * 100, 2)}%`,
    w.resets,
    fmtInt(w.landed),
    fmtInt(w.metrics),
  ]),
);
printTable(
  `One run alone (${fmtInt(SINGLE_STEPS * KEYS)} metrics): mltrail vs a bare loop with 2 log-batch requests in flight`,
  ["server", "bare ×2 in flight", "mltrail", "ratio"],
  [results.singleSqlite, results.singlePostgres].map((s) => [s.label, fmtInt(s.bare.rate), fmtInt(s.mltrail.rate), `${fmt(s.ratio)}×`]),
);
writeResult("many-trainers", results);
