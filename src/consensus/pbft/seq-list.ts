// Tables keyed by sequence number (the message log, the prepared certificates) as arrays sorted
// by sequence number. A record keyed by growing integers is a sparse array to the engine: copying
// one with a few entries costs microseconds per entry, and a replica copies its log on every vote.
// Copying an array of references costs nanoseconds. Entries are found by binary search.

/**
 * The index of the entry for `seq` in `list` (sorted by `seqOf`, no two alike), or, when there
 * is none, the index at which it would be inserted.
 */
function indexOf<T>(list: readonly T[], seq: number, seqOf: (x: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqOf(list[mid]!) < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The entry for `seq`, if `list` has one. */
export function seqGet<T>(list: readonly T[], seq: number, seqOf: (x: T) => number): T | undefined {
  const i = indexOf(list, seq, seqOf);
  const x = list[i];
  return x !== undefined && seqOf(x) === seq ? x : undefined;
}

/** A copy of `list` with `entry` in place of the entry of its sequence number, or inserted in order. */
export function seqPut<T>(list: readonly T[], entry: T, seqOf: (x: T) => number): readonly T[] {
  const seq = seqOf(entry);
  const last = list[list.length - 1];
  // The common case: a new highest sequence number goes at the end.
  if (last === undefined || seqOf(last) < seq) return [...list, entry];
  const i = indexOf(list, seq, seqOf);
  const copy = list.slice();
  if (seqOf(list[i]!) === seq) copy[i] = entry;
  else copy.splice(i, 0, entry);
  return copy;
}

/** A copy of `list` without the entry for `seq`; `list` itself when it has none. */
export function seqDrop<T>(list: readonly T[], seq: number, seqOf: (x: T) => number): readonly T[] {
  const i = indexOf(list, seq, seqOf);
  const x = list[i];
  if (x === undefined || seqOf(x) !== seq) return list;
  const copy = list.slice();
  copy.splice(i, 1);
  return copy;
}

/** The entries of `list` above `seq` (a suffix, since the list is sorted); `list` itself when all are. */
export function seqAbove<T>(list: readonly T[], seq: number, seqOf: (x: T) => number): readonly T[] {
  const i = indexOf(list, seq + 1, seqOf);
  return i === 0 ? list : list.slice(i);
}
