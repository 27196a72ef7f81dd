import { describe, expect, it } from 'vitest';
import { checkInvariants } from 'distkit/core';
import { committedOffsetsNeverGoBack, distributedQueue, eventStore, eventStoreInvariants, eventStoreStateProblem, pubSub, pubSubInvariants, pubSubStateProblem, queueInvariants, queueStateProblem, replicatedQueue, type PubSubState, type QueueState } from 'distkit/messaging';
import { type ReplicatedState } from 'distkit/consensus';

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

describe('pub/sub invariants', () => {
  const setup = () => {
    let s = pubSub.init({});
    for (const c of [
      { type: 'createTopic', topic: 't', partitions: 2, now: 0 },
      { type: 'publish', topic: 't', partition: 0, value: 1, now: 1 },
      { type: 'publish', topic: 't', partition: 0, value: 2, now: 2 },
      { type: 'join', group: 'g', member: 'a', topics: ['t'], now: 3 },
      { type: 'join', group: 'g', member: 'b', topics: ['t'], now: 4 },
    ]) s = pubSub.apply(s, c).state;
    return s;
  };

  it('pubSubStateProblem finds two owners of a partition in one generation, an offset past the log end, a hole in the offsets', () => {
    const s = setup();
    expect(pubSubStateProblem(s)).toBeUndefined();
    const g = s.groups.g!;
    expect(pubSubStateProblem({ ...s, groups: { g: { ...g, assignment: { a: [{ topic: 't', partition: 0 }], b: [{ topic: 't', partition: 0 }] } } } })).toMatch(/owned by both a and b/);
    expect(pubSubStateProblem({ ...s, groups: { g: { ...g, offsets: { t: { '0': 3 } } } } })).toMatch(/past the log end 2/);
    const t = s.topics.t!;
    expect(pubSubStateProblem({ ...s, topics: { t: { ...t, partitions: [{ startOffset: 0, records: [t.partitions[0]!.records[1]!] }, t.partitions[1]!] } } })).toMatch(/expected 0/);
  });

  it('committedOffsetsNeverGoBack sees an offset that decreased as the replica applied more, not a replica that restarted', () => {
    const base = setup();
    const at = (index: number, offset: number): ReplicatedState<unknown, PubSubState> =>
      ({ appliedIndex: index, app: { ...base, groups: { g: { ...base.groups.g!, offsets: { t: { '0': offset } } } } } }) as unknown as ReplicatedState<unknown, PubSubState>;
    const inv = committedOffsetsNeverGoBack();
    expect(inv.check({ n: at(5, 2) }, undefined as never)).toBeUndefined();
    expect(inv.check({ n: at(3, 0) }, undefined as never)).toBeUndefined(); // restarted from an older snapshot
    expect(inv.check({ n: at(6, 2) }, undefined as never)).toBeUndefined();
    expect(inv.check({ n: at(7, 1) }, undefined as never)).toMatch(/went from 2 to 1/);
    expect(pubSubInvariants().map((i) => i.name)).toContain('committed offsets never go backwards');
  });
});
