import { describe, expect, it } from 'vitest';
import { runSequential } from '../../src/dataflow/index.js';
import { ACCESS_LOG, hitsByPath, invertedIndex, mapReduceDemo, pageRank, statusBytes, wordCount } from '../../examples/mapreduce-programs.js';

describe('examples/mapreduce-programs.ts', () => {
  it('prints the four programs\' results', () => {
    const lines: string[] = [];
    mapReduceDemo((l) => lines.push(l));
    expect(lines[0]).toContain('hello=2');
    expect(lines[1]).toBe('inverted index: quick -> a.txt, c.txt; dog -> b.txt, c.txt');
    expect(lines[3]).toBe('log analysis: 2xx: 3 requests, 12288 bytes; 3xx: 1 requests, 0 bytes; 4xx: 1 requests, 512 bytes; 5xx: 1 requests, 0 bytes');
    expect(lines[4]).toBe('counters: {"requests":6,"malformed lines":1}');
  });

  it('PageRank by iterated jobs equals power iteration computed directly', () => {
    const links = { a: ['b', 'c'], b: ['c'], c: ['a'], d: ['c'], e: [] as string[] };
    const ids = Object.keys(links).sort();
    let rank = new Map(ids.map((id) => [id, 1 / ids.length]));
    for (let i = 0; i < 15; i++) {
      const next = new Map(ids.map((id) => [id, 0.15 / ids.length]));
      for (const id of ids) {
        const out = links[id as keyof typeof links];
        const targets = out.length > 0 ? out : ids;
        for (const t of targets) next.set(t, next.get(t)! + (0.85 * rank.get(id)!) / targets.length);
      }
      rank = next;
    }
    const got = pageRank(links, 15, 3);
    for (const id of ids) expect(got.get(id)).toBeCloseTo(rank.get(id)!, 12);
    expect([...got.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('word count, inverted index and log analysis equal their sequential runs', () => {
    const text = ACCESS_LOG.concat(ACCESS_LOG);
    expect(Object.fromEntries(runSequential(wordCount, text))).toMatchObject({ 'garbage': 2 });
    const docs = [{ name: 'x', text: 'one two' }, { name: 'y', text: 'two three' }];
    expect(runSequential(invertedIndex, docs).get('two')).toEqual(['x', 'y']);
    expect(runSequential(statusBytes, ACCESS_LOG).get('2xx')).toEqual({ requests: 3, bytes: 12288 });
    const hits = hitsByPath(text, 3);
    expect([...hits.output]).toEqual([...runSequential({ map: (l: string) => { const p = /"[A-Z]+ (\S+)/.exec(l)?.[1]; return p ? [[p, 1] as [string, number]] : []; }, reduce: (_p: string, xs: readonly number[]) => xs.length }, text)]);
  });
});
