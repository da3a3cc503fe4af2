/**
 * The fsyncs of one journal writer: off the main thread (timed with `"interval"`, and on
 * every flush), synchronously on exit paths, and the extra files and folders that go with
 * the journal's next fsync (a new run's folders and run.json, a new segment's folder entry),
 * all in one parallel round.
 */
import * as fs from "node:fs";
import { SpoolError } from "../errors.js";
import { fsyncPath, fsyncPathSync } from "./atomic.js";

/** What the fsyncs read from their writer. */
export interface FsyncSource {
  readonly dir: string;
  /** The current segment's file descriptor. */
  readonly fd: number;
  readonly closed: boolean;
  /** Last sequence number written to the OS. */
  readonly writtenSeq: number;
}

/** A writer's fsync state. */
export class JournalFsync {
  /** Last sequence number fsynced (survives power loss). */
  syncedSeq: number;
  /** Files and folders to fsync with the journal's next fsync. */
  private also: string[] = [];
  private syncing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: FsyncSource,
    lastSeq: number,
  ) {
    this.syncedSeq = lastSeq;
  }

  /** Fsyncs every `ms` while there is something to fsync (`"interval"`), reporting failures to `onError`. */
  every(ms: number, onError: ((error: SpoolError) => void) | undefined): void {
    this.timer = setInterval(() => {
      if (this.due) this.sync().catch((err: unknown) => onError?.(err as SpoolError));
    }, ms);
    this.timer.unref();
  }

  /** Stops the timer of {@link every} (the writer closed). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Whether an fsync has something to do. */
  get due(): boolean {
    return this.source.writtenSeq > this.syncedSeq || this.also.length > 0;
  }

  /** Adds files or folders to fsync with the journal's next fsync (and later ones until one succeeds). */
  alsoSync(paths: readonly string[]): void {
    this.also.push(...paths);
  }

  /** fsyncs what has been written, synchronously. */
  syncSync(): void {
    const { source } = this;
    if (source.closed) return;
    const target = source.writtenSeq;
    fs.fsyncSync(source.fd);
    for (const file of this.also.splice(0)) fsyncPathSync(file);
    this.syncedSeq = Math.max(this.syncedSeq, target);
  }

  /** fsyncs what has been written, off the main thread, with the extra paths in parallel. */
  async sync(): Promise<void> {
    if (this.syncing !== undefined) await this.syncing;
    const { source } = this;
    if (source.closed || !this.due) return;
    const target = source.writtenSeq;
    const fd = source.fd;
    const also = this.also.splice(0);
    const journal = new Promise<void>((resolve, reject) => {
      fs.fsync(fd, (err) => {
        // A segment rotated or closed meanwhile was fsynced synchronously before closing.
        if (err && fd === source.fd && !source.closed) {
          reject(new SpoolError(`cannot fsync the run log: ${err.message}`, { cause: err, path: source.dir }));
        } else resolve();
      });
    });
    // Folders and run.json: best effort, as every folder fsync (some platforms cannot).
    this.syncing = Promise.all([journal, ...also.map((file) => fsyncPath(file).catch(() => undefined))]).then(() => undefined);
    try {
      await this.syncing;
      this.syncedSeq = Math.max(this.syncedSeq, target);
    } catch (err) {
      this.also.push(...also);
      throw err;
    } finally {
      this.syncing = undefined;
    }
  }

  /** Resolves once no fsync is running. */
  async settled(): Promise<void> {
    if (this.syncing !== undefined) await this.syncing;
  }
}
