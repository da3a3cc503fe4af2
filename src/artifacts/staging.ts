/**
 * Copying artifact files into a run's `artifacts/` folder: streamed (bounded memory for
 * multi-GB files), hashed (sha256) on the way, written to a temp name and renamed into place,
 * so a crash never leaves a half-copied artifact under its real name.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/** sha256 and size of a staged file. */
export interface StagedFile {
  readonly sha256: string;
  readonly size: number;
}

function target(root: string, relPath: string): string {
  return path.join(root, ...relPath.split("/"));
}

async function place(tmp: string, dest: string): Promise<void> {
  const handle = await fsp.open(tmp, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, dest);
}

/**
 * A pass-through stream that hashes (sha256) and counts what flows through it.
 * @example `const tap = hashingTap(); await pipeline(src, tap.stream, sink); tap.result()`
 */
export function hashingTap(onBytes?: (size: number) => void): { stream: Transform; result(): StagedFile } {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      onBytes?.(size);
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest("hex"), size }) };
}

/** Copies `src` to `<root>/<relPath>`, returning its sha256 and size. */
export async function stageFile(src: string, root: string, relPath: string): Promise<StagedFile> {
  const dest = target(root, relPath);
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.partial`;
  const tap = hashingTap();
  try {
    await pipeline(createReadStream(src, { highWaterMark: 1024 * 1024 }), tap.stream, createWriteStream(tmp));
    await place(tmp, dest);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  return tap.result();
}

/** Writes `data` to `<root>/<relPath>`, returning its sha256 and size. */
export async function stageData(data: string | Uint8Array, root: string, relPath: string): Promise<StagedFile> {
  const dest = target(root, relPath);
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  const tmp = `${dest}.${process.pid}.partial`;
  await fsp.writeFile(tmp, bytes);
  await place(tmp, dest);
  return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}
