import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, type Machine } from 'distkit/core';
import { basicPaxos, fastPaxos, multiPaxos, type BasicPaxosState, type FastPaxosState, type MultiPaxosState } from 'distkit/consensus';
import { Net } from './net.js';

// Targets: states in the middle of a run, so hostile input meets every role's live state.
function basicTargets(): BasicPaxosState[] {
  const ids = ['a', 'b', 'c'];
  const net = new Net(basicPaxos, Object.fromEntries(ids.map((id) => [id, { id, acceptors: ids }])));
  const fresh = net.states.b!;
  net.input('a', { type: 'propose', value: 'x' });
  net.run((e) => e.message.type !== 'accepted');
  return [fresh, net.states.a!, net.states.b!];
}
function multiTargets(): MultiPaxosState[] {
  const ids = ['a', 'b', 'c'];
  const net = new Net(multiPaxos, Object.fromEntries(ids.map((id) => [id, { id, acceptors: ids }])));
  for (const id of ids) net.tick(id, 0);
  net.input('a', { type: 'campaign' });
  net.run();
  for (let i = 0; i < 5; i++) net.input('a', { type: 'propose', value: i });
  net.run((e) => e.to !== 'c');
  return [net.states.a!, net.states.b!, net.states.c!];
}
function fastTargets(): FastPaxosState[] {
  const ids = ['a', 'b', 'c', 'd'];
  const net = new Net(fastPaxos, Object.fromEntries(ids.map((id) => [id, { id, acceptors: ids }])));
  net.tick('a', 0);
  net.run();
  net.input('b', { type: 'propose', value: 'x' });
  net.run((e) => e.to !== 'd');
  return [net.states.a!, net.states.b!, net.states.d!];
}

const weird = fc.oneof(
  fc.constantFrom(-1, 0, 1.5, 2 ** 53, Number.NaN, Infinity, '', 'a', null, true, [], {}),
  fc.integer({ min: -3, max: 10 }),
  fc.string({ maxLength: 3 }),
);
const ballot = fc.oneof(fc.record({ round: fc.oneof(fc.integer({ min: 0, max: 5 }), weird), node: fc.oneof(fc.constantFrom('a', 'b', 'c', 'd'), weird), recovery: fc.oneof(fc.boolean(), weird) }, { requiredKeys: [] }), weird);
const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), weird);
const entry = fc.oneof(fc.record({ kind: fc.constantFrom('command', 'noop', 'x'), value }, { requiredKeys: [] }), weird);
const types = ['prepare', 'promise', 'accept', 'accepted', 'nack', 'chosen', 'query', 'any', 'propose', 'decide', 'heartbeat', 'catchup', 'decisions', 'bogus'];
const message = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom(...types),
      ballot,
      promised: ballot,
      value,
      fast: fc.oneof(fc.boolean(), weird),
      accepted: fc.oneof(fc.constant(null), fc.record({ ballot, value }), fc.array(fc.record({ slot: fc.oneof(fc.integer({ min: 0, max: 9 }), weird), ballot, entry }), { maxLength: 3 }), weird),
      vote: fc.oneof(fc.constant(null), fc.record({ ballot, fast: fc.boolean(), value }), weird),
      fromSlot: fc.oneof(fc.integer({ min: 0, max: 9 }), weird),
      logEnd: fc.oneof(fc.integer({ min: 0, max: 9 }), weird),
      more: fc.oneof(fc.boolean(), weird),
      slots: fc.oneof(fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), weird), { maxLength: 4 }), weird),
      entries: fc.oneof(fc.array(entry, { maxLength: 3 }), fc.array(fc.record({ slot: fc.oneof(fc.integer({ min: 0, max: 9 }), weird), entry }), { maxLength: 3 }), weird),
      from: fc.oneof(fc.integer({ min: 0, max: 9 }), weird),
    },
    { requiredKeys: ['type'] },
  ),
  fc.anything(),
);
const sender = fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', 'stranger', ''), weird);

function attack<S>(name: string, machine: Machine<unknown, S, unknown, unknown>, targets: S[]): void {
  it(`${name}: arbitrary messages from arbitrary senders never throw, and a rejected one leaves the state untouched`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: targets.length - 1 }), fc.array(fc.tuple(sender, message), { minLength: 1, maxLength: 10 }), (which, inputs) => {
        let s: S = targets[which] as S;
        for (const [from, m] of inputs) {
          // checkedStep deep-freezes, checks plain-data outputs and same-state rejections.
          const t = checkedStep(machine, s, { type: 'message', from, message: m, now: 1000 });
          const rejected = t.outputs.filter((o) => (o as { type: string }).type === 'rejected');
          for (const r of rejected) expect((r as { reason: string }).reason.length).toBeGreaterThan(5);
          if (rejected.length > 0 && rejected.length === t.outputs.length) expect(t.state).toBe(s);
          s = t.state;
        }
      }),
      { numRuns: 400, seed: 7 },
    );
  });
}

describe('hostile input: rejected with a reason, state unchanged', () => {
  attack('basicPaxos', basicPaxos as Machine<unknown, BasicPaxosState, unknown, unknown>, basicTargets());
  attack('multiPaxos', multiPaxos as Machine<unknown, MultiPaxosState, unknown, unknown>, multiTargets());
  attack('fastPaxos', fastPaxos as Machine<unknown, FastPaxosState, unknown, unknown>, fastTargets());

  const cases: [string, Machine<unknown, unknown, unknown, unknown>, () => unknown[], [string, unknown, RegExp][]][] = [
    [
      'basicPaxos',
      basicPaxos as never,
      basicTargets,
      [
        ['b', { type: 'prepare', ballot: { round: -1, node: 'b' } }, /ballot\.round/],
        ['b', { type: 'prepare', ballot: { round: 9, node: 'c' } }, /ballot\.node: c is not the sender b/],
        ['b', { type: 'accept', ballot: { round: 2 ** 53, node: 'b' }, value: 1 }, /ballot\.round/],
        ['b', { type: 'accept', ballot: { round: 1, node: 'b' } }, /value: missing/],
        ['stranger', { type: 'query' }, /not a member/],
        ['b', { type: 'nack', ballot: { round: 3, node: 'a' }, promised: { round: 1, node: 'b' } }, /promised must exceed/],
        ['b', 'junk', /expected an object/],
        ['b', { type: 'launch' }, /type: expected one of/],
      ],
    ],
    [
      'multiPaxos',
      multiPaxos as never,
      multiTargets,
      [
        ['b', { type: 'accept', ballot: { round: 9, node: 'b' }, entries: [] }, /entries: expected 1\.\./],
        ['b', { type: 'accept', ballot: { round: 9, node: 'b' }, entries: [{ slot: 0, entry: { kind: 'noop' } }] }, /slot/],
        ['b', { type: 'accept', ballot: { round: 9, node: 'b' }, entries: [{ slot: 1, entry: { kind: 'evil' } }] }, /kind/],
        ['b', { type: 'accept', ballot: { round: 9, node: 'b' }, entries: [{ slot: 2 ** 40, entry: { kind: 'noop' } }] }, /beyond the decided prefix \d+ \+ maxPendingSlots/],
        ['b', { type: 'decisions', from: 99, entries: [{ kind: 'noop' }] }, /leaves a gap/],
        ['b', { type: 'promise', ballot: { round: 1, node: 'a' }, logEnd: -1, accepted: [], more: false }, /logEnd/],
        ['b', { type: 'heartbeat', ballot: { round: 1, node: 'b' }, logEnd: 'x' }, /logEnd/],
        ['z', { type: 'catchup', from: 1 }, /not a member/],
      ],
    ],
    [
      'fastPaxos',
      fastPaxos as never,
      fastTargets,
      [
        ['b', { type: 'any', ballot: { round: 9, node: 'b', recovery: false } }, /not a coordinator/],
        ['a', { type: 'any', ballot: { round: 9, node: 'a', recovery: true } }, /recovery round is classic/],
        ['a', { type: 'any', ballot: { round: 9, node: 'a' } }, /recovery: missing/],
        ['b', { type: 'accepted', ballot: { round: 1, node: 'a', recovery: true }, fast: true, value: 1 }, /recovery round is classic/],
        ['b', { type: 'promise', ballot: { round: 1, node: 'a', recovery: false }, vote: { ballot: { round: 1, node: 'a', recovery: false }, fast: 'yes', value: 1 } }, /vote\.fast/],
        ['stranger', { type: 'propose', value: 1 }, /not a member/],
      ],
    ],
  ];
  for (const [name, machine, targets, list] of cases) {
    it(`${name}: each malformed field is named in the reason`, () => {
      for (const s of targets()) {
        for (const [from, m, reason] of list) {
          if ((s as { id: string }).id === from) continue;
          const t = checkedStep(machine, s, { type: 'message', from, message: m, now: 1000 });
          expect(t.outputs, JSON.stringify(m)).toHaveLength(1);
          expect((t.outputs[0] as { reason: string }).reason, JSON.stringify(m)).toMatch(reason);
          expect(t.state).toBe(s);
        }
      }
    });
  }

  it('local commands: bad values and unknown roles throw typed errors', () => {
    const [fresh] = basicTargets();
    expect(() => basicPaxos.step(fresh!, { type: 'propose', value: Number.NaN, now: 0 })).toThrow(/propose: value/);
    const learnerOnly = basicPaxos.init({ id: 'l', acceptors: ['a', 'b', 'c'], learners: ['l'], proposers: [] });
    expect(() => basicPaxos.step(learnerOnly, { type: 'propose', value: 1, now: 0 })).toThrow(/not a proposer/);
    expect(() => multiPaxos.step(multiPaxos.init({ id: 'a', acceptors: ['a'] }), { type: 'propose', value: undefined, now: 0 })).toThrow(/propose/);
  });
});
