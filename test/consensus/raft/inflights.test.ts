// The inflight window (etcd-io/raft's tracker.Inflights): the cases of etcd's
// tracker/inflights_test.go carried over to the plain-data window, plus the byte limit end to end.
import { describe, expect, it } from 'vitest';
import { ContractViolation } from 'distkit/core';
import { raft, type RaftState } from 'distkit/consensus';
import {
  NO_INFLIGHTS,
  addInflight,
  freeFirstInflight,
  freeInflightsTo,
  inflightsFull,
  type InflightLimits,
  type InflightWindow,
} from '../../../src/consensus/raft/inflights.js';
import { Net } from './harness.js';

const UNLIMITED = Number.MAX_SAFE_INTEGER;
/** A byte limit no test reaches: sizes are recorded, nothing is refused for bytes. */
const COUNTED = 1e9;

/** Adds messages begin..end-1, each with 100 + i bytes, as etcd's test does. */
function addRange(w: InflightWindow, begin: number, end: number, limits: InflightLimits): InflightWindow {
  for (let i = begin; i < end; i++) {
    expect(inflightsFull(w, limits), `full before adding ${i}`).toBe(false);
    w = addInflight(w, i, 100 + i, limits);
  }
  return w;
}

describe('inflight window: add', () => {
  it('counts messages and bytes until the count limit', () => {
    const limits = { maxInflight: 10, maxInflightBytes: 1000 };
    let w = addRange(NO_INFLIGHTS, 0, 5, limits);
    expect(w).toEqual({ inflight: [0, 1, 2, 3, 4], inflightSizes: [100, 101, 102, 103, 104], inflightBytes: 510 });
    expect(inflightsFull(w, limits)).toBe(false);
    w = addInflight(w, 5, 1, limits);
    expect(inflightsFull(w, { maxInflight: 10, maxInflightBytes: 511 })).toBe(true);
    w = addRange(w, 6, 10, limits);
    expect(w.inflight).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w.inflightBytes).toBe(941);
    expect(inflightsFull(w, limits)).toBe(true);
  });
  it('records no bytes without a byte limit', () => {
    const limits = { maxInflight: 10, maxInflightBytes: UNLIMITED };
    const w = addRange(NO_INFLIGHTS, 0, 3, limits);
    expect(w).toEqual({ inflight: [0, 1, 2], inflightSizes: [], inflightBytes: 0 });
    expect(freeInflightsTo(w, 1)).toEqual({ inflight: [2], inflightSizes: [], inflightBytes: 0 });
  });
  it('never mutates the window it is given', () => {
    const limits = { maxInflight: 4, maxInflightBytes: UNLIMITED };
    const w = Object.freeze(addRange(NO_INFLIGHTS, 1, 3, limits));
    const w2 = addInflight(w, 3, 7, limits);
    expect(w.inflight).toEqual([1, 2]);
    expect(w2.inflight).toEqual([1, 2, 3]);
  });
  it('adding to a full window or out of index order is a bug, not peer input', () => {
    const limits = { maxInflight: 2, maxInflightBytes: UNLIMITED };
    const w = addRange(NO_INFLIGHTS, 0, 2, limits);
    expect(() => addInflight(w, 2, 1, limits)).toThrow(ContractViolation);
    expect(() => addInflight(addRange(NO_INFLIGHTS, 5, 6, limits), 5, 1, limits)).toThrow(ContractViolation);
  });
});

describe('inflight window: free', () => {
  it('frees every message up to an index (etcd FreeLE)', () => {
    const limits = { maxInflight: 10, maxInflightBytes: COUNTED };
    let w = addRange(NO_INFLIGHTS, 0, 10, limits);
    w = freeInflightsTo(w, 0);
    expect(w.inflight).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w.inflightBytes).toBe(1045 - 100);
    w = freeInflightsTo(w, 4);
    expect(w.inflight).toEqual([5, 6, 7, 8, 9]);
    expect(w.inflightSizes).toEqual([105, 106, 107, 108, 109]);
    w = freeInflightsTo(w, 8);
    expect(w.inflight).toEqual([9]);
    w = addRange(w, 10, 15, limits);
    w = freeInflightsTo(w, 12);
    expect(w).toEqual({ inflight: [13, 14], inflightSizes: [113, 114], inflightBytes: 227 });
    w = freeInflightsTo(w, 14);
    expect(w).toEqual(NO_INFLIGHTS);
  });
  it('freeing below the first message changes nothing, and returns the same window', () => {
    const w = addRange(NO_INFLIGHTS, 5, 8, { maxInflight: 10, maxInflightBytes: UNLIMITED });
    expect(freeInflightsTo(w, 4)).toBe(w);
    expect(freeFirstInflight(NO_INFLIGHTS)).toBe(NO_INFLIGHTS);
  });
  it('frees the oldest message (etcd FreeFirstOne)', () => {
    const w = addRange(NO_INFLIGHTS, 0, 10, { maxInflight: 10, maxInflightBytes: COUNTED });
    const w2 = freeFirstInflight(w);
    expect(w2.inflight).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w2.inflightBytes).toBe(w.inflightBytes - 100);
  });
});

describe('inflight window: full (etcd TestInflightsFull)', () => {
  // Fill to `fullAt`, free up to `freeLE`, fill again until `againAt`; message i has 100 + i bytes.
  const cases = [
    { name: 'always-full', size: 0, maxBytes: UNLIMITED, fullAt: 0 },
    { name: 'single-entry', size: 1, maxBytes: UNLIMITED, fullAt: 1, freeLE: 1, againAt: 2 },
    { name: 'single-entry-overflow', size: 1, maxBytes: 10, fullAt: 1, freeLE: 1, againAt: 2 },
    { name: 'multi-entry', size: 15, maxBytes: UNLIMITED, fullAt: 15, freeLE: 6, againAt: 22 },
    { name: 'slight-overflow', size: 8, maxBytes: 400, fullAt: 4, freeLE: 2, againAt: 7 },
    { name: 'exact-max-bytes', size: 8, maxBytes: 406, fullAt: 4, freeLE: 3, againAt: 8 },
    { name: 'larger-overflow', size: 15, maxBytes: 408, fullAt: 5, freeLE: 1, againAt: 6 },
  ];
  it.each(cases)('$name', ({ size, maxBytes, fullAt, freeLE, againAt }) => {
    const limits = { maxInflight: size, maxInflightBytes: maxBytes };
    let w = addRange(NO_INFLIGHTS, 0, fullAt, limits);
    expect(inflightsFull(w, limits)).toBe(true);
    if (freeLE === undefined || againAt === undefined) return;
    w = freeInflightsTo(w, freeLE);
    w = addRange(w, fullAt, againAt, limits);
    expect(inflightsFull(w, limits)).toBe(true);
  });
});

describe('maxInflightBytes in a cluster', () => {
  const ids = ['a', 'b', 'c'];
  function elected(overrides: object): Net {
    const net = new Net(ids, overrides);
    net.campaign('a');
    expect(net.leader()).toBe('a');
    return net;
  }
  const appendsTo = (net: Net, to: string): number => net.queue.filter((e) => e.to === to && e.message.type === 'append').length;

  it('is unlimited by default, and then counts nothing', () => {
    const net = elected({ maxInflight: 8, maxEntriesPerAppend: 1 });
    expect(net.states.a!.options.maxInflightBytes).toBe(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 4; i++) net.step('a', { type: 'propose', data: 'x'.repeat(50) });
    expect(appendsTo(net, 'b')).toBe(4);
    expect(net.states.a!.progress.b!.inflightSizes).toEqual([]);
    expect(net.states.a!.progress.b!.inflightBytes).toBe(0);
  });
  it('stops a replicating follower once the bytes in flight reach the limit, the last message may pass it', () => {
    const net = elected({ maxInflight: 8, maxEntriesPerAppend: 1, maxInflightBytes: 120 });
    for (let i = 0; i < 4; i++) net.step('a', { type: 'propose', data: 'x'.repeat(50) });
    // 50 + 50 bytes < 120 admit a third message; 150 bytes fill the window.
    expect(appendsTo(net, 'b')).toBe(3);
    const p: RaftState['progress'][string] = net.states.a!.progress.b!;
    expect(p.inflight).toEqual([2, 3, 4]);
    expect(p.inflightSizes).toEqual([50, 50, 50]);
    expect(p.inflightBytes).toBe(150);
    net.stabilize();
    expect(net.terms('b')).toEqual(net.terms('a'));
    expect(net.states.a!.progress.b!.inflightBytes).toBe(0);
  });
  it('an entry larger than the limit still goes out, alone', () => {
    const net = elected({ maxInflight: 8, maxInflightBytes: 10 });
    net.step('a', { type: 'proposeBatch', data: ['x'.repeat(40), 'y'] });
    net.step('a', { type: 'propose', data: 'z' });
    const toB = net.queue.filter((e) => e.to === 'b' && e.message.type === 'append');
    expect(toB).toHaveLength(1);
    expect(net.states.a!.progress.b!.inflightBytes).toBe(41);
    net.stabilize();
    expect(net.terms('b')).toEqual(net.terms('a'));
  });
  it('is a positive integer option', () => {
    expect(() => raft.init({ id: 'a', voters: ['a'], seed: 1, maxInflightBytes: 0 })).toThrow(/maxInflightBytes/);
    expect(() => raft.init({ id: 'a', voters: ['a'], seed: 1, maxInflightBytes: 1.5 })).toThrow(/maxInflightBytes/);
  });
});
