// Simulator throughput: delivered messages per second on a trivial bouncing machine.
// Timed in process CPU time (user + system, which also counts GC helper threads, so it errs low):
// on a machine shared with other jobs, wall time would measure the contention, not the simulator.
import { cpuUsage } from 'node:process';
import type { Machine, MessageInput, SendOutput } from '../src/core/index.js';
import { simulate, type SimNode } from '../src/sim/index.js';
import { median, opsFigure, type Figures } from './lib.js';

// Echoes every message straight back to its sender. Node `a` starts the rally with `balls` messages.
const bounce: Machine<{ balls: number; peer: string }, { balls: number; peer: string }, MessageInput | { type: 'serve' }, SendOutput> = {
  name: 'bounce',
  init: (c) => c,
  step: (s, input) =>
    input.type === 'serve'
      ? { state: s, outputs: Array.from({ length: s.balls }, (_, i) => ({ type: 'send', to: s.peer, message: { type: 'ball', i } })) }
      : { state: s, outputs: [{ type: 'send', to: input.from, message: input.message }] },
};

// 'none': no trace at all; 'ring': the last 50 events only (what `sweep` and the CLI keep, so a
// violation still carries its trace); 'full': the whole trace (the default of simulate()).
function run(steps: number, trace: 'none' | 'ring' | 'full' = 'none'): { delivered: number; ms: number } {
  const nodes: SimNode[] = [
    { id: 'a', machine: bounce, config: { balls: 64, peer: 'b' } },
    { id: 'b', machine: bounce, config: { balls: 0, peer: 'a' } },
  ];
  const t0 = cpuUsage();
  const r = simulate({
    seed: 1,
    nodes,
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 10 } },
    commands: [{ at: 0, node: 'a', input: { type: 'serve' } }],
    maxSteps: steps,
    ...(trace === 'full' ? {} : trace === 'ring' ? { trace: false } : { trace: false, lastEvents: 0 }),
  });
  const dt = cpuUsage(t0);
  return { delivered: r.stats.messages.delivered, ms: (dt.user + dt.system) / 1000 };
}

export default async function (): Promise<Figures> {
  run(200_000); // warm up
  const rates: number[] = [];
  for (let i = 0; i < 7; i++) {
    const { delivered, ms } = run(500_000);
    rates.push((delivered * 1000) / ms);
  }
  // Keeping the last events, as a seed sweep does.
  const ring: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { delivered, ms } = run(500_000, 'ring');
    ring.push((delivered * 1000) / ms);
  }
  // The same run keeping the full trace (what a debugging run pays).
  const traced: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { delivered, ms } = run(200_000, 'full');
    traced.push((delivered * 1000) / ms);
  }
  return {
    'sim.echo.delivered': opsFigure(median(rates), 'msgs/s'),
    'sim.echo.delivered.last-events': opsFigure(median(ring), 'msgs/s'),
    'sim.echo.delivered.traced': opsFigure(median(traced), 'msgs/s'),
  };
}
