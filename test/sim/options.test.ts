// validateOptions: a bad simulation option is a ConfigError naming the exact field (with its index),
// caught before the run starts.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/index.js';
import { validateOptions } from '../../src/sim/options.js';
import type { SimulateOptions } from '../../src/sim/index.js';
import { echoMachine } from '../../src/cli/demo.js';

const base: SimulateOptions<unknown, unknown> = {
  seed: 1,
  nodes: ['a', 'b'].map((id) => ({ id, machine: echoMachine, config: { id, peers: ['a', 'b'], rounds: 1 } })),
} as SimulateOptions<unknown, unknown>;

function fieldOf(patch: Record<string, unknown>): string {
  try {
    validateOptions({ ...base, ...patch } as SimulateOptions<unknown, unknown>);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).field;
  }
  return '(valid)';
}

describe('validateOptions', () => {
  it('accepts a minimal valid run', () => {
    expect(fieldOf({})).toBe('(valid)');
  });

  it('names the seed and the nodes', () => {
    expect(fieldOf({ seed: NaN })).toBe('seed');
    expect(fieldOf({ nodes: [] })).toBe('nodes');
    expect(fieldOf({ nodes: [base.nodes[0], base.nodes[0]] })).toBe('nodes[1].id');
    expect(fieldOf({ nodes: [{ ...base.nodes[0]!, machine: {} }] })).toBe('nodes[0].machine');
  });

  it('names faults and commands by index, and refuses unknown nodes', () => {
    expect(fieldOf({ faults: [{ at: 0, fault: { type: 'heal' } }, { at: -1, fault: { type: 'heal' } }] })).toBe('faults[1].at');
    expect(fieldOf({ faults: [{ at: 0, fault: { type: 'crash', node: 'zz' } }] })).toMatch(/^faults\[0\]\.fault/);
    expect(fieldOf({ commands: [{ at: 0, node: 'zz', input: {} }] })).toBe('commands[0].node');
  });

  it('names clocks, workloads, checks and limits', () => {
    expect(fieldOf({ clocks: { a: { drift: -1 } } })).toBe('clocks.a.drift');
    expect(fieldOf({ workload: { clients: -1 } })).toBe('workload.clients');
    expect(fieldOf({ invariants: [{ name: 'x' }] })).toBe('invariants[0]');
    expect(fieldOf({ finalChecks: [{ check: () => undefined }] })).toBe('finalChecks[0]');
    expect(fieldOf({ maxTimeMs: -5 })).toBe('maxTimeMs');
    expect(fieldOf({ maxSteps: 1.5 })).toBe('maxSteps');
  });
});
