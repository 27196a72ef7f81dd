import { describe, expect, it } from 'vitest';
import { MapReduceJobError, runSequential } from '../../src/dataflow/index.js';
import { runMapReducePool } from '../../src/node/index.js';
import { wordCount } from './fixtures/mapreduce-wc-job.js';

// A JavaScript entry that registers tsx in the thread, then loads the TypeScript job module.
const job = new URL('./fixtures/mapreduce-wc-job.mjs', import.meta.url);
const lines = Array.from({ length: 200 }, (_x, i) => `w${i % 17} x${i % 5} y${(i * 7) % 11}`);

describe('runMapReducePool (worker_threads)', () => {
  it('runs word count on three threads and equals a sequential run', async () => {
    const r = await runMapReducePool<string, string, number>(job, lines, { workers: 3, partitions: 4 });
    expect(new Map([...r.output].sort())).toEqual(new Map([...runSequential(wordCount, lines)].sort()));
    // Real time: a thread still loading its module may get a backup attempt (speculation).
    expect(r.attempts.map).toBeGreaterThanOrEqual(12);
    expect(r.attempts.reduce).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('a map function that throws in its thread fails the job naming the task', async () => {
    await expect(runMapReducePool(job, ['a', 'poison', 'b'], { workers: 2, splits: 3 })).rejects.toThrow(new MapReduceJobError('map task 1 failed 4 times; most recent failure: Error: poisoned line', { kind: 'map', index: 1 }));
  }, 60_000);
});
