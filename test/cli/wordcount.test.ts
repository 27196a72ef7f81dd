import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { defaultChunkBytes, filesUnder, MAX_DEFAULT_CHUNK_BYTES, withoutPreloads } from '../../src/cli/wordcount.js';
import fc from 'fast-check';
import { countWords, fileSplits, inputSplits, readSplit, wordCountJob, WordTable } from '../../src/cli/wordcount-job.js';
import { fakeIo } from './fake-io.js';

const root = mkdtempSync(join(tmpdir(), 'distkit-wc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('distkit mr wordcount', () => {
  it('counts the words of every file under a directory into atomically committed partition files', async () => {
    const input = join(root, 'in');
    mkdirSync(join(input, 'sub'), { recursive: true });
    const texts = ['the quick brown fox\njumps over the lazy dog\n', 'The dog, the FOX; and 42 foxes!\n', 'über naïve the\n'.repeat(300)];
    writeFileSync(join(input, 'a.txt'), texts[0]!);
    writeFileSync(join(input, 'b.txt'), texts[1]!);
    writeFileSync(join(input, 'sub', 'c.txt'), texts[2]!);
    const out = join(root, 'out');
    const io = fakeIo();
    const code = await main(['mr', 'wordcount', input, '--out', out, '--workers', '2', '--partitions', '3', '--chunk-bytes', '500'], io);
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['_SUCCESS', 'part-r-00000', 'part-r-00001', 'part-r-00002']);
    const got = new Map<string, number>();
    for (const f of readdirSync(out).filter((n) => n.startsWith('part-'))) {
      const lines = readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean);
      const words = lines.map((l) => l.split('\t')[0]!);
      expect(words).toEqual([...words].sort()); // each partition sorted by word
      for (const l of lines) got.set(l.split('\t')[0]!, Number(l.split('\t')[1]));
    }
    const want = new Map<string, number>();
    for (const t of texts) countWords(t, want);
    expect(got).toEqual(want);
    expect(got.get('the')).toBe(303);
    expect(io.err).toMatch(/progress: map \d+\/\d+, reduce 3\/3/);
    expect(io.out).toMatch(/^3 files, .* 1,215 words, \d+ distinct/);
  }, 120_000);

  it('splits a file at any byte size and still counts every word once, where it starts', () => {
    const file = join(root, 'split.txt');
    const piece = fc.constantFrom('a', 'b', 'Zz', 'word', ' ', '\n', ', ', 'é', 'naïve', '€', '42', 'x'.repeat(300));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 1, max: 700 }), (pieces, bytes) => {
        const text = pieces.join('');
        writeFileSync(file, text);
        const got = new Map<string, number>();
        for (const split of fileSplits([{ path: file, size: Buffer.byteLength(text) }], bytes)) countWords(readSplit(split), got);
        expect(got).toEqual(countWords(text));
      }),
      { numRuns: 300 },
    );
  });

  it('reads the words a split owns: none of a word begun before it, all of one running past its end', () => {
    const file = join(root, 'owned.txt');
    writeFileSync(file, 'alpha beta gamma');
    expect(readSplit({ path: file, start: 0, end: 3 })).toBe('alpha');
    expect(readSplit({ path: file, start: 3, end: 8 })).toBe(' be' + 'ta');
    expect(readSplit({ path: file, start: 6, end: 7 })).toBe('beta');
    expect(readSplit({ path: file, start: 7, end: 16 })).toBe(' gamma');
    expect(readSplit({ path: file, start: 16, end: 20 })).toBe('');
    expect(fileSplits([{ path: file, size: 16 }, { path: 'empty', size: 0 }], 6)).toEqual([
      { path: file, start: 0, end: 6 },
      { path: file, start: 6, end: 12 },
      { path: file, start: 12, end: 16 },
    ]);
  });

  it('cuts several files, taken one after another, into splits of the byte size, and mapping every split counts every word once', () => {
    const piece = fc.constantFrom('a', 'b', 'Zz', 'word', ' ', '\n', ', ', 'é', 'naïve', '€', '42', 'x'.repeat(40));
    const paths = [0, 1, 2].map((i) => join(root, `multi-${i}.txt`));
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 30 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 400 }), (texts, bytes) => {
        const files = texts.map((pieces, i) => {
          writeFileSync(paths[i]!, pieces.join(''));
          return { path: paths[i]!, size: Buffer.byteLength(pieces.join('')) };
        });
        const splits = inputSplits(files, bytes);
        const sizes = splits.map((split) => split.reduce((n, r) => n + r.end - r.start, 0));
        const total = files.reduce((n, f) => n + f.size, 0);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
        expect(sizes.slice(0, -1).every((n) => n === bytes) && sizes.every((n) => n > 0 && n <= bytes)).toBe(true);
        const got = new Map<string, number>();
        for (const split of splits) for (const [w, c] of wordCountJob.map(split)) got.set(w, (got.get(w) ?? 0) + c);
        const want = new Map<string, number>();
        for (const pieces of texts) countWords(pieces.join(''), want);
        expect(new Map([...got].sort())).toEqual(new Map([...want].sort()));
      }),
      { numRuns: 200 },
    );
  });

  it('the byte table counts what countWords counts, through its growth, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(new Map(new WordTable().scan(b).pairs())).toEqual(countWords(b.toString('latin1')));
      }),
      { numRuns: 300 },
    );
    // Distinct words past the table's first capacity make it rehash and grow its arrays.
    const words = Array.from({ length: 20_000 }, (_x, i) => i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26))));
    const text = Buffer.from(words.concat(words.slice(0, 500)).join(' '));
    const table = new WordTable().scan(text);
    expect(table.size).toBe(20_000);
    expect(new Map(table.pairs())).toEqual(countWords(text.toString('latin1')));
  });

  it('cuts the input into one map task per thread by default, at most MAX_DEFAULT_CHUNK_BYTES each', () => {
    expect(defaultChunkBytes(50_000_000, 2)).toBe(25_000_000);
    expect(defaultChunkBytes(7, 2)).toBe(4);
    expect(defaultChunkBytes(0, 2)).toBe(1);
    expect(defaultChunkBytes(10 * MAX_DEFAULT_CHUNK_BYTES, 2)).toBe(MAX_DEFAULT_CHUNK_BYTES);
  });

  it('starts its threads without the options that preload modules, keeping the others', () => {
    expect(withoutPreloads(['--import', 'tsx', '--max-old-space-size=512', '--import=x', '-r', 'y', '--require=z', '--loader', 'l', '--experimental-loader=m', '--cpu-prof'])).toEqual(['--max-old-space-size=512', '--cpu-prof']);
  });

  it('counts runs of ASCII letters, case kept', () => {
    expect([...countWords('The the, THE-x42y é zz')]).toEqual([['The', 1], ['the', 1], ['THE', 1], ['x', 1], ['y', 1], ['zz', 1]]);
  });

  it('usage errors exit with 2', async () => {
    for (const argv of [['mr', 'grep', root], ['mr', 'wordcount'], ['mr', 'wordcount', root, '--workers', '0'], ['mr', 'wordcount', root, '--bogus', '1']]) {
      const io = fakeIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.err).toMatch(/^distkit: /);
    }
  });
});

describe('filesUnder', () => {
  it('follows symbolic links but walks each directory once: a link back up the tree and a dangling link do not stop the walk', () => {
    const root = mkdtempSync(join(tmpdir(), 'distkit-files-'));
    try {
      mkdirSync(join(root, 'sub'));
      writeFileSync(join(root, 'a.txt'), 'a b');
      writeFileSync(join(root, 'sub', 'b.txt'), 'c');
      symlinkSync(root, join(root, 'sub', 'loop'));
      symlinkSync(join(root, 'missing'), join(root, 'dangling'));
      symlinkSync(join(root, 'a.txt'), join(root, 'sub', 'alias.txt'));
      expect(filesUnder(root).map((f) => f.path.slice(root.length + 1))).toEqual(['a.txt', 'sub/alias.txt', 'sub/b.txt']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
