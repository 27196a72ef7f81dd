/**
 * Canonical JSON: one string per plain-data value whatever the order its keys were inserted in,
 * for comparing and hashing states, decisions and messages.
 *
 * @packageDocumentation
 */

/**
 * Serializes plain JSON data with object keys sorted, so equal values give equal strings whatever
 * order their keys were inserted in. `undefined` object properties are left out (as JSON does).
 *
 * @example
 * ```ts
 * import { canonicalJson } from 'distkit/core';
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }); //=> '{"a":[2,{"c":4,"d":3}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : canonicalJson(item);
    }
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  // States built by spreading keep their key order: sort only when needed.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(k) + ':' + canonicalJson(v);
  }
  return out + '}';
}
