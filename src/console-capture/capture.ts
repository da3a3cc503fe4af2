/**
 * A run's console capture: what the process writes to stdout and stderr while the run is
 * open, secrets masked line by line (the rules of `mltrail.argv`), stored as artifacts under
 * `console/`. Output is cut into parts of about 1 MiB (a quarter of `maxBytes` when that is
 * smaller), written as each fills up:
 * `console/output.log`, then `console/output.1.log`, `console/output.2.log`, …; at most
 * `maxBytes` are stored per run, and past that the bytes are only counted (one closing line
 * says how many). The last part is written synchronously when the run ends, by `end()` or by
 * the process exit hooks (a signal, an uncaught error, the exit), which also restore the
 * streams; an uncaught error's stack is stored too (`Uncaught Error: …`). A SIGKILL loses the
 * part not yet written.
 *
 * @packageDocumentation
 */
import { type ArtifactContext, logData, logDataSync } from "../artifacts/run-artifacts.js";
import { maskText } from "../capture/masking.js";
import { listen, type StreamName } from "./intercept.js";

/** Default bound of the stored output per run: 10 MiB. */
export const DEFAULT_CONSOLE_MAX_BYTES = 10 * 1024 * 1024;

/** Largest stored part: 1 MiB (a quarter of `maxBytes` when that is smaller, at least 1 KiB). */
export const CONSOLE_PART_BYTES = 1024 * 1024;

/** The artifact path of part `n` (0-based). */
export function consolePartPath(n: number): string {
  return n === 0 ? "console/output.log" : `console/output.${n}.log`;
}

/** Captures the console for one run from construction until `stop()`. */
export class ConsoleCapture {
  private readonly unlisten: () => void;
  private readonly partBytes: number;
  /** Unfinished last line of each stream (masking needs whole lines). */
  private readonly partial: Record<StreamName, string> = { stdout: "", stderr: "" };
  private current = "";
  private currentBytes = 0;
  private part = 0;
  private stored = 0;
  private dropped = 0;
  /** Parts written in the background and not yet recorded: rewritten synchronously at stop. */
  private readonly inFlight = new Map<string, string>();
  private stopped = false;

  constructor(
    private readonly ctx: ArtifactContext,
    private readonly maxBytes: number = DEFAULT_CONSOLE_MAX_BYTES,
  ) {
    this.partBytes = Math.min(CONSOLE_PART_BYTES, Math.max(1024, Math.floor(maxBytes / 4)));
    this.unlisten = listen((stream, text) => this.take(stream, text));
    // Node prints an uncaught error only after the exit hooks have ended the run: keep its stack
    // here first (prepended, so it runs before the hook that ends the run).
    process.prependListener("uncaughtExceptionMonitor", this.onUncaught);
  }

  private readonly onUncaught = (error: unknown): void => {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    this.take("stderr", `Uncaught ${text}\n`);
  };

  private take(stream: StreamName, text: string): void {
    const lines = (this.partial[stream] + text).split("\n");
    let rest = lines.pop() ?? "";
    // A line longer than a part is cut (a progress bar redrawn with \r never ends with \n).
    while (rest.length > this.partBytes) {
      lines.push(rest.slice(0, this.partBytes));
      rest = rest.slice(this.partBytes);
    }
    this.partial[stream] = rest;
    for (const line of lines) this.add(`${maskText(line)}\n`);
  }

  private add(line: string): void {
    const bytes = Buffer.byteLength(line, "utf8");
    if (this.stored + bytes > this.maxBytes) {
      this.dropped += bytes;
      return;
    }
    this.stored += bytes;
    this.current += line;
    this.currentBytes += bytes;
    if (this.currentBytes >= this.partBytes) this.seal();
  }

  /** Writes the current part in the background and starts the next one. */
  private seal(): void {
    const rel = consolePartPath(this.part++);
    const text = this.current;
    this.current = "";
    this.currentBytes = 0;
    this.inFlight.set(rel, text);
    logData(this.ctx, text, rel).then(
      () => this.inFlight.get(rel) === text && this.inFlight.delete(rel),
      () => undefined, // the run ended first: stop() wrote it synchronously
    );
  }

  /** Restores the streams and writes what is not stored yet; synchronous, idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unlisten();
    process.off("uncaughtExceptionMonitor", this.onUncaught);
    for (const stream of ["stdout", "stderr"] as const) if (this.partial[stream] !== "") this.add(`${maskText(this.partial[stream])}\n`);
    if (this.dropped > 0) {
      this.current += `[mltrail] console capture stopped storing at maxBytes (${this.maxBytes}); ${this.dropped} more bytes were printed and not stored\n`;
    }
    const parts = [...this.inFlight];
    if (this.current !== "") parts.push([consolePartPath(this.part), this.current]);
    for (const [rel, text] of parts) logDataSync(this.ctx, text, rel);
    this.inFlight.clear();
  }
}
