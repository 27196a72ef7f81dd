import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { chunkText } from '../../src/cli/wordcount.js';
import { countWords } from '../../src/cli/wordcount-job.js';
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

  it('cuts text between words', () => {
    expect(chunkText('aaa bbb ccc', 2)).toEqual(['aaa', ' bbb', ' ccc']);
    expect(chunkText('ab cd', 100).join('')).toBe('ab cd');
  });

  it('usage errors exit with 2', async () => {
    for (const argv of [['mr', 'grep', root], ['mr', 'wordcount'], ['mr', 'wordcount', root, '--workers', '0'], ['mr', 'wordcount', root, '--bogus', '1']]) {
      const io = fakeIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.err).toMatch(/^distkit: /);
    }
  });
});
