import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/sim/loop.js';
import type { SimulateOptions, Workload } from '../../src/sim/index.js';
import { counterNodes } from './fixtures/counter-machine.js';

const adds: Workload<number, number> = {
  clients: 1,
  operations: 1,
  generate: () => ({ node: 'a', input: 1 }),
  command: (op) => ({ type: 'add', n: op.input }),
  complete: () => undefined,
};

const run = (options: Partial<SimulateOptions>) => {
  const sim = new Simulation({ seed: 1, nodes: counterNodes, network: { delay: { type: 'fixed', ms: 1 } }, ...options });
  sim.run();
  return sim;
};

describe('event loop', () => {
  it('a workload command to a paused node waits for the resume, like any other input', () => {
    const sim = run({ workload: { ...adds, startMs: 5 }, faults: [{ at: 0, fault: { type: 'pause', node: 'a' } }, { at: 20, fault: { type: 'resume', node: 'a' } }] });
    const stepped = sim.trace.result().find((e) => e.kind === 'command');
    expect(stepped).toMatchObject({ time: 20, node: 'a', input: { type: 'add', n: 1 } });
  });

  it('a workload command to a crashed node is recorded as ignored', () => {
    const sim = run({ workload: { ...adds, startMs: 5 }, faults: [{ at: 0, fault: { type: 'crash', node: 'a' } }] });
    expect(sim.trace.result().find((e) => e.kind === 'command')).toMatchObject({ time: 5, ignored: 'crashed' });
  });

  it('stops at maxSteps, at maxTime, or when nothing is left', () => {
    expect(run({ commands: [{ at: 0, node: 'a', input: { type: 'add', n: 1 } }], maxSteps: 2 }).stopReason).toBe('maxSteps');
    expect(run({ commands: [{ at: 50, node: 'a', input: { type: 'add', n: 1 } }], maxTimeMs: 10 })).toMatchObject({ stopReason: 'maxTime', now: 10 });
    expect(run({}).stopReason).toBe('quiescent');
  });
});
