// End to end: a simulated workload's history judged by the linearizability checker.
import { describe, expect, it } from 'vitest';
import { atMostOne, type DurableMachine, type MessageInput } from 'distkit/core';
import { checkLinearizability, registerModel, type RegisterInput, type RegisterOutput } from 'distkit/check';
import { simulate, type SimNode, type SimulateOptions, type Workload } from 'distkit/sim';

// A primary-backup register: the primary applies writes, persists them, replicates them
// asynchronously and acknowledges at once. Every node answers reads from its own copy, which is
// linearizable only when reads go to the primary.
interface RState {
  readonly id: string;
  readonly primary: string;
  readonly peers: readonly string[];
  readonly value: number | null;
  readonly version: number;
}
type RIn = { type: 'op'; id: number; op: RegisterInput<number> } | MessageInput;
type ROut = { type: 'send'; to: string; message: unknown } | { type: 'persist'; record: unknown } | { type: 'reply'; id: number; value: RegisterOutput<number> };
const register: DurableMachine<{ id: string; primary: string; peers: string[] }, RState, RIn, ROut, { value: number | null; version: number }> = {
  name: 'pb-register',
  init: (c) => ({ id: c.id, primary: c.primary, peers: c.peers, value: null, version: 0 }),
  step: (s, i) => {
    if (i.type === 'message') {
      const m = i.message as { type?: string; value?: number; version?: number };
      if (m.type !== 'replicate' || typeof m.version !== 'number' || m.version <= s.version) return { state: s, outputs: [] };
      return { state: { ...s, value: m.value ?? null, version: m.version }, outputs: [] };
    }
    if (i.op.f === 'read') return { state: s, outputs: [{ type: 'reply', id: i.id, value: s.value }] };
    if (i.op.f !== 'write' || s.id !== s.primary) return { state: s, outputs: [] };
    const next = { ...s, value: i.op.value, version: s.version + 1 };
    return {
      state: next,
      outputs: [
        { type: 'persist', record: { value: next.value, version: next.version } },
        ...s.peers.filter((p) => p !== s.id).map((to) => ({ type: 'send' as const, to, message: { type: 'replicate', value: next.value, version: next.version } })),
        { type: 'reply', id: i.id, value: null },
      ],
    };
  },
  durable: (s) => ({ value: s.value, version: s.version }),
  recover: (c, d) => ({ id: c.id, primary: c.primary, peers: c.peers, value: d.value, version: d.version }),
};

const peers = ['p', 'b1', 'b2'];
const nodes: SimNode[] = peers.map((id) => ({ id, machine: register, config: { id, primary: 'p', peers } }));

function workload(readsFrom: 'primary' | 'any'): Workload<RegisterInput<number>, RegisterOutput<number>> {
  return {
    clients: 4,
    operations: 15,
    timeoutMs: 100,
    thinkMs: 3,
    generate: (ctx) => {
      const read = ctx.random.float() < 0.5;
      const node = read && readsFrom === 'any' ? ctx.random.choice(ctx.nodes) : 'p';
      return { node, input: read ? { f: 'read' } : { f: 'write', value: ctx.random.int(0, 5) } };
    },
    command: (op) => ({ type: 'op', id: op.id, op: op.input }),
    complete: (_node, out) => {
      const o = out as ROut;
      return o.type === 'reply' ? { id: o.id, output: o.value } : undefined;
    },
  };
}

const scenario = (seed: number, readsFrom: 'primary' | 'any'): SimulateOptions<RegisterInput<number>, RegisterOutput<number>> => ({
  seed,
  nodes,
  workload: workload(readsFrom),
  network: { delay: { type: 'uniform', minMs: 1, maxMs: 20 }, loss: 0.1 },
  faults: [
    { at: 40, fault: { type: 'crash', node: 'p' } },
    { at: 140, fault: { type: 'restart', node: 'p' } },
  ],
  invariants: [atMostOne<RState>('one primary', (s, id) => s.primary === id)],
});

// More seeds: SIM_SEEDS=10000 npx vitest run test/sim
const seedCount = Math.max(30, Number(process.env['SIM_SEEDS'] ?? 0));

describe('workload histories and the linearizability checker', () => {
  it(`reads from the primary: linearizable over ${seedCount} seeds, with unknown outcomes while it is down`, () => {
    let unknown = 0;
    for (let seed = 1; seed <= seedCount; seed++) {
      const r = simulate(scenario(seed, 'primary'));
      expect(r.ok).toBe(true);
      expect(r.history.length).toBe(60);
      unknown += r.history.filter((op) => op.ret === undefined).length;
      expect(checkLinearizability(registerModel<number>(), r.history).verdict).toBe('linearizable');
    }
    expect(unknown).toBeGreaterThan(0);
  });

  it('as a final check, a linearizability failure is a replayable violation', () => {
    const r = simulate({
      ...scenario(1, 'any'),
      finalChecks: [{ name: 'linearizable', check: (end) => (checkLinearizability(registerModel<number>(), end.history).verdict !== 'not-linearizable' ? undefined : 'not linearizable') }],
    });
    expect(r.violation).toMatchObject({ invariant: 'linearizable', seed: 1 });
    expect(simulate(r.violation!.replay).violation?.invariant).toBe('linearizable');
  });

  it('reads from any replica: the checker finds a stale read (regression seed 1)', () => {
    const verdicts = [1, 2, 3, 4, 5].map((seed) => checkLinearizability(registerModel<number>(), simulate(scenario(seed, 'any')).history).verdict);
    expect(verdicts[0]).toBe('not-linearizable');
    expect(verdicts.filter((v) => v === 'not-linearizable').length).toBeGreaterThanOrEqual(3);
  });
});
