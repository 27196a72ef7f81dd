// Built-in simulation targets for the library's algorithms: each is a realistic scenario with the
// algorithm's safety invariants checked after every step and, where the algorithm promises one,
// a final check (liveness, termination, agreement). Faults come from the command line (`--loss`,
// `--partitions`, `--crashes` ...); each target stops drawing faults early enough (`untilMs`) for
// its final check to be fair, and a later `--until` makes that check meaningless.
import { ConfigError, Random, hasOwn, stampNow, type Invariant, type Machine, type NodeId } from '../core/index.js';
import { byzantineGenerals, omInvariants, raft, raftSafetyInvariants, type RaftEntry } from '../consensus/index.js';
import { bully, bullySettled, highestId } from '../election/index.js';
import { maekawa, mutexInvariants, ricartAgrawala, tokenRing } from '../mutex/index.js';
import { chandyLamport, snapshotInvariants, type SnapshotReport } from '../snapshot/index.js';
import {
  barrierCoordinator,
  barrierInvariants,
  barrierParty,
  commitInvariants,
  threePhaseCoordinator,
  threePhaseParticipant,
  twoPhaseCoordinator,
  twoPhaseParticipant,
  type BarrierArriveCommand,
  type BarrierPartyState,
  type Decision,
  type TwoPhaseCoordinatorState,
  type TwoPhaseParticipantState,
} from '../txn/index.js';
import { nodeIds, type FinalCheck, type RunEnd, type ScheduledFault, type SimNode, type SimTarget, type SimView } from '../sim/index.js';
import { bankCutProblem, bankMachine, type BankState } from './bank.js';
import { traitorMachine } from './traitor.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * Memory an invariant or output hook keeps over one run. A scenario's options may be replayed
 * (shrinking replays them hundreds of times), so the memory starts afresh at each run's boot
 * check, the one made at step 0 before any input.
 */
function runMemory<T>(make: () => T): { get(): T; boot(view: SimView): void } {
  let m = make();
  return {
    get: () => m,
    boot: (view) => {
      if (view.steps === 0) m = make();
    },
  };
}

/**
 * An algorithm's invariant set made afresh for each run, at its boot check (the sets may remember
 * what they saw); `others` are the run's other memories, reset at the same moment.
 */
function perRun<S>(make: () => readonly Invariant<S>[], ...others: { boot(view: SimView): void }[]): Invariant<S>[] {
  const memory = runMemory(make);
  return memory.get().map((inv, k) => ({
    name: inv.name,
    check: (states, view) => {
      if (k === 0) {
        // The simulator's view: the step count tells a new run's boot check.
        memory.boot(view as SimView);
        for (const o of others) o.boot(view as SimView);
      }
      return memory.get()[k]!.check(states, view);
    },
  }));
}

/** An invariant judged once, on the states at the end of a run. */
function atEnd<S>(inv: Invariant<S>): FinalCheck {
  return {
    name: inv.name,
    check: (end: RunEnd) => inv.check(end.states as Readonly<Record<NodeId, S>>, { time: end.time, nodes: end.nodes, isUp: (node) => hasOwn(end.states, node) }),
  };
}

/** A number in [0, 1) from a string, for decisions that must not depend on event order. */
function hashUnit(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

/**
 * Scripted end of the faults at `untilMs`: the nemesis draws none after it, and this makes the
 * network reliable again (no loss, duplication or corruption from the command line), so a final
 * liveness check judges a run whose faults really stopped.
 */
function calmFrom(untilMs: number): { nemesis: { untilMs: number }; faults: ScheduledFault[] } {
  return { nemesis: { untilMs }, faults: [{ at: untilMs, fault: { type: 'link', link: { loss: 0, duplicate: 0, corrupt: 0 } } }] };
}

function atLeast(nodes: number, min: number, target: string): void {
  if (nodes < min) throw new ConfigError('nodes', `the ${target} target needs at least ${min} nodes, got ${nodes}`);
}

interface Booting<S> {
  readonly inner: S;
  readonly booted: boolean;
}

/** The states as the algorithm sees them: {@link onBoot}'s wrapper taken off. */
function unwrapped<S>(inv: Invariant<S>): Invariant<S | Booting<S>> {
  const isBooting = (s: S | Booting<S>): s is Booting<S> => typeof s === 'object' && s !== null && 'inner' in s && 'booted' in s;
  return {
    name: inv.name,
    check: (states, view) => {
      const inner: Record<NodeId, S> = {};
      for (const id in states) {
        const s = states[id]!;
        inner[id] = isBooting(s) ? s.inner : s;
      }
      return inv.check(inner, view);
    },
  };
}

/**
 * Wraps a machine as its host runs it: when the node starts (boot or restart after a crash), the
 * host reads the clock and issues `commands(state)` at once, stamped with the boot tick's time.
 * The boot tick and its commands form one transition, so their persists become one record (the
 * last whole image, or for a machine with `applyPersist` a batch it folds in order).
 * Durability passes through.
 */
function onBoot<C, S, I, O>(machine: Machine<C, S, I, O>, commands: (state: S, now: number) => readonly I[]): Machine<C, Booting<S>, I, O> {
  const m = machine as Machine<C, S, I, O> & { durable?(s: S): unknown; recover?(c: C, d: unknown): S; applyPersist?(d: unknown, r: unknown): unknown };
  const wrapped: Machine<C, Booting<S>, I, O> & {
    durable?(s: Booting<S>): unknown;
    recover?(c: C, d: unknown): Booting<S>;
    applyPersist?(d: unknown, r: unknown): unknown;
  } = {
    name: machine.name,
    init: (config) => ({ inner: machine.init(config), booted: false }),
    step(state, input) {
      const t = machine.step(state.inner, input);
      if (state.booted || (input as { type?: unknown }).type !== 'tick') return t.state === state.inner ? { state, outputs: t.outputs } : { state: { inner: t.state, booted: state.booted }, outputs: t.outputs };
      const now = (input as { now: number }).now;
      let inner = t.state;
      const steps: (readonly O[])[] = [t.outputs];
      for (const c of commands(inner, now)) {
        const u = machine.step(inner, stampNow(c, now));
        inner = u.state;
        steps.push(u.outputs);
      }
      return { state: { inner, booted: true }, outputs: joinSteps(steps, m.applyPersist !== undefined) };
    },
    nextDeadline: (s) => (s.booted ? machine.nextDeadline?.(s.inner) : 0),
  };
  if (m.durable !== undefined && m.recover !== undefined) {
    const durable = m.durable.bind(m);
    const recover = m.recover.bind(m);
    wrapped.durable = (s) => durable(s.inner);
    wrapped.recover = (c, d) => ({ inner: recover(c, d), booted: false });
    if (m.applyPersist !== undefined) {
      const apply = m.applyPersist.bind(m);
      wrapped.applyPersist = (d, r) => {
        const batch = (r as { bootBatch?: unknown }).bootBatch;
        return Array.isArray(batch) ? batch.reduce((acc: unknown, x: unknown) => apply(acc, x), d) : apply(d, r);
      };
    }
  }
  return wrapped;
}

/** The outputs of several consecutive steps as one transition: one persist first, then the rest in order. */
function joinSteps<O>(steps: readonly (readonly O[])[], deltas: boolean): O[] {
  const records: unknown[] = [];
  const rest: O[] = [];
  for (const outs of steps) {
    for (const o of outs) {
      if ((o as { type?: unknown }).type === 'persist') records.push((o as { record?: unknown }).record);
      else rest.push(o);
    }
  }
  if (records.length === 0) return rest;
  const record = !deltas ? records[records.length - 1] : records.length === 1 ? records[0] : { bootBatch: records };
  return [{ type: 'persist', record } as O, ...rest];
}

// ---------------------------------------------------------------------------------------------
// Raft
// ---------------------------------------------------------------------------------------------

const RAFT_T = 100;
const RAFT_FAULTS_UNTIL = 3000;
const RAFT_END = 4500;
const RAFT_PROPOSE_EVERY = 100;

/** `raft`: a Raft group with client proposals, Figure 3's five safety properties and liveness after the faults. */
export const raftTarget: SimTarget = {
  name: 'raft',
  description: `Raft with a proposal every ${RAFT_PROPOSE_EVERY} ms; election safety, leader append-only, log matching, leader completeness, state machine safety after every step; a proposal made after the faults stop (${RAFT_FAULTS_UNTIL} ms) commits everywhere (correct: finds nothing)`,
  defaultNodes: 5,
  build: ({ nodes, seed }) => {
    atLeast(nodes, 1, 'raft');
    const ids = nodeIds(nodes);
    // Fresh invariants per run: they remember what they saw (§5.3's append-only needs the past).
    const memory = runMemory(() => ({ applied: new Map<NodeId, Set<unknown>>() }));
    const invariants = perRun(raftSafetyInvariants, memory);
    // Proposals go to every node: only the leader, if any, accepts (the others answer notLeader).
    const proposals: { at: number; data: string }[] = [];
    for (let at = 200; at < RAFT_END; at += RAFT_PROPOSE_EVERY) proposals.push({ at, data: `p${at}` });
    const liveness: FinalCheck = {
      name: 'liveness: a proposal made after the faults stop commits on every node (§5.2, §5.3)',
      check: (end) => {
        const due = proposals.filter((p) => p.at >= RAFT_FAULTS_UNTIL && p.at <= end.time - 10 * RAFT_T);
        if (due.length === 0) return undefined; // too short a run to judge
        const applied = memory.get().applied;
        const everywhere = due.find((p) => ids.every((id) => applied.get(id)?.has(p.data) === true));
        return everywhere !== undefined ? undefined : `none of the ${due.length} proposals made from ${RAFT_FAULTS_UNTIL} ms to ${end.time - 10 * RAFT_T} ms was applied on all of ${ids.join(', ')}`;
      },
    };
    return {
      nodes: ids.map((id) => ({ id, machine: raft, config: { id, voters: ids, seed: `${seed}/${id}`, electionTimeoutMs: RAFT_T, heartbeatIntervalMs: 20 } })),
      commands: proposals.flatMap((p) => ids.map((node) => ({ at: p.at, node, input: { type: 'propose', data: p.data } }))),
      invariants,
      finalChecks: [liveness],
      onOutput: (e) => {
        const o = e.output as { type: string; entries?: readonly RaftEntry[] };
        if (o.type !== 'apply') return;
        const applied = memory.get().applied;
        const set = applied.get(e.node) ?? new Set<unknown>();
        for (const entry of o.entries ?? []) if (entry.kind === undefined) set.add(entry.data);
        applied.set(e.node, set);
      },
      ...calmFrom(RAFT_FAULTS_UNTIL),
      maxTimeMs: RAFT_END,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Two- and three-phase commit
// ---------------------------------------------------------------------------------------------

/** Atomicity over the states and every `decided` event of the run. */
function atomicity(decided: ReturnType<typeof runMemory<Map<string, Set<Decision>>>>): Invariant[] {
  return perRun(() => commitInvariants({ announced: (txId) => decided.get().get(txId) }), decided) as Invariant[];
}

function recordDecisions(decided: () => Map<string, Set<Decision>>) {
  return (e: { output: unknown }): void => {
    const o = e.output as { type: string; txId?: string; decision?: Decision };
    if (o.type !== 'decided' || o.txId === undefined || o.decision === undefined) return;
    const set = decided().get(o.txId) ?? new Set<Decision>();
    set.add(o.decision);
    decided().set(o.txId, set);
  };
}

const TXN_FAULTS_UNTIL = 3000;

/** `2pc`: a coordinator and participants running concurrent transactions, some voted NO. */
export const twoPhaseTarget: SimTarget = {
  name: '2pc',
  description: `two-phase commit, 6 concurrent transactions, ~15% NO votes; atomicity after every step; every transaction decided everywhere once the faults stop (${TXN_FAULTS_UNTIL} ms) (correct: finds nothing)`,
  defaultNodes: 4,
  build: ({ nodes, seed }) => {
    atLeast(nodes, 3, '2pc');
    const [coord, ...parts] = nodeIds(nodes) as [NodeId, ...NodeId[]];
    const rnd = new Random(`2pc/${seed}`);
    const txs: Record<string, NodeId[]> = {};
    for (let k = 1; k <= 6; k++) {
      const chosen = parts.filter(() => rnd.float() < 0.7);
      txs[`t${k}`] = chosen.length >= 2 ? chosen : parts.slice(0, 2);
    }
    const txIds = Object.keys(txs);
    const presumedAbort = rnd.float() < 0.5;
    const memory = runMemory(() => new Map<string, Set<Decision>>());
    const record = recordDecisions(memory.get);
    return {
      nodes: [
        { id: coord, machine: twoPhaseCoordinator, config: { id: coord, voteTimeoutMs: 300, resendIntervalMs: 100, presumedAbort } },
        ...parts.map((id) => ({ id, machine: twoPhaseParticipant, config: { id, decisionTimeoutMs: 150 } })),
      ],
      commands: txIds.map((txId, i) => ({ at: i * 60, node: coord, input: { type: 'begin', txId, participants: txs[txId] } })),
      invariants: atomicity(memory),
      finalChecks: [
        {
          name: 'termination: every transaction decided everywhere once the faults stop',
          check: (end) => {
            const c = end.states[coord] as TwoPhaseCoordinatorState | undefined;
            if (c === undefined) return `coordinator ${coord} down at the end`;
            if (Object.keys(c.txs).length > 0) return `coordinator still holds ${Object.keys(c.txs).join(', ')}`;
            for (const [txId, ps] of Object.entries(txs)) {
              for (const p of ps) {
                const phase = (end.states[p] as TwoPhaseParticipantState | undefined)?.txs[txId]?.phase;
                if (phase === 'prepared' || phase === 'asked') return `${p} still ${phase} in ${txId}`;
              }
            }
            return undefined;
          },
        },
      ],
      onOutput: (e, sim) => {
        record(e);
        // The participant's host votes: NO for about one transaction in seven, the same way each time it is asked.
        const o = e.output as { type: string; txId?: string };
        if (o.type === 'voteRequested' && o.txId !== undefined) {
          sim.inject(e.node, { type: 'vote', txId: o.txId, vote: hashUnit(`${seed}/${o.txId}/${e.node}`) < 0.15 ? 'no' : 'yes' }, 1);
        }
      },
      ...calmFrom(TXN_FAULTS_UNTIL),
      maxTimeMs: 10_000,
    };
  },
};

/** `3pc-partition`: three-phase commit under network partitions, which it was never built for. */
export const threePhasePartitionTarget: SimTarget = {
  name: '3pc-partition',
  description: 'three-phase commit under random partitions (buggy: Skeen\'s protocol assumes no partitions; the two sides terminate differently and atomicity breaks)',
  defaultNodes: 4,
  build: ({ nodes }) => {
    atLeast(nodes, 3, '3pc-partition');
    const [coord, ...parts] = nodeIds(nodes) as [NodeId, ...NodeId[]];
    const txIds = Array.from({ length: 20 }, (_, k) => `t${k + 1}`);
    const memory = runMemory(() => new Map<string, Set<Decision>>());
    return {
      nodes: [
        { id: coord, machine: threePhaseCoordinator, config: { id: coord, timeoutMs: 200 } },
        ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, timeoutMs: 200, autoVote: 'yes' as const } })),
      ],
      commands: txIds.map((txId, i) => ({ at: i * 150, node: coord, input: { type: 'begin', txId, participants: parts } })),
      invariants: atomicity(memory),
      onOutput: recordDecisions(memory.get),
      network: { delay: { type: 'uniform', minMs: 1, maxMs: 40 } },
      nemesis: { partitionRate: 4, partitionMs: [100, 600] },
      maxTimeMs: 5000,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Mutual exclusion
// ---------------------------------------------------------------------------------------------

const MUTEX_END = 3000;
// Ricart-Agrawala and Maekawa never resend: their papers assume reliable channels and no crashes.
const RELIABLE = 'assumes reliable channels and no crashes, so --loss, --partitions or --crashes stop progress, never safety';

function mutexTarget(name: string, algorithm: string, caveat: string, make: (id: NodeId, ids: readonly NodeId[]) => SimNode): SimTarget {
  return {
    name,
    description: `${algorithm}: every node cycles request, enter, release; at most one node in the critical section after every step; every node enters (correct: finds nothing; ${caveat})`,
    defaultNodes: 5,
    build: ({ nodes }) => {
      atLeast(nodes, 2, name);
      const ids = nodeIds(nodes);
      const memory = runMemory(() => new Map<NodeId, number>());
      return {
        // Each node's host asks for the critical section when the node starts or restarts.
        nodes: ids.map((id) => {
          const n = make(id, ids);
          return { ...n, machine: onBoot(n.machine, () => [{ type: 'request' }]) };
        }),
        invariants: perRun(() => mutexInvariants().map(unwrapped), memory),
        finalChecks: [
          {
            name: 'progress: every node entered the critical section',
            check: () => {
              const never = ids.filter((id) => (memory.get().get(id) ?? 0) === 0);
              return never.length === 0 ? undefined : `${never.join(', ')} never entered`;
            },
          },
        ],
        onOutput: (e, sim) => {
          if ((e.output as { type: string }).type !== 'enter') return;
          memory.get().set(e.node, (memory.get().get(e.node) ?? 0) + 1);
          sim.inject(e.node, { type: 'release' }, 2);
          sim.inject(e.node, { type: 'request' }, 10);
        },
        network: { delay: { type: 'uniform', minMs: 1, maxMs: 20 } },
        maxTimeMs: MUTEX_END,
      };
    },
  };
}

/** `ricart-agrawala`: Ricart & Agrawala's permission-based mutual exclusion. */
export const ricartAgrawalaTarget = mutexTarget('ricart-agrawala', 'Ricart-Agrawala', RELIABLE, (id, nodes) => ({ id, machine: ricartAgrawala, config: { id, nodes } }));
/** `maekawa`: Maekawa's quorum voting with deadlock avoidance. */
export const maekawaTarget = mutexTarget('maekawa', "Maekawa's sqrt(N) voting", RELIABLE, (id, nodes) => ({ id, machine: maekawa, config: { id, nodes } }));
/** `token-ring`: a token ring with token regeneration. */
export const tokenRingTarget = mutexTarget('token-ring', 'token ring with token regeneration', 'a lost token is regenerated after 1 s, so under heavy --loss a node may still be waiting at the end', (id, ring) => ({ id, machine: tokenRing, config: { id, nodes: ring, tokenTimeoutMs: 1000 } }));

// ---------------------------------------------------------------------------------------------
// Bully election
// ---------------------------------------------------------------------------------------------

const BULLY_FAULTS_UNTIL = 3000;

/** `bully`: Garcia-Molina's bully election with leader heartbeats; the highest node starts late. */
export const bullyTarget: SimTarget = {
  name: 'bully',
  description: `bully election with heartbeats, every node electing when it starts, the highest joining at 1000 ms; once the faults stop (${BULLY_FAULTS_UNTIL} ms) every node follows the highest live id`,
  defaultNodes: 5,
  build: ({ nodes }) => {
    atLeast(nodes, 2, 'bully');
    const ids = nodeIds(nodes);
    const top = highestId(ids)!;
    // Garcia-Molina §4: a node that starts or recovers holds an election.
    const machine = onBoot(bully, (_s, now) => [{ type: 'elect' as const, now }]);
    const calm = calmFrom(BULLY_FAULTS_UNTIL);
    return {
      nodes: ids.map((id) => ({ id, machine, config: { id, nodes: ids, okTimeoutMs: 50, coordinatorTimeoutMs: 200, heartbeatIntervalMs: 50 } })),
      nemesis: calm.nemesis,
      faults: [{ at: 0, fault: { type: 'crash', node: top } }, { at: 1000, fault: { type: 'restart', node: top } }, ...calm.faults],
      finalChecks: [atEnd(unwrapped(bullySettled()))],
      maxTimeMs: 5000,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Barrier
// ---------------------------------------------------------------------------------------------

const BARRIER_GENERATIONS = 5;

/** `barrier`: parties passing a reusable barrier several times. */
export const barrierTarget: SimTarget = {
  name: 'barrier',
  description: `a reusable barrier, ${BARRIER_GENERATIONS} generations; no party passes generation g before every party arrived at g, after every step; every party passes all generations (correct: finds nothing)`,
  defaultNodes: 5,
  build: ({ nodes, seed }) => {
    atLeast(nodes, 2, 'barrier');
    const [coord, ...parties] = nodeIds(nodes) as [NodeId, ...NodeId[]];
    // A party's host arrives when it starts (or restarts) with barriers still to pass.
    const party = onBoot(barrierParty, (s: BarrierPartyState) => (s.generation < BARRIER_GENERATIONS && !s.waiting ? [{ type: 'arrive' } as BarrierArriveCommand] : []));
    const partyState = (s: unknown): BarrierPartyState => (s as Booting<BarrierPartyState>).inner;
    return {
      nodes: [
        { id: coord, machine: barrierCoordinator, config: { id: coord, nodes: parties, timeoutMs: 400 } },
        ...parties.map((id) => ({ id, machine: party, config: { id, coordinator: coord, resendIntervalMs: 60 } })),
      ],
      invariants: perRun(() => barrierInvariants(parties).map(unwrapped)),
      finalChecks: [
        {
          name: `every party passes ${BARRIER_GENERATIONS} generations`,
          check: (end) => {
            const behind = parties.filter((p) => end.states[p] === undefined || partyState(end.states[p]).generation !== BARRIER_GENERATIONS);
            return behind.length === 0 ? undefined : behind.map((p) => `${p} at ${end.states[p] === undefined ? 'down' : partyState(end.states[p]).generation}`).join(', ');
          },
        },
      ],
      onOutput: (e, sim) => {
        const o = e.output as { type: string; generation?: number };
        if (o.type !== 'passed' || o.generation === undefined || o.generation + 1 >= BARRIER_GENERATIONS) return;
        sim.inject(e.node, { type: 'arrive' }, Math.floor(hashUnit(`${seed}/${e.node}/${o.generation}`) * 80));
      },
      ...calmFrom(3000),
      maxTimeMs: 10_000,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Byzantine generals, OM(m)
// ---------------------------------------------------------------------------------------------

/** `om`: the oral-messages algorithm with m = floor((n - 1) / 3) traitors, chosen per seed. */
export const omTarget: SimTarget = {
  name: 'om',
  description: 'Byzantine generals OM(m), m = floor((n-1)/3) lying traitors picked per seed (the commander among them on some seeds); IC1 and IC2 over the loyal generals at the end (correct: finds nothing; synchronous rounds of 50 ms assume delivery within a round)',
  defaultNodes: 4,
  build: ({ nodes, seed }) => {
    atLeast(nodes, 4, 'om');
    const generals = nodeIds(nodes);
    const commander = generals[0]!;
    const m = Math.floor((nodes - 1) / 3);
    const rnd = new Random(`om/${seed}`);
    const order = rnd.float() < 0.5 ? 'attack' : 'retreat';
    const pool = [...generals];
    const traitors = new Set<NodeId>();
    while (traitors.size < m) traitors.add(pool.splice(rnd.int(0, pool.length), 1)[0]!);
    const config = (id: NodeId) => ({ id, generals, commander, m, roundTimeoutMs: 50, ...(id === commander ? { order } : {}) });
    return {
      nodes: generals.map((id) => (traitors.has(id) ? { id, machine: traitorMachine, config: { loyal: config(id), behaviour: { kind: 'lying' as const, seed: rnd.int(0, 2 ** 31) } } } : { id, machine: byzantineGenerals, config: config(id) })),
      finalChecks: omInvariants({ commander, order, traitors: [...traitors], final: true }).map(atEnd),
      maxTimeMs: 10_000,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Chandy-Lamport snapshots
// ---------------------------------------------------------------------------------------------

const snapBank = chandyLamport(bankMachine);

/** `chandy-lamport`: snapshots of a bank moving money around, over FIFO links. */
export const chandyLamportTarget: SimTarget = {
  name: 'chandy-lamport',
  description: 'Chandy-Lamport snapshots of a tiny bank over FIFO links, 40 transfers, 4 snapshots; every assembled snapshot conserves the total and records exactly the deposits in flight; every snapshot completes (correct: finds nothing; assumes reliable FIFO links and no crashes)',
  defaultNodes: 4,
  build: ({ nodes, seed }) => {
    atLeast(nodes, 2, 'chandy-lamport');
    const ids = nodeIds(nodes);
    const balance = 100;
    const total = balance * nodes;
    const rnd = new Random(`bank/${seed}`);
    const commands: { at: number; node: NodeId; input: unknown }[] = [];
    for (let k = 0; k < 40; k++) {
      const from = rnd.choice(ids);
      commands.push({ at: rnd.int(0, 500), node: from, input: { type: 'transfer', to: rnd.choice(ids.filter((x) => x !== from)), amount: rnd.int(1, 60) } });
    }
    const snapshotIds = ['s1', 's2', 's3', 's4'];
    for (const snapshotId of snapshotIds) {
      const at = rnd.int(0, 500);
      commands.push({ at, node: rnd.choice(ids), input: { type: 'initiateSnapshot', snapshotId } });
      // CL §3.2 allows several initiators of one snapshot.
      if (rnd.float() < 0.3) commands.push({ at: at + rnd.int(0, 5), node: rnd.choice(ids), input: { type: 'initiateSnapshot', snapshotId } });
    }
    const memory = runMemory(() => ({ reports: new Map<string, SnapshotReport<BankState>[]>(), checked: new Set<string>() }));
    return {
      nodes: ids.map((id) => ({ id, machine: snapBank, config: { id, nodes: ids, app: { id, nodes: ids, balance } } })),
      commands,
      invariants: perRun(
        () =>
          snapshotInvariants<unknown, BankState>({
            nodes: ids,
            // Each snapshot is judged once, when its last report arrives.
            *reports() {
              const { reports, checked } = memory.get();
              for (const [id, list] of reports) {
                if (checked.has(id) || list.length < ids.length) continue;
                checked.add(id);
                yield list;
              }
            },
            cutProblem: (g) => bankCutProblem(g, total),
          }),
        memory,
      ),
      finalChecks: [
        {
          name: 'every snapshot completes at every node (CL §3.2 termination)',
          check: () => {
            const { reports } = memory.get();
            const missing = snapshotIds.filter((id) => (reports.get(id)?.length ?? 0) < ids.length);
            return missing.length === 0 ? undefined : missing.map((id) => `${id}: ${reports.get(id)?.length ?? 0}/${ids.length} reports`).join(', ');
          },
        },
      ],
      onOutput: (e) => {
        const o = e.output as { type: string; report?: SnapshotReport<BankState> };
        if (o.type !== 'snapshotReport' || o.report === undefined) return;
        const { reports } = memory.get();
        reports.set(o.report.snapshotId, [...(reports.get(o.report.snapshotId) ?? []), o.report]);
      },
      network: { delay: { type: 'uniform', minMs: 1, maxMs: 30 }, fifo: true },
      maxTimeMs: 5000,
    };
  },
};

/** The algorithm targets, in the order `distkit list` documents them. */
export const algorithmTargets: readonly SimTarget[] = [
  raftTarget,
  twoPhaseTarget,
  threePhasePartitionTarget,
  ricartAgrawalaTarget,
  maekawaTarget,
  tokenRingTarget,
  bullyTarget,
  barrierTarget,
  omTarget,
  chandyLamportTarget,
];
