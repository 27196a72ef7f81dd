// The word-count program that `distkit mr wordcount` ships to its worker threads. Its input
// records are byte ranges of files, read by the thread that maps them (the paper's map workers read
// their split from GFS, §3.1 step 3): map counts the words of one range (the combiner of §4.3 done
// in the map, over the bytes, so a word seen before costs no string), reduce sums the counts.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { serveMapReduceThread } from '../node/mapreduce-pool.js';

/** A byte range `[start, end)` of a file: the split owns every word whose first byte lies in it. */
export interface FileSplit {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** `LETTER[c]` is 1 when byte or UTF-16 code unit `c` (< 256) is an ASCII letter. */
const LETTER = new Uint8Array(256);
for (let c = 65; c <= 90; c++) LETTER[c] = LETTER[c + 32] = 1;

/** Whether UTF-16 code unit / byte `c` is an ASCII letter. */
function isLetter(c: number): boolean {
  return c < 256 && LETTER[c] === 1;
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

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const FIRST_ENTRIES = 1 << 12;

/** `a` copied into a new array of at least `n` elements, doubling. */
function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T, n: number): T {
  let size = a.length * 2;
  while (size < n) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/**
 * The words of some bytes (runs of ASCII letters, as {@link countWords} cuts them) and their
 * counts, in an open-addressing table keyed by the words' bytes (FNV-1a, linear probing): a word
 * seen before costs a probe and a byte compare, with no string and no allocation; only a new word
 * becomes a string.
 */
export class WordTable {
  #slots = new Int32Array(2 * FIRST_ENTRIES);
  #hashes = new Int32Array(FIRST_ENTRIES);
  #starts = new Int32Array(FIRST_ENTRIES);
  #lengths = new Int32Array(FIRST_ENTRIES);
  #counts = new Float64Array(FIRST_ENTRIES);
  #arena = new Uint8Array(16 * FIRST_ENTRIES);
  #used = 0;
  readonly #words: string[] = [];

  /** Distinct words so far. */
  get size(): number {
    return this.#words.length;
  }

  /** Counts the words of `b[from, to)`; a run of letters touching either end counts as a whole word. */
  scan(b: Buffer, from = 0, to = b.length): this {
    let start = -1;
    let h = 0;
    for (let i = from; i < to; i++) {
      const c = b[i]!;
      if (LETTER[c] === 1) {
        if (start < 0) {
          start = i;
          h = FNV_OFFSET;
        }
        h = Math.imul(h ^ c, FNV_PRIME);
      } else if (start >= 0) {
        this.#add(b, start, i, h ^ (h >>> 15));
        start = -1;
      }
    }
    if (start >= 0) this.#add(b, start, to, h ^ (h >>> 15));
    return this;
  }

  /** The words and their counts, in the order first seen. */
  pairs(): [string, number][] {
    const out = new Array<[string, number]>(this.#words.length);
    for (let i = 0; i < out.length; i++) out[i] = [this.#words[i]!, this.#counts[i]!];
    return out;
  }

  #add(b: Buffer, start: number, end: number, h: number): void {
    const len = end - start;
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot]! - 1;
      if (id < 0) return this.#insert(b, start, len, h, slot);
      if (this.#hashes[id] === h && this.#lengths[id] === len && this.#same(id, b, start, len)) {
        this.#counts[id]!++;
        return;
      }
    }
  }

  #same(id: number, b: Uint8Array, start: number, len: number): boolean {
    const arena = this.#arena;
    const at = this.#starts[id]!;
    for (let k = 0; k < len; k++) if (arena[at + k] !== b[start + k]) return false;
    return true;
  }

  #insert(b: Buffer, start: number, len: number, h: number, slot: number): void {
    const id = this.#words.length;
    if (id === this.#counts.length) {
      this.#hashes = grown(this.#hashes, id + 1);
      this.#starts = grown(this.#starts, id + 1);
      this.#lengths = grown(this.#lengths, id + 1);
      this.#counts = grown(this.#counts, id + 1);
    }
    if (this.#used + len > this.#arena.length) this.#arena = grown(this.#arena, this.#used + len);
    const arena = this.#arena;
    for (let k = 0; k < len; k++) arena[this.#used + k] = b[start + k]!;
    this.#starts[id] = this.#used;
    this.#lengths[id] = len;
    this.#hashes[id] = h;
    this.#counts[id] = 1;
    this.#used += len;
    this.#words.push(b.toString('latin1', start, start + len));
    this.#slots[slot] = id + 1;
    if (4 * (id + 1) > 3 * this.#slots.length) this.#rehash();
  }

  /** Doubles the slots (kept at most 3/4 full) and re-inserts every word by its stored hash. */
  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.#words.length; id++) {
      let slot = this.#hashes[id]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.#slots = slots;
  }
}

/** Bytes read past a split's end, per read, to finish its last word. */
const TAIL = 256;

/**
 * The bytes of the words a split owns: from `start`, less the rest of a word that began before
 * it, to `end`, plus the rest of a word that runs past it.
 */
export function readSplitBytes(split: FileSplit): Buffer {
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
    return parts.length === 1 ? owned : Buffer.concat(parts);
  } finally {
    closeSync(fd);
  }
}

/**
 * The text of the words a split owns, as Latin-1 (a letter is one ASCII byte in UTF-8, and no
 * byte of a multi-byte character is one): {@link readSplitBytes} as a string.
 */
export function readSplit(split: FileSplit): string {
  return readSplitBytes(split).toString('latin1');
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

/** A map task's input: byte ranges of one or more files, counted one after another. */
export type InputSplit = readonly FileSplit[];

/** The most bytes of a file read at once: a longer stretch of one file becomes several ranges. */
export const MAX_RANGE_BYTES = 16 << 20;

/**
 * Cuts the files, taken one after another, into splits of `bytes` bytes (the last may be
 * shorter), so a split can cover the end of one file and the start of the next; each split is the
 * list of its file ranges, none longer than {@link MAX_RANGE_BYTES}. Empty files add nothing.
 */
export function inputSplits(files: readonly { readonly path: string; readonly size: number }[], bytes: number): FileSplit[][] {
  const out: FileSplit[][] = [];
  let split: FileSplit[] = [];
  let room = bytes;
  for (const f of files) {
    for (let start = 0; start < f.size; ) {
      const end = start + Math.min(f.size - start, room, MAX_RANGE_BYTES);
      split.push({ path: f.path, start, end });
      room -= end - start;
      start = end;
      if (room === 0) {
        out.push(split);
        split = [];
        room = bytes;
      }
    }
  }
  if (split.length > 0) out.push(split);
  return out;
}

/**
 * Map and reduce of word count over file splits. Map already sums the counts of its split (the
 * combiner done in the map, over all the split's ranges), and a map task is one split, so a
 * separate combiner would have no two pairs of one word to merge: it would only cost a grouping
 * of every map task's output.
 */
export const wordCountJob = {
  map: (split: InputSplit): [string, number][] => {
    const words = new WordTable();
    for (const range of split) words.scan(readSplitBytes(range));
    return words.pairs();
  },
  reduce: (_word: string, counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0),
};

serveMapReduceThread(wordCountJob);
