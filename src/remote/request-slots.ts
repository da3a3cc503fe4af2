/**
 * The replication requests one replicator has in flight to its target, and a wait for a free
 * slot that the release of one ends (no polling): while a slow server holds every slot for
 * seconds, the waiting pumps cost nothing. Capacity can also grow without a release (the
 * server's adaptive limit, the health state recovering), so a wait also ends after a while.
 */

/** Requests in flight against a capacity that may change. @internal */
export class RequestSlots {
  /** Requests in flight now. */
  inFlight = 0;
  private readonly waiters = new Set<() => void>();
  /** The one recheck timer of the waits, and when it fires. */
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  /** True while a wait that keeps the process running is pending. */
  private keepAlive = false;

  /** @param capacity - how many may be in flight now (read at each check). */
  constructor(private readonly capacity: () => number) {}

  /** True when no other request may start now. */
  get full(): boolean {
    return this.inFlight >= this.capacity();
  }

  /** Takes a slot if one is free. */
  tryTake(): boolean {
    if (this.full) return false;
    this.inFlight++;
    return true;
  }

  /** Takes a slot (the caller checked {@link full}). */
  take(): void {
    this.inFlight++;
  }

  /** Gives a slot back and ends every wait. */
  release(): void {
    this.inFlight--;
    this.wake();
  }

  /**
   * Resolves at the next release or {@link wake}, or after `recheckMs` at the latest. The waits
   * share one timer (many pumps and a flush wait at once; each release ends them all). With
   * `keepAlive` the wait keeps the process running (a `flush` someone awaits), otherwise it
   * does not (a pump in the background).
   */
  changed(recheckMs: number, keepAlive = false): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.add(resolve);
      this.keepAlive ||= keepAlive;
      const due = Date.now() + recheckMs;
      if (this.timer === undefined || due < this.timerDue) {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timerDue = due;
        this.timer = setTimeout(() => this.wake(), recheckMs);
      }
      if (this.keepAlive) this.timer.ref();
      else this.timer.unref();
    });
  }

  /** Ends every wait (a slot was released, or the replicator stops). */
  wake(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.keepAlive = false;
    if (this.waiters.size === 0) return;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiters) resolve();
  }
}
