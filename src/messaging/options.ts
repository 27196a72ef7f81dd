/**
 * Option checks shared by the messaging applications (not re-exported).
 *
 * @packageDocumentation
 */
import { ConfigError, checkObject, PAYLOAD_LIMITS, parse, positiveInt, type Check, type DataLimits } from '../core/index.js';

/** The bounds of an opaque payload option (`bodyLimits`, `valueLimits`, `dataLimits`), defaults filled in; throws `ConfigError` naming `field`. */
export function dataLimitsOption(field: string, limits: Partial<DataLimits> | undefined, maxBytes: number): DataLimits {
  if (limits === undefined) return { maxDepth: PAYLOAD_LIMITS.maxDepth, maxBytes };
  checkObject(field, limits, 'must be an object { maxDepth?, maxBytes? }');
  return { maxDepth: positiveInt(`${field}.maxDepth`, limits.maxDepth, PAYLOAD_LIMITS.maxDepth), maxBytes: positiveInt(`${field}.maxBytes`, limits.maxBytes, maxBytes) };
}

/**
 * The `restore` of an application: checks a snapshot against `shape` and returns a copy of it
 * with this replica's own options (the snapshot's data, copied by JSON), or `undefined`.
 */
export function restoreSnapshot<C, S extends { readonly options: unknown }>(shape: Check<unknown>, optionsOf: (config: C) => S['options']): (data: unknown, config: C) => S | undefined {
  return (data, config) => {
    if (!parse(shape, data).ok) return undefined;
    const copy = JSON.parse(JSON.stringify(data)) as S;
    return { ...copy, options: optionsOf(config) };
  };
}
