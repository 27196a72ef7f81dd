import { describe, expect, it } from 'vitest';
import type { DurableMachine } from 'distkit/core';
import { shrink, simulate, type SimulateOptions } from 'distkit/sim';
import { naiveLeaderMachine, oneLeaderPerTerm } from '../../src/cli/demo.js';

// A node that remembers whether it was ever recovered from its durable record.
const phoenix: DurableMachine<Record<string, never>, { recovered: boolean }, { type: 'save' }, unknown, number> = {
  name: 'phoenix',
  init: () => ({ recovered: false }),
  step: (s) => ({ state: s, outputs: [{ type: 'persist', record: 1 }] }),
  durable: () => 1,
  recover: () => ({ recovered: true }),
};

describe('shrinking', () => {
  it('reduces a noisy fault schedule to the two faults that matter', () => {
    const ids = ['a', 'b', 'c'];
    const options: SimulateOptions = {
      seed: 1,
      nodes: ids.map((id) => ({ id, machine: phoenix, config: {} })),
      commands: ids.map((node) => ({ at: 1, node, input: { type: 'save' } })),
      faults: [
        { at: 10, fault: { type: 'crash', node: 'a' } },
        { at: 15, fault: { type: 'partition', groups: [['a'], ['b', 'c']] } },
        { at: 20, fault: { type: 'restart', node: 'a' } },
        { at: 25, fault: { type: 'pause', node: 'c' } },
        { at: 30, fault: { type: 'crash', node: 'b' } },
        { at: 35, fault: { type: 'heal' } },
        { at: 40, fault: { type: 'restart', node: 'b' } },
        { at: 45, fault: { type: 'resume', node: 'c' } },
        { at: 50, fault: { type: 'clock', node: 'a', skewMs: 10 } },
      ],
      network: { loss: 0.5 },
      invariants: [{ name: 'b never recovers', check: (s) => (s.b?.recovered === true ? 'b recovered' : undefined) }],
    };
    const found = shrink(options)!;
    expect(found).toBeDefined();
    expect(found.before.faults).toBe(9);
    expect(found.after.faults).toBe(2);
    expect(found.options.faults!.map((f) => f.fault.type)).toEqual(['crash', 'restart']);
    expect(found.options.commands).toEqual([{ at: 1, node: 'b', input: { type: 'save' } }]);
    expect(found.options.network?.loss).toBe(0);
    expect(found.result.violation?.invariant).toBe('b never recovers');
    expect(simulate(found.options).violation?.time).toBe(40);
  });

  it('turns a nemesis into an explicit, smaller schedule that still fails', () => {
    const peers = ['a', 'b', 'c'];
    const options: SimulateOptions = {
      seed: 10,
      nodes: peers.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers } })),
      network: { loss: 0.3 },
      nemesis: { crashRate: 20, partitionRate: 10, pauseRate: 10 },
      invariants: [oneLeaderPerTerm],
      maxTimeMs: 10_000,
    };
    const found = shrink(options)!;
    expect(found.options.nemesis).toBeUndefined();
    expect(found.after.faults).toBeLessThanOrEqual(found.before.faults);
    expect(found.after.timeMs).toBeLessThanOrEqual(found.before.timeMs);
    expect(simulate(found.options).violation?.invariant).toBe(oneLeaderPerTerm.name);
  });

  it('returns undefined for a passing run and respects the run budget', () => {
    expect(shrink({ seed: 1, nodes: [{ id: 'a', machine: phoenix, config: {} }] })).toBeUndefined();
    const found = shrink(
      {
        seed: 1,
        nodes: [{ id: 'a', machine: phoenix, config: {} }],
        commands: [{ at: 0, node: 'a', input: { type: 'save' } }],
        faults: [
          { at: 1, fault: { type: 'crash', node: 'a' } },
          { at: 2, fault: { type: 'restart', node: 'a' } },
        ],
        invariants: [{ name: 'never recovered', check: (s) => (s.a?.recovered === true ? 'a recovered' : undefined) }],
      },
      { maxRuns: 2 },
    )!;
    expect(found.runs).toBeLessThanOrEqual(4);
    expect(found.result.ok).toBe(false);
  });
});
