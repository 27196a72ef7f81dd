import { describe, expect, it } from 'vitest';
import { deepFreeze } from 'distkit/core';
import { assignRoundRobin, pubSub, pubSubStateProblem, type PubSubResult, type PubSubState } from 'distkit/messaging';

type Cmd = Record<string, unknown> & { type: string; now: number };

function run(commands: readonly Cmd[], config = {}): { state: PubSubState; results: PubSubResult[] } {
  let state = pubSub.init(config);
  const results: PubSubResult[] = [];
  for (const c of commands) {
    const r = pubSub.apply(deepFreeze(state), deepFreeze(c));
    expect(pubSubStateProblem(r.state)).toBeUndefined();
    state = r.state;
    results.push(r.result);
  }
  return { state, results };
}

const join = (member: string, now: number, topics = ['t']): Cmd => ({ type: 'join', group: 'g', member, topics, now });
const hb = (member: string, generation: number, now: number): Cmd => ({ type: 'heartbeat', group: 'g', member, generation, now });
const commit = (partition: number, offset: number, now: number, member?: string, generation?: number): Cmd => ({ type: 'commit', group: 'g', topic: 't', partition, offset, now, ...(member === undefined ? {} : { member, generation }) });
const setup: Cmd[] = [{ type: 'createTopic', topic: 't', partitions: 4, now: 0 }, ...[0, 1, 2, 3].flatMap((p) => [1, 2, 3].map((i) => ({ type: 'publish', topic: 't', partition: p, value: `${p}-${i}`, now: 0 })))];
const brief = (r: PubSubResult) => (r.type === 'refused' ? r.reason : r.type === 'joined' || r.type === 'heartbeat' ? [r.generation, r.assignment.map((tp) => tp.partition)] : r.type);

describe("consumer groups: assignment (Kafka's RoundRobinAssignor)", () => {
  it('deals sorted partitions to sorted members in turn, skipping members not subscribed to a topic', () => {
    const members = { b: { topics: ['t', 'u'], lastSeen: 0 }, a: { topics: ['t'], lastSeen: 0 } };
    expect(assignRoundRobin(members, { t: 3, u: 2 })).toEqual({
      a: [{ topic: 't', partition: 0 }, { topic: 't', partition: 2 }],
      b: [{ topic: 't', partition: 1 }, { topic: 'u', partition: 0 }, { topic: 'u', partition: 1 }],
    });
  });
});

describe('consumer groups: generations fence stale members', () => {
  it('a join rebalances into a new generation; a commit from the old generation or for a partition given away is refused', () => {
    const { results, state } = run([...setup, join('c1', 1), commit(0, 2, 2, 'c1', 1), join('c2', 3), commit(1, 1, 4, 'c1', 1), hb('c1', 1, 5), commit(1, 1, 6, 'c1', 2), commit(0, 3, 7, 'c1', 2), commit(1, 1, 8, 'c2', 2)]);
    expect(results.slice(setup.length).map(brief)).toEqual([
      [1, [0, 1, 2, 3]],
      'committed',
      [2, [1, 3]],
      'stale generation 1: the group is at generation 2 (rebalanced); heartbeat for the new assignment',
      [2, [0, 2]],
      'member "c1" does not own t/1 in generation 2',
      'committed',
      'committed',
    ]);
    expect(results[setup.length + 4]).toMatchObject({ rebalanced: true });
    expect(state.groups.g!.offsets).toEqual({ t: { '0': 3, '1': 1 } });
  });

  it('a member silent past sessionTimeoutMs is removed, its partitions reassigned, its commits refused', () => {
    const { results } = run([...setup, join('c1', 1), join('c2', 2), hb('c2', 2, 900), hb('c2', 2, 1500), commit(1, 1, 1600, 'c1', 2), commit(0, 1, 1700, 'c2', 3)], { sessionTimeoutMs: 1000 });
    expect(results.slice(setup.length).map(brief)).toEqual([
      [1, [0, 1, 2, 3]],
      [2, [1, 3]],
      [2, [1, 3]],
      [3, [0, 1, 2, 3]],
      'unknown member "c1" (its session expired, or it left): join again',
      'committed',
    ]);
  });

  it('leave rebalances; a rejoin with the same topics keeps the generation; at most maxMembers', () => {
    const { results } = run([...setup, join('c1', 1), join('c1', 2), join('c2', 3), join('c3', 4), { type: 'leave', group: 'g', member: 'c2', now: 5 }, { type: 'leave', group: 'g', member: 'c2', now: 6 }], { maxMembers: 2 });
    expect(results.slice(setup.length).map(brief)).toEqual([[1, [0, 1, 2, 3]], [1, [0, 1, 2, 3]], [2, [1, 3]], 'group "g" has 2 members (maxMembers)', 'left', 'unknown member "c2" of group "g"']);
  });
});

describe('consumer groups: committed offsets (durable subscriptions)', () => {
  it('only move forward, never past the log end; a fetch with the group resumes at the committed offset', () => {
    const { results } = run([...setup, commit(0, 2, 1), commit(0, 1, 2), commit(0, 4, 3), { type: 'fetch', topic: 't', partition: 0, group: 'g', now: 4 }, { type: 'fetch', topic: 't', partition: 1, group: 'g', now: 4 }, { type: 'offsets', group: 'g', now: 5 }]);
    const tail = results.slice(setup.length);
    expect(tail.slice(0, 3).map(brief)).toEqual(['committed', 'offset 1 is behind the committed 2: committed offsets only move forward (fetch from an older offset to replay)', 'offset 4 is past the log end 3 of t/0']);
    expect(tail[3]).toMatchObject({ type: 'fetched', records: [{ offset: 2, value: '0-3' }] });
    // No committed offset: the group starts at the log start (auto.offset.reset=earliest).
    expect(tail[4]).toMatchObject({ type: 'fetched', records: [{ value: '1-1' }, { value: '1-2' }, { value: '1-3' }] });
    expect(tail[5]).toEqual({ type: 'offsets', group: 'g', generation: 0, offsets: [{ topic: 't', partition: 0, offset: 2 }], at: 5 });
  });

  it('a group with live members refuses anonymous commits; an empty group accepts them; deleteGroup only when empty', () => {
    const { results } = run([...setup, join('c1', 1), commit(0, 1, 2), { type: 'deleteGroup', group: 'g', now: 3 }, { type: 'leave', group: 'g', member: 'c1', now: 4 }, commit(0, 1, 5), { type: 'deleteGroup', group: 'g', now: 6 }, { type: 'offsets', group: 'g', now: 7 }]);
    expect(results.slice(setup.length + 1).map((r) => (r.type === 'refused' ? r.reason : r.type))).toEqual(['group has live members: a commit must name its member and generation 1', 'group "g" has live members', 'left', 'committed', 'groupDeleted', 'offsets']);
  });

  it('bounds the group table (maxGroups) for joins and commits alike', () => {
    const { results } = run([...setup, join('c1', 1), { type: 'commit', group: 'h', topic: 't', partition: 0, offset: 0, now: 2 }, { type: 'join', group: 'h', member: 'x', topics: ['t'], now: 3 }], { maxGroups: 1 });
    expect(results.slice(setup.length + 1).map((r) => (r.type === 'refused' ? r.reason : r.type))).toEqual(['1 groups exist (maxGroups); delete one', '1 groups exist (maxGroups); delete one']);
  });
});
