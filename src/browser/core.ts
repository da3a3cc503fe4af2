/**
 * The wiring behind a browser Tracker: the IndexedDB run log, the group commit, the MLflow
 * client over the page's transport, the replication loops and the run locks, plus the drain:
 * runs bound for this server that no page holds (an earlier page load, a closed or crashed
 * tab) are claimed one lock at a time; one that was never ended gets a KILLED end, as the Node
 * drain does for a crashed process, and is sent. Other tabs announce new runs on a
 * BroadcastChannel, so a tab that goes away mid-run is taken over by one still open.
 *
 * @packageDocumentation
 */
import { type ApiError, MltrailError } from "../errors.js";
import type { JournalRecord } from "../log/record.js";
import type { HttpClient } from "../remote/http-types.js";
import { MlflowClient } from "../remote/mlflow/client.js";
import type { ReplicationHealth } from "../remote/health.js";
import type { BrowserGlobals, Channel } from "./dom.js";
import { GroupCommit } from "./journal.js";
import { RunLocks } from "./locks.js";
import type { ResolvedBrowserOptions } from "./options.js";
import { Pump } from "./pump.js";
import { BrowserStore, type RunDoc } from "./store.js";

/** What the core reports to its tracker. @internal */
export interface CoreEvents {
  error(error: MltrailError): void;
  state(state: ReplicationHealth): void;
  rejected(doc: RunDoc, record: JournalRecord, error: ApiError): void;
}

/** The open parts of a tracker. @internal */
export class Core {
  readonly client: MlflowClient;
  readonly locks: RunLocks;
  readonly pump: Pump;
  readonly commit: GroupCommit;
  /** Runs a startRun({ resume }) of this page is about to take over: the drain leaves them. */
  readonly resuming = new Set<string>();
  /** Runs of this page's own `startRun` (their loops keep their lock until done). */
  readonly own = new Set<string>();
  /** Claims of runs whose lock this page was just granted, until they have settled. */
  readonly claiming = new Map<string, Promise<void>>();
  private readonly experiments = new Map<string, Promise<string>>();
  private readonly channel: Channel | undefined;
  private closed = false;

  private constructor(
    readonly store: BrowserStore,
    readonly http: HttpClient,
    readonly options: ResolvedBrowserOptions,
    g: BrowserGlobals,
    private readonly events: CoreEvents,
  ) {
    this.client = new MlflowClient({ http, retry: false });
    this.locks = new RunLocks(g.navigator.locks as NonNullable<BrowserGlobals["navigator"]["locks"]>);
    this.commit = new GroupCommit(store, options.maxQueuedRecords, {
      committed: (rks) => {
        for (const rk of rks) this.pump.notify(rk);
      },
      failed: (error) => events.error(error),
    });
    this.pump = new Pump(
      {
        client: this.client,
        store,
        limits: options.limits,
        settleMs: options.requestTimeoutMs,
        experimentId: (name) => this.experimentId(name),
        remoteIdOf: async (rk) => (this.pump.doc(rk) ?? (await store.doc(rk)))?.remoteRunId,
      },
      options,
      {
        error: (e) => events.error(e),
        state: (s) => events.state(s),
        rejected: (doc, record, error) => events.rejected(doc, record, error),
        released: (rk) => {
          if (this.resuming.has(rk)) return; // a resume in this page takes the run (and its lock) over
          this.own.delete(rk);
          this.commit.forget(rk);
          this.locks.release(rk);
        },
      },
    );
    if (g.BroadcastChannel !== undefined) {
      this.channel = new g.BroadcastChannel(`mltrail:${options.storage}`);
      this.channel.onmessage = (event) => {
        const data = event.data as { rk?: unknown; server?: unknown } | null;
        if (options.drainOnStart && typeof data?.rk === "string" && data.server === options.server) this.watch(data.rk);
      };
    }
  }

  /** Opens the run log and, with `drainOnStart`, starts claiming pending runs. */
  static async open(options: ResolvedBrowserOptions, g: BrowserGlobals, http: HttpClient, events: CoreEvents): Promise<Core> {
    const store = await BrowserStore.open(g, options.storage);
    const core = new Core(store, http, options, g, events);
    if (options.drainOnStart) {
      for (const doc of await store.runs(options.server)) if (doc.done !== true) core.watch(doc.rk);
    }
    return core;
  }

  /** The server's id of an experiment (created when missing), cached. */
  experimentId(name: string): Promise<string> {
    let id = this.experiments.get(name);
    if (id === undefined) {
      id = this.client.getOrCreateExperiment(name).then((e) => e.experimentId);
      id.catch(() => this.experiments.delete(name));
      this.experiments.set(name, id);
    }
    return id;
  }

  /** Tells other tabs of a new run, so one of them sends it if this page goes away. */
  announce(rk: string): void {
    this.channel?.postMessage({ rk, server: this.options.server });
  }

  /** Waits for a run's lock (as long as it takes), then sends what it has pending. */
  watch(rk: string): void {
    if (this.own.has(rk) || this.pump.has(rk)) return;
    void this.locks.take(rk, Number.POSITIVE_INFINITY).then((held) => {
      if (!held || this.claiming.has(rk)) return;
      const claim = this.claim(rk)
        .catch((err: unknown) => this.events.error(err instanceof MltrailError ? err : new MltrailError(String(err), { cause: err })))
        .finally(() => this.claiming.delete(rk));
      this.claiming.set(rk, claim);
    });
  }

  /** A run whose lock this page now holds, left by a page that went away: end it KILLED if open, and send it. */
  private async claim(rk: string): Promise<void> {
    if (this.closed || this.own.has(rk) || this.resuming.has(rk) || this.pump.has(rk)) return;
    const doc = await this.store.doc(rk);
    if (doc === undefined || doc.done === true) {
      this.locks.release(rk);
      return;
    }
    try {
      // Records of a page that died between its commit and its document's update are still there.
      doc.seq = Math.max(doc.seq, await this.store.lastSeq(rk));
      if (doc.ended !== true) {
        doc.crashed = true;
        this.commit.append(doc, [{ s: doc.seq + 1, t: "end", status: "KILLED", ts: Math.max(doc.touchedAt, doc.startTime) }]);
        await this.commit.flush();
      }
    } catch (err) {
      this.locks.release(rk);
      throw err;
    }
    this.pump.start(this.pump.sender(doc));
  }

  /** Stops the loops and lets go of every lock; records not sent stay in IndexedDB. */
  close(): void {
    this.closed = true;
    this.pump.close();
    this.commit.close();
    this.locks.close();
    this.channel?.close();
    this.client.close();
    this.store.close();
  }
}
