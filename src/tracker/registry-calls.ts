/** The tracker's model-registry calls: argument checks, then `Models` (src/models.ts). */
import { ValidationError } from "../errors.js";
import { checkOptions, checkRequiredOptions, checkStringsIn } from "../model/args.js";
import { checkString } from "../model/validate.js";
import { Models, type ModelVersion, type RegisterModelOptions } from "../models.js";
import { currentUser } from "../models/os-user.js";
import { checkVersionChange } from "../registry/arguments.js";
import { checkVersionUpdate } from "../registry/rules.js";
import { checkModelArgs } from "./checks.js";
import { runDatasets, runFacts } from "./run-queries.js";
import type { TrackerSession } from "./session.js";

/** The registry of a tracker: the backend's, else the core's; run facts from the tracker's reads. */
export function createModels(session: TrackerSession): Models {
  const ownRegistry = session.backend?.registry;
  return new Models({
    store: async () => ownRegistry ?? (await session.core()).registry,
    getRun: (runId) => runFacts(session, runId),
    runDatasets: (runId) => runDatasets(session, runId),
    requireRationale: session.options.requireRationale,
    namePolicy: session.options.namePolicy.model,
    clock: session.clock,
    user: currentUser,
  });
}

/** See `Tracker.registerModel`. */
export async function registerModel(models: Models, name: string, options: RegisterModelOptions): Promise<ModelVersion> {
  checkString("model name", name);
  checkStringsIn("registerModel options", checkRequiredOptions("registerModel options", options));
  return models.register(name, options);
}

/** See `Tracker.setAlias`. */
export async function setAlias(
  models: Models,
  name: string,
  alias: string,
  version: string,
  options: { readonly expected?: string | null },
): Promise<ModelVersion> {
  checkModelArgs(
    [
      ["model name", name],
      ["alias", alias],
      ["version", version],
    ],
    [["options.expected", checkOptions<{ expected?: unknown }>("options", options).expected]],
  );
  await models.setAlias(name, alias, version, options);
  return models.get(name, version);
}

/** See `Tracker.deleteAlias`. */
export async function deleteAlias(models: Models, name: string, alias: string, options: { readonly expected?: string | null }): Promise<void> {
  checkModelArgs(
    [
      ["model name", name],
      ["alias", alias],
    ],
    [["options.expected", checkOptions<{ expected?: unknown }>("options", options).expected]],
  );
  await models.deleteAlias(name, alias, options);
}

/** See `Tracker.promote`. */
export async function promote(models: Models, name: string, version: string, options: { readonly rationale?: string }): Promise<ModelVersion> {
  checkModelArgs(
    [
      ["model name", name],
      ["version", version],
    ],
    [["options.rationale", checkOptions<{ rationale?: unknown }>("options", options).rationale]],
  );
  models.checkRationale(options.rationale);
  return models.promote(name, version, options.rationale ?? "");
}

/** See `Tracker.deprecate`. */
export async function deprecate(models: Models, name: string, version: string, options: { readonly reason: string } | string): Promise<ModelVersion> {
  const reason = typeof options === "string" ? options : typeof options === "object" && options !== null ? options.reason : options;
  if (typeof reason !== "string" || reason.trim() === "")
    throw new ValidationError(typeof options === "string" ? "reason" : "options.reason", reason, "a deprecation needs a reason");
  checkModelArgs(
    [
      ["model name", name],
      ["version", version],
    ],
    [[typeof options === "string" ? "reason" : "options.reason", reason]],
  );
  return models.update(name, version, { deprecated: reason }, "deprecate", reason);
}

/** See `Tracker.updateModelVersion`. */
export async function updateModelVersion(
  models: Models,
  name: string,
  version: string,
  change: { readonly description?: string; readonly tags?: Readonly<Record<string, string>> },
): Promise<ModelVersion> {
  checkVersionChange(change);
  checkModelArgs([
    ["model name", name],
    ["version", version],
  ]);
  checkStringsIn("change", change);
  checkVersionUpdate(change as Readonly<Record<string, unknown>>); // immutable fields: rule 6
  for (const key of Object.keys(change)) {
    if (key !== "description" && key !== "tags")
      throw new ValidationError(`update.${key}`, (change as Record<string, unknown>)[key], "use deprecate() or setAlias() for this field");
  }
  return models.update(name, version, change, "update");
}

/** See `Tracker.deleteModelVersion`. */
export async function deleteModelVersion(models: Models, name: string, version: string, options: { readonly reason?: string }): Promise<void> {
  checkModelArgs(
    [
      ["model name", name],
      ["version", version],
    ],
    [["options.reason", checkOptions<{ reason?: unknown }>("options", options).reason]],
  );
  await models.delete(name, version, options.reason);
}
