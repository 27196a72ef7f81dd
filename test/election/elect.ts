// Election runs in the seeded simulator, shared by the tests and the benchmark.
import type { NodeId } from 'distkit/core';
import { bully, highestId, ringElection, type BullyState, type RingElectionState } from 'distkit/election';
import { ids, Sim } from '../support/event-sim.js';

export interface ElectionRun {
  /** Election messages (acks and heartbeats excluded). */
  messages: number;
  /** Leader known by each live node. */
  leaders: Record<NodeId, NodeId | null>;
  /** The highest live id. */
  highestLive: NodeId;
  sim: Sim;
}

const electionTypes = new Set(['election', 'ok', 'coordinator', 'elected', 'election-list']);

export function countElectionMessages(sent: Record<string, number>): number {
  let n = 0;
  for (const [t, c] of Object.entries(sent)) if (electionTypes.has(t)) n += c;
  return n;
}

export interface ElectionOptions {
  n: number;
  seed: number;
  /** Nodes that call `elect` at time 0. */
  initiators: readonly NodeId[];
  /** Nodes crashed before the election. */
  crashed?: readonly NodeId[];
  /** Random initiation times within this window (ms). */
  spreadMs?: number;
  checked?: boolean;
  /** Fixed message delay (a synchronous network) instead of uniform 1-10 ms. */
  fixedDelayMs?: number;
}

function finish(sim: Sim, nodes: NodeId[], crashed: readonly NodeId[], leaderOf: (s: unknown) => NodeId | null): ElectionRun {
  const live = nodes.filter((x) => !crashed.includes(x));
  const leaders: Record<NodeId, NodeId | null> = {};
  for (const x of live) leaders[x] = leaderOf(sim.states[x]);
  return { messages: countElectionMessages(sim.sent), leaders, highestLive: highestId(live)!, sim };
}

function start(sim: Sim, o: ElectionOptions): void {
  for (const x of o.crashed ?? []) sim.crash(x);
  for (const i of o.initiators) sim.at(o.spreadMs ? sim.rng.float() * o.spreadMs : 0, () => sim.input(i, { type: 'elect' }));
}

function newSim(o: ElectionOptions): Sim {
  const d = o.fixedDelayMs;
  return new Sim({ seed: o.seed, checked: o.checked ?? false, ...(d !== undefined ? { minDelayMs: d, maxDelayMs: d } : {}) });
}

export function runBully(o: ElectionOptions): ElectionRun {
  const nodes = ids(o.n);
  const sim = newSim(o);
  for (const id of nodes) sim.add(id, bully, bully.init({ id, nodes, okTimeoutMs: 50, coordinatorTimeoutMs: 200 }));
  start(sim, o);
  sim.run(100_000);
  return finish(sim, nodes, o.crashed ?? [], (s) => (s as BullyState).leader);
}

export function runRing(o: ElectionOptions & { variant: 'chang-roberts' | 'candidate-list' }): ElectionRun {
  const nodes = ids(o.n);
  const sim = newSim(o);
  for (const id of nodes) sim.add(id, ringElection, ringElection.init({ id, nodes: nodes, variant: o.variant, ackTimeoutMs: 50 }));
  start(sim, o);
  sim.run(100_000);
  return finish(sim, nodes, o.crashed ?? [], (s) => (s as RingElectionState).leader);
}

/** A peer message input to step. */
export const msg = (from: string, message: unknown, now = 0) => ({ type: 'message' as const, from, message, now });

/** A random set of crashed nodes that leaves at least one alive. */
export function crashSet(n: number, seed: number): string[] {
  const nodes = ids(n);
  return nodes.filter((_, i) => ((seed * 7919 + i * 104729) % 5) === 0 && i !== seed % n);
}
