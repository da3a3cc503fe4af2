/**
 * Process hooks shared by all trackers: on an uncaught exception open runs end FAILED; on
 * SIGINT/SIGTERM they end KILLED, a bounded flush runs, and the signal is re-raised when no
 * other handler is installed; when the event loop empties, trackers get one bounded chance to
 * end open runs and send what the server has not acknowledged; on exit the logs are flushed
 * synchronously. Installed while at
 * least one tracker with `handleExit` is open; removed when the last one closes.
 */

/** What a tracker does at each process event. */
export interface ExitParticipant {
  /** Synchronously ends open runs with `status` and flushes their logs. */
  endAllSync(status: "FAILED" | "KILLED" | "FINISHED"): void;
  /** Best-effort async flush (replication), bounded by the caller. */
  flushForExit(timeoutMs: number): Promise<void>;
  /** Upper bound for the flush on signals. */
  readonly exitFlushTimeoutMs: number;
  /**
   * When the event loop empties (a natural exit): async work still worth doing, such as
   * ending open runs and sending what the server has not acknowledged. Undefined when none.
   */
  beforeExit?(): Promise<void> | undefined;
}

const participants = new Set<ExitParticipant>();
let installed = false;

const onUncaught = (): void => {
  for (const p of participants) safe(() => p.endAllSync("FAILED"));
};

const onExit = (code: number): void => {
  for (const p of participants) safe(() => p.endAllSync(code === 0 ? "FINISHED" : "FAILED"));
};

let beforeExitBusy = false;

/** A natural exit: give trackers one bounded chance to finish runs and reach the server. */
const onBeforeExit = (): void => {
  if (beforeExitBusy) return;
  const work = [...participants].map((p) => p.beforeExit?.()).filter((w): w is Promise<void> => w !== undefined);
  if (work.length === 0) return;
  beforeExitBusy = true;
  // The work keeps the loop alive; when it settles, beforeExit fires again and finds nothing.
  void Promise.allSettled(work).finally(() => {
    beforeExitBusy = false;
  });
};

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // An exit path must not throw; the log keeps what was written.
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Count the user's own handlers now: ending the runs below unregisters the last tracker,
  // which removes this hook, so a later count would miss it and re-raise into the user's handler.
  const userHandlers = process.listenerCount(signal) - 1;
  const list = [...participants];
  for (const p of list) safe(() => p.endAllSync("KILLED"));
  const timeout = Math.max(0, ...list.map((p) => p.exitFlushTimeoutMs));
  const flushes = Promise.allSettled(list.map((p) => p.flushForExit(timeout)));
  // Not unref()ed: the bounded flush must finish (or time out) before the signal is re-raised.
  const timer = new Promise((resolve) => setTimeout(resolve, timeout));
  void Promise.race([flushes, timer]).then(() => {
    // Re-raise with the default action unless the user handles this signal themselves.
    if (userHandlers <= 0) {
      uninstall();
      process.kill(process.pid, signal);
    }
  });
}

const onSigint = (): void => onSignal("SIGINT");
const onSigterm = (): void => onSignal("SIGTERM");

function install(): void {
  if (installed) return;
  installed = true;
  process.on("uncaughtExceptionMonitor", onUncaught);
  process.on("exit", onExit);
  process.on("beforeExit", onBeforeExit);
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off("uncaughtExceptionMonitor", onUncaught);
  process.off("exit", onExit);
  process.off("beforeExit", onBeforeExit);
  process.off("SIGINT", onSigint);
  process.off("SIGTERM", onSigterm);
}

/** Registers a tracker for the process hooks (installing them on first use). */
export function registerExitParticipant(p: ExitParticipant): void {
  participants.add(p);
  install();
}

/** Unregisters a tracker; the hooks go away with the last one. */
export function unregisterExitParticipant(p: ExitParticipant): void {
  participants.delete(p);
  if (participants.size === 0) uninstall();
}
