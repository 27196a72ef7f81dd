// SWIM runs in the seeded simulator, shared by the tests and the benchmark.
import type { NodeId } from 'distkit/core';
import { swim, type SwimConfig } from 'distkit/election';
import { ids, Sim } from '../support/event-sim.js';

export interface SwimRunOptions {
  n: number;
  seed: number;
  periods: number;
  periodMs?: number;
  lossRate?: number;
  /** Crash this member at this time. */
  crash?: { node: NodeId; atMs: number };
  config?: Partial<SwimConfig>;
  checked?: boolean;
}

export interface SwimRun {
  sim: Sim;
  nodes: NodeId[];
  /** Time of the first suspect (or dead) event about the crashed member, by anyone. */
  firstDetectionMs: number | null;
  /** Per member, when it marked the crashed member dead. */
  deadAt: Record<NodeId, number>;
  /** 'dead' events about members that never crashed (false positives). */
  falsePositives: { by: NodeId; node: NodeId; at: number }[];
  /** Suspicions of live members that were refuted. */
  refutations: number;
}

export function runSwim(o: SwimRunOptions): SwimRun {
  const nodes = ids(o.n, 'm');
  const periodMs = o.periodMs ?? 1000;
  const sim = new Sim({ seed: o.seed, checked: o.checked ?? false, minDelayMs: 1, maxDelayMs: 20, lossRate: o.lossRate ?? 0 });
  const run: SwimRun = { sim, nodes, firstDetectionMs: null, deadAt: {}, falsePositives: [], refutations: 0 };
  sim.onEvent = (node, out) => {
    if (out.type === 'member' && out.status !== 'alive') {
      if (o.crash && out.node === o.crash.node) {
        if (run.firstDetectionMs === null && sim.now >= o.crash.atMs) run.firstDetectionMs = sim.now;
        if (out.status === 'dead') run.deadAt[node] = sim.now;
      } else if (out.status === 'dead') {
        run.falsePositives.push({ by: node, node: out.node as NodeId, at: sim.now });
      }
    }
    if (out.type === 'refuted') run.refutations++;
  };
  nodes.forEach((id, i) => {
    sim.add(id, swim, swim.init({ id, nodes: nodes, seed: o.seed * 1000 + i, protocolPeriodMs: periodMs, pingTimeoutMs: 100, ...o.config }));
  });
  if (o.crash) sim.at(o.crash.atMs, () => sim.crash(o.crash!.node));
  sim.run(o.periods * periodMs);
  return run;
}
