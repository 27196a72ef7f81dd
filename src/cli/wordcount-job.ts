// The word-count program that `distkit mr wordcount` ships to its worker threads: map counts the
// words of one chunk of text (the combiner of §4.3 done in the map), reduce sums the counts.
import { serveMapReduceThread } from '../node/mapreduce-pool.js';

/** A word: a maximal run of ASCII letters, as `tr -cs 'A-Za-z' '\n'` cuts them. */
const WORD = /[A-Za-z]+/g;

/** Counts the words of `text` (case kept, as `sort | uniq -c` would). */
export function countWords(text: string, into: Map<string, number> = new Map()): Map<string, number> {
  for (const m of text.matchAll(WORD)) {
    const w = m[0];
    into.set(w, (into.get(w) ?? 0) + 1);
  }
  return into;
}

/** Map, combine and reduce of word count over chunks of text. */
export const wordCountJob = {
  map: (chunk: string): [string, number][] => [...countWords(chunk)],
  combine: (_word: string, counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0),
  reduce: (_word: string, counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0),
};

serveMapReduceThread(wordCountJob);
