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

  /** Resolves at the next release or {@link wake}, or after `recheckMs` at the latest. */
  changed(recheckMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, recheckMs);
      timer.unref();
      this.waiters.add(done);
    });
  }

  /** Ends every wait (a slot was released, or the replicator stops). */
  wake(): void {
    for (const done of [...this.waiters]) done();
  }
}
