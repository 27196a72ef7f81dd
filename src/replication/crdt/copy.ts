/**
 * Copying the records of CRDT states (version vectors, the buckets of dot maps) for copy-on-write
 * joins.
 *
 * @packageDocumentation
 */
import { setOwn } from '../../core/index.js';

/** From this many keys on, a version vector is copied key by key into a dictionary-mode object. */
const LARGE_RECORD_KEYS = 32;

/**
 * An empty plain object that V8 keeps in dictionary mode (a hash table). Records keyed by data —
 * element names, replica ids — otherwise get one hidden class per key order, and copying one
 * then costs microseconds per key instead of nanoseconds. Deleting a property that is not the
 * last one added switches an object to dictionary mode; elsewhere this is a plain empty object.
 */
function dictionary<T>(): Record<string, T> {
  const out: Record<string, unknown> = {};
  out['\u0000a'] = 0;
  out['\u0000b'] = 0;
  delete out['\u0000a'];
  delete out['\u0000b'];
  return out as Record<string, T>;
}

/**
 * A shallow copy of a version vector: a small one by spread, a large one in dictionary mode (a
 * spread of 1,000 replica ids costs about a millisecond).
 */
export function copyRecord<T>(a: Readonly<Record<string, T>>): Record<string, T> {
  const keys = Object.keys(a);
  if (keys.length < LARGE_RECORD_KEYS) return { ...a };
  const out = dictionary<T>();
  for (const k of keys) setOwn(out, k, a[k]!);
  return out;
}
