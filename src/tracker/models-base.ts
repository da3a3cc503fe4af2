/**
 * The model-registry methods of `Tracker` (releases, aliases, promotion, deprecation, the audit
 * trail), in the base class it extends. The base classes hold no fields: they reach the
 * tracker's session and registry client through {@link partsOf}, so the package's declarations
 * show no internal types.
 */
import { StateError } from "../errors.js";
import { checkOptionalString } from "../model/args.js";
import { checkString } from "../model/validate.js";
import type { Models, ModelVersion, RegisterModelOptions } from "../models.js";
import type { AuditEntry } from "../registry/store.js";
import * as registry from "./registry-calls.js";
import type { TrackerSession } from "./session.js";

/** What a tracker's base-class methods use: its session and its registry client. */
interface TrackerParts {
  readonly session: TrackerSession;
  readonly models: Models;
}

const parts = new WeakMap<object, TrackerParts>();

/** Gives a new tracker its session (called once, by `Tracker`'s constructor). */
export function attachSession(tracker: TrackerModels, session: TrackerSession): void {
  parts.set(tracker, { session, models: registry.createModels(session) });
}

/**
 * The session and registry client of a tracker. Looked up along the prototype chain, as a field
 * would be: an object made with `Object.create(tracker)` reaches its tracker's.
 */
export function partsOf(tracker: TrackerModels): TrackerParts {
  for (let o: object | null = tracker; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const found = parts.get(o);
    if (found !== undefined) return found;
  }
  throw new StateError("this object is not a tracker");
}

/** The model-registry calls of a `Tracker`; see `Tracker`. */
export abstract class TrackerModels {
  /**
   * Releases a model version under the semver rules (README, "Model releases with semantic versions"). With
   * `version` the version is checked; with `bump` it is computed from the previous release;
   * with neither it is inferred from what changed (signature, content digest, params). A bump
   * below what the changes require fails with a ValidationError naming the change. Identical
   * content makes no new version: the existing one is returned.
   * @example `const mv = await tracker.registerModel("churn", { runId: run.id, bump: "minor", rationale: "new features" });`
   */
  async registerModel(name: string, options: RegisterModelOptions): Promise<ModelVersion> {
    return registry.registerModel(partsOf(this).models, name, options);
  }

  /**
   * Resolves a version: exact (`"1.2.0"`), a range (`"^1.2"`, `"~1.2.3"`, `">=2 <3"`: the
   * highest non-deprecated stable match), an alias (`"champion"`) or `"latest"`; or one string
   * `"name@ref"`. Throws NotFoundError when nothing matches.
   * @example `await tracker.getModelVersion("churn@^2")`
   */
  async getModelVersion(nameOrRef: string, ref?: string): Promise<ModelVersion> {
    checkString("model reference", nameOrRef);
    checkOptionalString("ref", ref);
    return partsOf(this).models.get(nameOrRef, ref);
  }

  /** Every live version of a model, oldest first. @example `await tracker.listModelVersions("churn")` */
  async listModelVersions(name: string): Promise<ModelVersion[]> {
    checkString("model name", name);
    return partsOf(this).models.list(name);
  }

  /** Names of registered models. @example `await tracker.listModels()` */
  async listModels(): Promise<string[]> {
    return partsOf(this).models.models();
  }

  /**
   * Points an alias at a version. `expected` makes it compare-and-set: the alias must point
   * at that version (or, with `null`, at nothing) or a ConflictError is thrown. `latest`,
   * `v<digits>` and semver-shaped names are reserved.
   * Resolves with the version the alias now points at (its `aliases` include the new one), like
   * every registry call that changes a version.
   * @example `const champion = await tracker.setAlias("churn", "champion", "1.2.0", { expected: "1.1.0" })`
   */
  async setAlias(name: string, alias: string, version: string, options: { readonly expected?: string | null } = {}): Promise<ModelVersion> {
    return registry.setAlias(partsOf(this).models, name, alias, version, options);
  }

  /** Removes an alias (compare-and-set with `expected`). @example `await tracker.deleteAlias("churn", "challenger")` */
  async deleteAlias(name: string, alias: string, options: { readonly expected?: string | null } = {}): Promise<void> {
    await registry.deleteAlias(partsOf(this).models, name, alias, options);
  }

  /**
   * Promotes a prerelease to its stable version with the same content: `1.3.0-rc.2` → `1.3.0`.
   * @example `await tracker.promote("churn", "1.3.0-rc.2", { rationale: "passed the canary" })`
   */
  async promote(name: string, version: string, options: { readonly rationale?: string } = {}): Promise<ModelVersion> {
    return registry.promote(partsOf(this).models, name, version, options);
  }

  /**
   * Marks a version deprecated: ranges and `latest` skip it; exact refs still resolve. The
   * reason is required and goes to the audit trail. Options take the same shape as
   * `deleteModelVersion`'s; a plain string is still accepted as the reason.
   * @example `await tracker.deprecate("churn", "1.0.0", { reason: "leaks labels" })`
   */
  async deprecate(name: string, version: string, options: { readonly reason: string } | string): Promise<ModelVersion> {
    return registry.deprecate(partsOf(this).models, name, version, options);
  }

  /** Changes the mutable fields of a version: description and tags (rule 6). @example `await tracker.updateModelVersion("churn", "1.2.0", { description: "…" })` */
  async updateModelVersion(
    name: string,
    version: string,
    change: { readonly description?: string; readonly tags?: Readonly<Record<string, string>> },
  ): Promise<ModelVersion> {
    return registry.updateModelVersion(partsOf(this).models, name, version, change);
  }

  /** Deletes a version, leaving a tombstone: its version string is never reused (rule 5). @example `await tracker.deleteModelVersion("churn", "1.1.0", { reason: "bad data" })` */
  async deleteModelVersion(name: string, version: string, options: { readonly reason?: string } = {}): Promise<void> {
    await registry.deleteModelVersion(partsOf(this).models, name, version, options);
  }

  /** Every registry change of a model: who, when, what and why. @example `await tracker.modelHistory("churn")` */
  async modelHistory(name: string): Promise<AuditEntry[]> {
    checkString("model name", name);
    return partsOf(this).models.history(name);
  }
}
