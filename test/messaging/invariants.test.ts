import { describe, expect, it } from 'vitest';
import { checkInvariants } from 'distkit/core';
import { distributedQueue, eventStore, eventStoreInvariants, eventStoreStateProblem, queueInvariants, queueStateProblem, replicatedQueue, type QueueState } from 'distkit/messaging';

function queueWith(n: number): QueueState {
  let q = distributedQueue.init({ maxInFlight: 5 });
  for (let i = 0; i < n; i++) q = distributedQueue.apply(q, { type: 'enqueue', body: i, key: `k${i}`, group: 'g', now: i }).state;
  return distributedQueue.apply(q, { type: 'receive', consumer: 'w', now: n }).state;
}

describe('queue invariants', () => {
  it('hold for reachable states and catch broken ones', () => {
    const q = queueWith(3);
    expect(queueStateProblem(q)).toBeUndefined();
    const m1 = q.messages['m1']!;
    expect(queueStateProblem({ ...q, lastToken: 0 })).toMatch(/beyond lastToken/);
    expect(queueStateProblem({ ...q, messages: { ...q.messages, m2: { ...q.messages['m2']!, lease: m1.lease, receiveCount: 1 } } })).toMatch(/leases two messages/);
    expect(queueStateProblem({ ...q, options: { ...q.options, maxGroupInFlight: 0 } })).toMatch(/maxGroupInFlight/);
    expect(queueStateProblem({ ...q, dedup: [...q.dedup, q.dedup[0]!] })).toMatch(/remembered twice/);
    expect(queueStateProblem({ ...q, options: { ...q.options, maxMessages: 2 } })).toMatch(/maxMessages/);
  });

  it('replicas that applied the same entries must agree', () => {
    const base = replicatedQueue.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
    const a = { ...base, app: queueWith(2), appliedIndex: 3 };
    const b = { ...base, app: JSON.parse(JSON.stringify(a.app)) as QueueState, appliedIndex: 3 };
    expect(checkInvariants(queueInvariants(), { a, b })).toBeUndefined();
    const c = { ...b, app: { ...b.app, lastSeq: 7 } };
    expect(checkInvariants(queueInvariants(), { a, c })?.description).toBe('a and c applied up to 3 but hold different states');
    expect(checkInvariants(queueInvariants(), { a, c: { ...c, appliedIndex: 4 } })).toBeUndefined();
  });
});

describe('event store invariants', () => {
  it('hold for reachable states and catch a broken index', () => {
    let s = eventStore.init({});
    s = eventStore.apply(s, { type: 'append', stream: 'x', expected: 'any', events: [{ type: 'E', data: 1 }, { type: 'E', data: 2 }], now: 0 }).state;
    expect(eventStoreStateProblem(s)).toBeUndefined();
    expect(eventStoreStateProblem({ ...s, streams: { x: [1, 0] } })).toMatch(/wrong event/);
    expect(eventStoreStateProblem({ ...s, streams: {} })).toMatch(/streams index 0/);
    expect(eventStoreInvariants().map((i) => i.name)).toEqual(['replicas that applied the same entries agree', 'every event store is well formed']);
  });
});
