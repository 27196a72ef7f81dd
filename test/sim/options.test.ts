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

  it('names an unknown or misplaced field instead of ignoring it', () => {
    expect(fieldOf({ invariant: [] })).toBe('invariant');
    expect(fieldOf({ network: { links: [{ to: 'a', loss: 1 }] } })).toBe('network.links');
    expect(fieldOf({ network: { delay: { type: 'fixed', ms: 1, jitter: 3 } } })).toBe('network.delay.jitter');
    expect(fieldOf({ links: [{ to: 'a', lost: 0.5 }] })).toBe('links[0].lost');
    expect(fieldOf({ nemesis: { crashrate: 0.5 } })).toBe('nemesis.crashrate');
    expect(fieldOf({ clocks: { a: { skew: 5 } } })).toBe('clocks.a.skew');
    expect(fieldOf({ faults: [{ at: 0, fault: { type: 'crash', node: 'a', until: 5 } }] })).toBe('faults[0].fault.until');
    expect(fieldOf({ faults: [{ at: 0, fault: { type: 'link', link: { to: 'a', delayMs: 5 } } }] })).toBe('faults[0].fault.link.delayMs');
    expect(fieldOf({ faults: [{ at: 0, in: 5, fault: { type: 'heal' } }] })).toBe('faults[0].in');
    expect(fieldOf({ commands: [{ at: 0, node: 'a', input: {}, to: 'b' }] })).toBe('commands[0].to');
    // Every field the types name is accepted.
    expect(
      fieldOf({
        network: { delay: { type: 'exponential', meanMs: 3, minMs: 1 }, loss: 0, duplicate: 0, corrupt: 0, reorder: 0, reorderMaxMs: 5, fifo: false },
        links: [{ from: 'a', to: 'b', delay: { type: 'uniform', minMs: 1, maxMs: 2 } }],
        clocks: { a: { skewMs: 1, drift: 0.01 } },
        nemesis: { crashRate: 0.1, partitionRate: 0.1, oneWayRate: 0.1, pauseRate: 0.1, slowRate: 0.1, slowDelayMs: 5, clockJumpRate: 0.1, clockJumpMs: 5, downMs: [1, 2], partitionMs: [1, 2], pauseMs: [1, 2], maxDown: 1, nodes: ['a'], fromMs: 0, untilMs: 10 },
        faults: [{ at: 0, fault: { type: 'clock', node: 'a', skewMs: 1, drift: 0 } }, { at: 1, fault: { type: 'link', link: { from: 'a', to: 'b', loss: 0.5 } } }],
        commands: [{ at: 0, node: 'a', input: {} }],
        maxTimeMs: 10,
        maxSteps: 10,
        trace: true,
        lastEvents: 5,
        stopWhen: () => false,
        onOutput: () => undefined,
      }),
    ).toBe('(valid)');
  });
});
