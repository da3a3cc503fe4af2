/**
 * Progress of downloads, syncs and exports on stderr: a bar with rate and ETA on a terminal,
 * plain lines otherwise (at each quarter and at most every 5 s, then a summary), so logs of
 * CI jobs stay readable.
 */
import { SingleBar } from "cli-progress";
import { duration, size } from "./format.js";

/** What is counted: bytes print as sizes, anything else as `N <unit>`. */
export type ProgressUnit = "bytes" | "records" | "runs";

/** A progress display. */
export interface Progress {
  /** Reports `done` of `total` (unknown total: `undefined`); `note` is shown after the counts. */
  update(done: number, total: number | undefined, note?: string): void;
  /** Ends the display; on plain output, prints the summary line (once). */
  stop(): void;
}

/** Where and how progress is shown; tests pass a fake stream and clock. */
export interface ProgressOptions {
  /** @default process.stderr */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw a bar (a terminal) or print lines. @default the stream is a TTY */
  readonly tty?: boolean;
  /** Milliseconds now. @default Date.now */
  readonly now?: () => number;
}

function amount(n: number, unit: ProgressUnit): string {
  return unit === "bytes" ? size(n) : `${n} ${unit}`;
}

/** `2.5 MB/s`, `1200 records/s`. */
function rateText(done: number, ms: number, unit: ProgressUnit): string {
  if (ms <= 0) return "-";
  const perSecond = (done * 1000) / ms;
  return unit === "bytes" ? `${size(Math.round(perSecond))}/s` : `${Math.round(perSecond)} ${unit}/s`;
}

/** Time left at the rate so far; `-` before any progress or without a total. */
function etaText(done: number, total: number | undefined, ms: number): string {
  if (total === undefined || done <= 0 || ms <= 0) return "-";
  return duration(((total - done) * ms) / done);
}

/**
 * Starts a progress display for `label` (`download`, `sync`).
 * @example
 * ```ts
 * const p = progress("download", "bytes");
 * await t.downloadArtifacts(id, "model", ".", { onProgress: (done, total) => p.update(done, total) });
 * p.stop();
 * ```
 */
export function progress(label: string, unit: ProgressUnit, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = options.tty ?? stream.isTTY === true;
  const start = now();
  let last = { done: 0, total: undefined as number | undefined, note: "" };
  let stopped = false;
  let bar: SingleBar | undefined;
  let lastLine = start;
  let quarter = 0;
  const fields = (): { amount: string; rate: string; left: string } => {
    const ms = now() - start;
    const of = last.total === undefined ? "" : ` of ${amount(last.total, unit)}`;
    return {
      amount: `${amount(last.done, unit)}${of}${last.note === "" ? "" : ` | ${last.note}`}`,
      rate: rateText(last.done, ms, unit),
      left: etaText(last.done, last.total, ms),
    };
  };
  return {
    update(done, total, note = "") {
      if (stopped) return;
      last = { done, total, note };
      if (tty) {
        const shown = total ?? done;
        if (bar === undefined) {
          bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {amount} | {rate} | ETA {left}`, stream, hideCursor: true }, undefined);
          bar.start(shown, 0, fields());
        }
        bar.setTotal(Math.max(shown, 1));
        bar.update(Math.min(done, Math.max(shown, 1)), fields());
        return;
      }
      const t = now();
      const q = total === undefined || total === 0 ? 0 : Math.floor((4 * done) / total);
      if ((q > quarter && q < 4) || t - lastLine >= 5000) {
        quarter = Math.max(quarter, q);
        lastLine = t;
        const f = fields();
        const pct = total === undefined || total === 0 ? "" : ` (${Math.floor((100 * done) / total)}%)`;
        stream.write(`${label}: ${f.amount}${pct}, ${f.rate}, ETA ${f.left}\n`);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (bar !== undefined) {
        bar.stop();
        return;
      }
      if (tty || (last.done === 0 && last.total === undefined)) return;
      const ms = now() - start;
      stream.write(`${label}: ${amount(last.done, unit)} in ${duration(ms)} (${rateText(last.done, ms, unit)})${last.note === "" ? "" : ` | ${last.note}`}\n`);
    },
  };
}
