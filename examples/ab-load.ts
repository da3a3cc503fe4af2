/**
 * Drives examples/ab-inference.ts with a bounded load on loopback and prints the analysis.
 *
 *   npx tsx examples/ab-load.ts [--url http://127.0.0.1:3000] [--requests 4000] [--concurrency 16]
 *
 * Each request is a user (ids repeat: users = requests / 2) asking for a prediction; the
 * simulated user "converts" with a probability that depends on the version served (10 % for
 * 1.0.0, 14 % for 1.1.0), decided by a deterministic hash of the user id, at most once per user.
 */
const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const base = new URL(arg("url", "http://127.0.0.1:3000"));
if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) throw new Error(`refusing to load a non-loopback host: ${base.hostname}`);
const requests = Math.min(100_000, Math.max(1, Number(arg("requests", "4000"))));
const concurrency = Math.min(64, Math.max(1, Number(arg("concurrency", "16"))));
const users = Math.max(1, Math.floor(requests / 2));
const RATES: Record<string, number> = { "1.0.0": 0.1, "1.1.0": 0.14 };

/** Deterministic uniform in [0, 1) from a string (FNV-1a). */
function u01(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

const converted = new Set<string>();
let next = 0;
let failures = 0;
const started = performance.now();
async function worker(): Promise<void> {
  for (let i = next++; i < requests; i = next++) {
    const user = `user-${i % users}`;
    const res = await fetch(new URL(`/predict?user=${user}&x=${(i % 7) - 3}`, base));
    if (!res.ok) {
      failures++;
      continue;
    }
    const body = (await res.json()) as { version: string; inExperiment: boolean };
    if (body.inExperiment && !converted.has(user) && u01(`convert:${user}`) < (RATES[body.version] ?? 0)) {
      converted.add(user);
      const out = await fetch(new URL("/outcome", base), { method: "POST", body: JSON.stringify({ user, metric: "converted", value: 1 }) });
      if (!out.ok) failures++;
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const seconds = (performance.now() - started) / 1000;
console.log(
  `sent ${requests} requests for ${users} users in ${seconds.toFixed(2)} s (${Math.round(requests / seconds)} req/s), ${converted.size} conversions, ${failures} failures`,
);
const analysis = await fetch(new URL("/analysis?metric=converted&format=text", base));
console.log(await analysis.text());
if (failures > 0) process.exitCode = 1;
