// The in-process executor and the course notes' API shapes.
import { describe, expect, it } from 'vitest';
import { AdvancedMapReduce, MapReduce, MapReduceJob, MapReduceJobError, runMapReduce, runSequential } from '../../../src/dataflow/index.js';

const split = (line: string) => line.split(/\s+/).filter(Boolean).map((w): [string, number] => [w.toLowerCase(), 1]);
const sum = (_k: string, xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const text = ['Hello World', 'Hello MapReduce', 'World of Distributed Systems'];

describe('the notes\' API', () => {
  it('MapReduce(4).execute(data, mapper, reducer) is word count', () => {
    const result = new MapReduce(4).execute(text, split, sum);
    expect(Object.fromEntries(result)).toEqual({ hello: 2, world: 2, mapreduce: 1, of: 1, distributed: 1, systems: 1 });
  });

  it('AdvancedMapReduce with a combiner and a partitioner gives the same answer', () => {
    const result = new AdvancedMapReduce(3, sum, (key: string, r: number) => key.length % r).execute(text, split, sum);
    expect(new Map([...result].sort())).toEqual(new Map([...runSequential({ map: split, reduce: sum }, text)].sort()));
  });

  it('MapReduceJob(map, reduce).run(documents) with a generator map returns keys in sorted order', () => {
    function* wordCountMap(document: string): Generator<[string, number]> {
      for (const word of document.split(/\s+/)) if (word) yield [word.toLowerCase(), 1];
    }
    const result = new MapReduceJob(wordCountMap, sum).run(text);
    expect([...result.keys()]).toEqual(['distributed', 'hello', 'mapreduce', 'of', 'systems', 'world']);
  });
});

describe('failures in process', () => {
  it('a mapper that throws fails the job after maxFailures attempts with MapReduceJobError naming the task', () => {
    const map = (line: string) => {
      if (line.includes('MapReduce')) throw new Error('no');
      return split(line);
    };
    let error: unknown;
    try {
      runMapReduce({ map, reduce: sum }, text, { workers: 2, splits: 3, maxFailures: 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MapReduceJobError);
    expect((error as MapReduceJobError).task).toEqual({ kind: 'map', index: 1 });
    expect((error as Error).message).toBe('map task 1 failed 3 times; most recent failure: Error: no');
  });

  it('a reducer that throws on one key: skipped after two failures with skipBadRecords, counted in the counters', () => {
    const reduce = (k: string, xs: readonly number[]) => {
      if (k === 'of') throw new Error('bad key');
      return sum(k, xs);
    };
    const r = runMapReduce({ map: split, reduce }, text, { workers: 2, partitions: 1, skipBadRecords: true });
    expect(r.output.has('of')).toBe(false);
    expect(r.output.get('hello')).toBe(2);
    expect(r.counters).toEqual({ 'mapreduce.skippedRecords': 1 });
    expect(r.attempts.reduce).toBe(3);
  });

  it('user counters count each task once', () => {
    const r = runMapReduce({ map: (l: string, ctx) => (ctx.count('lines'), split(l)), reduce: sum }, text, { workers: 3 });
    expect(r.counters).toEqual({ lines: 3 });
  });
});

describe('counter limits', () => {
  it('a counter name past MAX_COUNTER_NAME fails the task (and, repeated, the job), not the executor', () => {
    const map = (l: string, ctx: { count(name: string): void }) => (ctx.count('x'.repeat(200)), split(l));
    expect(() => runMapReduce({ map, reduce: sum }, text, { workers: 2, splits: 1, maxFailures: 2 })).toThrow(/map task 0 failed 2 times; most recent failure: TypeError: count\(name, by\)/);
  });

  it('a counter named __proto__ is an ordinary counter', () => {
    const r = runMapReduce({ map: (l: string, ctx) => (ctx.count('__proto__'), split(l)), reduce: sum }, text, { workers: 2 });
    expect(Object.getOwnPropertyDescriptor(r.counters, '__proto__')?.value).toBe(3);
  });
});
