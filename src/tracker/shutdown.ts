/** `tracker.flush()` and `tracker.close()`: the disk, then replication, then pending stage changes. */
import { unregisterExitParticipant } from "../internal/exit-hooks.js";
import { checkOptions } from "../model/args.js";
import type { FlushOptions, FlushResult } from "../tracker-types.js";
import { timeoutOf } from "./checks.js";
import { sendLifecycle } from "./lifecycle-calls.js";
import type { TrackerSession } from "./session.js";

function result(session: TrackerSession): FlushResult {
  const s = session.stats();
  return { acked: s.acked, pending: s.pending, rejected: s.rejected };
}

/** See `Tracker.flush`. */
export async function flush(session: TrackerSession, options: FlushOptions): Promise<FlushResult> {
  checkOptions("options", options);
  const timeoutMs = timeoutOf(options, session.options.closeTimeoutMs);
  await Promise.all([...session.runs.open.values()].map((e) => e.log.writer.flush()));
  // The drain started by the constructor is set once the spool is open: wait for that first.
  await session.corePromise?.catch(() => undefined);
  await session.draining;
  await session.flushReplication(timeoutMs);
  await sendLifecycle(session);
  return result(session);
}

/** See `Tracker.close`. */
export async function close(session: TrackerSession, options: FlushOptions): Promise<FlushResult> {
  const timeoutMs = timeoutOf(options, session.options.closeTimeoutMs);
  if (!session.closed) {
    await Promise.all([...session.runs.open.values()].map((e) => e.run.end()));
    await session.corePromise?.catch(() => undefined);
    await session.draining;
    await session.flushReplication(timeoutMs);
    await sendLifecycle(session);
    session.warnPending();
    session.closed = true;
    session.remote?.replicator.close();
    session.fanOut?.close();
    session.backend?.close();
    unregisterExitParticipant(session.exitParticipant);
  }
  return result(session);
}
