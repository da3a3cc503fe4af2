/**
 * Optional properties under `exactOptionalPropertyTypes`, where `{ x: undefined }` is not `{}`:
 * the given fields without the ones that are undefined.
 */

/**
 * The fields of `fields` whose value is not undefined.
 * @example `{ name, ...defined({ description, tags }) }`
 */
export function defined<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Partial<Record<keyof T, unknown>> = {};
  for (const key of Object.keys(fields) as (keyof T)[]) {
    const value = fields[key];
    if (value !== undefined) out[key] = value;
  }
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
