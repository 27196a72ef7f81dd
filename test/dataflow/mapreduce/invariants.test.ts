// The invariants catch what they claim to catch.
import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../../../src/core/index.js';
import { mapReduceCoordinator as C, mapReduceInvariants, mapReduceStateInvariants, type MapReduceCoordinatorState, type TaskRecord } from '../../../src/dataflow/index.js';

const base = C.init({ id: 'c', splits: ['a', 'b'], partitions: 1 });
const withMap = (s: MapReduceCoordinatorState, i: number, t: Partial<TaskRecord>): MapReduceCoordinatorState => ({ ...s, maps: s.maps.map((m, k) => (k === i ? { ...m, ...t } : m)) });
const completed = (worker: string, attempt = 0) => ({ attempt, worker, incarnation: 1, durationMs: 5, sizes: [1], counters: {} });
const worker = { incarnation: 1, lastSeen: 0, alive: true, running: null, failures: 0 };

describe('mapReduceStateInvariants', () => {
  it('holds on a fresh coordinator and flags a task whose state disagrees with its attempts', () => {
    expect(checkInvariants(mapReduceStateInvariants(), { c: base })).toBeUndefined();
    const bad = withMap(base, 0, { state: 'completed' });
    expect(checkInvariants(mapReduceStateInvariants(), { c: bad })?.description).toBe('c: map task 0 is completed but its attempts say idle');
  });

  it('flags an attempt on a worker that is not alive', () => {
    const s = { ...withMap(base, 0, { state: 'in-progress', attempts: 1, running: [{ attempt: 0, worker: 'w1', startedAt: 0, backup: false }] }), workers: { w1: { ...worker, alive: false } } };
    expect(checkInvariants(mapReduceStateInvariants(), { c: s })?.description).toBe('c: map task 0 attempt 0 runs on w1, which is not an alive worker');
  });
});

describe('mapReduceInvariants (with memory)', () => {
  it('flags a committed partition that changes its attempt', () => {
    const inv = mapReduceInvariants();
    const done = (attempt: number): MapReduceCoordinatorState => ({ ...base, reduces: [{ ...base.reduces[0]!, state: 'completed', attempts: 2, completed: completed('w1', attempt) }] });
    expect(checkInvariants(inv, { c: done(0) })).toBeUndefined();
    expect(checkInvariants(inv, { c: done(1) })?.invariant).toBe('at most one committed output per partition');
  });

  it('flags a completed map task that reverts while its worker did not fail, and allows it when it did', () => {
    const s0 = { ...withMap(base, 0, { state: 'completed', attempts: 1, completed: completed('w1') }), workers: { w1: worker } };
    const reverted = { ...s0, maps: base.maps };
    const inv = mapReduceInvariants();
    expect(checkInvariants(inv, { c: s0 })).toBeUndefined();
    expect(checkInvariants(inv, { c: reverted })?.description).toBe('c: map task 0 (attempt 0 on w1) reverted though w1 did not fail');
    const inv2 = mapReduceInvariants();
    expect(checkInvariants(inv2, { c: s0 })).toBeUndefined();
    expect(checkInvariants(inv2, { c: { ...reverted, workers: { w1: { ...worker, alive: false, failures: 1 } } } })).toBeUndefined();
  });
});
