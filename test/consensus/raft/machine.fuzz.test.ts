import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep } from 'distkit/core';
import { raft, raftEntries, raftLastIndex, type RaftState } from 'distkit/consensus';
import { Net, durableWithTerms } from './harness.js';

// States to attack: a leader with a few entries, a follower, a candidate, a learner-less joiner.
function targets(): RaftState[] {
  const net = new Net(['a', 'b', 'c']);
  net.campaign('a');
  for (let i = 0; i < 4; i++) net.step('a', { type: 'propose', data: { i } });
  net.stabilize();
  net.tickAll(10);
  net.stabilize();
  const candidate = raft.step(net.states.c!, { type: 'campaign', now: 20 }).state;
  const joiner = raft.step(raft.init({ id: 'j', voters: [], seed: 3 }), { type: 'tick', now: 0 }).state;
  // A later term whose committed log mixes terms, compacted, with a learner: b leads term 3.
  const later = new Net(['a', 'b', 'c']);
  later.load('a', durableWithTerms(['a', 'b', 'c'], 2, [1, 1, 2]));
  later.load('b', durableWithTerms(['a', 'b', 'c'], 2, [1, 1, 2]));
  later.load('c', durableWithTerms(['a', 'b', 'c'], 2, [1, 1]));
  later.drop = (e) => e.to === 'd';
  later.campaign('b');
  later.step('b', { type: 'changeMembership', change: { action: 'addLearner', node: 'd' } });
  for (let i = 0; i < 3; i++) later.step('b', { type: 'propose', data: i });
  later.stabilize();
  later.tickAll(10);
  later.stabilize();
  const compacted = raft.step(later.states.b!, { type: 'compact', index: 3, data: 'snap', now: 20 }).state;
  return [net.states.a!, net.states.b!, candidate, joiner, compacted, later.states.a!, later.states.c!];
}

const weirdNumber = fc.oneof(
  fc.integer({ min: -5, max: 20 }),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -1, 1.5, Number.NaN, Infinity, -0),
  fc.double(),
);
const weird = fc.oneof(weirdNumber, fc.string({ maxLength: 4 }), fc.constant(null), fc.boolean(), fc.constant(undefined), fc.array(fc.integer(), { maxLength: 2 }));
const entry = fc.record({
  index: fc.oneof(fc.integer({ min: 0, max: 12 }), weird),
  term: fc.oneof(fc.integer({ min: 0, max: 6 }), weird),
  data: fc.oneof(fc.jsonValue(), weird),
  kind: fc.oneof(fc.constantFrom('noop', 'config', 'bogus'), fc.constant(undefined)),
  membership: fc.oneof(fc.record({ voters: fc.array(fc.constantFrom('a', 'b', 'c', 'z', ''), { maxLength: 4 }), learners: fc.array(fc.constantFrom('a', 'd'), { maxLength: 2 }) }), weird),
}, { requiredKeys: [] });
const field = (f: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: f }, { weight: 1, arbitrary: weird });
const small = fc.integer({ min: 0, max: 12 });
const message = fc.oneof(
  fc.record({ type: fc.constant('vote'), term: field(small), lastIndex: field(small), lastTerm: field(small), pre: field(fc.boolean()), transfer: field(fc.boolean()) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('voteResponse'), term: field(small), granted: field(fc.boolean()), pre: field(fc.boolean()) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('append'), term: field(small), prevIndex: field(small), prevTerm: field(small), entries: field(fc.array(entry, { maxLength: 4 })), commit: field(small) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('appendResponse'), term: field(small), success: field(fc.boolean()), index: field(small), hintIndex: field(small), hintTerm: field(small) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('heartbeat'), term: field(small), commit: field(small), seq: field(small), sentAt: field(small) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('heartbeatResponse'), term: field(small), seq: field(small), sentAt: field(small) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('snapshot'), term: field(small), snapshot: field(fc.record({ index: field(small), term: field(small), membership: field(fc.record({ voters: fc.constant(['a', 'b', 'c']), learners: fc.constant([]) })), data: fc.jsonValue() })) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('timeoutNow'), term: field(small) }, { requiredKeys: [] }),
  fc.anything(),
);
const sender = fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', 'j', 'stranger', ''), fc.string({ maxLength: 3 }), weird);

function wellFormed(s: RaftState): void {
  expect(s.commit).toBeLessThanOrEqual(raftLastIndex(s.log));
  expect(s.applied).toBeLessThanOrEqual(s.commit);
  expect(Number.isSafeInteger(s.term)).toBe(true);
  const entries = raftEntries(s.log);
  let prevTerm = s.log.snapshotTerm;
  entries.forEach((e, i) => {
    expect(e.index).toBe(s.log.snapshotIndex + 1 + i);
    expect(e.term).toBeGreaterThanOrEqual(prevTerm);
    prevTerm = e.term;
  });
}

describe('hostile input', () => {
  it('never throws, keeps the state on rejection, never loses a committed entry or lowers the term', () => {
    const start = targets();
    expect(start[4]).toMatchObject({ role: 'leader', term: 3, membership: { learners: ['d'] } });
    expect(start[4]!.log.snapshotIndex).toBe(3);
    expect(start[6]!.commit).toBeGreaterThan(3);
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3, 4, 5, 6), fc.array(fc.tuple(sender, message), { minLength: 1, maxLength: 12 }), (which, inputs) => {
        let s = start[which]!;
        const committed = raftEntries(s.log, 1, s.commit);
        for (const [from, m] of inputs) {
          const before = s;
          // checkedStep freezes the input, verifies plain-data outputs and same-state rejections.
          const t = checkedStep(raft, s, { type: 'message', from: from as string, message: m, now: 30 });
          s = t.state;
          expect(s.term).toBeGreaterThanOrEqual(before.term);
          wellFormed(s);
          for (const e of committed) {
            if (e.index > s.log.snapshotIndex) expect(raftEntries(s.log, e.index, e.index)[0]).toEqual(e);
          }
        }
      }),
      { numRuns: 1000, seed: 42 },
    );
  });
  it('rejects terms and indexes beyond 2^53, wrong entry terms, unknown senders', () => {
    const [leader, follower] = targets();
    const cases: [string, unknown][] = [
      ['b', { type: 'heartbeat', term: 2 ** 53, commit: 0, seq: 0, sentAt: 0 }],
      ['b', { type: 'append', term: 1, prevIndex: -1, prevTerm: 0, entries: [], commit: 0 }],
      ['a', { type: 'append', term: 1, prevIndex: 5, prevTerm: 1, entries: [{ index: 6, term: 3, data: null }], commit: 0 }],
      ['a', { type: 'append', term: 3, prevIndex: 5, prevTerm: 1, entries: [{ index: 7, term: 3, data: null }], commit: 0 }],
      ['a', { type: 'append', term: 3, prevIndex: 5, prevTerm: 2, entries: [{ index: 6, term: 1, data: null }], commit: 0 }],
      ['stranger', { type: 'vote', term: 9, lastIndex: 99, lastTerm: 9, pre: false, transfer: false }],
      ['a', 'not an object'],
      ['a', { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [{ index: 1, term: 1, data: null, kind: 'config' }], commit: 0 }],
    ];
    for (const [from, message] of cases) {
      for (const s of [leader!, follower!]) {
        const t = checkedStep(raft, s, { type: 'message', from, message, now: 30 });
        expect(t.state).toBe(s);
        expect(t.outputs[0]).toMatchObject({ type: 'rejected' });
      }
    }
  });
  it('an append that would erase a committed entry is refused', () => {
    const [, follower] = targets();
    const s = follower!;
    expect(s.commit).toBeGreaterThan(1);
    const t = checkedStep(raft, s, {
      type: 'message',
      now: 30,
      from: 'a',
      message: { type: 'append', term: s.term + 1, prevIndex: 1, prevTerm: s.term, entries: [{ index: 2, term: s.term + 1, data: 'evil' }], commit: 0 },
    });
    expect(raftEntries(t.state.log, 2, 2)[0]).toEqual(raftEntries(s.log, 2, 2)[0]);
  });
});
