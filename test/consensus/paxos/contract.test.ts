// The v2 machine contract, on the Paxos family: time on every input, bounded and parsed values,
// safe keys, bounded tables and counters, one persist per transition.
import { describe, expect, it } from 'vitest';
import { MAX_COUNTER, checkedStep, getOwn } from 'distkit/core';
import { basicPaxos, fastPaxos, multiPaxos, MULTI_PAXOS_MAX_PENDING_SLOTS, type BasicPaxosState, type MultiPaxosState } from 'distkit/consensus';

function deep(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const abc = ['a', 'b', 'c'];
const basic = (extra = {}) => basicPaxos.init({ id: 'a', acceptors: abc, seed: 1, ...extra });
const multi = (extra = {}) => multiPaxos.init({ id: 'a', acceptors: abc, seed: 1, heartbeatIntervalMs: 10, electionTimeoutMs: 50, ...extra });
const fast = () => fastPaxos.init({ id: 'a2', acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], seed: 1 });
const reasons = (outputs: readonly unknown[]) => outputs.filter((o) => (o as { type: string }).type === 'rejected').map((o) => (o as { reason: string }).reason);

describe('issue 13 §3: deep nesting in values is rejected with a reason, never thrown', () => {
  const v = deep(6000);
  it('basicPaxos: accept and promise', () => {
    const s = basic();
    for (const message of [
      { type: 'accept', ballot: { round: 1, node: 'b' }, value: v },
      { type: 'chosen', value: v },
    ]) {
      const t = checkedStep(basicPaxos, s, { type: 'message', from: 'b', message, now: 1 });
      expect(reasons(t.outputs)[0]).toMatch(/nested deeper than 64/);
      expect(t.state).toBe(s);
    }
    expect(() => basicPaxos.step(s, { type: 'propose', value: v, now: 1 })).toThrow(/propose: .*nested deeper than 64/);
  });
  it('multiPaxos: accept and decisions', () => {
    const s = multi();
    const t = checkedStep(multiPaxos, s, { type: 'message', from: 'b', message: { type: 'accept', ballot: { round: 1, node: 'b' }, entries: [{ slot: 1, entry: { kind: 'command', value: v } }] }, now: 1 });
    expect(reasons(t.outputs)[0]).toMatch(/nested deeper than 64/);
    const t2 = checkedStep(multiPaxos, s, { type: 'message', from: 'b', message: { type: 'decisions', from: 1, entries: [{ kind: 'command', value: v }] }, now: 1 });
    expect(reasons(t2.outputs)[0]).toMatch(/nested deeper than 64/);
  });
  it('fastPaxos: propose and accepted', () => {
    const s = fast();
    const t = checkedStep(fastPaxos, s, { type: 'message', from: 'a1', message: { type: 'propose', value: v }, now: 1 });
    expect(reasons(t.outputs)[0]).toMatch(/nested deeper than 64/);
  });
  it('payloadLimits are configurable: a small limit refuses what the default accepts', () => {
    const message = { type: 'accept', ballot: { round: 1, node: 'b' }, value: deep(5) };
    expect(reasons(checkedStep(basicPaxos, basic(), { type: 'message', from: 'b', message, now: 1 }).outputs)).toEqual([]);
    const small = basic({ payloadLimits: { maxDepth: 3 } });
    expect(reasons(checkedStep(basicPaxos, small, { type: 'message', from: 'b', message, now: 1 }).outputs)[0]).toMatch(/nested deeper than 3/);
    const big = { type: 'accept', ballot: { round: 1, node: 'b' }, value: 'x'.repeat(2000) };
    expect(reasons(checkedStep(basicPaxos, basic({ payloadLimits: { maxBytes: 1000 } }), { type: 'message', from: 'b', message: big, now: 1 }).outputs)).toHaveLength(1);
  });
});

describe('only parsed values are stored', () => {
  it('undeclared fields of a message are dropped before the acceptor stores its vote', () => {
    const message = { type: 'accept', ballot: { round: 1, node: 'b', junk: 'x'.repeat(10_000) }, value: { k: 1 }, extra: 'y'.repeat(10_000) };
    const t = checkedStep(basicPaxos, basic(), { type: 'message', from: 'b', message, now: 1 });
    expect(t.state.acceptor!.accepted).toEqual({ ballot: { round: 1, node: 'b' }, value: { k: 1 } });
    expect(JSON.stringify(t.state).length).toBeLessThan(2000);
    // The stored value is a copy, not the received object.
    expect(t.state.acceptor!.accepted!.value).not.toBe(message.value);
  });
  it('a value with a __proto__ key is stored as an own key', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    const t = checkedStep(basicPaxos, basic(), { type: 'message', from: 'b', message: { type: 'accept', ballot: { round: 1, node: 'b' }, value }, now: 1 });
    const stored = t.state.acceptor!.accepted!.value as object;
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(getOwn(stored as Record<string, unknown>, '__proto__')).toEqual({ polluted: true });
  });
});

describe('counters: rounds are bounded by MAX_COUNTER', () => {
  it('a ballot round above MAX_COUNTER is rejected', () => {
    const t = checkedStep(basicPaxos, basic(), { type: 'message', from: 'b', message: { type: 'prepare', ballot: { round: MAX_COUNTER + 1, node: 'b' } }, now: 1 });
    expect(reasons(t.outputs)[0]).toMatch(/ballot\.round/);
  });
  it('a proposer that has seen MAX_COUNTER refuses to propose instead of reusing or overflowing a round', () => {
    let s: BasicPaxosState = checkedStep(basicPaxos, basic(), { type: 'propose', value: 'x', now: 0 }).state;
    s = checkedStep(basicPaxos, s, { type: 'message', from: 'b', message: { type: 'nack', ballot: { round: 1, node: 'a' }, promised: { round: MAX_COUNTER, node: 'b' } }, now: 1 }).state;
    expect(s.proposer!.seenRound).toBe(MAX_COUNTER);
    s = checkedStep(basicPaxos, s, { type: 'tick', now: 10_000 }).state;
    expect(s.proposer!.phase).toBe('idle');
    expect(s.proposer!.usedRound).toBe(1);
    const r = basicPaxos.recover({ id: 'a', acceptors: abc }, { promised: { round: MAX_COUNTER, node: 'b' }, accepted: null, usedRound: MAX_COUNTER, decided: null });
    expect(() => basicPaxos.step(r, { type: 'propose', value: 'x', now: 0 })).toThrow(/MAX_COUNTER/);
  });
});

describe('tables a peer can grow have named limits', () => {
  it('a learner tallies at most maxLearnerBallots ballots; a lower ballot is refused when full', () => {
    let s = basicPaxos.init({ id: 'l', acceptors: abc, learners: ['l'], proposers: ['a'], maxLearnerBallots: 4 });
    for (let r = 10; r < 20; r++) s = checkedStep(basicPaxos, s, { type: 'message', from: 'b', message: { type: 'accepted', ballot: { round: r, node: 'a' }, value: r }, now: r }).state;
    expect(Object.keys(s.learner!.votes)).toEqual(['16.a', '17.a', '18.a', '19.a']);
    const t = checkedStep(basicPaxos, s, { type: 'message', from: 'b', message: { type: 'accepted', ballot: { round: 3, node: 'a' }, value: 3 }, now: 30 });
    expect(reasons(t.outputs)[0]).toMatch(/maxLearnerBallots 4/);
  });
  it(`a multi-paxos replica keeps votes at most maxPendingSlots (default ${MULTI_PAXOS_MAX_PENDING_SLOTS}) beyond its decided prefix`, () => {
    let s: MultiPaxosState = multi({ maxPendingSlots: 8, maxInflight: 4 });
    const accept = (slot: number) => ({ type: 'message' as const, from: 'b', message: { type: 'accept', ballot: { round: 1, node: 'b' }, entries: [{ slot, entry: { kind: 'command', value: slot } }] }, now: slot });
    for (let slot = 1; slot <= 8; slot++) s = checkedStep(multiPaxos, s, accept(slot)).state;
    expect(Object.keys(s.pending)).toHaveLength(8);
    const t = checkedStep(multiPaxos, s, accept(9));
    expect(reasons(t.outputs)[0]).toMatch(/maxPendingSlots 8/);
    expect(() => multi({ maxPendingSlots: 2, maxInflight: 4 })).toThrow(/maxPendingSlots/);
  });
  it('a promise reporting a vote beyond logEnd + maxPendingSlots is refused (no unbounded no-op fill)', () => {
    let s = checkedStep(multiPaxos, multi({ maxPendingSlots: 16, maxInflight: 4 }), { type: 'campaign', now: 0 }).state;
    const message = { type: 'promise', ballot: { round: 1, node: 'a' }, logEnd: 0, accepted: [{ slot: 1_000_000, ballot: { round: 1, node: 'A' }, entry: { kind: 'noop' } }], more: false };
    const t = checkedStep(multiPaxos, s, { type: 'message', from: 'b', message, now: 1 });
    expect(reasons(t.outputs)[0]).toMatch(/maxPendingSlots 16/);
    s = t.state;
    expect(s.role).toBe('candidate');
  });
});

describe('issue 13 §1: time travels with every input', () => {
  it('basicPaxos: a phase timer started by a command counts from that command`s now', () => {
    const t = checkedStep(basicPaxos, basic({ phaseTimeoutMs: 100 }), { type: 'propose', value: 'x', now: 5000 });
    expect(t.state.proposer!.timer).toEqual({ at: 5100, attempt: 0 });
    expect(basicPaxos.nextDeadline(t.state)).toBe(5100);
  });
  it('multiPaxos: a heartbeat resets the election timer from the message`s now, in [now + T, now + 2T)', () => {
    let s = checkedStep(multiPaxos, multi(), { type: 'tick', now: 0 }).state;
    s = checkedStep(multiPaxos, s, { type: 'message', from: 'b', message: { type: 'heartbeat', ballot: { round: 1, node: 'b' }, logEnd: 0 }, now: 7000 }).state;
    const at = s.electionTimer.at!;
    expect(at).toBeGreaterThanOrEqual(7050);
    expect(at).toBeLessThan(7100);
    expect(multiPaxos.nextDeadline(s)).toBe(at);
    // A tick before that deadline does not campaign.
    expect(checkedStep(multiPaxos, s, { type: 'tick', now: at - 1 }).state.role).toBe('follower');
    expect(checkedStep(multiPaxos, s, { type: 'tick', now: at }).state.role).toBe('candidate');
  });
  it('fastPaxos: the first input opens the coordinator`s fast round and starts its timers from that input`s now', () => {
    const s = fastPaxos.init({ id: 'a1', acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], seed: 1, phaseTimeoutMs: 100 });
    expect(fastPaxos.nextDeadline(s)).toBeLessThan(0);
    const t = checkedStep(fastPaxos, s, { type: 'tick', now: 3000 });
    expect(t.state.coordinator!.phase).toBe('prepare');
    expect(t.state.coordinator!.timer.at).toBe(3100);
  });
  it('a bad now throws InvalidCommandError; an unknown command too', () => {
    for (const [m, s] of [
      [basicPaxos, basic()],
      [multiPaxos, multi()],
      [fastPaxos, fast()],
    ] as const) {
      expect(() => (m.step as (s: unknown, i: unknown) => unknown)(s, { type: 'tick', now: Number.NaN })).toThrow(/now/);
      expect(() => (m.step as (s: unknown, i: unknown) => unknown)(s, { type: 'launch', now: 1 })).toThrow(/input/);
    }
  });
});
