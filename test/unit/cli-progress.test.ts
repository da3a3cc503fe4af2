/**
 * CLI progress: rate and ETA from the progress so far; a bar on a terminal, lines at each
 * quarter (or every 5 s) and a summary otherwise. A fake clock and stream make it exact.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { duration } from "../../src/cli/format.js";
import { progress } from "../../src/cli/progress.js";

function capture(tty: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 120 });
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

describe("progress", () => {
  it("plain lines: one per quarter passed, with rate and ETA, then a summary", () => {
    let t = 0;
    const out = capture(false);
    const p = progress("download", "bytes", { stream: out.stream, now: () => t });
    for (const [at, done] of [
      [1000, 100 * 1024],
      [2000, 300 * 1024], // passes 25%: 300 KB in 2 s → 150 KB/s, 724 KB left → 4.8 s
      [3000, 400 * 1024],
      [4000, 800 * 1024], // passes 50% and 75% at once: one line
    ] as const) {
      t = at;
      p.update(done, 1024 * 1024);
    }
    t = 5000;
    p.update(1024 * 1024, 1024 * 1024);
    p.stop();
    p.stop();
    expect(out.text().split("\n")).toEqual([
      "download: 300.0 KB of 1.0 MB (29%), 150.0 KB/s, ETA 5s",
      "download: 800.0 KB of 1.0 MB (78%), 200.0 KB/s, ETA 1s",
      "download: 1.0 MB in 5s (204.8 KB/s)",
      "",
    ]);
  });

  it("plain lines without a total come every 5 s", () => {
    let t = 0;
    const out = capture(false);
    const p = progress("sync", "records", { stream: out.stream, now: () => t });
    for (let at = 1000; at <= 11_000; at += 1000) {
      t = at;
      p.update(at / 10, undefined, "2 run(s)");
    }
    p.stop();
    expect(out.text()).toBe(
      [
        "sync: 500 records | 2 run(s), 100 records/s, ETA -",
        "sync: 1000 records | 2 run(s), 100 records/s, ETA -",
        "sync: 1100 records in 11s (100 records/s) | 2 run(s)",
        "",
      ].join("\n"),
    );
  });

  it("a terminal gets a bar with the rate and the ETA", () => {
    let t = 0;
    const out = capture(true);
    const p = progress("download", "bytes", { stream: out.stream, now: () => t });
    t = 2000;
    p.update(512 * 1024, 1024 * 1024);
    p.stop();
    expect(out.text()).toMatch(/download \[=+-+\] 50% \| 512.0 KB of 1\.0 MB \| 256\.0 KB\/s \| ETA 2s/);
  });

  it("nothing at all when nothing was reported", () => {
    const out = capture(false);
    progress("download", "bytes", { stream: out.stream }).stop();
    expect(out.text()).toBe("");
  });

  it("durations read like people write them", () => {
    expect([duration(850), duration(42_000), duration(185_000), duration(7_620_000), duration(273_600_000), duration(undefined), duration(-1)]).toEqual([
      "850ms",
      "42s",
      "3m05s",
      "2h07m",
      "3d04h",
      "-",
      "-",
    ]);
  });
});
