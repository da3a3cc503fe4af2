/**
 * One tap on `process.stdout.write` and `process.stderr.write`, shared by every capturing run
 * in the process. Output always reaches the terminal unchanged; listeners get a copy as text.
 * The tap is installed with the first listener and removed with the last: the streams' own
 * `write` property is then put back exactly as it was (an inherited `write` becomes inherited
 * again). When other code has wrapped `write` over the tap meanwhile, its wrapper is left in
 * place and the tap just passes through.
 *
 * @packageDocumentation
 */
import { StringDecoder } from "node:string_decoder";

/** Which stream a chunk was written to. */
export type StreamName = "stdout" | "stderr";

/** Receives a copy of what is written, decoded as UTF-8. */
export type ConsoleListener = (stream: StreamName, text: string) => void;

interface Tap {
  /** False once removed: a tap left in place under someone else's wrapper then only passes through. */
  active: boolean;
  readonly stream: NodeJS.WriteStream;
  readonly own: PropertyDescriptor | undefined;
  readonly wrapper: NodeJS.WriteStream["write"];
}

const listeners = new Set<ConsoleListener>();
let taps: Tap[] = [];

function textOf(decoder: StringDecoder, chunk: unknown, encoding: unknown): string {
  if (typeof chunk === "string")
    return typeof encoding === "string" && encoding !== "utf8" && encoding !== "utf-8" && Buffer.isEncoding(encoding)
      ? decoder.write(Buffer.from(chunk, encoding))
      : chunk;
  if (chunk instanceof Uint8Array) return decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return "";
}

function tap(name: StreamName, stream: NodeJS.WriteStream): Tap {
  const own = Object.getOwnPropertyDescriptor(stream, "write");
  const original = stream.write;
  const decoder = new StringDecoder("utf8");
  const self: { tap?: Tap } = {};
  const wrapper = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (self.tap?.active === true) {
      try {
        const text = textOf(decoder, chunk, rest[0]);
        if (text !== "") for (const l of listeners) l(name, text);
      } catch {
        // Capture must never break the program's own output.
      }
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as NodeJS.WriteStream["write"];
  stream.write = wrapper;
  self.tap = { active: true, stream, own, wrapper };
  return self.tap;
}

/**
 * Starts copying stdout and stderr to `listener`; returns the function that stops it (and,
 * for the last listener, restores the streams).
 * @example `const stop = listen((stream, text) => lines.push(text)); …; stop();`
 */
export function listen(listener: ConsoleListener): () => void {
  listeners.add(listener);
  if (taps.length === 0) taps = [tap("stdout", process.stdout), tap("stderr", process.stderr)];
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    for (const t of taps) {
      t.active = false;
      if (t.stream.write !== t.wrapper) continue; // wrapped again by someone else: leave theirs
      if (t.own === undefined) delete (t.stream as { write?: unknown }).write;
      else Object.defineProperty(t.stream, "write", t.own);
    }
    taps = [];
  };
}
