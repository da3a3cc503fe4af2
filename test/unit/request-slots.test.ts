/**
 * The replicator's request slots: a pump waiting for a slot is woken by the release of one
 * (not by a poll), by wake() when the replicator stops, and looks at the capacity again after
 * the recheck delay (the server's limit can grow without a release).
 */
import { describe, expect, it } from "vitest";
import { RequestSlots } from "../../src/remote/request-slots.js";

describe("RequestSlots", () => {
  it("takes slots up to the capacity and no further", () => {
    const slots = new RequestSlots(() => 2);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(true);
    expect(slots.full).toBe(true);
    expect(slots.tryTake()).toBe(false);
    expect(slots.inFlight).toBe(2);
    slots.release();
    expect(slots.full).toBe(false);
  });

  it("ends a wait at the release of a slot, long before the recheck delay", async () => {
    const slots = new RequestSlots(() => 1);
    slots.take();
    let woken = false;
    const wait = slots.changed(3_600_000).then(() => {
      woken = true;
    });
    await Promise.resolve();
    expect(woken).toBe(false);
    slots.release();
    await wait;
    expect(woken).toBe(true);
    expect(slots.full).toBe(false);
  });

  it("ends every wait at wake()", async () => {
    const slots = new RequestSlots(() => 0);
    const waits = [slots.changed(3_600_000), slots.changed(3_600_000)];
    slots.wake();
    await expect(Promise.all(waits)).resolves.toEqual([undefined, undefined]);
  });

  it("ends a wait after the recheck delay when the capacity grew without a release", async () => {
    let capacity = 1;
    const slots = new RequestSlots(() => capacity);
    slots.take();
    expect(slots.full).toBe(true);
    capacity = 2;
    await slots.changed(10);
    expect(slots.full).toBe(false);
  });

  it("shares one timer among waits: a shorter recheck asked later still ends in time, and ends the longer wait with it", async () => {
    const slots = new RequestSlots(() => 0);
    let longEnded = false;
    const long = slots.changed(3_600_000).then(() => {
      longEnded = true;
    });
    await slots.changed(10);
    await long;
    expect(longEnded).toBe(true);
  });
});
