import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, ConfigError, InvalidCommandError, Random, type NodeId } from 'distkit/core';
import {
  byzantineGenerals,
  omExpectedMessages,
  omNextDeadline,
  OM_DEFAULT_VALUE,
  type OmConfig,
  type OmOutput,
  type OmState,
} from 'distkit/consensus';
import { simulate, type SimResult } from 'distkit/sim';
import { interactiveConsistency, omNodes, type OmSetup, type TraitorBehaviour } from './byzantine-generals-traitors.js';

const four = ['c', 'l1', 'l2', 'l3'];
const seven = ['c', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6'];

function run(setup: OmSetup, seed: number | string = 1): SimResult {
  return runWith(setup, seed, { minMs: 1, maxMs: 5 });
}

function runWith(setup: OmSetup, seed: number | string, delay: { minMs: number; maxMs: number }): SimResult {
  return simulate({
    seed,
    nodes: omNodes(setup),
    network: { delay: { type: 'uniform', ...delay } },
    maxTimeMs: 10_000,
  });
}

const decisions = (r: SimResult, ids: readonly NodeId[]) => ids.map((id) => (r.states[id] as OmState).decision);
const sent = (outs: readonly OmOutput[]) => outs.filter((o) => o.type === 'send');

describe('LSP §3 Theorem 1: configuration needs n >= 3m + 1', () => {
  it('rejects n = 3, m = 1 with a ConfigError naming m and the bound', () => {
    const bad = () => byzantineGenerals.init({ id: 'c', generals: ['c', 'l1', 'l2'], commander: 'c', m: 1, roundTimeoutMs: 10, order: 'attack' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/^m: OM\(1\) needs n >= 3m \+ 1 = 4 generals to tolerate 1 traitor\(s\), got n = 3/);
  });

  it('rejects n = 6, m = 2 and accepts n = 7, m = 2', () => {
    expect(() => byzantineGenerals.init({ id: 'l1', generals: seven.slice(0, 6), commander: 'c', m: 2, roundTimeoutMs: 10 })).toThrow(/n >= 3m \+ 1 = 7/);
    expect(byzantineGenerals.init({ id: 'l1', generals: seven, commander: 'c', m: 2, roundTimeoutMs: 10 }).round).toBe(0);
  });

  it('names the bad field for other configuration errors', () => {
    const base: OmConfig = { id: 'l1', generals: four, commander: 'c', m: 1, roundTimeoutMs: 10 };
    const field = (c: Partial<OmConfig>): string | undefined => {
      try {
        byzantineGenerals.init({ ...base, ...c } as OmConfig);
        return undefined;
      } catch (e) {
        return (e as ConfigError).field;
      }
    };
    expect(field({ id: 'c' })).toBe('order');
    expect(field({ id: 'c', order: 'dance' })).toBe('order');
    expect(field({ commander: 'z' })).toBe('commander');
    expect(field({ generals: ['c', 'l1', 'l1', 'l2'] })).toBe('generals[2]');
    expect(field({ id: 'x' })).toBe('generals');
    expect(field({ m: -1 })).toBe('m');
    expect(field({ m: 1.5 })).toBe('m');
    expect(field({ roundTimeoutMs: 0 })).toBe('roundTimeoutMs');
    expect(field({ defaultValue: 'hold' })).toBe('defaultValue');
    expect(field({ values: [] })).toBe('values');
    expect(field({ generals: Array.from({ length: 40 }, (_, i) => `g${i}`).concat('c', 'l1'), m: 4 })).toBe('m'); // > OM_MAX_PATHS
    expect(field({})).toBeUndefined();
  });

  // LSP §2 Fig. 1: with three generals, a traitorous lieutenant makes a loyal lieutenant disobey a
  // loyal commander. Forcing the run past the bound shows the bound is real.
  it('n = 3, m = 1 forced with unsafeAllowFewGenerals: a traitorous lieutenant breaks IC2 (Fig. 1)', () => {
    const setup: OmSetup = {
      generals: ['c', 'l1', 'l2'],
      commander: 'c',
      m: 1,
      order: 'attack',
      traitors: { l2: { kind: 'constant', value: 'retreat' } },
      unsafeAllowFewGenerals: true,
    };
    const r = run(setup);
    expect(decisions(r, ['l1'])).toEqual(['retreat']);
    expect(interactiveConsistency(setup, r.states)).toMatch(/^IC2/);
  });

  it('n = 3, m = 1 forced: a traitorous commander (Fig. 2) gives l1 the same view as Fig. 1', () => {
    // Fig. 2: the commander tells l1 "attack" and l2 "retreat"; loyal l2 relays "retreat". l1 sees
    // exactly what it saw in Fig. 1, so whatever rule makes it obey there makes it attack here,
    // while l2 (by symmetry) retreats: no algorithm for three generals meets IC1 and IC2.
    const base = { generals: ['c', 'l1', 'l2'], commander: 'c', m: 1, order: 'attack', unsafeAllowFewGenerals: true };
    const fig2 = run({ ...base, traitors: { c: { kind: 'split', values: ['-', 'attack', 'retreat'] } } });
    const fig1 = run({ ...base, traitors: { l2: { kind: 'constant', value: 'retreat' } } });
    expect((fig2.states.l1 as OmState).received).toEqual({ '["c"]': 'attack', '["c","l2"]': 'retreat' });
    expect((fig1.states.l1 as OmState).received).toEqual((fig2.states.l1 as OmState).received);
    expect((fig2.states.l2 as OmState).received).toEqual({ '["c"]': 'retreat', '["c","l1"]': 'attack' });
  });
});

describe('LSP §3 Fig. 3: OM(1), n = 4, traitorous lieutenant', () => {
  const setup: OmSetup = { generals: four, commander: 'c', m: 1, order: 'attack', traitors: { l3: { kind: 'constant', value: 'retreat' } } };

  it('loyal lieutenants obey the loyal commander (IC1, IC2)', () => {
    const r = run(setup);
    expect(decisions(r, ['l1', 'l2'])).toEqual(['attack', 'attack']);
    expect(interactiveConsistency(setup, r.states)).toBeUndefined();
  });

  it("l1's tree holds v from the commander and l2, x from the traitor l3", () => {
    const r = run(setup);
    expect((r.states.l1 as OmState).received).toEqual({ '["c"]': 'attack', '["c","l2"]': 'attack', '["c","l3"]': 'retreat' });
  });

  it('sends n − 1 + (n − 1)(n − 2) = 9 messages when everyone is loyal', () => {
    const r = run({ ...setup, traitors: {} });
    expect(r.stats.byType.om!.sent).toBe(9);
    expect(decisions(r, ['l1', 'l2', 'l3'])).toEqual(['attack', 'attack', 'attack']);
  });

  it('holds for every loyal commander order and every lie of the traitor', () => {
    for (const order of ['attack', 'retreat'])
      for (const behaviour of [{ kind: 'constant', value: 'attack' }, { kind: 'constant', value: 'retreat' }, { kind: 'silent' }, { kind: 'split', values: ['attack', 'retreat'] }] as TraitorBehaviour[])
        for (const t of ['l1', 'l2', 'l3']) {
          const s: OmSetup = { ...setup, order, traitors: { [t]: behaviour } };
          expect(interactiveConsistency(s, run(s).states), `${order} ${t} ${JSON.stringify(behaviour)}`).toBeUndefined();
        }
  });
});

describe('LSP §3 Fig. 4: OM(1), n = 4, traitorous commander', () => {
  it('commander sends x, y, z: every loyal lieutenant computes majority(x, y, z) = RETREAT (IC1)', () => {
    const setup: OmSetup = {
      generals: four,
      commander: 'c',
      m: 1,
      order: 'x',
      values: ['x', 'y', 'z', 'retreat'],
      traitors: { c: { kind: 'split', values: ['-', 'x', 'y', 'z'] } },
    };
    const r = run(setup);
    expect((r.states.l1 as OmState).received).toEqual({ '["c"]': 'x', '["c","l2"]': 'y', '["c","l3"]': 'z' });
    expect(decisions(r, ['l1', 'l2', 'l3'])).toEqual([OM_DEFAULT_VALUE, OM_DEFAULT_VALUE, OM_DEFAULT_VALUE]);
    expect(interactiveConsistency(setup, r.states)).toBeUndefined();
  });

  it('commander sends attack, retreat, attack: all loyal lieutenants attack', () => {
    const setup: OmSetup = { generals: four, commander: 'c', m: 1, order: 'attack', traitors: { c: { kind: 'split', values: ['-', 'attack', 'retreat', 'attack'] } } };
    expect(decisions(run(setup), ['l1', 'l2', 'l3'])).toEqual(['attack', 'attack', 'attack']);
  });

  it('a silent commander: missing messages default to RETREAT, all retreat', () => {
    const setup: OmSetup = { generals: four, commander: 'c', m: 1, order: 'attack', traitors: { c: { kind: 'silent' } } };
    const r = run(setup);
    expect(decisions(r, ['l1', 'l2', 'l3'])).toEqual(['retreat', 'retreat', 'retreat']);
    // Each lieutenant relayed the default it stood in for the missing order (LSP §3 step 2).
    expect((r.states.l1 as OmState).received).toEqual({ '["c","l2"]': 'retreat', '["c","l3"]': 'retreat' });
  });
});

describe('rounds: synchronous deadlines and early completion', () => {
  const cfg = (id: string): OmConfig => ({ id, generals: four, commander: 'c', m: 1, roundTimeoutMs: 100, startAtMs: 10, ...(id === 'c' ? { order: 'attack' } : {}) });

  it('round r ends at startAtMs + r * roundTimeoutMs; nothing happens before the start', () => {
    let s = byzantineGenerals.init(cfg('l1'));
    expect(omNextDeadline(s)).toBe(10);
    const early = checkedStep(byzantineGenerals, s, { type: 'tick', now: 5 });
    expect(early.state).toBe(s);
    s = checkedStep(byzantineGenerals, s, { type: 'tick', now: 10 }).state;
    expect(s.round).toBe(1);
    expect(omNextDeadline(s)).toBe(110);
    // Round 1 times out with no order: the default is relayed to l2 and l3.
    const t = checkedStep(byzantineGenerals, s, { type: 'tick', now: 110 });
    expect(sent(t.outputs)).toEqual([
      { type: 'send', to: 'l2', message: { type: 'om', round: 2, path: ['c', 'l1'], value: 'retreat' } },
      { type: 'send', to: 'l3', message: { type: 'om', round: 2, path: ['c', 'l1'], value: 'retreat' } },
    ]);
    expect(omNextDeadline(t.state)).toBe(210);
    const done = checkedStep(byzantineGenerals, t.state, { type: 'tick', now: 210 });
    expect(done.outputs).toEqual([{ type: 'decided', value: 'retreat' }]);
    expect(omNextDeadline(done.state)).toBeUndefined();
  });

  it('a round closes as soon as all its expected messages are in, before the deadline', () => {
    let s = checkedStep(byzantineGenerals, byzantineGenerals.init(cfg('l1')), { type: 'tick', now: 10 }).state;
    const t1 = checkedStep(byzantineGenerals, s, { type: 'message', now: 1, from: 'c', message: { type: 'om', round: 1, path: ['c'], value: 'attack' } });
    expect(sent(t1.outputs)).toHaveLength(2);
    expect(t1.state.round).toBe(2);
    s = checkedStep(byzantineGenerals, t1.state, { type: 'message', now: 1, from: 'l2', message: { type: 'om', round: 2, path: ['c', 'l2'], value: 'attack' } }).state;
    const t3 = checkedStep(byzantineGenerals, s, { type: 'message', now: 1, from: 'l3', message: { type: 'om', round: 2, path: ['c', 'l3'], value: 'retreat' } });
    expect(t3.outputs).toEqual([{ type: 'decided', value: 'attack' }]);
  });

  it('messages of a later round are kept and count when that round opens', () => {
    let s = checkedStep(byzantineGenerals, byzantineGenerals.init(cfg('l1')), { type: 'tick', now: 10 }).state;
    s = checkedStep(byzantineGenerals, s, { type: 'message', now: 1, from: 'l2', message: { type: 'om', round: 2, path: ['c', 'l2'], value: 'attack' } }).state;
    s = checkedStep(byzantineGenerals, s, { type: 'message', now: 1, from: 'l3', message: { type: 'om', round: 2, path: ['c', 'l3'], value: 'attack' } }).state;
    expect(s.round).toBe(1);
    const t = checkedStep(byzantineGenerals, s, { type: 'message', now: 1, from: 'c', message: { type: 'om', round: 1, path: ['c'], value: 'retreat' } });
    expect(t.outputs.at(-1)).toEqual({ type: 'decided', value: 'attack' });
  });

  it('omExpectedMessages counts the paths a lieutenant expects per round', () => {
    expect([1, 2, 3].map((r) => omExpectedMessages(7, r))).toEqual([1, 5, 20]);
    expect([1, 2].map((r) => omExpectedMessages(4, r))).toEqual([1, 2]);
  });

  it('OM(2), n = 7, all loyal: 6 + 30 + 120 messages, everyone obeys', () => {
    const r = run({ generals: seven, commander: 'c', m: 2, order: 'attack', traitors: {} });
    expect(r.stats.byType.om!.sent).toBe(156);
    expect(r.stats.rejected).toBe(0);
    expect(decisions(r, seven.slice(1))).toEqual(seven.slice(1).map(() => 'attack'));
  });
});

describe('hostile messages are rejected with a reason, state unchanged', () => {
  // l1 in round 2 of OM(1), n = 4, after the commander's order.
  const l1 = (() => {
    const cfg: OmConfig = { id: 'l1', generals: four, commander: 'c', m: 1, roundTimeoutMs: 100 };
    let s = byzantineGenerals.init(cfg);
    s = byzantineGenerals.step(s, { type: 'tick', now: 0 }).state;
    return byzantineGenerals.step(s, { type: 'message', now: 1, from: 'c', message: { type: 'om', round: 1, path: ['c'], value: 'attack' } }).state;
  })();
  const cases: [string, NodeId, unknown, RegExp][] = [
    ['unknown sender', 'mallory', { type: 'om', round: 2, path: ['c', 'mallory'], value: 'attack' }, /unknown sender "mallory"/],
    ['itself as sender', 'l1', { type: 'om', round: 2, path: ['c', 'l1'], value: 'attack' }, /this general itself/],
    ['not an object', 'l2', 'attack', /message: expected an object/],
    ['unknown type', 'l2', { type: 'vote' }, /message.type: expected one of om/],
    ['round not an integer', 'l2', { type: 'om', round: 'two', path: ['c', 'l2'], value: 'attack' }, /message.round: expected an integer/],
    ['path not an array', 'l2', { type: 'om', round: 2, path: 'c,l2', value: 'attack' }, /message.path: expected an array/],
    ['path with a number', 'l2', { type: 'om', round: 2, path: ['c', 2], value: 'attack' }, /message.path\[1\]: expected a string/],
    ['value not a string', 'l2', { type: 'om', round: 2, path: ['c', 'l2'], value: true }, /message.value: expected a string/],
    ['value outside values', 'l2', { type: 'om', round: 2, path: ['c', 'l2'], value: 'surrender' }, /message.value: expected one of "attack", "retreat"/],
    ['round beyond m + 1', 'l2', { type: 'om', round: 3, path: ['c', 'l2', 'l3'], value: 'attack' }, /message.round: expected 1..2 for OM\(1\), got 3/],
    ['round 0', 'l2', { type: 'om', round: 0, path: ['c'], value: 'attack' }, /expected 1..2/],
    ['closed round', 'c', { type: 'om', round: 1, path: ['c'], value: 'retreat' }, /round 1 is closed/],
    ['path length not the round', 'l2', { type: 'om', round: 2, path: ['c'], value: 'attack' }, /path of length 2, got 1/],
    ['path not starting at the commander', 'l2', { type: 'om', round: 2, path: ['l3', 'l2'], value: 'attack' }, /must start at the commander "c"/],
    ['path repeating a node', 'l2', { type: 'om', round: 2, path: ['c', 'c'], value: 'attack' }, /"c" appears twice/],
    ['path with an unknown general', 'l2', { type: 'om', round: 2, path: ['c', 'zed'], value: 'attack' }, /unknown general "zed"/],
    ['path through the receiver', 'l2', { type: 'om', round: 2, path: ['c', 'l1'], value: 'attack' }, /already passed through this general/],
    ['sender not last on the path', 'l2', { type: 'om', round: 2, path: ['c', 'l3'], value: 'attack' }, /sender "l2" must be its last element/],
  ];
  it.each(cases)('%s', (_name, from, message, reason) => {
    const t = checkedStep(byzantineGenerals, l1, { type: 'message', now: 1, from, message });
    expect(t.state).toBe(l1);
    expect(t.outputs).toHaveLength(1);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', from });
    expect((t.outputs[0] as { reason: string }).reason).toMatch(reason);
  });

  it('a second value for the same path is rejected; the first one stands', () => {
    const msg = { type: 'om', round: 2, path: ['c', 'l2'], value: 'attack' };
    const s = checkedStep(byzantineGenerals, l1, { type: 'message', now: 1, from: 'l2', message: msg }).state;
    const t = checkedStep(byzantineGenerals, s, { type: 'message', now: 1, from: 'l2', message: { ...msg, value: 'retreat' } });
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'l2', reason: 'path ["c","l2"]: a value was already received for it' }]);
  });

  it('the commander takes no messages', () => {
    const c = byzantineGenerals.init({ id: 'c', generals: four, commander: 'c', m: 1, roundTimeoutMs: 10, order: 'attack' });
    const t = checkedStep(byzantineGenerals, c, { type: 'message', now: 1, from: 'l1', message: { type: 'om', round: 2, path: ['c', 'l1'], value: 'attack' } });
    expect(t.state).toBe(c);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'l1', reason: 'the commander takes no messages in OM(m)' }]);
  });
});

// Random traitors: per seed, up to m traitors (the commander among the candidates), each with a
// random behaviour — constant lies, silence, different values per receiver, or per-message random
// lies mixed with forged junk — over a network whose delays stay within a round (assumption A3).
function randomSetup(seed: number, generals: readonly NodeId[], m: number): OmSetup {
  const rnd = new Random(`om/${seed}`);
  const count = rnd.int(0, m + 1);
  const pool = generals.slice();
  const traitors: Record<NodeId, TraitorBehaviour> = {};
  for (let k = 0; k < count; k++) {
    const g = pool.splice(rnd.int(0, pool.length), 1)[0]!;
    const kind = rnd.int(0, 4);
    traitors[g] =
      kind === 0
        ? { kind: 'constant', value: rnd.choice(['attack', 'retreat']) }
        : kind === 1
          ? { kind: 'silent' }
          : kind === 2
            ? { kind: 'split', values: generals.map(() => rnd.choice(['attack', 'retreat'])) }
            : { kind: 'random', seed: rnd.int(0, 1 << 30) };
  }
  return { generals, commander: generals[0]!, m, order: rnd.choice(['attack', 'retreat']), traitors };
}

describe('totality (fast-check): any peer message is rejected or accepted, never thrown', () => {
  it('arbitrary JSON and near-miss messages from any general at any point of a run', () => {
    const base = (() => {
      let s = byzantineGenerals.init({ id: 'l1', generals: seven, commander: 'c', m: 2, roundTimeoutMs: 100 });
      s = byzantineGenerals.step(s, { type: 'tick', now: 0 }).state;
      return s;
    })();
    const nearMiss = fc.record({
      type: fc.constantFrom('om', 'OM', 'x'),
      round: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.double(), fc.string()),
      path: fc.oneof(fc.array(fc.constantFrom(...seven, 'zz', ''), { maxLength: 5 }), fc.anything()),
      value: fc.oneof(fc.constantFrom('attack', 'retreat', ''), fc.anything()),
    });
    fc.assert(
      fc.property(fc.constantFrom(...seven, 'mallory'), fc.oneof(nearMiss, fc.jsonValue()), (from, message) => {
        const t = checkedStep(byzantineGenerals, base, { type: 'message', now: 1, from, message });
        const rejected = t.outputs.length === 1 && t.outputs[0]!.type === 'rejected';
        if (rejected) expect(t.state).toBe(base);
        else expect(t.state.received).not.toEqual(base.received);
      }),
      { numRuns: 2000, seed: 1982 },
    );
  });
});

describe('random traitors, n = 7, m = 2 (IC1 and IC2)', () => {
  it('300 seeds: every loyal lieutenant decides, IC1 and IC2 hold', () => {
    let withTraitorCommander = 0;
    let withTwoTraitors = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const setup = randomSetup(seed, seven, 2);
      if (setup.traitors.c !== undefined) withTraitorCommander++;
      if (Object.keys(setup.traitors).length === 2) withTwoTraitors++;
      const r = runWith(setup, seed, { minMs: 1, maxMs: 19 });
      expect(r.violation, `seed ${seed}`).toBeUndefined();
      expect(interactiveConsistency(setup, r.states), `seed ${seed} ${JSON.stringify(setup.traitors)}`).toBeUndefined();
    }
    // The sweep exercised the interesting cases.
    expect(withTraitorCommander).toBeGreaterThan(30);
    expect(withTwoTraitors).toBeGreaterThan(60);
  });

  it('forged junk from traitors is rejected by loyal generals and does not stop them', () => {
    const setup: OmSetup = { generals: seven, commander: 'c', m: 2, order: 'attack', traitors: { l2: { kind: 'random', seed: 7 }, l5: { kind: 'random', seed: 8 } } };
    const r = runWith(setup, 3, { minMs: 1, maxMs: 19 });
    expect(r.stats.rejected).toBeGreaterThan(0);
    expect(interactiveConsistency(setup, r.states)).toBeUndefined();
  });
});

describe('property (fast-check): IC1 and IC2 for any traitor set of size <= m, n >= 3m + 1', () => {
  it('holds over random n, m, traitor sets, behaviours, orders and delays', () => {
    const behaviour = fc.oneof(
      fc.record({ kind: fc.constant('constant' as const), value: fc.constantFrom('attack', 'retreat') }),
      fc.constant({ kind: 'silent' as const }),
      fc.record({ kind: fc.constant('split' as const), values: fc.array(fc.constantFrom('attack', 'retreat'), { minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('random' as const), seed: fc.integer({ min: 0, max: 1 << 30 }) }),
    );
    const scenario = fc
      .record({ m: fc.integer({ min: 0, max: 2 }), extra: fc.integer({ min: 0, max: 2 }) })
      .chain(({ m, extra }) => {
        const n = 3 * m + 1 + extra;
        const generals = Array.from({ length: n }, (_, i) => (i === 0 ? 'c' : `l${i}`));
        return fc.record({
          m: fc.constant(m),
          generals: fc.constant(generals),
          traitors: fc.uniqueArray(fc.constantFrom(...generals), { maxLength: m }).chain((ts) =>
            fc.tuple(...ts.map((t) => fc.tuple(fc.constant(t), behaviour))),
          ),
          order: fc.constantFrom('attack', 'retreat'),
          seed: fc.integer(),
          maxDelayMs: fc.integer({ min: 1, max: 19 }),
        });
      });
    fc.assert(
      fc.property(scenario, (sc) => {
        const setup: OmSetup = { generals: sc.generals, commander: 'c', m: sc.m, order: sc.order, traitors: Object.fromEntries(sc.traitors) };
        const r = runWith(setup, sc.seed, { minMs: 0, maxMs: sc.maxDelayMs });
        expect(r.violation).toBeUndefined();
        expect(interactiveConsistency(setup, r.states)).toBeUndefined();
      }),
      { numRuns: 150, seed: 20261206 },
    );
  });
});

describe('machine contract: named limits, safe keys, local inputs', () => {
  it('maxPaths is configurable and names itself when OM(m) needs more', () => {
    expect(() => byzantineGenerals.init({ id: 'l1', generals: seven, commander: 'c', m: 2, roundTimeoutMs: 10, maxPaths: 25 })).toThrow(/maxPaths/);
    expect(byzantineGenerals.init({ id: 'l1', generals: seven, commander: 'c', m: 2, roundTimeoutMs: 10, maxPaths: 26 }).round).toBe(0);
    expect(() => byzantineGenerals.init({ id: 'l1', generals: seven, commander: 'c', m: 2, roundTimeoutMs: 10, maxPaths: 0 })).toThrow(ConfigError);
  });

  it.each(['__proto__', 'constructor', 'toString'])('a general named %j is a general like any other', (name) => {
    const generals = ['c', 'l1', 'l2', name];
    let s = byzantineGenerals.init({ id: 'l1', generals, commander: 'c', m: 1, roundTimeoutMs: 100 });
    s = checkedStep(byzantineGenerals, s, { type: 'tick', now: 0 }).state;
    s = checkedStep(byzantineGenerals, s, { type: 'message', now: 1, from: 'c', message: { type: 'om', round: 1, path: ['c'], value: 'attack' } }).state;
    s = checkedStep(byzantineGenerals, s, { type: 'message', now: 2, from: name, message: { type: 'om', round: 2, path: ['c', name], value: 'retreat' } }).state;
    const t = checkedStep(byzantineGenerals, s, { type: 'message', now: 3, from: 'l2', message: { type: 'om', round: 2, path: ['c', 'l2'], value: 'attack' } });
    expect(t.outputs).toEqual([{ type: 'decided', value: 'attack' }]);
    expect(JSON.parse(JSON.stringify(t.state))).toEqual(t.state);
  });

  it('only the declared fields of a message are stored', () => {
    let s = byzantineGenerals.init({ id: 'l1', generals: four, commander: 'c', m: 1, roundTimeoutMs: 100 });
    s = checkedStep(byzantineGenerals, s, { type: 'tick', now: 0 }).state;
    const t = checkedStep(byzantineGenerals, s, { type: 'message', now: 1, from: 'c', message: { type: 'om', round: 1, path: ['c'], value: 'attack', junk: 'x'.repeat(1000) } });
    expect(JSON.stringify(t.state)).not.toContain('xxxx');
  });

  it('an unknown command and a tick without a finite now throw InvalidCommandError', () => {
    const s = byzantineGenerals.init({ id: 'l1', generals: four, commander: 'c', m: 1, roundTimeoutMs: 100 });
    expect(() => byzantineGenerals.step(s, { type: 'nope', now: 1 } as never)).toThrow(InvalidCommandError);
    expect(() => byzantineGenerals.step(s, { type: 'tick', now: Infinity })).toThrow(InvalidCommandError);
    expect(() => byzantineGenerals.step(s, { type: 'message', from: 'c', message: {} } as never)).toThrow(InvalidCommandError);
  });
});
