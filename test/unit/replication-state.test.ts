/**
 * replication.json is checked when read: a damaged file or entry never stops replication and
 * never makes it trust a position it cannot know; it starts over from the first record with a
 * runKey lookup before creating the run (idempotent), and valid entries of other servers stay.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPLICATION_FILE, ReplicationState } from "../../src/remote/replication-state.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mltrail-repl-state-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const SERVER = "http://127.0.0.1:5000";
const OTHER = "http://mlflow.example:5000";

describe("ReplicationState.load", () => {
  it("round-trips a saved state", async () => {
    const s = await ReplicationState.load(dir, SERVER);
    expect(s.bound).toBe(false);
    Object.assign(s.state, { remoteRunId: "abc", ackedSeq: 42, ended: true });
    await s.save();
    const again = await ReplicationState.load(dir, SERVER);
    expect(again.bound).toBe(true);
    expect(again.state).toMatchObject({ remoteRunId: "abc", ackedSeq: 42, ended: true, done: false });
  });

  it.each([
    ["empty", ""],
    ["garbage", "{not json"],
    ["a number", "7"],
  ])("a state file that is %s starts over safely: from record 0, looking the run up first", async (_name, text) => {
    fs.writeFileSync(path.join(dir, REPLICATION_FILE), text);
    const s = await ReplicationState.load(dir, SERVER);
    expect(s.state).toMatchObject({ ackedSeq: 0, done: false, createAttempted: true });
    expect(s.state.remoteRunId).toBeUndefined();
  });

  it("a damaged entry starts over; a valid entry of another server is kept", async () => {
    const doc = {
      format: "mltrail-replication",
      version: 1,
      targets: {
        [SERVER]: { ackedSeq: "12", rejected: 0, done: "yes" },
        [OTHER]: { remoteRunId: "r9", ackedSeq: 9, rejected: 1, done: true },
      },
    };
    fs.writeFileSync(path.join(dir, REPLICATION_FILE), JSON.stringify(doc));
    const damaged = await ReplicationState.load(dir, SERVER);
    expect(damaged.state).toMatchObject({ ackedSeq: 0, done: false, createAttempted: true });
    await damaged.save();
    const other = await ReplicationState.load(dir, OTHER);
    expect(other.state).toMatchObject({ remoteRunId: "r9", ackedSeq: 9, rejected: 1, done: true });
  });
});
