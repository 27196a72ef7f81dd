import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, ConfigError } from 'distkit/core';
import {
  lazyRegisterMachine,
  echoMachine,
  echoTarget,
  naiveLeaderMachine,
  naiveLeaderTarget,
  oneLeaderPerTerm,
  simulate,
  sweep,
  type EchoState,
  type NaiveLeaderState,
} from 'distkit/sim';

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
        const t = checkedStep(echoMachine, s, { type: 'message', from, message });
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
        const t = checkedStep(naiveLeaderMachine, s, { type: 'message', from: 'b', message });
        if (t.outputs.some((o) => o.type === 'rejected')) expect(t.state).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('a heartbeat of a higher term makes a leader step down', () => {
    let s: NaiveLeaderState = naiveLeaderMachine.init({ id: 'a', peers: ['a', 'b'] });
    s = checkedStep(naiveLeaderMachine, s, { type: 'tick', now: 1000 }).state;
    expect(s.role).toBe('leader');
    s = checkedStep(naiveLeaderMachine, s, { type: 'message', from: 'b', message: { type: 'heartbeat', term: 5 } }).state;
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
        const t = checkedStep(lazyRegisterMachine, s, { type: 'message', from: 'a', message });
        if (t.outputs.some((o) => o.type === 'rejected')) expect(t.state).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('acknowledges a write before replicating it (the bug), refuses writes on a backup, ignores stale versions', () => {
    const p = lazyRegisterMachine.init({ id: 'a', primary: 'a', peers: ['a', 'b'] });
    const w = checkedStep(lazyRegisterMachine, p, { type: 'request', id: 1, op: { f: 'write', value: 7 } });
    expect(w.outputs).toEqual([
      { type: 'send', to: 'b', message: { type: 'replicate', value: 7, version: 1 } },
      { type: 'reply', id: 1, ok: true, value: null },
    ]);
    const b = lazyRegisterMachine.init({ id: 'b', primary: 'a', peers: ['a', 'b'] });
    expect(checkedStep(lazyRegisterMachine, b, { type: 'request', id: 2, op: { f: 'write', value: 1 } }).outputs).toEqual([{ type: 'reply', id: 2, ok: false, value: null }]);
    expect(checkedStep(lazyRegisterMachine, b, { type: 'request', id: 3, op: { f: 'read' } }).outputs).toEqual([{ type: 'reply', id: 3, ok: true, value: null }]);
    const b2 = checkedStep(lazyRegisterMachine, b, { type: 'message', from: 'a', message: { type: 'replicate', value: 7, version: 2 } }).state;
    expect(checkedStep(lazyRegisterMachine, b2, { type: 'message', from: 'a', message: { type: 'replicate', value: 3, version: 1 } }).state).toBe(b2);
    expect(() => lazyRegisterMachine.init({ id: 'a', primary: '', peers: [] })).toThrow(/primary/);
  });
});
