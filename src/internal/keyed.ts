/**
 * Records keyed by user keys. A metric, param or tag key may be `__proto__`, `constructor` or
 * `toString`: plain-object assignment would set the prototype (and lose the key) and plain
 * lookups would find `Object.prototype` members. These helpers keep such keys like any other.
 */

/**
 * A plain record whose every key is an own, enumerable data property, `__proto__` included.
 * @example `keyedRecord(new Map([["__proto__", 1]]))["__proto__"] === 1`
 */
export function keyedRecord<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [key, value] of entries) setOwn(out, key, value);
  return out;
}

/**
 * Sets `record[key] = value` as an own data property, even for `__proto__`.
 * @example `setOwn(metrics, "__proto__", summary)`
 */
export function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  // Only `__proto__` needs defineProperty (assignment would set the prototype); plain
  // assignment makes every other key an own property, and is much cheaper (searches build
  // thousands of records).
  if (key === "__proto__") Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * `record[key]` when it is the record's own property, else undefined (never an
 * `Object.prototype` member such as `toString`).
 * @example `ownValue({}, "toString") === undefined`
 */
export function ownValue<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
