/**
 * The pair check (src/remote/worker-spread.ts): pipelined log-batches answered about twice as
 * slowly per record as a lone one ask for a new connection, once; answers from before it do not
 * count; a one-worker server stops the check after a few new connections that did not help.
 */
import { describe, expect, it } from "vitest";
import { MAX_FUTILE, MIN_RECORDS, WINDOW, WorkerSpread } from "../../src/remote/worker-spread.js";

/** `count` pair answers of `ms` for 1000 records each, under the current generation. */
function pairs(spread: WorkerSpread, ms: number, count = WINDOW): void {
  for (let i = 0; i < count; i++) spread.answered(spread.generation, ms, 1000, 2, 2);
}

describe("WorkerSpread", () => {
  it("asks for one new connection when pairs take turns in one worker", () => {
    const spread = new WorkerSpread();
    spread.answered(spread.generation, 150, 1000, 1, 1);
    spread.answered(spread.generation, 118, 1000, 1, 1); // the fastest lone answer: 0.118 ms a record
    pairs(spread, 230, WINDOW - 1);
    expect(spread.takeNewConnection()).toBe(false); // not a full window yet
    pairs(spread, 230, 1);
    expect(spread.takeNewConnection()).toBe(true);
    expect(spread.takeNewConnection()).toBe(false); // once
  });

  it("leaves pairs on two workers alone, spikes included", () => {
    const spread = new WorkerSpread();
    spread.answered(spread.generation, 115, 1000, 1, 1);
    for (let round = 0; round < 10; round++) {
      spread.answered(spread.generation, 110, 1000, 2, 2);
      spread.answered(spread.generation, 260, 1000, 2, 2); // a slow answer now and then (a checkpoint)
      pairs(spread, 120, 2);
      expect(spread.takeNewConnection()).toBe(false);
    }
    expect(spread.checking).toBe(true);
  });

  it("compares per record, and ignores small batches, mixed overlaps and more than two in flight", () => {
    const spread = new WorkerSpread();
    spread.answered(spread.generation, 60, 500, 1, 1); // 0.12 ms a record
    for (let i = 0; i < 8; i++) spread.answered(spread.generation, 220, 2000, 2, 2); // 0.11: two workers
    for (let i = 0; i < 8; i++) spread.answered(spread.generation, 200, MIN_RECORDS - 1, 2, 2);
    for (let i = 0; i < 8; i++) spread.answered(spread.generation, 400, 1000, 2, 1);
    for (let i = 0; i < 8; i++) spread.answered(spread.generation, 400, 1000, 3, 3);
    expect(spread.takeNewConnection()).toBe(false);
  });

  it("needs a lone answer to compare with", () => {
    const spread = new WorkerSpread();
    pairs(spread, 400, 3 * WINDOW);
    expect(spread.takeNewConnection()).toBe(false);
  });

  it("does not count answers of requests sent before the new connection", () => {
    const spread = new WorkerSpread();
    spread.answered(spread.generation, 100, 1000, 1, 1);
    const before = spread.generation;
    pairs(spread, 200);
    expect(spread.takeNewConnection()).toBe(true);
    // Late answers on the old connections, then pairs on two workers.
    for (let i = 0; i < 3 * WINDOW; i++) spread.answered(before, 200, 1000, 2, 2);
    pairs(spread, 105);
    expect(spread.takeNewConnection()).toBe(false);
  });

  it("stops after new connections in a row that found no second worker (a one-worker server), and a good pairing resets the count", () => {
    const spread = new WorkerSpread();
    spread.answered(spread.generation, 100, 1000, 1, 1);
    pairs(spread, 200);
    expect(spread.takeNewConnection()).toBe(true);
    pairs(spread, 100); // the new connection found another worker
    for (let i = 0; i < MAX_FUTILE; i++) {
      pairs(spread, 200);
      expect(spread.takeNewConnection()).toBe(true);
    }
    expect(spread.checking).toBe(true);
    pairs(spread, 200); // the last new connection did not help either
    expect(spread.checking).toBe(false);
    pairs(spread, 200, 3 * WINDOW);
    expect(spread.takeNewConnection()).toBe(false);
  });
});
