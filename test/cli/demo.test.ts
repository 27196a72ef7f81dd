import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, ConfigError, InvalidCommandError, MAX_COUNTER } from 'distkit/core';
import { simulate, sweep } from 'distkit/sim';
import { lazyRegisterMachine, echoMachine, naiveLeaderMachine, oneLeaderPerTerm, type EchoState, type NaiveLeaderState } from '../../src/cli/demo.js';
import { echoTarget, naiveLeaderTarget } from '../../src/cli/targets.js';

// More seeds: SIM_SEEDS=10000 npx vitest run test/sim
const seedCount = Math.max(100, Number(process.env['SIM_SEEDS'] ?? 0));

const hostile = fc.oneof(
  fc.anything(),
  fc.record({ type: fc.constantFrom('ping', 'pong', 'heartbeat'), round: fc.anything(), term: fc.anything() }),
  fc.record({ type: fc.constantFrom('ping', 'pong'), round: fc.integer() }),
  fc.record({ type: fc.constant('heartbeat'), term: fc.integer() }),
);

describe('echo machine', () => {
  it('is total on hostile peer messages: malformed ones are rejected with the same state', () => {
    fc.assert(
      fc.property(hostile, fc.constantFrom('b', 'zz'), (message, from) => {
        const s = echoMachine.init({ id: 'a', peers: ['a', 'b'], rounds: 2 });
        const t = checkedStep(echoMachine, s, { type: 'message', from, message, now: 1 });
        if (t.outputs.some((o) => o.type === 'rejected')) expect(t.state).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a bad config naming the field', () => {
    expect(() => echoMachine.init({ id: '', peers: [], rounds: 1 })).toThrow(ConfigError);
    expect(() => echoMachine.init({ id: 'a', peers: [], rounds: -1 })).toThrow(/rounds/);
    expect(() => echoMachine.init({ id: 'a', peers: [], rounds: 1, retryMs: 0 })).toThrow(/retryMs/);
  });

  it(`liveness: every node finishes every round once faults stop, over ${seedCount} seeds with a nemesis`, () => {
    const summary = sweep({
      seeds: Array.from({ length: seedCount }, (_, i) => i),
      scenario: (seed) => ({ seed, ...echoTarget.build({ nodes: 4, seed }), network: { loss: 0.2, duplicate: 0.05, reorder: 0.1 }, nemesis: { crashRate: 2, partitionRate: 2, pauseRate: 2, untilMs: 2000 }, maxTimeMs: 10_000 }),
      onResult: (r) => {
        expect(r.stopReason).toBe('quiescent');
        // Nodes restarted without durable state redo their rounds; all end done.
        expect(Object.keys(r.states)).toHaveLength(4);
        for (const s of Object.values(r.states) as EchoState[]) expect(s.deadline).toBeNull();
        // Conservation: every copy sent was delivered or dropped once the network is empty.
        const m = r.stats.messages;
        expect(m.sent + m.duplicated).toBe(m.delivered + m.dropped);
      },
    });
    expect(summary.violations).toBe(0);
  });
});

describe('naive leader machine', () => {
  it('is total on hostile peer messages', () => {
    fc.assert(
      fc.property(hostile, (message) => {
        const s = naiveLeaderMachine.init({ id: 'a', peers: ['a', 'b'] });
        const t = checkedStep(naiveLeaderMachine, s, { type: 'message', from: 'b', message, now: 1 });
        if (t.outputs.some((o) => o.type === 'rejected')) expect(t.state).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('a heartbeat of a higher term makes a leader step down', () => {
    let s: NaiveLeaderState = naiveLeaderMachine.init({ id: 'a', peers: ['a', 'b'] });
    s = checkedStep(naiveLeaderMachine, s, { type: 'tick', now: 1000 }).state;
    expect(s.role).toBe('leader');
    s = checkedStep(naiveLeaderMachine, s, { type: 'message', from: 'b', message: { type: 'heartbeat', term: 5 }, now: 1010 }).state;
    expect(s).toMatchObject({ role: 'follower', term: 5 });
  });

  it('the simulator finds its bug in most seeds, and the election-safety helper explains it', () => {
    const summary = sweep({ seeds: Array.from({ length: 100 }, (_, i) => i), scenario: (seed) => ({ seed, ...naiveLeaderTarget.build({ nodes: 5, seed }), nemesis: { partitionRate: 1 } }) });
    expect(summary.violations).toBeGreaterThan(20);
    expect(Object.keys(summary.byInvariant)).toEqual([oneLeaderPerTerm.name]);
    const r = simulate({ seed: summary.failures[0]!.seed, ...naiveLeaderTarget.build({ nodes: 5, seed: summary.failures[0]!.seed }), nemesis: { partitionRate: 1 } });
    expect(r.violation?.message).toMatch(/^\w+ and \w+ are both leaders of term \d+$/);
  });
});

describe('lazy register machine', () => {
  it('is total on hostile replication messages', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ type: fc.constant('replicate'), value: fc.anything(), version: fc.anything() })), (message) => {
        const s = lazyRegisterMachine.init({ id: 'b', primary: 'a', peers: ['a', 'b'] });
        const t = checkedStep(lazyRegisterMachine, s, { type: 'message', from: 'a', message, now: 1 });
        if (t.outputs.some((o) => o.type === 'rejected')) expect(t.state).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('acknowledges a write before replicating it (the bug), refuses writes on a backup, ignores stale versions', () => {
    const p = lazyRegisterMachine.init({ id: 'a', primary: 'a', peers: ['a', 'b'] });
    const w = checkedStep(lazyRegisterMachine, p, { type: 'request', id: 1, op: { f: 'write', value: 7 }, now: 1 });
    expect(w.outputs).toEqual([
      { type: 'send', to: 'b', message: { type: 'replicate', value: 7, version: 1 } },
      { type: 'reply', id: 1, ok: true, value: null },
    ]);
    const b = lazyRegisterMachine.init({ id: 'b', primary: 'a', peers: ['a', 'b'] });
    expect(checkedStep(lazyRegisterMachine, b, { type: 'request', id: 2, op: { f: 'write', value: 1 }, now: 2 }).outputs).toEqual([{ type: 'reply', id: 2, ok: false, value: null }]);
    expect(checkedStep(lazyRegisterMachine, b, { type: 'request', id: 3, op: { f: 'read' }, now: 3 }).outputs).toEqual([{ type: 'reply', id: 3, ok: true, value: null }]);
    const b2 = checkedStep(lazyRegisterMachine, b, { type: 'message', from: 'a', message: { type: 'replicate', value: 7, version: 2 }, now: 4 }).state;
    expect(checkedStep(lazyRegisterMachine, b2, { type: 'message', from: 'a', message: { type: 'replicate', value: 3, version: 1 }, now: 5 }).state).toBe(b2);
    expect(() => lazyRegisterMachine.init({ id: 'a', primary: '', peers: [] })).toThrow(/primary/);
  });
});

describe('the machine contract (v2): time on every input, unknown commands, bounded counters', () => {
  const echo = () => echoMachine.init({ id: 'a', peers: ['a', 'b'], rounds: 2 });
  const leader = () => naiveLeaderMachine.init({ id: 'a', peers: ['a', 'b'] });
  const register = () => lazyRegisterMachine.init({ id: 'a', primary: 'a', peers: ['a', 'b'] });

  it('an unknown local command and a bad now throw InvalidCommandError', () => {
    const bad = [{ type: 'no-such-command', now: 5 }, { type: 'tick', now: NaN }, { type: 'tick' }, { type: 'message', from: 'b', message: {} }];
    for (const input of bad) {
      expect(() => echoMachine.step(echo(), input as never)).toThrow(InvalidCommandError);
      expect(() => naiveLeaderMachine.step(leader(), input as never)).toThrow(InvalidCommandError);
      expect(() => lazyRegisterMachine.step(register(), input as never)).toThrow(InvalidCommandError);
    }
    expect(() => lazyRegisterMachine.step(register(), { type: 'request', id: 1, op: { f: 'swap' } as never, now: 1 })).toThrow(InvalidCommandError);
  });

  it('echo: the next round\'s retransmission counts from the pong that completed the round', () => {
    let s = checkedStep(echoMachine, echo(), { type: 'tick', now: 0 }).state;
    expect(s.deadline?.at).toBe(50);
    s = checkedStep(echoMachine, s, { type: 'message', from: 'b', message: { type: 'pong', round: 1 }, now: 40 }).state;
    expect(s.round).toBe(2);
    expect(echoMachine.nextDeadline(s)).toBe(90);
  });

  it('echo and naive leader reject messages from nodes outside their peers, prototype names included', () => {
    for (const from of ['zz', '__proto__', 'constructor', 'a']) {
      const e = echo();
      expect(checkedStep(echoMachine, e, { type: 'message', from, message: { type: 'ping', round: 1 }, now: 1 }).outputs[0]?.type).toBe('rejected');
      const l = leader();
      expect(checkedStep(naiveLeaderMachine, l, { type: 'message', from, message: { type: 'heartbeat', term: 1 }, now: 1 }).state).toBe(l);
    }
  });

  it('naive leader: a heartbeat restarts the election timeout from its own arrival, not from a past tick', () => {
    const s0 = leader();
    const t = checkedStep(naiveLeaderMachine, s0, { type: 'message', from: 'b', message: { type: 'heartbeat', term: 1 }, now: 10_000 });
    const d = naiveLeaderMachine.nextDeadline(t.state)!;
    expect(d).toBeGreaterThanOrEqual(10_150);
    expect(d).toBeLessThan(10_300);
    // a tick before that deadline changes nothing
    const early = checkedStep(naiveLeaderMachine, t.state, { type: 'tick', now: 10_100 });
    expect(early.state).toBe(t.state);
  });

  it('counters are bounded: terms and versions above MAX_COUNTER are rejected; none is raised past it', () => {
    const l = leader();
    expect(checkedStep(naiveLeaderMachine, l, { type: 'message', from: 'b', message: { type: 'heartbeat', term: MAX_COUNTER + 1 }, now: 1 }).state).toBe(l);
    let top = checkedStep(naiveLeaderMachine, l, { type: 'message', from: 'b', message: { type: 'heartbeat', term: MAX_COUNTER }, now: 1 }).state;
    top = checkedStep(naiveLeaderMachine, top, { type: 'tick', now: 10_000 }).state;
    expect(top.term).toBe(MAX_COUNTER + 1);
    top = checkedStep(naiveLeaderMachine, { ...top, role: 'follower' as const }, { type: 'tick', now: 20_000 }).state;
    expect(top).toMatchObject({ role: 'follower', term: MAX_COUNTER + 1 });
    const b = lazyRegisterMachine.init({ id: 'b', primary: 'a', peers: ['a', 'b'] });
    expect(checkedStep(lazyRegisterMachine, b, { type: 'message', from: 'a', message: { type: 'replicate', value: 1, version: MAX_COUNTER + 1 }, now: 1 }).state).toBe(b);
    const full = { ...register(), version: MAX_COUNTER };
    expect(checkedStep(lazyRegisterMachine, full, { type: 'request', id: 9, op: { f: 'write', value: 1 }, now: 1 }).outputs).toEqual([{ type: 'reply', id: 9, ok: false, value: null }]);
  });

  it('lazy register: replication from anyone but the primary is rejected', () => {
    const b = lazyRegisterMachine.init({ id: 'b', primary: 'a', peers: ['a', 'b', 'c'] });
    for (const from of ['c', '__proto__', 'b']) {
      const t = checkedStep(lazyRegisterMachine, b, { type: 'message', from, message: { type: 'replicate', value: 1, version: 1 }, now: 1 });
      expect(t.state).toBe(b);
      expect(t.outputs[0]?.type).toBe('rejected');
    }
  });
});
