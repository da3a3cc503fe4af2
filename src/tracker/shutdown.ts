/** `tracker.flush()` and `tracker.close()`: the disk, then replication, then pending stage changes. */
import { unregisterExitParticipant } from "../internal/exit-hooks.js";
import { checkOptions } from "../model/args.js";
import { seriesBuildsSettled } from "../store/series/background.js";
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
  const started = Date.now();
  if (!session.closed) {
    await Promise.all([...session.runs.open.values()].map((e) => e.run.end()));
    await session.corePromise?.catch(() => undefined);
    await session.draining;
    await session.flushReplication(timeoutMs);
    await sendLifecycle(session);
    // Point files of long runs are built in worker threads (store/series/background.ts):
    // nothing may still write into the store once close() resolves. They get what is left of
    // `timeoutMs` (they ran meanwhile); any still running then is stopped, as at an exit.
    const core = await session.corePromise?.catch(() => undefined);
    if (core !== undefined) await seriesBuildsSettled(core.store.layout.root, timeoutMs - (Date.now() - started));
    session.warnPending();
    session.closed = true;
    session.remote?.replicator.close();
    session.fanOut?.close();
    session.backend?.close();
    unregisterExitParticipant(session.exitParticipant);
  }
  return result(session);
}
