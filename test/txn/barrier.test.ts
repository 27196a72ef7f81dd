import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, Random, checkedStep } from 'distkit/core';
import { simulate, type SimNode } from 'distkit/sim';
import {
  barrierCoordinator as C,
  barrierInvariants,
  barrierParty as P,
  type BarrierCoordinatorState,
  type BarrierPartyState,
} from 'distkit/txn';

const msg = (from: string, message: unknown, now = 0) => ({ type: 'message' as const, from, message, now });
const arrive = (generation: number) => ({ type: 'arrive', generation });
const types = (outputs: readonly { type: string }[]): string[] => outputs.map((o) => o.type);

function coordinatorWith(arrivals: [string, number][], parties = ['a', 'b', 'c']): BarrierCoordinatorState {
  let s = C.init({ id: 'coord', nodes: parties, timeoutMs: 100 });
  for (const [from, g] of arrivals) s = C.step(s, msg(from, arrive(g))).state;
  return s;
}

describe('config', () => {
  it('names the bad field', () => {
    expect(() => C.init({ id: '', nodes: ['a'] })).toThrow(ConfigError);
    expect(() => C.init({ id: 'c', nodes: [] })).toThrow(/nodes/);
    expect(() => C.init({ id: 'c', nodes: ['a', 'a'] })).toThrow(/duplicate/);
    expect(() => C.init({ id: 'c', nodes: ['a', 'c'] })).toThrow(/coordinator/);
    expect(() => C.init({ id: 'c', nodes: ['a'], timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => P.init({ id: 'a', coordinator: 'a' })).toThrow(/coordinator/);
    expect(() => P.init({ id: 'a', coordinator: 'c', resendIntervalMs: -5 })).toThrow(/resendIntervalMs/);
  });
  it('arriving twice without being released is a programming error', () => {
    const s = P.step(P.init({ id: 'a', coordinator: 'c' }), { type: 'arrive', now: 0 }).state;
    expect(() => P.step(s, { type: 'arrive', now: 0 })).toThrow(InvalidCommandError);
  });
});

describe('MCS §3.1 centralized barrier with generations', () => {
  it('releases every party once all N arrived, persisting the new generation before the releases', () => {
    const s = coordinatorWith([
      ['a', 0],
      ['b', 0],
    ]);
    expect(s.arrived).toEqual(['a', 'b']);
    const t = checkedStep(C, s, msg('c', arrive(0)));
    expect(t.outputs).toEqual([
      { type: 'persist', record: { generation: 1 } },
      { type: 'send', to: 'a', message: { type: 'release', generation: 0 } },
      { type: 'send', to: 'b', message: { type: 'release', generation: 0 } },
      { type: 'send', to: 'c', message: { type: 'release', generation: 0 } },
      { type: 'released', generation: 0 },
    ]);
    expect(t.state).toMatchObject({ generation: 1, arrived: [], deadline: { at: null } });
  });

  it('a party passes on the release of its generation only, and re-sends its arrival until then', () => {
    let t = checkedStep(P, P.init({ id: 'a', coordinator: 'c', resendIntervalMs: 50 }), { type: 'arrive', now: 0 });
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: arrive(0) }]);
    // The resend timer starts at the arrive command's time.
    expect(P.nextDeadline!(t.state)).toBe(50);
    t = checkedStep(P, t.state, { type: 'tick', now: 49 });
    expect(t.outputs).toEqual([]);
    t = checkedStep(P, t.state, { type: 'tick', now: 50 });
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: arrive(0) }]);
    t = checkedStep(P, t.state, msg('c', { type: 'release', generation: 0 }));
    expect(t.outputs).toEqual([
      { type: 'persist', record: { generation: 1 } },
      { type: 'passed', generation: 0 },
    ]);
    expect(t.state).toMatchObject({ generation: 1, waiting: false });
    expect(P.nextDeadline!(t.state)).toBeUndefined();
  });

  it('a fast party re-arriving for g + 1 before a slow one left g is held until all N arrive at g + 1', () => {
    // Generation 0 released; c's release is still in flight (c has not left generation 0).
    let s = coordinatorWith([
      ['a', 0],
      ['b', 0],
      ['c', 0],
    ]);
    expect(s.generation).toBe(1);
    s = checkedStep(C, s, msg('a', arrive(1))).state;
    s = checkedStep(C, s, msg('b', arrive(1))).state;
    expect(s.arrived).toEqual(['a', 'b']); // held: counted toward generation 1 only
    // c never heard its release and re-sends arrive(0): it gets the release again, and counts for nothing new.
    const again = checkedStep(C, s, msg('c', arrive(0)));
    expect(again.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'release', generation: 0 } }]);
    expect(again.state).toBe(s);
    // Only c's arrival at generation 1 releases it.
    const t = checkedStep(C, s, msg('c', arrive(1)));
    expect(t.outputs.at(-1)).toEqual({ type: 'released', generation: 1 });
  });

  it('a re-sent arrival is counted once', () => {
    const s = coordinatorWith([['a', 0]]);
    const t = checkedStep(C, s, msg('a', arrive(0)));
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([]);
  });

  it('a restarted coordinator keeps its generation; the parties re-send their arrivals', () => {
    const s = coordinatorWith([
      ['a', 0],
      ['b', 0],
      ['c', 0],
      ['a', 1],
    ]);
    const r = C.recover({ id: 'coord', nodes: ['a', 'b', 'c'] }, JSON.parse(JSON.stringify(C.durable(s))));
    expect(r.generation).toBe(1);
    expect(r.arrived).toEqual([]);
    const p = P.recover({ id: 'a', coordinator: 'coord' }, { generation: 3 });
    expect(p).toMatchObject({ generation: 3, waiting: false });
  });
});

describe('timeout: reports which parties are missing', () => {
  it('after timeoutMs from the first arrival, names the missing parties, tells the waiting ones, and re-arms', () => {
    let s = C.init({ id: 'coord', nodes: ['a', 'b', 'c'], timeoutMs: 100 });
    s = checkedStep(C, s, msg('b', arrive(0), 500)).state;
    expect(C.nextDeadline!(s)).toBe(600); // from the first arrival's time
    s = checkedStep(C, s, msg('a', arrive(0), 550)).state;
    expect(C.nextDeadline!(s)).toBe(600); // the timeout runs from the first arrival
    const t = checkedStep(C, s, { type: 'tick', now: 600 });
    expect(t.outputs).toEqual([
      { type: 'timedOut', generation: 0, missing: ['c'] },
      { type: 'send', to: 'b', message: { type: 'timeout', generation: 0, missing: ['c'] } },
      { type: 'send', to: 'a', message: { type: 'timeout', generation: 0, missing: ['c'] } },
    ]);
    expect(C.nextDeadline!(t.state)).toBe(700);
    // The barrier stays armed: c arriving late still completes it.
    expect(checkedStep(C, t.state, msg('c', arrive(0))).outputs.at(-1)).toEqual({ type: 'released', generation: 0 });
    // A waiting party hands the report to its host.
    const a = P.step(P.init({ id: 'a', coordinator: 'coord' }), { type: 'arrive', now: 0 }).state;
    expect(checkedStep(P, a, msg('coord', { type: 'timeout', generation: 0, missing: ['c'] })).outputs).toEqual([{ type: 'timedOut', generation: 0, missing: ['c'] }]);
  });
  it('an idle coordinator has no deadline', () => {
    expect(C.nextDeadline!(C.init({ id: 'coord', nodes: ['a'] }))).toBeUndefined();
  });
});

describe('hostile messages are rejected and change nothing', () => {
  it('coordinator: unknown party, generations from the future or long released, wrong types', () => {
    // Open generation 2; a and b arrived at it.
    const s = coordinatorWith([
      ['a', 0],
      ['b', 0],
      ['c', 0],
      ['a', 1],
      ['b', 1],
      ['c', 1],
      ['a', 2],
    ]);
    expect(s.generation).toBe(2);
    const hostile: [string, unknown, RegExp][] = [
      ['x', arrive(2), /not a party/],
      ['b', arrive(3), /future/],
      ['b', arrive(4), /future/],
      ['b', arrive(0), /long released/],
      ['b', arrive(-1), /generation/],
      ['b', arrive(1.5), /generation/],
      ['b', { type: 'arrive', generation: '2' }, /generation/],
      ['b', { type: 'arrive' }, /generation: missing/],
      ['b', { type: 'release', generation: 2 }, /does not accept release/],
      ['b', { type: 'timeout', generation: 2, missing: [] }, /does not accept timeout/],
      ['b', { type: 'leave', generation: 2 }, /type/],
      ['b', null, /object/],
      ['b', 'arrive', /object/],
      ['b', [arrive(2)], /object/],
    ];
    for (const [from, m, reason] of hostile) {
      const t = checkedStep(C, s, msg(from, m));
      expect(t.state, JSON.stringify(m)).toBe(s);
      expect(types(t.outputs), JSON.stringify(m)).toEqual(['rejected']);
      expect((t.outputs[0] as { reason: string }).reason, JSON.stringify(m)).toMatch(reason);
    }
  });
  it('party: messages from non-coordinators, releases of other generations, wrong types', () => {
    let s = P.init({ id: 'a', coordinator: 'coord' });
    s = P.step(s, { type: 'arrive', now: 0 }).state;
    s = P.step(s, msg('coord', { type: 'release', generation: 0 })).state;
    s = P.step(s, { type: 'arrive', now: 0 }).state; // waiting at generation 1
    const hostile: [string, unknown, RegExp][] = [
      ['b', { type: 'release', generation: 1 }, /not the barrier coordinator/],
      ['coord', { type: 'release', generation: 0 }, /stale/],
      ['coord', { type: 'release', generation: 2 }, /future/],
      ['coord', { type: 'release', generation: 9 }, /future/],
      ['coord', arrive(1), /does not accept arrive/],
      ['coord', { type: 'timeout', generation: 0, missing: ['b'] }, /not waiting/],
      ['coord', { type: 'timeout', generation: 1, missing: [''] }, /missing\[0\]/],
      ['coord', { type: 'release', generation: -1 }, /generation/],
      ['coord', 42, /object/],
    ];
    for (const [from, m, reason] of hostile) {
      const t = checkedStep(P, s, msg(from, m));
      expect(t.state, JSON.stringify(m)).toBe(s);
      expect(types(t.outputs), JSON.stringify(m)).toEqual(['rejected']);
      expect((t.outputs[0] as { reason: string }).reason, JSON.stringify(m)).toMatch(reason);
    }
    // A release of the current generation before arriving (a restarted party) passes nothing.
    const idle = P.recover({ id: 'a', coordinator: 'coord' }, { generation: 1 });
    expect(types(checkedStep(P, idle, msg('coord', { type: 'release', generation: 1 })).outputs)).toEqual(['rejected']);
  });
  it('random junk never throws and never releases a generation early', () => {
    const s = coordinatorWith([
      ['a', 0],
      ['b', 0],
    ]);
    const junk = fc.oneof(
      fc.anything(),
      fc.record({ type: fc.constantFrom('arrive', 'release', 'timeout'), generation: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double()), missing: fc.anything() }),
    );
    fc.assert(
      fc.property(fc.constantFrom('a', 'b', 'x', 'coord'), junk, (from, m) => {
        const t = checkedStep(C, s, msg(from, m));
        // c alone can complete generation 0; nothing else may release it.
        expect(t.outputs.some((o) => o.type === 'released')).toBe(false);
        expect(t.state.generation).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Simulation: N parties go through K generations, each re-arriving after a random delay, over a
// network with random delays, loss and duplication, and (for some seeds) coordinator crashes.
// ---------------------------------------------------------------------------------------------

const N = 4;
const K = 6;
const PARTIES = Array.from({ length: N }, (_, i) => `p${i}`);

function arrivals(s: BarrierPartyState): number {
  return s.generation + (s.waiting ? 1 : 0);
}

function runBarrier(seed: number) {
  const rng = new Random(`barrier-${seed}`);
  const passes: { party: string; generation: number; minArrivals: number }[] = [];
  const nodes: SimNode[] = [
    { id: 'coord', machine: C, config: { id: 'coord', nodes: PARTIES, timeoutMs: 400 } },
    ...PARTIES.map((id) => ({ id, machine: P, config: { id, coordinator: 'coord', resendIntervalMs: 60 } })),
  ];
  const crashes = seed % 3 === 0;
  return {
    passes,
    result: simulate({
      seed,
      nodes,
      network: { delay: { type: 'uniform', minMs: 1, maxMs: 40 }, loss: 0.1, duplicate: 0.1, reorder: 0.2 },
      ...(crashes ? { nemesis: { crashRate: 2, nodes: ['coord'], maxDown: 1, downMs: [20, 300] as const, untilMs: 4_000 } } : {}),
      commands: PARTIES.map((node) => ({ at: rng.int(0, 100), node, input: { type: 'arrive' } })),
      invariants: barrierInvariants(PARTIES),
      finalChecks: [
        {
          name: `every party passes ${K} generations`,
          check: (end) => (PARTIES.every((p) => (end.states[p] as BarrierPartyState | undefined)?.generation === K) ? undefined : JSON.stringify(end.states)),
        },
      ],
      onOutput: (e, sim) => {
        const o = e.output as { type: string; generation?: number };
        if (o.type !== 'passed') return;
        // At the moment a party passes generation g, every party has arrived at g.
        const minArrivals = Math.min(...PARTIES.map((p) => arrivals(sim.states[p] as BarrierPartyState)));
        passes.push({ party: e.node, generation: o.generation!, minArrivals });
        if (o.generation! + 1 < K) sim.inject(e.node, { type: 'arrive' }, rng.int(0, 80));
      },
      maxTimeMs: 60_000,
      trace: false,
    }),
  };
}

describe('simulation: no party passes generation g + 1 before all N arrived at g + 1', () => {
  it(`${N} parties, ${K} generations, random delays, 10% loss, 10% duplication, coordinator crashes on every third seed (150 seeds)`, () => {
    let withCrashes = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const { result, passes } = runBarrier(seed);
      expect(result.violation?.message, `seed ${seed}`).toBeUndefined();
      expect(result.ok, `seed ${seed}`).toBe(true);
      expect(passes.length, `seed ${seed}`).toBe(N * K);
      for (const p of passes) expect(p.minArrivals, `seed ${seed} ${JSON.stringify(p)}`).toBeGreaterThanOrEqual(p.generation + 1);
      if (result.faults.some((f) => f.fault.type === 'crash')) withCrashes++;
    }
    expect(withCrashes).toBeGreaterThan(20);
  });

  it('the invariant has teeth: a coordinator that releases one arrival early is caught', () => {
    const eager = {
      ...C,
      // Counts a phantom extra arrival: releases when N - 1 parties have arrived.
      step: (s: BarrierCoordinatorState, input: Parameters<typeof C.step>[1]) =>
        C.step(s.arrived.length > 0 && !s.arrived.includes('p0') ? { ...s, arrived: [...s.arrived, 'p0'] } : s, input),
    };
    const r = simulate({
      seed: 1,
      nodes: [
        { id: 'coord', machine: eager, config: { id: 'coord', nodes: PARTIES } },
        ...PARTIES.map((id) => ({ id, machine: P, config: { id, coordinator: 'coord' } })),
      ],
      commands: PARTIES.slice(1).map((node) => ({ at: 0, node, input: { type: 'arrive' } })),
      invariants: barrierInvariants(PARTIES),
    });
    expect(r.violation?.invariant).toBe(barrierInvariants(PARTIES)[0]!.name);
  });
});
