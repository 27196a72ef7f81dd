/**
 * The versioned store of a chain replica: per key, the newest committed version and the pending
 * ones after it (CRAQ §2.3: a key is clean when its newest version is committed).
 *
 * @packageDocumentation
 */
import { getOwn, withOwn } from '../core/index.js';
import type { ChainEntry, ChainVersion } from './chain-types.js';

type Store = Readonly<Record<string, readonly ChainVersion[]>>;

/** Drops the versions older than the newest committed one. */
function trim(versions: readonly ChainVersion[], committed: number): readonly ChainVersion[] {
  let newestCommitted = -1;
  for (let i = 0; i < versions.length; i++) if (versions[i]!.seq <= committed) newestCommitted = i;
  return newestCommitted > 0 ? versions.slice(newestCommitted) : versions;
}

/** Applies one write: its version goes after the key's others. */
export function applyEntry(store: Store, entry: ChainEntry, committed: number): Store {
  const versions = getOwn(store, entry.key) ?? [];
  return withOwn(store, entry.key, trim([...versions, { seq: entry.seq, value: entry.value }], committed));
}

/** Trims every key touched by entries in (before, committed]. */
export function trimCommitted(store: Store, log: readonly ChainEntry[], before: number, committed: number): Store {
  let out = store;
  for (const e of log) {
    if (e.seq <= before || e.seq > committed) continue;
    const versions = getOwn(out, e.key);
    if (versions !== undefined) out = withOwn(out, e.key, trim(versions, committed));
  }
  return out;
}

/** The newest version of a key (seq 0, value null, when it was never written). */
export function newest(store: Store, key: string): ChainVersion {
  const versions = getOwn(store, key);
  return versions === undefined || versions.length === 0 ? { seq: 0, value: null } : versions[versions.length - 1]!;
}

/** The version with this sequence number, if the store still has it. */
export function versionAt(store: Store, key: string, seq: number): ChainVersion | undefined {
  if (seq === 0) return { seq: 0, value: null };
  return getOwn(store, key)?.find((x) => x.seq === seq);
}
