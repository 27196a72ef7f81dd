import { describe, expect, it } from 'vitest';
import { MapReduceJobError, runSequential } from '../../src/dataflow/index.js';
import { runMapReducePool } from '../../src/node/index.js';
import { identity } from './fixtures/mapreduce-pairs-job.js';
import { wordCount } from './fixtures/mapreduce-wc-job.js';

// A JavaScript entry that registers tsx in the thread, then loads the TypeScript job module.
const job = new URL('./fixtures/mapreduce-wc-job.mjs', import.meta.url);
const pairsJob = new URL('./fixtures/mapreduce-pairs-job.mjs', import.meta.url);
const lines = Array.from({ length: 200 }, (_x, i) => `w${i % 17} x${i % 5} y${(i * 7) % 11}`);

describe('runMapReducePool (worker_threads)', () => {
  it('runs word count on three threads and equals a sequential run', async () => {
    const r = await runMapReducePool<string, string, number>(job, lines, { workers: 3, partitions: 4 });
    expect(new Map([...r.output].sort())).toEqual(new Map([...runSequential(wordCount, lines)].sort()));
    // Real time: a thread still loading its module may get a backup attempt (speculation).
    expect(r.attempts.map).toBeGreaterThanOrEqual(12);
    expect(r.attempts.reduce).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('pairs of every shape cross the threads intact: string/number pairs and any other structured-clone value', async () => {
    const pairs: [unknown, unknown][] = [
      ['a', 1], ['a', -0], ['b', Number.NaN], ['c', Infinity], ['d', 2 ** 53 + 2], ['', 0.1], ['nul\u0000key', 3], ['é€😀', -1e-300],
      [7, 'seven'], [null, { nested: [1, undefined, 'x'] }], [['k', 1], true], [{ z: 1, a: 2 }, undefined], ['a', new Date(0)], ['e', 'text'],
    ];
    const allStrings = pairs.filter(([k, v]) => typeof k === 'string' && typeof v === 'number' && !k.includes('\u0000'));
    for (const input of [pairs, allStrings]) {
      const r = await runMapReducePool<[unknown, unknown], unknown, unknown[]>(pairsJob, input, { workers: 2, partitions: 3, speculation: false });
      const want = runSequential(identity, input);
      expect(r.output.size).toBe(want.size);
      for (const [k, v] of want) expect(r.output.get([...r.output.keys()].find((x) => Object.is(x, k) || JSON.stringify(x) === JSON.stringify(k)))).toEqual(v);
    }
  }, 60_000);

  it('a map function that throws in its thread fails the job naming the task', async () => {
    await expect(runMapReducePool(job, ['a', 'poison', 'b'], { workers: 2, splits: 3 })).rejects.toThrow(new MapReduceJobError('map task 1 failed 4 times; most recent failure: Error: poisoned line', { kind: 'map', index: 1 }));
  }, 60_000);
});
