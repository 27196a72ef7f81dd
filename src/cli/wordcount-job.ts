// The word-count program that `distkit mr wordcount` ships to its worker threads. Its input
// records are byte ranges of files, read by the thread that maps them (the paper's map workers read
// their split from GFS, §3.1 step 3): map counts the words of one range (the combiner of §4.3 done
// in the map), reduce sums the counts.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { serveMapReduceThread } from '../node/mapreduce-pool.js';

/** A byte range `[start, end)` of a file: the split owns every word whose first byte lies in it. */
export interface FileSplit {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** Whether UTF-16 code unit / byte `c` is an ASCII letter. */
function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Counts the words (maximal runs of ASCII letters, as `tr -cs 'A-Za-z' '\n'` cuts them; case
 * kept, as `sort | uniq -c` would) of `text`.
 */
export function countWords(text: string, into: Map<string, number> = new Map()): Map<string, number> {
  let start = -1;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (isLetter(text.charCodeAt(i))) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      const w = text.slice(start, i);
      into.set(w, (into.get(w) ?? 0) + 1);
      start = -1;
    }
  }
  if (start >= 0) {
    const w = text.slice(start);
    into.set(w, (into.get(w) ?? 0) + 1);
  }
  return into;
}

/** Bytes read past a split's end, per read, to finish its last word. */
const TAIL = 256;

/**
 * The text of the words a split owns, as Latin-1 (a letter is one ASCII byte in UTF-8, and no
 * byte of a multi-byte character is one): from `start`, less the rest of a word that began before
 * it, to `end`, plus the rest of a word that runs past it.
 */
export function readSplit(split: FileSplit): string {
  const fd = openSync(split.path, 'r');
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, split.start - 1);
    const head = Buffer.allocUnsafe(Math.max(0, Math.min(split.end, size) - from));
    let got = 0;
    for (let n = 1; got < head.length && n > 0; got += n) n = readSync(fd, head, got, head.length - got, from + got);
    // The byte before `start` belongs to the previous split, and so does a word running across `start`.
    let skip = split.start > 0 ? 1 : 0;
    if (skip === 1 && got > 0 && isLetter(head[0]!)) while (skip < got && isLetter(head[skip]!)) skip++;
    const owned = head.subarray(skip, got);
    const parts = [owned];
    let open = owned.length > 0 && isLetter(owned[owned.length - 1]!);
    // The last word may run past `end`: read on until a non-letter or the end of the file.
    for (let at = from + got; open && at < size; ) {
      const tail = Buffer.allocUnsafe(TAIL);
      const n = readSync(fd, tail, 0, TAIL, at);
      let stop = 0;
      while (stop < n && isLetter(tail[stop]!)) stop++;
      parts.push(tail.subarray(0, stop));
      open = n > 0 && stop === n;
      at += n;
    }
    return (parts.length === 1 ? owned : Buffer.concat(parts)).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/**
 * Cuts files into splits of about `bytes` bytes (the last of a file may be shorter); a file of
 * `sizes[i]` bytes gives `ceil(sizes[i] / bytes)` splits, an empty file none.
 */
export function fileSplits(files: readonly { readonly path: string; readonly size: number }[], bytes: number): FileSplit[] {
  const out: FileSplit[] = [];
  for (const f of files) for (let start = 0; start < f.size; start += bytes) out.push({ path: f.path, start, end: Math.min(f.size, start + bytes) });
  return out;
}

/** Map, combine and reduce of word count over file splits. */
export const wordCountJob = {
  map: (split: FileSplit): [string, number][] => [...countWords(readSplit(split))],
  combine: (_word: string, counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0),
  reduce: (_word: string, counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0),
};

serveMapReduceThread(wordCountJob);
