/**
 * The audit trail of a model on an MLflow server, kept in one place per version: the model
 * version's `mltrail.audit` tag holds a JSON array of every event about that version
 * (release, alias moves, deprecation, updates). A deleted version's events move into its
 * tombstone (the registered model's `mltrail.tombstone.<version>` tag, field `audit`);
 * events about no version at all go to the registered model's own `mltrail.audit` tag. The
 * older layout (one `mltrail.audit.<ts>.<rand>` tag per event on the registered model) is
 * still read.
 *
 * MLflow's set-tag replaces a value, so an append is read, extend, write, and read back:
 * when a concurrent writer replaced our entry, it is merged in again (a few rounds).
 */
import { CorruptDataError } from "../errors.js";
import { parseAuditEntry } from "../registry/records.js";
import type { AuditEntry } from "../registry/store.js";

/** The tag holding a version's (or the model's) audit entries. */
export const AUDIT_TAG = "mltrail.audit";
/** Where a damaged audit value is kept when the list is rewritten. */
export const DAMAGED_AUDIT_TAG = "mltrail.audit-damaged";
/** Prefix of the one-tag-per-event layout of older releases (read only). */
export const LEGACY_AUDIT_PREFIX = "mltrail.audit.";

/** Longest value written: model-version tags hold 100,000 characters, registered-model tags 5,000 on SQL stores. */
export const VERSION_AUDIT_LIMIT = 90_000;
export const MODEL_AUDIT_LIMIT = 4_500;

/**
 * Parses an audit array; damaged entries (or a damaged value) are reported and skipped.
 * @example `parseAuditList(tags["mltrail.audit"], report, "model churn version 3")`
 */
export function parseAuditList(value: string | undefined, report: (e: CorruptDataError) => void, where: string): AuditEntry[] {
  const { entries, damaged } = readAudit(value);
  if (damaged > 0)
    report(
      new CorruptDataError(
        `registry: ${damaged} audit entr${damaged === 1 ? "y" : "ies"} of ${where} on the server ${damaged === 1 ? "is" : "are"} damaged and skipped`,
        { path: where, corruptLines: damaged },
      ),
    );
  return entries;
}

/** The valid entries of an audit value and how many were damaged (a value that is not JSON counts as one). */
function readAudit(value: string | undefined): { entries: AuditEntry[]; damaged: number } {
  if (value === undefined || value === "") return { entries: [], damaged: 0 };
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    raw = undefined;
  }
  const entries: AuditEntry[] = [];
  let damaged = 0;
  for (const item of Array.isArray(raw) ? raw : [raw]) {
    const entry = parseAuditEntry(item);
    if (entry === undefined) damaged += 1;
    else entries.push(entry);
  }
  return { entries, damaged };
}

/** Keeps the first entry (the release) and as many of the newest as fit in `limit` characters. */
export function fitAudit(entries: readonly AuditEntry[], limit: number): AuditEntry[] {
  const out = [...entries];
  while (out.length > 2 && JSON.stringify(out).length > limit) out.splice(1, 1);
  return out;
}

/** Where an audit list lives: its raw value, how to replace it, where a damaged value is kept. */
export interface AuditPlace {
  read(): Promise<string | undefined>;
  write(entries: AuditEntry[]): Promise<void>;
  /** Keeps a damaged value (tag `mltrail.audit-damaged`) before the list is rewritten without it. */
  keepDamaged(raw: string): Promise<void>;
}

/**
 * Appends `entry` to the audit list at `place`. Read back after writing, and merged in again
 * when a concurrent writer won. A damaged value is kept aside first, never written onto.
 * @example `await appendAuditAt(entry, versionPlace)`
 */
export async function appendAuditAt(entry: AuditEntry, place: AuditPlace): Promise<void> {
  // Compared field by field: a parsed entry's keys come back in another order.
  const canonical = (e: AuditEntry): string =>
    JSON.stringify(
      Object.entries(e)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  const key = canonical(entry);
  const has = (list: readonly AuditEntry[]): boolean => list.some((e) => canonical(e) === key);
  for (let round = 0; round < 5; round++) {
    const raw = await place.read();
    const { entries, damaged } = readAudit(raw);
    if (damaged > 0 && raw !== undefined) await place.keepDamaged(raw);
    if (has(entries)) return;
    await place.write([...entries, entry]);
    if (has(readAudit(await place.read()).entries)) return;
  }
}

/**
 * Every audit entry of a model, in time order: legacy per-event tags and the model's own tag
 * (`modelTags`), tombstones' and live versions' lists (`lists`).
 */
export function mergeAudit(
  modelTags: Readonly<Record<string, string>>,
  lists: readonly AuditEntry[][],
  report: (e: CorruptDataError) => void,
  name: string,
): AuditEntry[] {
  const legacy = Object.entries(modelTags)
    .filter(([k]) => k.startsWith(LEGACY_AUDIT_PREFIX))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([, v]) => parseAuditList(v, report, `model "${name}"`));
  const all = [...legacy, ...parseAuditList(modelTags[AUDIT_TAG], report, `model "${name}"`), ...lists.flat()];
  return all
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map(({ e }) => e);
}
