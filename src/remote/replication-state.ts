/**
 * Per-run replication progress, persisted next to the run's journal in `replication.json`,
 * one entry per target server. The cursor only moves forward after a 2xx; replaying from an
 * older cursor is safe because every record replays idempotently.
 */
import * as path from "node:path";
import { z } from "zod";
import { CorruptDataError } from "../errors.js";
import { readJsonFile, writeFileAtomic } from "../log/atomic.js";
import { serverKey } from "./server-uri.js";

/** Progress of one run towards one server. */
export interface TargetState {
  /** The run's id on the server, once known. */
  remoteRunId?: string;
  /** The experiment's id on the server. */
  remoteExperimentId?: string;
  /** A create-run request was sent whose outcome is unknown: look the run up before creating again. */
  createAttempted?: boolean;
  /** When that create-run request was sent (ms since the epoch): it may land until `settleMs` later. */
  createAttemptedAt?: number;
  /** Sequence number of the last record the server acknowledged (or that was rejected). */
  ackedSeq: number;
  /** Records the server rejected (kept in rejected.jsonl). */
  rejected: number;
  /** The end record was acknowledged; the end-of-run check against the server may still be due. */
  ended?: boolean;
  /** Last time (ms since the epoch) a request of this run that may still land late failed (timeout, reset, 502/504, unreadable 2xx). */
  uncertainAt?: number;
  /** The end was acknowledged and the server's copy checked: nothing more to send. */
  done: boolean;
  /** What the server was last told of the run's lifecycle stage (true: deleted); absent: never told, so active. */
  deleted?: boolean;
}

interface StateFile {
  format: "mltrail-replication";
  version: 1;
  targets: Record<string, TargetState>;
}

const seq = z.number().int().min(0);
const targetSchema = z.object({
  remoteRunId: z.string().min(1).optional(),
  remoteExperimentId: z.string().min(1).optional(),
  createAttempted: z.boolean().optional(),
  createAttemptedAt: z.number().optional(),
  ackedSeq: seq,
  rejected: seq,
  ended: z.boolean().optional(),
  uncertainAt: z.number().optional(),
  done: z.boolean(),
  deleted: z.boolean().optional(),
});

/**
 * A damaged state file or entry says nothing certain about what the server has: replication
 * starts over from the first record, and the run is looked up by its `mltrail.runKey` before
 * it is created, so nothing is duplicated (every record replays idempotently).
 */
const UNKNOWN: TargetState = { ackedSeq: 0, rejected: 0, done: false, createAttempted: true };

/** The valid entries of a parsed state file; damaged ones become {@link UNKNOWN}. */
function readTargets(raw: unknown): Record<string, TargetState> {
  const targets = typeof raw === "object" && raw !== null ? (raw as { targets?: unknown }).targets : undefined;
  const out: Record<string, TargetState> = Object.create(null) as Record<string, TargetState>;
  if (typeof targets !== "object" || targets === null) return out;
  for (const [k, v] of Object.entries(targets)) {
    const parsed = targetSchema.safeParse(v);
    // Parsed from JSON, so no key holds `undefined`: the checked shape is a TargetState.
    out[k] = parsed.success ? (parsed.data as TargetState) : { ...UNKNOWN };
  }
  return out;
}

/** File name of the replication state in a run folder. */
export const REPLICATION_FILE = "replication.json";
/** File name of the rejected records in a run folder. */
export const REJECTED_FILE = "rejected.jsonl";

/** The save in progress of each state file in this process (saves of one file are chained). */
const saving = new Map<string, Promise<void>>();

/** Loads and saves one run's state for one target. */
export class ReplicationState {
  private constructor(
    private readonly file: string,
    private readonly target: string,
    private readonly doc: StateFile,
    /** The live state; mutate, then {@link save}. */
    readonly state: TargetState,
    /**
     * True when the run was bound for this server already: logged while it was configured,
     * or sent to it before. False for a run of the local store that never saw this server.
     */
    readonly bound: boolean,
  ) {}

  /**
   * Reads the state of `runDir` for `target` (a server URL, any spelling: it is stored under
   * the server's key, see `serverKey`), or a fresh one.
   */
  static async load(runDir: string, target: string): Promise<ReplicationState> {
    const file = path.join(runDir, REPLICATION_FILE);
    let raw: unknown;
    try {
      raw = await readJsonFile(file);
    } catch (err) {
      if (!(err instanceof CorruptDataError)) throw err;
      raw = { targets: { [serverKey(target)]: UNKNOWN } }; // not JSON: start over, safely (see UNKNOWN)
    }
    const shaped = typeof raw === "object" && raw !== null && typeof (raw as { targets?: unknown }).targets === "object";
    if (raw !== undefined && !shaped) raw = { targets: { [serverKey(target)]: UNKNOWN } }; // JSON, but not a state file
    const doc: StateFile = { format: "mltrail-replication", version: 1, targets: readTargets(raw) };
    const key = serverKey(target);
    // Entries written under another spelling of the same server (older versions) move to its key.
    let found = doc.targets[key];
    for (const k of Object.keys(doc.targets)) {
      if (k === key || serverKey(k) !== key) continue;
      const other = doc.targets[k] as TargetState;
      if (found === undefined || (other.done && !found.done) || other.ackedSeq > found.ackedSeq) found = other;
      delete doc.targets[k];
    }
    const state: TargetState = found ?? { ackedSeq: 0, rejected: 0, done: false };
    doc.targets[key] = state;
    return new ReplicationState(file, key, doc, state, found !== undefined);
  }

  /**
   * Writes the state atomically. Only this target's entry changes: the file is read again and
   * the other targets' entries kept as they are now (a fan-out saves several targets' states of
   * one run), and saves of one file in this process are made one after the other.
   */
  save(): Promise<void> {
    const previous = saving.get(this.file) ?? Promise.resolve();
    const next = previous.then(async () => {
      let current: Record<string, TargetState> = {};
      try {
        current = readTargets(await readJsonFile(this.file));
      } catch {
        // Unreadable: this process's view of the other targets is all there is.
        current = { ...this.doc.targets };
      }
      for (const [k, v] of Object.entries(current)) if (k !== this.target && serverKey(k) !== this.target) this.doc.targets[k] = v;
      this.doc.targets[this.target] = this.state;
      await writeFileAtomic(this.file, `${JSON.stringify(this.doc, null, 2)}\n`);
    });
    const settled = next.catch(() => undefined);
    saving.set(this.file, settled);
    void settled.then(() => {
      if (saving.get(this.file) === settled) saving.delete(this.file);
    });
    return next;
  }
}
