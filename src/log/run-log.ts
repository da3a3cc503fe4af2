/**
 * RunLog: one run's journal plus its writer lock. Opening takes the lock (or fails with
 * ConflictError when a live process holds it), recovers a torn tail, and reports corrupt
 * lines. Closing flushes, fsyncs and releases the lock.
 */
import { acquireLock, releaseLockSync, type LockOwner } from "./lock.js";
import { isDiskFull, storageError } from "./fs-errors.js";
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
    let log: RunLog | undefined;
    // A close that failed on a full disk completes once the records are written: unlock then.
    const onLateClose = (): void => {
      opts.onLateClose?.();
      if (log !== undefined && !log.keepLock) releaseLockSync(lockFile);
    };
    try {
      const { writer, recovery } = await JournalWriter.open(journalDir, { ...opts, onLateClose });
      log = new RunLog(writer, recovery, tookOver, lockFile);
      return log;
    } catch (err) {
      releaseLockSync(lockFile);
      throw storageError(err, `cannot open the run log of ${what}`, journalDir);
    }
  }

  /** Set by {@link closeKeepLock}: the lock outlives the journal's close. */
  private keepLock = false;

  /**
   * Flushes, closes and unlocks. On a full disk it rejects with StorageFullError and keeps
   * the lock while the records wait in memory; both are released once they are written.
   */
  async close(): Promise<void> {
    try {
      await this.writer.close();
    } catch (err) {
      if (!isDiskFull(err)) releaseLockSync(this.lockFile);
      throw err;
    }
    releaseLockSync(this.lockFile);
  }

  /** Flushes and closes the journal but keeps the lock (replication still reads the run). */
  async closeKeepLock(): Promise<void> {
    this.keepLock = true;
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
