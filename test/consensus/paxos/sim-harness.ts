// Seeded fault-injection runs of the three Paxos machines in distkit/sim: loss, duplication,
// reordering, partitions and crash-recovery of up to a minority (the nemesis), invariants after
// every step, and liveness checks once the faults stop.
import { Random } from 'distkit/core';
import { simulate, type LinkOptions, type NemesisOptions, type SimResult } from 'distkit/sim';
import {
  basicPaxos,
  basicPaxosInvariants,
  fastPaxos,
  fastPaxosInvariants,
  multiPaxos,
  multiPaxosInvariants,
  multiPaxosLogItems,
  type BasicPaxosState,
  type FastPaxosState,
  type MultiPaxosState,
} from 'distkit/consensus';

export const FAULT_MS = 2000;

export interface Faults {
  network: LinkOptions;
  nemesis: NemesisOptions;
  describe: string;
}

/** Network and nemesis settings drawn from the seed: loss up to 15%, duplication up to 10%. */
export function faultsFor(seed: number, crashable: readonly string[], maxDown: number, lossMax = 0.15): Faults {
  const r = new Random(seed * 7919 + 13);
  const loss = Math.round(r.float() * lossMax * 1000) / 1000;
  const duplicate = Math.round(r.float() * 0.1 * 1000) / 1000;
  const maxDelay = r.int(2, 20);
  return {
    network: { loss, duplicate, reorder: 0.2, reorderMaxMs: 30, delay: { type: 'uniform', minMs: 1, maxMs: maxDelay } },
    nemesis: { crashRate: 1.5, partitionRate: 1, oneWayRate: 0.5, pauseRate: 0.5, downMs: [50, 400], partitionMs: [50, 400], nodes: crashable, maxDown, untilMs: FAULT_MS },
    describe: `loss ${loss}, dup ${duplicate}, delay 1-${maxDelay}ms`,
  };
}

function fail(seed: number, r: SimResult, what: string): never {
  throw new Error(`seed ${seed}: ${what}${r.violation ? ` — ${r.violation.invariant}: ${r.violation.message}` : ''}`);
}

// --- Basic Paxos -----------------------------------------------------------------------------

export interface BasicRun {
  decided: unknown;
  steps: number;
  faults: number;
}

export function runBasic(seed: number): BasicRun {
  const plan = new Random(seed);
  const n = plan.float() < 0.5 ? 3 : 5;
  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const proposers = ids.slice(0, plan.int(2, n));
  const proposed = proposers.map((p) => `value-of-${p}`);
  const f = faultsFor(seed, ids, Math.floor((n - 1) / 2));
  const commands = proposers.map((p, i) => ({ at: plan.int(0, FAULT_MS), node: p, input: { type: 'propose', value: proposed[i] } }));
  // A proposer that ran during the faults may have crashed and forgotten its value: each one
  // proposes again after the faults stop (liveness needs a proposer running long enough).
  for (const [i, p] of proposers.entries()) commands.push({ at: FAULT_MS + 10 * i, node: p, input: { type: 'propose', value: proposed[i] } });
  const r = simulate({
    seed,
    nodes: ids.map((id) => ({ id, machine: basicPaxos, config: { id, acceptors: ids, proposers, seed: `${seed}/${id}`, phaseTimeoutMs: 60, backoffMaxMs: 300 } })),
    network: f.network,
    nemesis: f.nemesis,
    commands,
    invariants: basicPaxosInvariants({ proposed }),
    maxTimeMs: FAULT_MS + 8000,
    trace: false,
    stopWhen: (view) => view.time > FAULT_MS && ids.every((id) => view.isUp(id) && (view.states[id] as BasicPaxosState).learner?.decided != null),
  });
  if (!r.ok) fail(seed, r, `basic paxos (${n} nodes, ${f.describe})`);
  const states = r.states as Record<string, BasicPaxosState>;
  const undecided = ids.filter((id) => states[id]?.learner?.decided == null);
  if (undecided.length > 0) fail(seed, r, `basic paxos: ${undecided.join(', ')} undecided after the faults stopped (${f.describe})`);
  return { decided: states[ids[0]!]!.learner!.decided!.value, steps: r.stats.steps, faults: r.faults.length };
}

// --- Multi-Paxos -----------------------------------------------------------------------------

export interface MultiRun {
  slots: number;
  commands: number;
  steps: number;
  faults: number;
  leaders: number;
}

export function runMulti(seed: number, n: number, opts: { lossMax?: number; maxInflight?: number; maxBatch?: number } = {}): MultiRun {
  const plan = new Random(seed ^ 0x9e37);
  const ids = Array.from({ length: n }, (_, i) => `r${i + 1}`);
  const f = faultsFor(seed, ids, Math.floor((n - 1) / 2), opts.lossMax);
  const commands: { at: number; node: string; input: unknown }[] = [];
  const values: string[] = [];
  const stopProposingAt = FAULT_MS + 1000;
  for (let t = 50, k = 0; t < stopProposingAt; t += plan.int(10, 60), k++) {
    const value = `cmd-${k}`;
    values.push(value);
    commands.push({ at: t, node: ids[plan.int(0, n)]!, input: { type: 'propose', value } });
  }
  const postHeal = new Set(values.filter((_, i) => commands[i]!.at > FAULT_MS));
  const leaders = new Set<string>();
  const r = simulate({
    seed,
    nodes: ids.map((id) => ({ id, machine: multiPaxos, config: { id, acceptors: ids, seed: `${seed}/${id}`, heartbeatIntervalMs: 20, electionTimeoutMs: 100, maxInflight: opts.maxInflight ?? 8, maxBatch: opts.maxBatch ?? 16 } })),
    network: f.network,
    nemesis: f.nemesis,
    commands,
    invariants: multiPaxosInvariants({ proposed: values }),
    maxTimeMs: FAULT_MS + 4000,
    onOutput(ev, sim) {
      const o = ev.output as { type: string; leader?: string | null; value?: unknown; role?: string; ballot?: { round: number; node: string } };
      // The client follows the leader hint once.
      if (o.type === 'notLeader' && typeof o.leader === 'string' && o.leader !== ev.node) sim.inject(o.leader, { type: 'propose', value: o.value }, 1);
      if (o.type === 'role' && o.role === 'leader') leaders.add(`${o.ballot!.round}.${o.ballot!.node}`);
    },
  });
  if (!r.ok) fail(seed, r, `multi-paxos (${n} replicas, ${f.describe})`);
  const states = r.states as Record<string, MultiPaxosState>;
  const down = ids.filter((id) => states[id] === undefined);
  if (down.length > 0) fail(seed, r, `multi-paxos: ${down.join(', ')} still down at the end`);
  // Convergence: catch-up brings every replica to the same log.
  const logs = ids.map((id) => JSON.stringify(multiPaxosLogItems(states[id]!.log)));
  if (new Set(logs).size !== 1) fail(seed, r, `multi-paxos: logs differ at the end (lengths ${ids.map((id) => states[id]!.log.length).join(', ')})`);
  const log = multiPaxosLogItems(states[ids[0]!]!.log);
  const commandSlots = new Map<number, unknown>();
  log.forEach((e, i) => {
    if (e.kind === 'command') commandSlots.set(i + 1, e.value);
  });
  if (![...commandSlots.values()].some((v) => postHeal.has(v as string))) fail(seed, r, 'multi-paxos: no command proposed after the faults was decided');
  // In-order delivery: per replica and between restarts, slots strictly increase; each delivered
  // value is the log's; every command slot of the final log was delivered by every replica.
  const last = new Map<string, number>();
  const delivered = new Map<string, Set<number>>();
  for (const e of r.trace) {
    if (e.kind === 'fault' && e.fault.type === 'restart') last.set(e.fault.node, 0);
    if (e.kind !== 'output') continue;
    const o = e.output as { type: string; slot?: number; value?: unknown };
    if (o.type !== 'deliver') continue;
    const prev = last.get(e.node) ?? 0;
    if (o.slot! <= prev) fail(seed, r, `multi-paxos: ${e.node} delivered slot ${o.slot} after slot ${prev}`);
    if (JSON.stringify(commandSlots.get(o.slot!)) !== JSON.stringify(o.value)) fail(seed, r, `multi-paxos: ${e.node} delivered ${JSON.stringify(o.value)} in slot ${o.slot}, the log has another`);
    last.set(e.node, o.slot!);
    let set = delivered.get(e.node);
    if (set === undefined) delivered.set(e.node, (set = new Set()));
    set.add(o.slot!);
  }
  for (const id of ids) for (const slot of commandSlots.keys()) if (!delivered.get(id)?.has(slot)) fail(seed, r, `multi-paxos: ${id} never delivered slot ${slot}`);
  return { slots: log.length, commands: commandSlots.size, steps: r.stats.steps, faults: r.faults.length, leaders: leaders.size };
}

// --- Fast Paxos ------------------------------------------------------------------------------

export interface FastRun {
  decided: unknown;
  collisions: number;
  steps: number;
  faults: number;
}

export function runFast(seed: number): FastRun {
  const plan = new Random(seed ^ 0xfa57);
  const n = plan.float() < 0.5 ? 4 : 5;
  const acceptors = Array.from({ length: n }, (_, i) => `a${i + 1}`);
  const clients = ['p1', 'p2', 'p3'].slice(0, plan.int(2, 4));
  const coordinators = acceptors.slice(0, 2);
  const proposed = clients.map((p) => `value-of-${p}`);
  const f = faultsFor(seed, acceptors, Math.floor((n - 1) / 2));
  // Concurrent proposals make collisions likely; half of the runs start them at the same moment.
  const together = plan.float() < 0.5;
  const base = plan.int(0, FAULT_MS);
  const commands = clients.map((p, i) => ({ at: together ? base : plan.int(0, FAULT_MS), node: p, input: { type: 'propose', value: proposed[i] } }));
  let collisions = 0;
  const all = [...acceptors, ...clients];
  const r = simulate({
    seed,
    nodes: all.map((id) => ({
      id,
      machine: fastPaxos,
      config: { id, acceptors, coordinators, proposers: clients, learners: all, seed: `${seed}/${id}`, phaseTimeoutMs: 60, backoffMaxMs: 300 },
    })),
    network: f.network,
    nemesis: f.nemesis,
    commands,
    invariants: fastPaxosInvariants({ proposed }),
    maxTimeMs: FAULT_MS + 8000,
    trace: false,
    onOutput(ev) {
      if ((ev.output as { type: string }).type === 'collision') collisions++;
    },
    stopWhen: (view) => view.time > FAULT_MS && all.every((id) => view.isUp(id) && (view.states[id] as FastPaxosState).learner?.decided != null),
  });
  if (!r.ok) fail(seed, r, `fast paxos (${n} acceptors, ${f.describe})`);
  const states = r.states as Record<string, FastPaxosState>;
  const undecided = all.filter((id) => states[id]?.learner?.decided == null);
  if (undecided.length > 0) fail(seed, r, `fast paxos: ${undecided.join(', ')} undecided after the faults stopped (${f.describe})`);
  return { decided: states[all[0]!]!.learner!.decided!.value, collisions, steps: r.stats.steps, faults: r.faults.length };
}
