/**
 * RunLog: one run's journal plus its writer lock. Opening takes the lock (or fails with
 * ConflictError when a live process holds it), recovers a torn tail, and reports corrupt
 * lines. Closing flushes, fsyncs and releases the lock.
 */
import { acquireLock, releaseLockSync, type LockOwner } from "./lock.js";
import { JournalWriter, type JournalWriterOptions, type RecoveryReport } from "./journal.js";

/** An open run log. */
export class RunLog {
  private constructor(
    readonly writer: JournalWriter,
    readonly recovery: RecoveryReport,
    /** The previous owner when its lock was stale (its process died). */
    readonly tookOver: LockOwner | undefined,
    private readonly lockFile: string,
  ) {}

  /**
   * Opens the log for writing.
   * @param what how to name the run in errors, e.g. `run "0190…"`.
   */
  static async open(journalDir: string, lockFile: string, what: string, opts: JournalWriterOptions): Promise<RunLog> {
    const { tookOver } = await acquireLock(lockFile, what);
    try {
      const { writer, recovery } = await JournalWriter.open(journalDir, opts);
      return new RunLog(writer, recovery, tookOver, lockFile);
    } catch (err) {
      releaseLockSync(lockFile);
      throw err;
    }
  }

  /** Flushes, closes and unlocks. */
  async close(): Promise<void> {
    try {
      await this.writer.close();
    } finally {
      releaseLockSync(this.lockFile);
    }
  }

  /** Flushes and closes the journal but keeps the lock (replication still reads the run). */
  async closeKeepLock(): Promise<void> {
    await this.writer.close();
  }

  /** Releases the lock (after {@link closeKeepLock}). */
  releaseLock(): void {
    releaseLockSync(this.lockFile);
  }

  /** Flushes, closes and unlocks synchronously (exit paths). */
  closeSync(): void {
    try {
      this.writer.closeSync();
    } finally {
      releaseLockSync(this.lockFile);
    }
  }
}
