/**
 * The simulator's public types: options, faults, workloads, trace events and results.
 *
 * @packageDocumentation
 */
import type { Invariant, InvariantView, Machine, NodeId, Random } from '../core/index.js';
import type { History } from '../check/index.js';

/**
 * Any machine the simulator can run. Nodes of different kinds (servers and clients, say) mix freely.
 *
 * @example
 * ```ts
 * import { simulate, type AnyMachine } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const m: AnyMachine = raft;
 * m.name; //=> 'raft'
 * ```
 */
// Method-shorthand members are bivariant, so every Machine<C, S, I, O> is assignable to this.
export type AnyMachine = Machine<any, any, any, any>;

/**
 * One simulated node: a machine, its config and, optionally, a starting state.
 *
 * A machine with `durable`/`recover` restarts after a crash from the durable image its `persist`
 * outputs built (each record folded in with `machine.applyPersist`, or taken whole when the
 * machine has none), never from its last in-memory state; any other machine restarts from
 * `initialState` or `machine.init(config)`. Every input a node steps carries its local time as
 * `now` (skew and drift applied).
 *
 * @example
 * ```ts
 * import { simulate, type SimNode } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const solo: SimNode = { id: 'a', machine: raft, config: { id: 'a', voters: ['a'], seed: 1 } };
 * // A one-voter cluster elects itself.
 * (simulate({ seed: 1, nodes: [solo], maxTimeMs: 3000 }).states['a'] as { role: string }).role; //=> 'leader'
 * ```
 */
export interface SimNode {
  /** The node id; `send` outputs address nodes by it. Unique, non-empty. */
  readonly id: NodeId;
  /** The machine the node runs. */
  readonly machine: AnyMachine;
  /** Passed to `machine.init` (and `machine.recover` after a crash). */
  readonly config: unknown;
  /** Start from this state instead of `machine.init(config)`; its durable part counts as on disk. */
  readonly initialState?: unknown;
  /**
   * Begin crashed, never started: the node joins when a `restart` fault brings it up (from
   * `initialState` or `init(config)`, as it has no durable record yet). Leave such nodes out of
   * `nemesis.nodes`, or a random crash-and-restart may start them early. Default false.
   */
  readonly startDown?: boolean;
}

/**
 * How long a message spends in the network, in virtual milliseconds. Samples are rounded to 1 µs.
 *
 * - `fixed`: always `ms`.
 * - `uniform`: uniform in [`minMs`, `maxMs`].
 * - `exponential`: `minMs` (default 0) plus an exponential variate of mean `meanMs` (a long tail).
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * // The same cluster over a LAN-like and a WAN-like network: both runs end without a failure.
 * const lan = simulate({ seed: 1, nodes, network: { delay: { type: 'uniform', minMs: 1, maxMs: 5 } }, maxTimeMs: 5000 });
 * const wan = simulate({ seed: 1, nodes, network: { delay: { type: 'exponential', minMs: 20, meanMs: 30 } }, maxTimeMs: 5000 });
 * [lan.ok, wan.ok]; //=> [true, true]
 * ```
 */
export type DelayModel =
  | { readonly type: 'fixed'; readonly ms: number }
  | { readonly type: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly type: 'exponential'; readonly meanMs: number; readonly minMs?: number };

/**
 * Behaviour of a network link (one direction between two nodes). Every field is optional and
 * falls back to the simulator default (uniform 1–10 ms delay, no loss, no duplication, no reordering
 * beyond what random delays give, not FIFO).
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const r = simulate({ seed: 3, nodes, network: { loss: 0.1, duplicate: 0.05, delay: { type: 'fixed', ms: 3 } }, invariants: raftSafetyInvariants(), maxTimeMs: 3000 });
 * r.ok; //=> true
 * r.stats.messages.dropped > 0 && r.stats.messages.duplicated > 0; //=> true
 * ```
 */
export interface LinkOptions {
  /** Delay distribution. Default `{ type: 'uniform', minMs: 1, maxMs: 10 }`. */
  readonly delay?: DelayModel;
  /** Probability in [0, 1] that a message is lost. Default 0. */
  readonly loss?: number;
  /** Probability in [0, 1] that a message is delivered twice (the copy has its own delay). Default 0. */
  readonly duplicate?: number;
  /**
   * Probability in [0, 1] that a delivered copy is corrupted: one top-level field removed or
   * replaced by a wrong-typed or out-of-range JSON value, or the whole message replaced by junk.
   * Tests that machines stay total on hostile input inside real runs. Default 0.
   */
  readonly corrupt?: number;
  /** Probability in [0, 1] that a message is held back an extra uniform [0, `reorderMaxMs`] delay. Default 0. */
  readonly reorder?: number;
  /** The largest extra delay of a reordered message, ms. Default 50. */
  readonly reorderMaxMs?: number;
  /** Deliver messages on this link in send order (like TCP). Default false. Incompatible with `reorder`. */
  readonly fifo?: boolean;
}

/**
 * Per-link overrides: applies to messages from `from` (any node when absent) to `to` (any node
 * when absent). Later entries win over earlier ones, field by field.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const r = simulate({ seed: 3, nodes, links: [{ to: 'c', delay: { type: 'fixed', ms: 200 } }], invariants: raftSafetyInvariants(), maxTimeMs: 3000 });
 * r.ok; //=> true
 * ```
 */
export interface LinkOverride extends LinkOptions {
  /** Sender the override applies to; all senders when absent. */
  readonly from?: NodeId;
  /** Receiver the override applies to; all receivers when absent. */
  readonly to?: NodeId;
}

/**
 * A node's clock: the `now` it sees in `tick` inputs is `skewMs + t * (1 + drift)` for virtual
 * time `t`, and its deadlines are converted back to virtual time the same way.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * // c's clock runs 250 ms ahead and gains 1%: its timers fire early in virtual time.
 * const r = simulate({ seed: 2, nodes, clocks: { c: { skewMs: 250, drift: 0.01 } }, maxTimeMs: 2000 });
 * r.ok; //=> true
 * ```
 */
export interface ClockOptions {
  /** Offset from virtual time, ms. Default 0. */
  readonly skewMs?: number;
  /** Rate error: 0.01 runs 1% fast, -0.01 runs 1% slow. Must be > -1. Default 0. */
  readonly drift?: number;
}

/**
 * A fault the simulator can inject.
 *
 * - `crash`: the node loses its volatile state; messages to it are dropped; its timers stop.
 * - `restart`: a crashed node comes back through `machine.recover(config, durable)` (or `init`).
 * - `partition`: nodes in different `groups` cannot exchange messages (nodes not listed form one
 *   more group together). Messages already in flight across the cut are dropped on arrival.
 * - `oneWay`: messages from `from` to `to` are dropped (the reverse direction still works).
 * - `heal`: removes every partition and one-way cut.
 * - `pause`: the node stops processing (a long GC pause, a slow VM); inputs queue up.
 * - `resume`: a paused node processes its queued inputs, in order, then runs normally.
 * - `clock`: sets the node's clock skew and/or drift from now on (a clock jump).
 * - `link`: from now on, links matching `link.from`/`link.to` take the given options, field by
 *   field (a latency spike, a burst of loss, a flaky cable).
 * - `linkReset`: every link back to the options the run started with.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * // A minority cut off at 500 ms and healed at 1500: safety holds throughout.
 * const r = simulate({
 *   seed: 5, nodes, invariants: raftSafetyInvariants(), maxTimeMs: 3000,
 *   faults: [{ at: 500, fault: { type: 'partition', groups: [['a', 'b'], ['c']] } }, { at: 1500, fault: { type: 'heal' } }],
 * });
 * [r.ok, r.stats.faults]; //=> [true, 2]
 * ```
 */
export type Fault =
  | { readonly type: 'crash'; readonly node: NodeId }
  | { readonly type: 'restart'; readonly node: NodeId }
  | { readonly type: 'partition'; readonly groups: readonly (readonly NodeId[])[] }
  | { readonly type: 'oneWay'; readonly from: NodeId; readonly to: NodeId }
  | { readonly type: 'heal' }
  | { readonly type: 'pause'; readonly node: NodeId }
  | { readonly type: 'resume'; readonly node: NodeId }
  | { readonly type: 'clock'; readonly node: NodeId; readonly skewMs?: number; readonly drift?: number }
  | { readonly type: 'link'; readonly link: LinkOverride }
  | { readonly type: 'linkReset' };

/**
 * A fault at a virtual time.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const r = simulate({ seed: 5, nodes, invariants: raftSafetyInvariants(), maxTimeMs: 2000, faults: [{ at: 500, fault: { type: 'crash', node: 'a' } }] });
 * r.stats.faults; //=> 1
 * ```
 */
export interface ScheduledFault {
  /** Virtual time, ms (>= 0). */
  readonly at: number;
  /** What happens. */
  readonly fault: Fault;
}

/**
 * A local command (any machine input, e.g. `{ type: 'propose', value }`) delivered to a node at a time.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * // A proposal at 1500 ms to every node: only the leader accepts it.
 * const r = simulate({ seed: 5, nodes, maxTimeMs: 3000, commands: voters.map((node) => ({ at: 1500, node, input: { type: 'propose', data: 'x' } })) });
 * r.ok; //=> true
 * ```
 */
export interface ScheduledCommand {
  /** Virtual time, ms (>= 0). */
  readonly at: number;
  /** The node that receives the input. */
  readonly node: NodeId;
  /** The input passed to `machine.step`. */
  readonly input: unknown;
}

/**
 * A random fault generator ("nemesis", after Jepsen). Rates are expected events per second of
 * virtual time; each fault is undone after a random duration. The schedule is drawn up front from
 * the simulation seed, so it is reproducible, appears in {@link SimResult.faults}, and can be
 * shrunk like a scripted one.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const r = simulate({ seed: 9, nodes, invariants: raftSafetyInvariants(), maxTimeMs: 10_000, nemesis: { crashRate: 0.5, partitionRate: 0.5, untilMs: 8000 } });
 * r.ok; //=> true
 * r.stats.faults > 0; //=> true
 * ```
 */
export interface NemesisOptions {
  /** Crashes per second. Each crashed node restarts after `downMs`. Default 0. */
  readonly crashRate?: number;
  /** Partitions per second (random split into two sides). Healed after `partitionMs`. Default 0. */
  readonly partitionRate?: number;
  /** One-way cuts per second between two random nodes. Healed after `partitionMs`. Default 0. */
  readonly oneWayRate?: number;
  /** Pauses per second. Resumed after `pauseMs`. Default 0. */
  readonly pauseRate?: number;
  /**
   * Latency spikes per second: messages to a random node get an exponential delay of mean
   * `slowDelayMs` (a `link` fault), until a `linkReset` after `partitionMs`. One spike at a time;
   * the reset also undoes scripted link faults. Default 0.
   */
  readonly slowRate?: number;
  /** Mean delay of a latency spike, ms. Default 200. */
  readonly slowDelayMs?: number;
  /** Clock jumps per second: a new skew in [-`clockJumpMs`, `clockJumpMs`]. Default 0. */
  readonly clockJumpRate?: number;
  /** The largest clock jump, ms. Default 1000. */
  readonly clockJumpMs?: number;
  /** How long a crashed node stays down, ms range [min, max]. Default [100, 1000]. */
  readonly downMs?: readonly [number, number];
  /** How long a partition or one-way cut lasts, ms range. Default [100, 1000]. */
  readonly partitionMs?: readonly [number, number];
  /** How long a pause lasts, ms range. Default [50, 500]. */
  readonly pauseMs?: readonly [number, number];
  /** At most this many nodes crashed or paused at once. Default: a minority, floor((n - 1) / 2). */
  readonly maxDown?: number;
  /** Nodes the nemesis may crash, pause, cut one way or skew (partitions split all nodes). Default: all nodes. */
  readonly nodes?: readonly NodeId[];
  /** No new faults before this time, ms. Default 0. */
  readonly fromMs?: number;
  /** No new faults from this time on (every fault is undone by then), so the system can recover. Default: the run's `maxTimeMs`. */
  readonly untilMs?: number;
}

/**
 * What a {@link FinalCheck} sees: the end of a run.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * // A final check sees the run's end: here, that every node is still up.
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 3000, finalChecks: [{ name: 'all up', check: (end) => (Object.keys(end.states).length === end.nodes.length ? undefined : 'a node is down') }] });
 * r.ok; //=> true
 * ```
 */
export interface RunEnd<I = unknown, O = unknown> {
  /** Virtual time at the end, ms. */
  readonly time: number;
  /** All node ids. */
  readonly nodes: readonly NodeId[];
  /** Final states of the nodes that are up. */
  readonly states: Readonly<Record<NodeId, any>>;
  /** The workload's history. */
  readonly history: History<I, O>;
  /** The run's counters. */
  readonly stats: SimStats;
  /** Why the run ended. */
  readonly stopReason: StopReason;
}

/**
 * A check over a whole run, made once at its end — for properties no single state shows:
 * liveness ("every node decided by the end"), or the linearizability of the workload's history.
 * Same convention as the core `Invariant`: `check` returns `undefined` when the run is fine, and
 * otherwise a message saying what is wrong.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * import type { FinalCheck } from 'distkit/sim';
 * const oneLeader: FinalCheck = {
 *   name: 'one leader at the end',
 *   check: (end) => (Object.values(end.states).filter((s) => s.role === 'leader').length === 1 ? undefined : 'no single leader'),
 * };
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 2000, finalChecks: [oneLeader], faults: [{ at: 500, fault: { type: 'partition', groups: [['a'], ['b'], ['c']] } }] });
 * [r.ok, r.violation?.invariant]; //=> [false, 'one leader at the end']
 * ```
 */
export interface FinalCheck<I = any, O = any> {
  /** Reported in the violation. */
  readonly name: string;
  /** `undefined` when the run is fine; otherwise what is wrong. */
  check(end: RunEnd<I, O>): string | undefined;
}

/**
 * A read-only view of the running simulation, passed to invariants (as their view) and hooks. It
 * extends the core `InvariantView`, so an invariant from `distkit/core` (or an algorithm's own
 * set) reads `time`, `nodes` and `isUp` from it unchanged.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * import type { SimView } from 'distkit/sim';
 * // Stop as soon as some node leads.
 * const led = (view: SimView) => Object.values(view.states).some((s) => (s as { role: string }).role === 'leader');
 * const r = simulate({ seed: 1, nodes, stopWhen: led });
 * [r.stopReason, r.stats.timeMs < 3000]; //=> ['stopWhen', true]
 * ```
 */
export interface SimView extends InvariantView {
  /** Virtual time now, ms. */
  readonly time: number;
  /** Steps taken so far (inputs applied to machines). */
  readonly steps: number;
  /** All node ids, in the order given. */
  readonly nodes: readonly NodeId[];
  /** The states of the nodes that are up (a live view). */
  readonly states: Readonly<Record<NodeId, unknown>>;
  /** Whether a node is up (not crashed). */
  isUp(node: NodeId): boolean;
  /** Whether a node is paused. */
  isPaused(node: NodeId): boolean;
  /** The `now` the node's clock shows at the current virtual time. */
  localTime(node: NodeId): number;
}

/**
 * Handed to {@link SimulateOptions.onOutput}: the view plus a way to feed inputs back in (for
 * client logic that lives outside the machines).
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * // Every leader announcement is answered with a proposal at that node.
 * const r = simulate({
 *   seed: 1, nodes, maxTimeMs: 3000,
 *   onOutput: (e, sim) => { if ((e.output as { type: string; role?: string }).role === 'leader') sim.inject(e.node, { type: 'propose', data: 'hello' }); },
 * });
 * (Object.values(r.states) as { commit: number }[]).every((s) => s.commit >= 1); //=> true
 * ```
 */
export interface SimControl extends SimView {
  /** Delivers `input` to `node` as a local command after `delayMs` (default 0). */
  inject(node: NodeId, input: unknown, delayMs?: number): void;
}

/**
 * An output event as passed to {@link SimulateOptions.onOutput}.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * import type { NodeOutput } from 'distkit/sim';
 * const seen: NodeOutput[] = [];
 * simulate({ seed: 1, nodes, maxTimeMs: 3000, onOutput: (e) => { seen.push(e); } });
 * seen.find((e) => (e.output as { role?: string }).role === 'leader'); //=> { time: 1067.709, node: 'a', output: { type: 'role', role: 'leader', term: 1, leader: 'a' } }
 * ```
 */
export interface NodeOutput {
  /** Virtual time, ms. */
  readonly time: number;
  /** The node that produced the output. */
  readonly node: NodeId;
  /** The output (neither `send` nor `persist`). */
  readonly output: unknown;
}

/**
 * An operation handed to {@link Workload.command}: turn it into a machine input.
 *
 * @example
 * ```ts
 * import { simulate, type Workload } from 'distkit/sim';
 * import { raftCounter, type RaftCounterOutput } from 'distkit/replication';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raftCounter, config: { raft: { id, voters, seed: id } } }));
 * import type { PendingOperation } from 'distkit/sim';
 * // A command carries the operation's id, so the answer can name it.
 * const toInput = (op: PendingOperation<'get'>) => ({ type: 'get', rid: String(op.id) });
 * toInput({ id: 7, client: 'c0', input: 'get', node: 'a' }); //=> { type: 'get', rid: '7' }
 * ```
 */
export interface PendingOperation<I> {
  /** The operation id, unique in the run: carry it in the command so the response can name it. */
  readonly id: number;
  /** The client issuing it. */
  readonly client: string;
  /** The operation. */
  readonly input: I;
  /** The node it is sent to. */
  readonly node: NodeId;
}

/**
 * What {@link Workload.generate} receives.
 *
 * @example
 * ```ts
 * import type { WorkloadContext } from 'distkit/sim';
 * // Send each client's operations to a node that is up, round-robin.
 * const pick = (ctx: WorkloadContext) => ctx.nodes.filter((n) => ctx.isUp(n))[ctx.index % ctx.nodes.length];
 * pick({ client: 'c0', index: 4, time: 0, random: undefined as never, nodes: ['a', 'b', 'c'], isUp: (n) => n !== 'b' }); //=> 'c'
 * ```
 */
export interface WorkloadContext {
  /** The client asking for its next operation. */
  readonly client: string;
  /** How many operations this client has issued before. */
  readonly index: number;
  /** Virtual time now, ms. */
  readonly time: number;
  /** The workload's own random stream (seeded from the simulation seed). */
  readonly random: Random;
  /** All node ids. */
  readonly nodes: readonly NodeId[];
  /** Whether a node is up. */
  isUp(node: NodeId): boolean;
}

/**
 * How a response completes an operation: `{ id, output }` records the output; `{ id, failed: true }`
 * says the operation certainly did not take effect (it is removed from the history, like Jepsen's
 * `:fail`).
 *
 * @example
 * ```ts
 * import type { Completion } from 'distkit/sim';
 * import type { RaftCounterReply } from 'distkit/replication';
 * // Map a counter's reply to the operation it completes: a value, or a failure the checker knows may not have happened.
 * const complete = (reply: RaftCounterReply): Completion<number> | undefined =>
 *   reply.type === 'value' ? { id: Number(reply.rid), output: reply.value } : reply.type === 'notLeader' ? { id: Number(reply.rid), failed: true } : undefined;
 * complete({ type: 'value', rid: '3', value: 42 }); //=> { id: 3, output: 42 }
 * complete({ type: 'notLeader', rid: '4', leader: 'b' }); //=> { id: 4, failed: true }
 * ```
 */
export type Completion<O> = { readonly id: number; readonly output: O } | { readonly id: number; readonly failed: true };

/**
 * A client workload: each client issues operations one at a time, records invocation and
 * response in a {@link History} for the linearizability checker, and waits `thinkMs` between
 * operations. An operation that gets no response within `timeoutMs` keeps an unknown outcome (no
 * `ret`); its client then continues under a new name (`c0` becomes `c0.1`), as Jepsen does, so a
 * client never has two operations open.
 *
 * @typeParam I - the operation's input as recorded in the history.
 * @typeParam O - the operation's output as recorded in the history.
 * @example
 * ```ts
 * import { simulate, type Workload } from 'distkit/sim';
 * import { raftCounter, type RaftCounterOutput } from 'distkit/replication';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raftCounter, config: { raft: { id, voters, seed: id } } }));
 * // Three clients each read the counter five times, at random nodes; followers refuse.
 * const reads: Workload<'get', number> = {
 *   clients: 3,
 *   operations: 5,
 *   startMs: 2500, // after the first election
 *   generate: (ctx) => ({ node: ctx.random.choice(ctx.nodes), input: 'get' }),
 *   command: (op) => ({ type: 'get', rid: String(op.id) }),
 *   complete: (_node, out) => {
 *     const o = out as RaftCounterOutput;
 *     if (o.type === 'value') return { id: Number(o.rid), output: o.value };
 *     return o.type === 'notLeader' ? { id: Number(o.rid), failed: true } : undefined;
 *   },
 * };
 * const r = simulate({ seed: 1, nodes, workload: reads, maxTimeMs: 6000 });
 * // Refused reads failed for sure and are left out; the leader answered the rest.
 * r.history.length; //=> 4
 * r.history.every((op) => op.output === 0); //=> true
 * ```
 */
export interface Workload<I = unknown, O = unknown> {
  /** The number of clients (named `c0`, `c1`, ...) or their names. */
  readonly clients: number | readonly string[];
  /** Operations per client. Default 10. */
  readonly operations?: number;
  /** When clients start, ms. Default 0. */
  readonly startMs?: number;
  /** Pause between a response and the client's next operation, ms. Default 1. */
  readonly thinkMs?: number;
  /** An operation without a response after this long has an unknown outcome, ms. Default 1000. */
  readonly timeoutMs?: number;
  /** The client's next operation and the node to send it to; `undefined` ends this client. */
  generate(ctx: WorkloadContext): { readonly node: NodeId; readonly input: I } | undefined;
  /** The machine input that carries the operation (include `op.id` so the response can name it). */
  command(op: PendingOperation<I>): unknown;
  /** Called for every output event: the completion it carries, if any. */
  complete(node: NodeId, output: unknown): Completion<O> | undefined;
}

/**
 * Options of {@link simulate}. Only `seed` and `nodes` are required.
 *
 * @typeParam I - workload operation input.
 * @typeParam O - workload operation output.
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * import type { SimulateOptions } from 'distkit/sim';
 * const options: SimulateOptions = { seed: 7, nodes, network: { loss: 0.05 }, maxTimeMs: 5000 };
 * // The same options give the same run, step for step.
 * simulate(options).stats.steps === simulate(options).stats.steps; //=> true
 * ```
 */
export interface SimulateOptions<I = unknown, O = unknown> {
  /** Everything random (delays, loss, nemesis, workload) derives from it. */
  readonly seed: number | string;
  /** The nodes. */
  readonly nodes: readonly SimNode[];
  /** Default behaviour of every link. */
  readonly network?: LinkOptions;
  /** Per-link overrides, applied in order over `network`. */
  readonly links?: readonly LinkOverride[];
  /** Per-node clock skew and drift. */
  readonly clocks?: Readonly<Record<NodeId, ClockOptions>>;
  /** Scripted faults. */
  readonly faults?: readonly ScheduledFault[];
  /** Random faults drawn from the seed. */
  readonly nemesis?: NemesisOptions;
  /** Scripted local commands. */
  readonly commands?: readonly ScheduledCommand[];
  /** A client workload recorded as a history. */
  readonly workload?: Workload<I, O>;
  /**
   * Checked after every step (the core `Invariant` type: `check` returns `undefined` when it holds,
   * else what is wrong); the first violation stops the run. Their `view` is a {@link SimView}.
   */
  readonly invariants?: readonly Invariant<any>[];
  /** Checked once when the run ends without a violation (liveness, linearizability of the history...). */
  readonly finalChecks?: readonly FinalCheck<I, O>[];
  /** Stop at this virtual time, ms. Default 60 000. */
  readonly maxTimeMs?: number;
  /** Stop after this many steps. Default 10 000 000. */
  readonly maxSteps?: number;
  /** Checked after every step: return true to stop the run (`stopReason: 'stopWhen'`). */
  stopWhen?(view: SimView): boolean;
  /** Called for every output that is neither `send` nor `persist`. */
  onOutput?(event: NodeOutput, sim: SimControl): void;
  /** Keep the full trace in the result. Default true. When false only the last `lastEvents` are kept. */
  readonly trace?: boolean;
  /** How many trace events a violation report carries. Default 50. */
  readonly lastEvents?: number;
}

/**
 * Why a message was dropped: lost by the network model, cut by a partition, addressed to a crashed
 * node, or addressed to a node that does not exist.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * // Drops appear in the trace with their reason.
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 3000, faults: [{ at: 0, fault: { type: 'partition', groups: [['a'], ['b', 'c']] } }] });
 * [...new Set(r.trace.flatMap((e) => (e.kind === 'drop' ? [e.reason] : [])))]; //=> ['partition']
 * ```
 */
export type DropReason = 'loss' | 'partition' | 'crashed' | 'unknown-node';

/**
 * One entry of a simulation trace. Every event has `kind`, `time` (virtual ms) and, except
 * faults, `node` (where it happened). Messages carry an `id` shared by their send, deliveries
 * (two for a duplicated message) and drop.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 3000 });
 * [...new Set(r.trace.map((e) => e.kind))].sort(); //=> ['deliver', 'output', 'persist', 'send', 'tick']
 * ```
 */
export type TraceEvent =
  | { readonly kind: 'send'; readonly time: number; readonly node: NodeId; readonly to: NodeId; readonly id: number; readonly message: unknown; readonly copies?: number }
  | { readonly kind: 'deliver'; readonly time: number; readonly node: NodeId; readonly from: NodeId; readonly id: number; readonly message: unknown; readonly corrupted?: true }
  | { readonly kind: 'drop'; readonly time: number; readonly node: NodeId; readonly from: NodeId; readonly to: NodeId; readonly id: number; readonly message: unknown; readonly reason: DropReason }
  | { readonly kind: 'tick'; readonly time: number; readonly node: NodeId; readonly now: number }
  | { readonly kind: 'command'; readonly time: number; readonly node: NodeId; readonly input: unknown; readonly ignored?: 'crashed' }
  | { readonly kind: 'output'; readonly time: number; readonly node: NodeId; readonly output: unknown }
  | { readonly kind: 'persist'; readonly time: number; readonly node: NodeId }
  | { readonly kind: 'fault'; readonly time: number; readonly fault: Fault }
  | { readonly kind: 'invoke'; readonly time: number; readonly node: NodeId; readonly client: string; readonly op: number; readonly input: unknown }
  | { readonly kind: 'complete'; readonly time: number; readonly node: NodeId; readonly client: string; readonly op: number; readonly output: unknown }
  | { readonly kind: 'fail'; readonly time: number; readonly node: NodeId; readonly client: string; readonly op: number }
  | { readonly kind: 'timeout'; readonly time: number; readonly node: NodeId; readonly client: string; readonly op: number };

/**
 * Message counters for one message type.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const r = simulate({ seed: 1, nodes, network: { loss: 0.2 }, maxTimeMs: 3000 });
 * const m = r.stats.messages;
 * m.sent + m.duplicated === m.delivered + m.dropped; //=> true
 * ```
 */
export interface MessageCounts {
  /** `send` outputs. */
  sent: number;
  /** Deliveries to a node (a duplicated message counts twice). */
  delivered: number;
  /** Lost, cut by a partition, or addressed to a crashed or unknown node. */
  dropped: number;
  /** Extra copies created by the network. */
  duplicated: number;
  /** Delivered copies the network corrupted (see {@link LinkOptions.corrupt}). */
  corrupted: number;
}

/**
 * What a run did, in numbers.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 3000 });
 * Object.keys(r.stats.byType).sort(); //=> ['append', 'appendResponse', 'heartbeat', 'heartbeatResponse', 'vote', 'voteResponse']
 * r.stats.faults; //=> 0
 * ```
 */
export interface SimStats {
  /** Inputs applied to machines (deliveries, ticks, commands). */
  readonly steps: number;
  /** Virtual time at the end, ms. */
  readonly timeMs: number;
  /** Totals over all message types. */
  readonly messages: MessageCounts;
  /** Per message type: the `type` field of the message when it is a string, else `'(untyped)'`. */
  readonly byType: Readonly<Record<string, MessageCounts>>;
  /** Faults applied. */
  readonly faults: number;
  /** `rejected` outputs. */
  readonly rejected: number;
  /**
   * Responses without an invocation: completions (from the workload's `complete`) naming an
   * operation id that was never issued. They are counted here and kept out of the history. A
   * response that arrives after its operation timed out, or a repeated one, is normal and ignored.
   */
  readonly unmatchedResponses: number;
}

/**
 * The first invariant violation of a run, with everything needed to replay it.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * // An invariant that cannot hold: the violation carries options that replay the run.
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 3000, invariants: [{ name: 'never a leader', check: (states) => (Object.values(states).some((s) => s.role === 'leader') ? 'a leader' : undefined) }] });
 * const v = r.violation!;
 * [v.invariant, simulate(v.replay).violation?.time === v.time]; //=> ['never a leader', true]
 * ```
 */
export interface Violation {
  /** The invariant's name. */
  readonly invariant: string;
  /** What the check returned (or the error it threw). */
  readonly message: string;
  /** The seed of the run. */
  readonly seed: number | string;
  /** Virtual time of the violation, ms. */
  readonly time: number;
  /** Step count at the violation. */
  readonly step: number;
  /** The last trace events before the violation (see {@link SimulateOptions.lastEvents}). */
  readonly lastEvents: readonly TraceEvent[];
  /** Options that replay this run exactly (the original options). */
  readonly replay: SimulateOptions<any, any>;
}

/**
 * Why a run ended.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * simulate({ seed: 1, nodes, maxTimeMs: 1000 }).stopReason; //=> 'maxTime'
 * ```
 */
export type StopReason = 'quiescent' | 'maxTime' | 'maxSteps' | 'violation' | 'stopWhen';

/**
 * The outcome of {@link simulate}.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * import type { SimResult } from 'distkit/sim';
 * const r: SimResult = simulate({ seed: 1, nodes, maxTimeMs: 3000 });
 * [r.ok, r.stopReason, r.nodes]; //=> [true, 'maxTime', ['a', 'b', 'c']]
 * ```
 */
export interface SimResult<I = unknown, O = unknown> {
  /** True when no invariant was violated. */
  readonly ok: boolean;
  /** The seed. */
  readonly seed: number | string;
  /** All node ids, in the order given. */
  readonly nodes: readonly NodeId[];
  /** The first violation, when `ok` is false. */
  readonly violation?: Violation;
  /** Why the run ended. */
  readonly stopReason: StopReason;
  /** The trace (all events, or the last `lastEvents` when `trace: false`). */
  readonly trace: readonly TraceEvent[];
  /** Counters. */
  readonly stats: SimStats;
  /** The workload's history (empty without a workload). */
  readonly history: History<I, O>;
  /** Final states of the nodes that are up. */
  readonly states: Readonly<Record<NodeId, unknown>>;
  /** Every fault of the run, scripted and drawn by the nemesis, in time order. */
  readonly faults: readonly ScheduledFault[];
}
