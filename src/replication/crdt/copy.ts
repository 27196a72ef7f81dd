/**
 * Copying the large records of CRDT states (version vectors, dot maps) for copy-on-write joins.
 *
 * @packageDocumentation
 */
import { setOwn } from '../../core/index.js';

/** From this many keys on, a record is copied key by key into a dictionary-mode object. */
const LARGE_RECORD_KEYS = 32;

/**
 * A shallow copy of a record (a version vector, a dot map). A large one is copied into an object
 * that V8 keeps in dictionary mode: a spread of 1,000 keys costs about a millisecond, and a key
 * removed then added back (an ORMap remove then update) gives every later copy a new hidden class.
 */
export function copyRecord<T>(a: Readonly<Record<string, T>>): Record<string, T> {
  const keys = Object.keys(a);
  if (keys.length < LARGE_RECORD_KEYS) return { ...a };
  const out: Record<string, T> = {};
  // Adding then deleting a property switches an object to dictionary mode (a no-op elsewhere).
  out[' '] = a[keys[0]!]!;
  delete out[' '];
  for (const k of keys) setOwn(out, k, a[k]!);
  return out;
}
