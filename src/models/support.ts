/** Small helpers of the registry calls: alias lookups, misses, live versions, the audit form of changes. Node-free (the browser tracker uses them too). */
import { CorruptDataError, type MltrailError, NotFoundError } from "../errors.js";
import { releaseChangeLines } from "../registry/release.js";
import type { RegistryStore, ReleaseChange, StoredVersion } from "../registry/store.js";

/** `map[key]` when it is an own key (so `constructor` is not Object's). */
export function own(map: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** The error of a lookup that missed: CorruptDataError when damaged items of the model may hold the answer. */
export async function missing(store: RegistryStore, name: string, message: string): Promise<MltrailError> {
  const damaged = await store.damaged(name);
  if (damaged.length === 0) return new NotFoundError(message);
  return new CorruptDataError(`${message}; ${damaged.length} damaged registry item(s) of the model may hold it: ${damaged.slice(0, 3).join(", ")}`, {
    path: damaged[0] as string,
  });
}

/** The versions that are not deleted. */
export function live(versions: readonly StoredVersion[]): StoredVersion[] {
  return versions.filter((v) => v.deletedAt === undefined);
}

/** The audit form of a release's changes: `<category>: <description>`, at most 10, each cut at 200 characters (MLflow tags are small). */
export function auditChanges(changeDetails: readonly ReleaseChange[]): string[] {
  const lines = releaseChangeLines({ changes: [], changeDetails });
  const shown = lines.slice(0, 10).map((l) => (l.length > 200 ? `${l.slice(0, 199)}…` : l));
  return lines.length > 10 ? [...shown, `and ${lines.length - 10} more`] : shown;
}
