import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { busyRun } from './fixtures/busy-run.js';
import { ConfigError, type DurableMachine, type Invariant, type Machine, type MessageInput, type TickInput } from 'distkit/core';
import {
  simulate,
  toJsonLines,
  type SimNode,
  type SimulateOptions,
  type TraceEvent,
  type Workload,
} from 'distkit/sim';
import { echoMachine, naiveLeaderMachine, oneLeaderPerTerm } from '../../src/cli/demo.js';

const peers = ['a', 'b', 'c'];
const echoNodes = (rounds = 3): SimNode[] => peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds } }));
const jsonl = (trace: readonly TraceEvent[]): string => trace.map((e) => JSON.stringify(e)).join('\n');

// A machine that records every input it sees, for checking what the simulator delivers.
type RecIn = MessageInput | TickInput | { type: 'send'; to: string; message: unknown } | { type: 'wake'; at: number };
interface RecState {
  readonly seen: readonly RecIn[];
  readonly deadline?: number;
}
const recorder: Machine<Record<string, never>, RecState, RecIn, unknown> = {
  name: 'recorder',
  init: () => ({ seen: [] }),
  step(s, input) {
    const seen = [...s.seen, input];
    if (input.type === 'send') return { state: { ...s, seen }, outputs: [{ type: 'send', to: input.to, message: input.message }] };
    if (input.type === 'wake') return { state: { seen, deadline: input.at }, outputs: [] };
    if (input.type === 'tick') return { state: { seen }, outputs: [] };
    return { state: { ...s, seen }, outputs: [] };
  },
  nextDeadline: (s) => s.deadline,
};
const recNodes = (ids: readonly string[]): SimNode[] => ids.map((id) => ({ id, machine: recorder, config: {} }));
const sendCmd = (at: number, from: string, to: string, message: unknown) => ({ at, node: from, input: { type: 'send', to, message } });
const seenMessages = (s: unknown): unknown[] =>
  (s as RecState).seen.filter((i): i is MessageInput => i.type === 'message').map((i) => i.message);

describe('determinism', () => {
  it('same seed and options give a byte-identical trace', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        const opts: SimulateOptions = {
          seed,
          nodes: echoNodes(4),
          network: { loss: 0.2, duplicate: 0.1, reorder: 0.2, delay: { type: 'exponential', meanMs: 5, minMs: 1 } },
          nemesis: { crashRate: 2, partitionRate: 2, pauseRate: 2, clockJumpRate: 1 },
          maxTimeMs: 2000,
        };
        const a = simulate(opts);
        const b = simulate(opts);
        expect(jsonl(a.trace)).toBe(jsonl(b.trace));
        expect(a.stats).toEqual(b.stats);
      }),
      { numRuns: 20 },
    );
  });

  it('every source of randomness at once (workload, corruption, links, clocks, all nemesis faults): byte-identical', () => {
    const kinds = new Set<string>();
    for (const seed of [1, 2, 3, 'x']) {
      const a = simulate(busyRun(seed));
      const b = simulate(busyRun(seed));
      expect(toJsonLines(a.trace)).toBe(toJsonLines(b.trace));
      expect(a.history).toEqual(b.history);
      expect(a.faults).toEqual(b.faults);
      for (const f of a.faults) kinds.add(f.fault.type);
      expect(a.stats.messages.corrupted > 0 && a.stats.messages.duplicated > 0 && a.history.length > 0).toBe(true);
    }
    // the runs really exercise what they claim to
    for (const k of ['crash', 'restart', 'partition', 'heal', 'oneWay', 'pause', 'resume', 'link', 'linkReset', 'clock']) expect(kinds.has(k), k).toBe(true);
  });

  it('a fresh process reproduces the trace byte for byte', () => {
    const script = fileURLToPath(new URL('./fixtures/busy-run.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const there = execFileSync(process.execPath, ['--import', 'tsx', script, '7'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
    const here = toJsonLines(simulate(busyRun('7')).trace);
    expect(there.length).toBeGreaterThan(10_000);
    expect(there).toBe(here);
  });

  it('different seeds give different traces', () => {
    const a = simulate({ seed: 1, nodes: echoNodes(), network: { loss: 0.1 } });
    const b = simulate({ seed: 2, nodes: echoNodes(), network: { loss: 0.1 } });
    expect(jsonl(a.trace)).not.toBe(jsonl(b.trace));
  });

  it('string seeds work', () => {
    const a = simulate({ seed: 'hello', nodes: echoNodes() });
    expect(jsonl(a.trace)).toBe(jsonl(simulate({ seed: 'hello', nodes: echoNodes() }).trace));
  });
});

describe('echo protocol end to end', () => {
  it('completes every round without faults and goes quiescent', () => {
    const r = simulate({ seed: 7, nodes: echoNodes(3) });
    expect(r.ok).toBe(true);
    expect(r.stopReason).toBe('quiescent');
    const done = r.trace.filter((e) => e.kind === 'output');
    expect(done).toHaveLength(3);
    expect(r.stats.messages.sent).toBe(3 * 3 * 2 * 2); // 3 nodes x 3 rounds x 2 peers x (ping + pong)
    expect(r.stats.messages.delivered).toBe(r.stats.messages.sent);
    expect(r.stats.byType.ping?.sent).toBe(18);
    expect(r.stats.byType.pong?.delivered).toBe(18);
  });

  it('completes under 30% loss and duplication thanks to retransmission', () => {
    for (let seed = 0; seed < 20; seed++) {
      const r = simulate({ seed, nodes: echoNodes(3), network: { loss: 0.3, duplicate: 0.2 } });
      expect(r.stopReason).toBe('quiescent');
      expect(Object.values(r.states).every((s) => (s as { deadline: unknown }).deadline === null)).toBe(true);
      expect(r.stats.messages.dropped).toBeGreaterThan(0);
    }
  });
});

describe('stats', () => {
  it('counts per message type agree with the trace and add up to the totals, under every kind of fault', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = simulate({
        seed,
        nodes: echoNodes(6),
        network: { loss: 0.15, duplicate: 0.15, corrupt: 0.05, reorder: 0.2 },
        nemesis: { crashRate: 3, partitionRate: 3, pauseRate: 2 },
        maxTimeMs: 3000,
      });
      // The type of a message is that of its send (a corrupted copy keeps the type it was sent as).
      const typeOf = new Map<number, string>();
      const expected: Record<string, { sent: number; delivered: number; dropped: number; duplicated: number; corrupted: number }> = {};
      const of = (t: string) => (expected[t] ??= { sent: 0, delivered: 0, dropped: 0, duplicated: 0, corrupted: 0 });
      for (const e of r.trace) {
        if (e.kind === 'send') {
          const t = (e.message as { type: string }).type;
          typeOf.set(e.id, t);
          of(t).sent++;
          if (e.copies === 2) of(t).duplicated++;
        } else if (e.kind === 'deliver') {
          of(typeOf.get(e.id)!).delivered++;
          if (e.corrupted === true) of(typeOf.get(e.id)!).corrupted++;
        } else if (e.kind === 'drop') of(typeOf.get(e.id)!).dropped++;
      }
      expect(r.stats.byType, `seed ${seed}`).toEqual(expected);
      expect(Object.keys(r.stats.byType).sort()).toEqual(['ping', 'pong']);
      for (const k of ['sent', 'delivered', 'dropped', 'duplicated', 'corrupted'] as const) {
        expect(r.stats.byType.ping![k] + r.stats.byType.pong![k], `seed ${seed} ${k}`).toBe(r.stats.messages[k]);
      }
      const m = r.stats.messages;
      expect(m.dropped > 0 && m.duplicated > 0 && m.corrupted > 0, `seed ${seed}`).toBe(true);
      // Every copy is either delivered, dropped, or still in flight (or queued at a paused node) at the end.
      expect(m.delivered + m.dropped).toBeLessThanOrEqual(m.sent + m.duplicated);
    }
  });

  it('a message without a string type is counted as (untyped)', () => {
    const r = simulate({ seed: 1, nodes: recNodes(['a', 'b']), commands: [sendCmd(0, 'a', 'b', 7), sendCmd(1, 'a', 'b', { type: 3 }), sendCmd(2, 'a', 'b', { type: 'x' })] });
    expect(r.stats.byType).toEqual({
      '(untyped)': { sent: 2, delivered: 2, dropped: 0, duplicated: 0, corrupted: 0 },
      x: { sent: 1, delivered: 1, dropped: 0, duplicated: 0, corrupted: 0 },
    });
  });
});

describe('network model', () => {
  it('fixed delay: a message arrives exactly ms later', () => {
    const r = simulate({ seed: 1, nodes: recNodes(['a', 'b']), network: { delay: { type: 'fixed', ms: 7 } }, commands: [sendCmd(3, 'a', 'b', 'hi')] });
    const d = r.trace.find((e) => e.kind === 'deliver');
    expect(d).toMatchObject({ kind: 'deliver', time: 10, node: 'b', from: 'a', message: 'hi' });
  });

  it('uniform delay stays within [min, max]', () => {
    const commands = Array.from({ length: 200 }, (_, i) => sendCmd(i, 'a', 'b', i));
    const r = simulate({ seed: 3, nodes: recNodes(['a', 'b']), network: { delay: { type: 'uniform', minMs: 5, maxMs: 9 } }, commands });
    const sent = new Map(r.trace.filter((e) => e.kind === 'send').map((e) => [e.id, e.time]));
    for (const e of r.trace) {
      if (e.kind !== 'deliver') continue;
      const dt = e.time - sent.get(e.id)!;
      expect(dt).toBeGreaterThanOrEqual(5 - 1e-9);
      expect(dt).toBeLessThanOrEqual(9 + 1e-9);
    }
  });

  it('exponential delay has at least minMs and roughly the given mean', () => {
    const commands = Array.from({ length: 2000 }, (_, i) => sendCmd(0, 'a', 'b', i));
    const r = simulate({ seed: 5, nodes: recNodes(['a', 'b']), network: { delay: { type: 'exponential', meanMs: 10, minMs: 2 } }, commands });
    const times = r.trace.filter((e) => e.kind === 'deliver').map((e) => e.time);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(2);
    const mean = times.reduce((x, y) => x + y, 0) / times.length;
    expect(mean).toBeGreaterThan(10);
    expect(mean).toBeLessThan(14);
  });

  it('loss drops about the given fraction, recorded as drops with reason loss', () => {
    const commands = Array.from({ length: 2000 }, (_, i) => sendCmd(i, 'a', 'b', i));
    const r = simulate({ seed: 9, nodes: recNodes(['a', 'b']), network: { loss: 0.25 }, commands });
    const lost = r.trace.filter((e) => e.kind === 'drop' && e.reason === 'loss').length;
    expect(lost / 2000).toBeGreaterThan(0.2);
    expect(lost / 2000).toBeLessThan(0.3);
    expect(r.stats.messages.dropped).toBe(lost);
    expect(r.stats.messages.delivered).toBe(2000 - lost);
  });

  it('duplication delivers a copy with the same message id', () => {
    const commands = Array.from({ length: 500 }, (_, i) => sendCmd(i, 'a', 'b', i));
    const r = simulate({ seed: 2, nodes: recNodes(['a', 'b']), network: { duplicate: 0.5 }, commands });
    expect(r.stats.messages.duplicated).toBeGreaterThan(150);
    expect(r.stats.messages.delivered).toBe(500 + r.stats.messages.duplicated);
    const ids = r.trace.filter((e) => e.kind === 'deliver').map((e) => (e as { id: number }).id);
    expect(new Set(ids).size).toBe(500);
  });

  it('fifo links deliver in send order; random delays reorder otherwise', () => {
    const commands = Array.from({ length: 100 }, (_, i) => sendCmd(i * 0.1, 'a', 'b', i));
    const fifo = simulate({ seed: 4, nodes: recNodes(['a', 'b']), network: { fifo: true }, commands });
    expect(seenMessages(fifo.states.b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const loose = simulate({ seed: 4, nodes: recNodes(['a', 'b']), network: { reorder: 0.5 }, commands });
    expect(seenMessages(loose.states.b)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('per-link overrides apply to the named direction only', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a', 'b']),
      network: { delay: { type: 'fixed', ms: 1 } },
      links: [{ from: 'a', to: 'b', delay: { type: 'fixed', ms: 100 } }],
      commands: [sendCmd(0, 'a', 'b', 'slow'), sendCmd(0, 'b', 'a', 'fast')],
    });
    const times = Object.fromEntries(r.trace.filter((e) => e.kind === 'deliver').map((e) => [(e as { message: string }).message, e.time]));
    expect(times).toEqual({ slow: 100, fast: 1 });
  });

  it('a send to an unknown node is dropped, not thrown', () => {
    const r = simulate({ seed: 1, nodes: recNodes(['a']), commands: [sendCmd(0, 'a', 'zz', 1)] });
    expect(r.trace.find((e) => e.kind === 'drop')).toMatchObject({ reason: 'unknown-node', to: 'zz' });
  });
});

describe('partitions', () => {
  const d1 = { delay: { type: 'fixed' as const, ms: 5 } };
  it('partition groups cannot talk; heal restores; unlisted nodes form one group', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a', 'b', 'c', 'd']),
      network: d1,
      faults: [
        { at: 10, fault: { type: 'partition', groups: [['a'], ['b']] } },
        { at: 50, fault: { type: 'heal' } },
      ],
      commands: [sendCmd(20, 'a', 'b', 'ab'), sendCmd(20, 'c', 'd', 'cd'), sendCmd(20, 'c', 'a', 'ca'), sendCmd(60, 'a', 'b', 'ab2')],
    });
    expect(seenMessages(r.states.b)).toEqual(['ab2']);
    expect(seenMessages(r.states.d)).toEqual(['cd']);
    expect(seenMessages(r.states.a)).toEqual([]);
  });

  it('messages in flight across a new partition are dropped on arrival', () => {
    const r = simulate({ seed: 1, nodes: recNodes(['a', 'b']), network: d1, faults: [{ at: 2, fault: { type: 'partition', groups: [['a'], ['b']] } }], commands: [sendCmd(0, 'a', 'b', 'x')] });
    expect(r.trace.find((e) => e.kind === 'drop')).toMatchObject({ reason: 'partition', time: 5 });
  });

  it('oneWay cuts one direction only', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a', 'b']),
      network: d1,
      faults: [{ at: 0, fault: { type: 'oneWay', from: 'a', to: 'b' } }],
      commands: [sendCmd(1, 'a', 'b', 'ab'), sendCmd(1, 'b', 'a', 'ba')],
    });
    expect(seenMessages(r.states.b)).toEqual([]);
    expect(seenMessages(r.states.a)).toEqual(['ba']);
  });
});

// A counter whose `count` is durable and `volatile` is not.
interface CState {
  readonly count: number;
  readonly volatile: number;
}
const counter: DurableMachine<Record<string, never>, CState, { type: 'inc' } | MessageInput, { type: 'persist'; record: number } | { type: 'count'; count: number }, number> = {
  name: 'counter',
  init: () => ({ count: 0, volatile: 0 }),
  step: (s, i) =>
    i.type === 'inc'
      ? { state: { count: s.count + 1, volatile: s.volatile + 1 }, outputs: [{ type: 'persist', record: s.count + 1 }, { type: 'count', count: s.count + 1 }] }
      : { state: s, outputs: [] },
  durable: (s) => s.count,
  recover: (_c, d) => ({ count: d, volatile: 0 }),
};

describe('crash and restart', () => {
  it('restart recovers the durable record and loses volatile state', () => {
    const r = simulate({
      seed: 1,
      nodes: [{ id: 'a', machine: counter, config: {} }],
      commands: [1, 2, 3].map((at) => ({ at, node: 'a', input: { type: 'inc' } })).concat([{ at: 20, node: 'a', input: { type: 'inc' } }]),
      faults: [
        { at: 10, fault: { type: 'crash', node: 'a' } },
        { at: 15, fault: { type: 'restart', node: 'a' } },
      ],
    });
    expect(r.states.a).toEqual({ count: 4, volatile: 1 });
  });

  it('a crashed node drops deliveries and ignores commands; a machine without durable restarts from init', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a', 'b']),
      network: { delay: { type: 'fixed', ms: 5 } },
      faults: [
        { at: 1, fault: { type: 'crash', node: 'b' } },
        { at: 30, fault: { type: 'restart', node: 'b' } },
      ],
      commands: [sendCmd(0, 'a', 'b', 'lost'), sendCmd(2, 'b', 'a', 'never'), sendCmd(40, 'a', 'b', 'ok')],
    });
    expect(r.trace.find((e) => e.kind === 'drop')).toMatchObject({ reason: 'crashed', to: 'b' });
    expect(r.trace.find((e) => e.kind === 'command' && e.ignored === 'crashed')).toBeDefined();
    expect(seenMessages(r.states.b)).toEqual(['ok']);
    expect(seenMessages(r.states.a)).toEqual([]);
  });

  it('timers of a crashed node do not fire', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a']),
      commands: [{ at: 0, node: 'a', input: { type: 'wake', at: 100 } }],
      faults: [
        { at: 50, fault: { type: 'crash', node: 'a' } },
        { at: 60, fault: { type: 'restart', node: 'a' } },
      ],
    });
    expect(r.trace.filter((e) => e.kind === 'tick')).toHaveLength(0);
  });
});

describe('ticks, clocks and pauses', () => {
  it('delivers a tick at the deadline, with the node clock skewed and drifting', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a', 'b']),
      clocks: { b: { skewMs: 1000, drift: 0.5 } },
      commands: [
        { at: 0, node: 'a', input: { type: 'wake', at: 100 } },
        { at: 0, node: 'b', input: { type: 'wake', at: 1150 } },
      ],
    });
    const ticks = r.trace.filter((e) => e.kind === 'tick');
    expect(ticks).toEqual([
      { kind: 'tick', time: 100, node: 'a', now: 100 },
      { kind: 'tick', time: 100, node: 'b', now: 1150 },
    ]);
  });

  it('a deadline already past fires at once, and a stuck deadline at most once per ms', () => {
    const stuck: Machine<Record<string, never>, { n: number }, TickInput, unknown> = {
      name: 'stuck',
      init: () => ({ n: 0 }),
      step: (s) => ({ state: { n: s.n + 1 }, outputs: [] }),
      nextDeadline: () => 0,
    };
    const r = simulate({ seed: 1, nodes: [{ id: 'a', machine: stuck, config: {} }], maxTimeMs: 10 });
    expect(r.stats.steps).toBe(11);
    expect(r.stopReason).toBe('maxTime');
  });

  it('a clock fault jumps the node clock', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a']),
      commands: [{ at: 0, node: 'a', input: { type: 'wake', at: 500 } }],
      faults: [{ at: 10, fault: { type: 'clock', node: 'a', skewMs: 450 } }],
    });
    expect(r.trace.filter((e) => e.kind === 'tick')).toEqual([{ kind: 'tick', time: 50, node: 'a', now: 500 }]);
  });

  it('a paused node queues inputs and processes them in order on resume', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a', 'b']),
      network: { delay: { type: 'fixed', ms: 1 } },
      faults: [
        { at: 5, fault: { type: 'pause', node: 'b' } },
        { at: 100, fault: { type: 'resume', node: 'b' } },
      ],
      commands: [sendCmd(10, 'a', 'b', 1), sendCmd(20, 'a', 'b', 2), { at: 30, node: 'b', input: { type: 'wake', at: 40 } }],
    });
    const atB = r.trace.filter((e) => (e.kind === 'deliver' || e.kind === 'tick' || e.kind === 'command') && e.node === 'b');
    expect(atB.map((e) => [e.kind, e.time])).toEqual([
      ['deliver', 100],
      ['deliver', 100],
      ['command', 100],
      ['tick', 100],
    ]);
    expect(seenMessages(r.states.b)).toEqual([1, 2]);
  });
});

describe('invariants and violations', () => {
  it('the first violation stops the run and carries seed, time, invariant, last events and replay options', () => {
    const opts: SimulateOptions = {
      seed: 0,
      nodes: peers.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers } })),
      network: { loss: 0.3 },
      invariants: [oneLeaderPerTerm],
      maxTimeMs: 20_000,
      lastEvents: 10,
    };
    let failing: ReturnType<typeof simulate> | undefined;
    for (let seed = 0; seed < 50 && failing === undefined; seed++) {
      const r = simulate({ ...opts, seed });
      if (!r.ok) failing = r;
    }
    expect(failing).toBeDefined();
    const v = failing!.violation!;
    expect(failing!.stopReason).toBe('violation');
    expect(v.invariant).toBe('at most one leader per term');
    expect(v.message).toMatch(/are both leaders of term \d+/);
    expect(v.lastEvents).toHaveLength(10);
    expect(v.lastEvents.at(-1)!.time).toBe(v.time);
    expect(v.seed).toBe(failing!.seed);
    const again = simulate(v.replay);
    expect(again.violation?.time).toBe(v.time);
    expect(jsonl(again.trace)).toBe(jsonl(failing!.trace));
  });

  it('regression: seed 10 of the naive leader demo under 30% loss finds two leaders', () => {
    const r = simulate({
      seed: 10,
      nodes: peers.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers } })),
      network: { loss: 0.3 },
      invariants: [oneLeaderPerTerm],
      maxTimeMs: 10_000,
    });
    expect(r.ok).toBe(false);
  });

  it('invariants see only live nodes; a description is a violation; a throwing check is reported', () => {
    const sizes: number[] = [];
    simulate({
      seed: 1,
      nodes: recNodes(['a', 'b']),
      faults: [{ at: 5, fault: { type: 'crash', node: 'a' } }],
      invariants: [{ name: 'count', check: (s) => void sizes.push(Object.keys(s).length) }],
    });
    expect(sizes).toEqual([2, 1]);
    expect(simulate({ seed: 1, nodes: recNodes(['a']), invariants: [{ name: 'f', check: () => 'broken' }] }).violation).toMatchObject({ invariant: 'f', message: 'broken', time: 0 });
    // From untyped code: anything but undefined is a violation, reported as what it returned.
    const untyped = { name: 'u', check: () => false } as unknown as Invariant;
    expect(simulate({ seed: 1, nodes: recNodes(['a']), invariants: [untyped] }).violation).toMatchObject({ invariant: 'u', message: 'returned false' });
    const thrown = simulate({ seed: 1, nodes: recNodes(['a']), invariants: [{ name: 't', check: () => { throw new Error('boom'); } }] });
    expect(thrown.violation?.message).toContain('boom');
  });

  it('a step that throws becomes a replayable violation', () => {
    const bad: Machine<Record<string, never>, object, { type: 'boom' }, never> = {
      name: 'bad',
      init: () => ({}),
      step: () => {
        throw new Error('kaboom');
      },
    };
    const r = simulate({ seed: 1, nodes: [{ id: 'a', machine: bad, config: {} }], commands: [{ at: 3, node: 'a', input: { type: 'boom' } }] });
    expect(r.violation).toMatchObject({ invariant: 'step threw', time: 3 });
    expect(r.violation?.message).toContain('kaboom');
  });

  it('stopWhen and maxSteps end the run', () => {
    expect(simulate({ seed: 1, nodes: echoNodes(50), stopWhen: (v) => v.time >= 100 }).stopReason).toBe('stopWhen');
    const r = simulate({ seed: 1, nodes: echoNodes(50), maxSteps: 17 });
    expect(r.stopReason).toBe('maxSteps');
    expect(r.stats.steps).toBe(17);
  });

  it('with trace: false only the last events are kept', () => {
    const r = simulate({ seed: 1, nodes: echoNodes(5), trace: false, lastEvents: 7 });
    expect(r.trace).toHaveLength(7);
    const full = simulate({ seed: 1, nodes: echoNodes(5) });
    expect(r.trace).toEqual(full.trace.slice(-7));
  });
});

// A key-value register that answers reads and writes carrying request ids.
type KvIn = { type: 'write'; id: number; value: number } | { type: 'read'; id: number } | MessageInput;
const register: Machine<Record<string, never>, { value: number | null }, KvIn, unknown> = {
  name: 'register',
  init: () => ({ value: null }),
  step: (s, i) => {
    if (i.type === 'write') return { state: { value: i.value }, outputs: [{ type: 'ok', id: i.id, value: null }] };
    if (i.type === 'read') return { state: s, outputs: [{ type: 'ok', id: i.id, value: s.value }] };
    return { state: s, outputs: [] };
  },
};
type Op = { f: 'write'; value: number } | { f: 'read' };
const kvWorkload: Workload<Op, number | null> = {
  clients: 3,
  operations: 5,
  timeoutMs: 50,
  thinkMs: 2,
  generate: (ctx) => ({ node: 'a', input: ctx.random.float() < 0.5 ? { f: 'read' } : { f: 'write', value: ctx.index } }),
  command: (op) => (op.input.f === 'read' ? { type: 'read', id: op.id } : { type: 'write', id: op.id, value: op.input.value }),
  complete: (_n, out) => {
    const o = out as { type?: string; id?: number; value?: number | null };
    return o.type === 'ok' && typeof o.id === 'number' ? { id: o.id, output: o.value ?? null } : undefined;
  },
};

describe('workloads', () => {
  it('records a complete history in the check shape', () => {
    const r = simulate({ seed: 1, nodes: [{ id: 'a', machine: register, config: {} }], workload: kvWorkload });
    expect(r.history).toHaveLength(15);
    for (const op of r.history) {
      expect(op.ret).toBeGreaterThan(op.call);
      expect('output' in op).toBe(true);
    }
    expect(new Set(r.history.map((o) => o.client))).toEqual(new Set(['c0', 'c1', 'c2']));
    // Call and return times are distinct, in the order they happened.
    const times = r.history.flatMap((o) => [o.call, o.ret!]);
    expect(new Set(times).size).toBe(times.length);
  });

  it('an operation on a crashed node times out with an unknown outcome and its client continues renamed', () => {
    const r = simulate({
      seed: 1,
      nodes: [{ id: 'a', machine: register, config: {} }],
      workload: { ...kvWorkload, clients: ['x'], operations: 3 },
      faults: [
        { at: 0, fault: { type: 'crash', node: 'a' } },
        { at: 10, fault: { type: 'restart', node: 'a' } },
      ],
    });
    expect(r.history).toHaveLength(3);
    expect(r.history[0]).toEqual({ id: 0, client: 'x', input: expect.anything(), call: 0 });
    expect(r.history[1]!.client).toBe('x.1');
    expect(r.history[1]!.ret).toBeDefined();
    expect(r.trace.some((e) => e.kind === 'timeout')).toBe(true);
  });

  it('a response that matches no invocation is counted and kept out of the history; late and repeated ones are ignored', () => {
    // Answers every request twice, and also answers operation 999, which no client invoked.
    const chatty: Machine<Record<string, never>, { value: number | null }, KvIn, unknown> = {
      name: 'chatty',
      init: () => ({ value: null }),
      step: (s, i) => {
        const t = register.step(s, i);
        if (i.type === 'message') return t;
        return { state: t.state, outputs: [...t.outputs, ...t.outputs, { type: 'ok', id: 999, value: 5 }] };
      },
    };
    const r = simulate({ seed: 1, nodes: [{ id: 'a', machine: chatty, config: {} }], workload: kvWorkload });
    expect(r.ok).toBe(true);
    expect(r.history).toHaveLength(15);
    expect(r.history.every((op) => op.id < 15)).toBe(true);
    expect(r.stats.unmatchedResponses).toBe(15);
    expect(simulate({ seed: 1, nodes: [{ id: 'a', machine: register, config: {} }], workload: kvWorkload }).stats.unmatchedResponses).toBe(0);
  });

  it('failed completions are removed from the history', () => {
    const r = simulate({
      seed: 1,
      nodes: [{ id: 'a', machine: register, config: {} }],
      workload: { ...kvWorkload, complete: (_n, out) => ({ id: (out as { id: number }).id, failed: true }) },
    });
    expect(r.history).toHaveLength(0);
    expect(r.trace.filter((e) => e.kind === 'fail')).toHaveLength(15);
  });

  it('onOutput can inject commands (client logic outside the machines)', () => {
    let replies = 0;
    const r = simulate({
      seed: 1,
      nodes: [{ id: 'a', machine: register, config: {} }],
      commands: [{ at: 0, node: 'a', input: { type: 'read', id: 0 } }],
      onOutput: (ev, sim) => {
        replies++;
        if (replies < 5) sim.inject(ev.node, { type: 'read', id: replies }, 10);
      },
    });
    expect(replies).toBe(5);
    expect(r.stats.timeMs).toBe(40);
  });
});

describe('nemesis', () => {
  it('draws a reproducible schedule that respects maxDown and undoes faults by untilMs', () => {
    const opts: SimulateOptions = { seed: 11, nodes: echoNodes(100), nemesis: { crashRate: 5, pauseRate: 5, partitionRate: 3, oneWayRate: 3, untilMs: 3000 }, maxTimeMs: 4000 };
    const a = simulate(opts);
    expect(a.faults.length).toBeGreaterThan(10);
    expect(a.faults).toEqual(simulate(opts).faults);
    let down = 0;
    let net = false;
    for (const f of a.faults) {
      expect(f.at).toBeLessThanOrEqual(3000);
      if (f.fault.type === 'crash' || f.fault.type === 'pause') down++;
      if (f.fault.type === 'restart' || f.fault.type === 'resume') down--;
      expect(down).toBeLessThanOrEqual(1); // floor((3 - 1) / 2)
      if (f.fault.type === 'partition' || f.fault.type === 'oneWay') {
        expect(net).toBe(false);
        net = true;
      }
      if (f.fault.type === 'heal') net = false;
    }
    expect(down).toBe(0);
    expect(net).toBe(false);
  });
});

describe('bad options throw ConfigError naming the field', () => {
  const base: SimulateOptions = { seed: 1, nodes: echoNodes() };
  const cases: [string, SimulateOptions][] = [
    ['network.loss', { ...base, network: { loss: 1.5 } }],
    ['network.duplicate', { ...base, network: { duplicate: -0.1 } }],
    ['network.delay.minMs', { ...base, network: { delay: { type: 'uniform', minMs: 5, maxMs: 1 } } }],
    ['network.delay.ms', { ...base, network: { delay: { type: 'fixed', ms: -1 } } }],
    ['network.reorder', { ...base, network: { reorder: 0.5, fifo: true } }],
    ['nemesis.crashRate', { ...base, nemesis: { crashRate: -1 } }],
    ['nemesis.downMs', { ...base, nemesis: { downMs: [10, 1] } }],
    ['nemesis.nodes[0]', { ...base, nemesis: { nodes: ['zz'] } }],
    ['faults[0].fault.node', { ...base, faults: [{ at: 1, fault: { type: 'crash', node: 'zz' } }] }],
    ['faults[0].at', { ...base, faults: [{ at: -1, fault: { type: 'heal' } }] }],
    ['faults[0].fault.groups[1][0]', { ...base, faults: [{ at: 1, fault: { type: 'partition', groups: [['a'], ['q']] } }] }],
    ['commands[0].node', { ...base, commands: [{ at: 0, node: 'q', input: {} }] }],
    ['links[0].to', { ...base, links: [{ to: 'q' }] }],
    ['clocks.q', { ...base, clocks: { q: { skewMs: 1 } } }],
    ['clocks.a.drift', { ...base, clocks: { a: { drift: -1 } } }],
    ['nodes[1].id', { ...base, nodes: [echoNodes()[0]!, echoNodes()[0]!] }],
    ['nodes', { ...base, nodes: [] }],
    ['seed', { ...base, seed: Number.NaN }],
    ['maxTimeMs', { ...base, maxTimeMs: -5 }],
    ['workload.timeoutMs', { ...base, workload: { ...kvWorkload, timeoutMs: 0 } as Workload }],
    ['nodes[0].config.rounds', { ...base, nodes: [{ id: 'a', machine: echoMachine, config: { id: 'a', peers, rounds: -1 } }] }],
    // wrong shapes, as plain JavaScript or JSON could pass them
    ['network', { ...base, network: null } as unknown as SimulateOptions],
    ['faults', { ...base, faults: {} } as unknown as SimulateOptions],
    ['faults[0]', { ...base, faults: [null] } as unknown as SimulateOptions],
    ['commands', { ...base, commands: 'x' } as unknown as SimulateOptions],
    ['links[0]', { ...base, links: [7] } as unknown as SimulateOptions],
    ['clocks.a', { ...base, clocks: { a: null } } as unknown as SimulateOptions],
    ['nemesis', { ...base, nemesis: [] } as unknown as SimulateOptions],
    ['invariants', { ...base, invariants: { name: 'x' } } as unknown as SimulateOptions],
  ];
  it.each(cases)('%s', (field, opts) => {
    let err: unknown;
    try {
      simulate(opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });
});

describe('node ids', () => {
  it('ids that are Object.prototype names are ordinary keys', () => {
    const r = simulate({ seed: 1, nodes: recNodes(['constructor', '__proto__']), commands: [sendCmd(0, 'constructor', '__proto__', 1)] });
    expect(Object.keys(r.states).sort()).toEqual(['__proto__', 'constructor']);
    expect(seenMessages(r.states['__proto__'])).toEqual([1]);
  });
});

describe('final checks', () => {
  const allDone = { name: 'every node finishes', check: (end: { states: Record<string, { deadline: unknown }>; nodes: readonly string[] }) => (end.nodes.every((id) => end.states[id]?.deadline === null) ? undefined : 'some node never finished') };
  it('run once at the end and report like invariants', () => {
    const ok = simulate({ seed: 1, nodes: echoNodes(2), finalChecks: [allDone] });
    expect(ok.ok).toBe(true);
    const bad = simulate({ seed: 1, nodes: echoNodes(2), faults: [{ at: 1, fault: { type: 'crash', node: 'c' } }], finalChecks: [allDone], maxTimeMs: 500 });
    expect(bad.ok).toBe(false);
    expect(bad.stopReason).toBe('maxTime');
    expect(bad.violation).toMatchObject({ invariant: 'every node finishes', message: 'some node never finished', time: 500 });
  });

  it('are skipped after an invariant violation, and a throwing check is reported', () => {
    let called = false;
    const r = simulate({ seed: 1, nodes: echoNodes(2), invariants: [{ name: 'no', check: () => 'no' }], finalChecks: [{ name: 'f', check: () => void (called = true) }] });
    expect(r.violation?.invariant).toBe('no');
    expect(called).toBe(false);
    const t = simulate({ seed: 1, nodes: echoNodes(1), finalChecks: [{ name: 'boom', check: () => { throw new Error('x'); } }] });
    expect(t.violation?.message).toContain('threw');
  });
});

describe('message corruption', () => {
  it('delivers mangled copies, marked in the trace and counted, and machines reject them without throwing', () => {
    const r = simulate({ seed: 3, nodes: echoNodes(20), network: { corrupt: 0.2 }, maxTimeMs: 5000 });
    expect(r.ok).toBe(true); // no 'step threw'
    const m = r.stats.messages;
    expect(m.corrupted).toBeGreaterThan(20);
    expect(r.trace.filter((e) => e.kind === 'deliver' && e.corrupted === true)).toHaveLength(m.corrupted);
    expect(r.stats.rejected).toBeGreaterThan(0);
    // Retransmission still gets every round done.
    expect(r.stopReason).toBe('quiescent');
  });

  it('is validated like other probabilities', () => {
    expect(() => simulate({ seed: 1, nodes: echoNodes(), network: { corrupt: 2 } })).toThrow(/network.corrupt/);
  });
});

describe('nodes that start down', () => {
  it('join when a restart fault brings them up, from init', () => {
    const r = simulate({
      seed: 1,
      nodes: [...recNodes(['a']), { id: 'late', machine: recorder, config: {}, startDown: true }],
      network: { delay: { type: 'fixed', ms: 1 } },
      faults: [{ at: 50, fault: { type: 'restart', node: 'late' } }],
      commands: [sendCmd(10, 'a', 'late', 'early'), sendCmd(60, 'a', 'late', 'welcome')],
      invariants: [{ name: 'late is absent before 50', check: (s, v) => (v.time >= 50 || !('late' in s) ? undefined : 'late is up') }],
    });
    expect(r.ok).toBe(true);
    expect(r.trace.find((e) => e.kind === 'drop')).toMatchObject({ reason: 'crashed', to: 'late' });
    expect(seenMessages(r.states.late)).toEqual(['welcome']);
  });

  it('still have their config validated at the start', () => {
    expect(() => simulate({ seed: 1, nodes: [{ id: 'a', machine: echoMachine, config: { id: 'a', peers, rounds: -1 }, startDown: true }] })).toThrow(/nodes\[0\]\.config\.rounds/);
  });
});

describe('link faults', () => {
  it('change matching links from a time on, and linkReset restores them', () => {
    const r = simulate({
      seed: 1,
      nodes: recNodes(['a', 'b', 'c']),
      network: { delay: { type: 'fixed', ms: 1 } },
      faults: [
        { at: 10, fault: { type: 'link', link: { to: 'b', delay: { type: 'fixed', ms: 100 } } } },
        { at: 20, fault: { type: 'link', link: { from: 'c', loss: 1 } } },
        { at: 300, fault: { type: 'linkReset' } },
      ],
      commands: [sendCmd(0, 'a', 'b', 'fast'), sendCmd(15, 'a', 'b', 'slow'), sendCmd(15, 'a', 'c', 'normal'), sendCmd(25, 'c', 'a', 'lost'), sendCmd(400, 'a', 'b', 'fast again'), sendCmd(400, 'c', 'a', 'ok')],
    });
    const at = Object.fromEntries(r.trace.filter((e) => e.kind === 'deliver').map((e) => [(e as { message: string }).message, e.time]));
    expect(at).toEqual({ fast: 1, slow: 115, normal: 16, 'fast again': 401, ok: 401 });
    expect(r.trace.find((e) => e.kind === 'drop')).toMatchObject({ reason: 'loss', from: 'c' });
  });

  it('are validated like links', () => {
    expect(() => simulate({ seed: 1, nodes: echoNodes(), faults: [{ at: 1, fault: { type: 'link', link: { to: 'q' } } }] })).toThrow(/faults\[0\]\.fault\.link\.to/);
    expect(() => simulate({ seed: 1, nodes: echoNodes(), faults: [{ at: 1, fault: { type: 'link', link: { loss: 3 } } }] })).toThrow(/faults\[0\]\.fault\.link\.loss/);
  });
});

describe('nemesis latency spikes', () => {
  it('slow links to one node at a time, reset afterwards, without changing the other faults of the seed', () => {
    const base: SimulateOptions = { seed: 5, nodes: echoNodes(100), nemesis: { crashRate: 2, partitionRate: 2, untilMs: 3000 }, maxTimeMs: 4000 };
    const plain = simulate(base);
    const slow = simulate({ ...base, nemesis: { ...base.nemesis, slowRate: 3, slowDelayMs: 50 } });
    const spikes = slow.faults.filter((f) => f.fault.type === 'link');
    expect(spikes.length).toBeGreaterThan(2);
    expect(slow.faults.filter((f) => f.fault.type === 'linkReset')).toHaveLength(spikes.length);
    expect(slow.faults.filter((f) => f.fault.type !== 'link' && f.fault.type !== 'linkReset')).toEqual(plain.faults);
  });
});
