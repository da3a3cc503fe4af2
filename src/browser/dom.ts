/**
 * The few browser APIs the browser build uses (IndexedDB, Web Locks, page lifecycle events,
 * BroadcastChannel), typed structurally. The package type-checks against Node's types only (no
 * DOM library, whose timer and event types would change the Node code's), so this module
 * declares what `src/browser` touches and reads it from `globalThis` at run time.
 *
 * @packageDocumentation
 */
import { StateError } from "../errors.js";

/** A key of the record store: `[runKey, seq]`. @internal */
export type IdbKey = string | number | readonly (string | number)[];

/** An IndexedDB request (the subset used). @internal */
export interface IdbRequest<T> {
  readonly result: T;
  readonly error: { readonly name: string; readonly message: string } | null;
  onsuccess: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** An open request, which also reports upgrades. @internal */
export interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: ((event: unknown) => void) | null;
  onblocked: ((event: unknown) => void) | null;
}

/** An object store (the subset used). @internal */
export interface IdbStore {
  put(value: unknown): IdbRequest<IdbKey>;
  get(key: IdbKey): IdbRequest<unknown>;
  getAll(range?: IdbKeyRange | null, count?: number): IdbRequest<unknown[]>;
  delete(key: IdbKey | IdbKeyRange): IdbRequest<undefined>;
  openKeyCursor(range: IdbKeyRange, direction: "next" | "prev"): IdbRequest<{ readonly key: IdbKey } | null>;
}

/** A key range. @internal */
export type IdbKeyRange = { readonly __brand?: "IDBKeyRange" };

/** A transaction (the subset used). @internal */
export interface IdbTransaction {
  objectStore(name: string): IdbStore;
  readonly error: { readonly name: string; readonly message: string } | null;
  oncomplete: ((event: unknown) => void) | null;
  onabort: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  abort(): void;
}

/** A database connection (the subset used). @internal */
export interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string, options: { keyPath: string | readonly string[] }): unknown;
  transaction(stores: string | readonly string[], mode: "readonly" | "readwrite", options?: { durability?: "default" | "strict" | "relaxed" }): IdbTransaction;
  close(): void;
  onversionchange: ((event: unknown) => void) | null;
}

/** A held Web Lock, as passed to the callback. @internal */
export interface WebLock {
  readonly name: string;
}

/** `navigator.locks` (the subset used). @internal */
export interface LockManager {
  request(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal; mode?: "exclusive" },
    callback: (lock: WebLock | null) => Promise<unknown>,
  ): Promise<unknown>;
  query(): Promise<{ held?: readonly { name?: string }[]; pending?: readonly { name?: string }[] }>;
}

/** A BroadcastChannel (the subset used). @internal */
export interface Channel {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/** What the browser build reads from `globalThis`. @internal */
export interface BrowserGlobals {
  readonly indexedDB: { open(name: string, version: number): IdbOpenRequest };
  readonly IDBKeyRange: { bound(lower: IdbKey, upper: IdbKey, lowerOpen?: boolean, upperOpen?: boolean): IdbKeyRange };
  readonly navigator: { readonly locks?: LockManager };
  readonly BroadcastChannel?: new (name: string) => Channel;
  readonly addEventListener?: (type: string, listener: (event: { type?: string; persisted?: boolean }) => void) => void;
  readonly removeEventListener?: (type: string, listener: (event: { type?: string; persisted?: boolean }) => void) => void;
  readonly document?: { readonly visibilityState?: string };
}

/**
 * The browser globals, or a StateError naming what is missing (IndexedDB and Web Locks are
 * required: they are what makes logging durable and safe across tabs).
 * @internal
 */
export function browserGlobals(): BrowserGlobals {
  const g = globalThis as unknown as Partial<BrowserGlobals>;
  if (g.indexedDB === undefined || g.IDBKeyRange === undefined) {
    throw StateError.of("indexedDB", undefined, "is needed by mltrail's browser build (records are kept there until the server has them)");
  }
  if (g.navigator?.locks === undefined) {
    throw StateError.of("navigator.locks", undefined, "is needed by mltrail's browser build (Web Locks; a secure context: https or localhost)");
  }
  return g as BrowserGlobals;
}

/** Resolves with a request's result, rejects with its error. @internal */
export function requestResult<T>(request: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
