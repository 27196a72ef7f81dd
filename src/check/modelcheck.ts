/**
 * A bounded model checker for distkit machines: breadth-first exploration of every delivery
 * order (and optional faults) of a small configuration.
 *
 * @packageDocumentation
 */
import {
  ConfigError,
  applyStep,
  canonicalJson,
  checkInvariants,
  foldPersist,
  initialImage,
  nonNegativeInt,
  restartState,
  stampNow,
  type Effects,
  type Invariant,
  type InvariantView,
  type InvariantViolation,
  type Machine,
  type MaybeDurable,
  type NodeId,
} from '../core/index.js';
import { hash53 } from './hash.js';

/**
 * Any distkit machine whose state type is `S`, optionally durable: what the model checker runs.
 * Config and input types are left open so that nodes of different kinds fit one configuration.
 *
 * @example
 * ```ts
 * import { modelCheck, type CheckableMachine } from 'distkit/check';
 * import { centralizedMutex, type CentralizedMutexState } from 'distkit/mutex';
 * // Any machine of the contract is checkable as it is.
 * const m: CheckableMachine<CentralizedMutexState> = centralizedMutex;
 * modelCheck({ nodes: [{ id: 'a', machine: m, config: { id: 'a', nodes: ['a'], coordinator: 'a' } }] }).status; //=> 'complete'
 * ```
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface CheckableMachine<S> extends Machine<any, S, any, unknown> {
  /** Validates `config` and returns the initial state (the machine contract's `init`). */
  init(config: any): S;
  /** What survives a crash (see `DurableMachine`); without it a crash restarts from `init`. */
  durable?(state: S): unknown;
  /** Rebuilds the state after a crash from the durable image its persists built. */
  recover?(config: any, durable: unknown): S;
  /** Folds a persist record into the durable image (see `DurableMachine`); absent: the record is the image. */
  applyPersist?(durable: any, record: unknown): unknown;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * One node of the configuration: a machine, its config, and the id other nodes address it by.
 * Nodes may run different machines (servers and clients); `S` is then the union of their states.
 * A machine with `durable`/`recover` restarts after a crash from the image its `persist` outputs
 * made durable (never from its last in-memory state); one without restarts from `init(config)`.
 *
 * @example
 * ```ts
 * import { modelCheck, type ModelCheckNode } from 'distkit/check';
 * import { centralizedMutex } from 'distkit/mutex';
 * const node = (id: string): ModelCheckNode => ({ id, machine: centralizedMutex, config: { id, nodes: ['a', 'b'], coordinator: 'a' } });
 * // b asks the coordinator a for the lock: every order of the messages, explored.
 * modelCheck({ nodes: [node('a'), node('b')], commands: [{ node: 'b', input: { type: 'request' } }] }); //=> { status: 'complete', states: 4, transitions: 3, depth: 3, terminal: 1 }
 * ```
 */
export interface ModelCheckNode<S = unknown> {
  /** The node's id; sends address it by this id. */
  readonly id: NodeId;
  /** The machine it runs. Inputs it receives: `message`, `tick`, and the configured commands. */
  readonly machine: CheckableMachine<S>;
  /** Passed to `machine.init` (and `recover`). */
  readonly config: unknown;
  /**
   * Start from this state instead of `machine.init(config)` (e.g. a state a simulation reached).
   * Its durable part counts as already on disk: a crash restarts from it.
   */
  readonly initialState?: S;
}

/**
 * A local command the checker may fire at any point. Each node's commands fire in the order
 * given, interleaved in every possible way with deliveries, timeouts and the other nodes'
 * commands.
 *
 * @example
 * ```ts
 * import { modelCheck } from 'distkit/check';
 * import { centralizedMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: centralizedMutex, config: { id, nodes: ids, coordinator: 'a' } }));
 * const commands = [{ node: 'b', input: { type: 'request' } }, { node: 'c', input: { type: 'request' } }];
 * // Each command is taken once, at any point of any interleaving: without them nothing happens.
 * [modelCheck({ nodes }).states, modelCheck({ nodes, commands }).states]; //=> [1, 16]
 * ```
 */
export interface ModelCheckCommand {
  /** The node that receives it. */
  readonly node: NodeId;
  /** The input passed to its `step`. */
  readonly input: unknown;
}

/**
 * How many faults of each kind one execution may contain (each a branching choice wherever it
 * could happen). All default to 0.
 *
 * @example
 * ```ts
 * import { modelCheck } from 'distkit/check';
 * import { centralizedMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: centralizedMutex, config: { id, nodes: ids, coordinator: 'a' } }));
 * const commands = [{ node: 'b', input: { type: 'request' } }, { node: 'c', input: { type: 'request' } }];
 * // Safe on a reliable network; with one crash allowed, a restarted coordinator forgets
 * // who holds the lock and grants it again (the textbook's coordinator-crash weakness).
 * const safe = modelCheck({ nodes, commands, invariants: mutexInvariants() });
 * const crashy = modelCheck({ nodes, commands, invariants: mutexInvariants(), faults: { crashes: 1 } });
 * [safe.status, crashy.status, crashy.violation?.invariant]; //=> ['complete', 'violation', 'mutual exclusion: at most one node in the critical section']
 * ```
 */
export interface ModelCheckFaults {
  /** In-flight messages that may be dropped. */
  readonly loss?: number;
  /** Messages that may be delivered and still stay in flight (delivered twice or more). */
  readonly duplication?: number;
  /**
   * Crash-and-restart events: volatile state lost, `recover` from the durable image its persists
   * built. For a durable machine a crash may also strike inside a step, after its `persist` and
   * before its sends (the sends are lost).
   */
  readonly crashes?: number;
}

/**
 * Options of {@link modelCheck}.
 *
 * @example
 * ```ts
 * import { modelCheck } from 'distkit/check';
 * import { centralizedMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: centralizedMutex, config: { id, nodes: ids, coordinator: 'a' } }));
 * const commands = [{ node: 'b', input: { type: 'request' } }, { node: 'c', input: { type: 'request' } }];
 * import type { ModelCheckOptions } from 'distkit/check';
 * const options: ModelCheckOptions<unknown> = { nodes, commands, invariants: mutexInvariants(), maxDepth: 3 };
 * // A depth bound makes the search partial: 'bounded', not 'complete'.
 * modelCheck(options).status; //=> 'bounded'
 * ```
 */
export interface ModelCheckOptions<S> {
  /** The configuration: at least one node, ids unique. */
  readonly nodes: readonly ModelCheckNode<S>[];
  /** Local commands (see {@link ModelCheckCommand}); default none. */
  readonly commands?: readonly ModelCheckCommand[];
  /**
   * Whose deadlines may fire: `true` for every node, or a list of ids. Firing is a choice like
   * any other: the node gets `{ type: 'tick', now }` with `now` its `nextDeadline` (its clock
   * never goes back). Default `false`: time never passes.
   */
  readonly timeouts?: boolean | readonly NodeId[];
  /** `'unordered'` (default): any in-flight message may be delivered next. `'fifo'`: per link, in send order. */
  readonly channels?: 'unordered' | 'fifo';
  /** Fault budgets per execution; default none. */
  readonly faults?: ModelCheckFaults;
  /**
   * `'violation'`: a `rejected` output (a machine refusing a message or command the
   * configuration produced) counts as a violation named `'no rejected inputs'`. Default
   * `'ignore'`.
   */
  readonly rejections?: 'ignore' | 'violation';
  /** Checked at every state reached (including the initial one). */
  readonly invariants?: readonly Invariant<S>[];
  /**
   * Checked only at terminal states — those with no possible step left (every message delivered,
   * every command fired, no deadline to fire). For properties of a settled system: replicas
   * converged, every request served (a node still waiting there waits forever).
   */
  readonly atTerminal?: readonly Invariant<S>[];
  /** Longest execution explored, in steps; default 50. */
  readonly maxDepth?: number;
  /** Distinct states explored before stopping; default 100,000. */
  readonly maxStates?: number;
  /** Called every few hundred states; returning `true` stops the search. Inject the clock here. */
  readonly deadline?: () => boolean;
}

/**
 * One step of an execution: a delivery, a fault, a command or a timeout.
 *
 * @example
 * ```ts
 * import { modelCheck } from 'distkit/check';
 * import { centralizedMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: centralizedMutex, config: { id, nodes: ids, coordinator: 'a' } }));
 * const commands = [{ node: 'b', input: { type: 'request' } }, { node: 'c', input: { type: 'request' } }];
 * import { never } from 'distkit/core';
 * // A claim that cannot hold, to get a path: 'no one ever holds the lock'.
 * const r = modelCheck({ nodes, commands, invariants: [never<{ phase: string }>('no one enters', (states) => Object.values(states).some((s) => s.phase === 'held'))] });
 * r.violation?.path.map((step) => step.kind); //=> ['command', 'deliver', 'deliver']
 * ```
 */
export type ModelCheckStep =
  | {
      readonly kind: 'deliver' | 'duplicate' | 'drop';
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: unknown;
      /** The receiver crashed after this step's persist, before its sends. */
      readonly crashBeforeSends?: true;
    }
  | { readonly kind: 'command'; readonly node: NodeId; readonly input: unknown; readonly crashBeforeSends?: true }
  | { readonly kind: 'timeout'; readonly node: NodeId; readonly now: number; readonly crashBeforeSends?: true }
  | { readonly kind: 'crash'; readonly node: NodeId };

/**
 * A failed invariant (or a machine that threw) with the shortest execution reaching it.
 *
 * @example
 * ```ts
 * import { modelCheck } from 'distkit/check';
 * import { centralizedMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: centralizedMutex, config: { id, nodes: ids, coordinator: 'a' } }));
 * const commands = [{ node: 'b', input: { type: 'request' } }, { node: 'c', input: { type: 'request' } }];
 * import { formatModelCheckPath } from 'distkit/check';
 * import { never } from 'distkit/core';
 * const r = modelCheck({ nodes, commands, invariants: [never<{ phase: string }>('no one enters', (states) => Object.values(states).some((s) => s.phase === 'held'))] });
 * // The shortest path to the violation (breadth-first), one line per step.
 * formatModelCheckPath(r.violation!.path).split('\n'); //=> ['1. b: command {"type":"request"}', '2. b -> a: deliver {"seq":1,"type":"request"}', '3. a -> b: deliver {"seq":1,"type":"grant"}']
 * ```
 */
export interface ModelCheckViolation<S> extends InvariantViolation {
  /** The steps from the initial state to the violating state (shortest, as the search is breadth-first). */
  readonly path: readonly ModelCheckStep[];
  /** Every node's state at the violation. */
  readonly states: Readonly<Record<NodeId, S>>;
}

/**
 * The result of {@link modelCheck}.
 *
 * - `violation`: an invariant failed (or a machine threw); see `violation`.
 * - `complete`: every reachable state was explored and all invariants hold in all of them.
 * - `bounded`: no violation, but the search stopped at a bound (`bound`): deeper executions or
 *   further states were not explored.
 *
 * @example
 * ```ts
 * import { modelCheck } from 'distkit/check';
 * import { centralizedMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: centralizedMutex, config: { id, nodes: ids, coordinator: 'a' } }));
 * const commands = [{ node: 'b', input: { type: 'request' } }, { node: 'c', input: { type: 'request' } }];
 * modelCheck({ nodes, commands, invariants: mutexInvariants() }); //=> { status: 'complete', states: 16, transitions: 22, depth: 5, terminal: 2 }
 * ```
 */
export interface ModelCheckResult<S> {
  /** See above. */
  readonly status: 'violation' | 'complete' | 'bounded';
  /** Which bound stopped a `bounded` search. */
  readonly bound?: 'depth' | 'states' | 'deadline';
  /** Distinct states reached (fingerprints stored). */
  readonly states: number;
  /** Transitions taken (including those into already seen states). */
  readonly transitions: number;
  /** Depth of the deepest state reached. */
  readonly depth: number;
  /** States with no possible step (everything delivered, no command or timeout left). */
  readonly terminal: number;
  /** The violation, when `status` is `violation`. */
  readonly violation?: ModelCheckViolation<S>;
}

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: unknown;
  /** 53-bit hash of the canonical JSON of [from, to, message] */
  readonly h: number;
}

interface World<S> {
  readonly states: readonly S[];
  /** Each node's durable image: what its persists made durable, what a crash restarts from. */
  readonly images: readonly unknown[];
  readonly imageHashes: readonly number[];
  /** 53-bit hash of each state's canonical JSON */
  readonly hashes: readonly number[];
  readonly inflight: readonly Envelope[];
  readonly cmd: readonly number[];
  readonly now: readonly number[];
  readonly lost: number;
  readonly dup: number;
  readonly crashed: number;
}

type Choice =
  | { readonly kind: 'deliver' | 'duplicate'; readonly at: number; readonly crashBeforeSends?: true }
  | { readonly kind: 'drop'; readonly at: number }
  | { readonly kind: 'command'; readonly node: number; readonly crashBeforeSends?: true }
  | { readonly kind: 'crash'; readonly node: number }
  | { readonly kind: 'timeout'; readonly node: number; readonly now: number; readonly crashBeforeSends?: true };

class MachineThrew {
  constructor(
    readonly description: string,
    readonly invariant = 'machines do not throw',
  ) {}
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A copy of `list` with `value` at `i`. */
function replaced<T>(list: readonly T[], i: number, value: T): T[] {
  const copy = list.slice();
  copy[i] = value;
  return copy;
}

/** A copy of `list` without the item at `at`. */
function without<T>(list: readonly T[], at: number): T[] {
  const copy = list.slice();
  copy.splice(at, 1);
  return copy;
}

/** `step`, marked as crashing after its persist and before its sends when `crash` is set. */
function crashMark<T extends object>(step: T, crash: true | undefined): T | (T & { crashBeforeSends: true }) {
  return crash ? { ...step, crashBeforeSends: true } : step;
}

// FIFO: keep send order within a link, links in a canonical order. Unordered: a multiset, sorted by hash.
function fifoOrder(a: Envelope, b: Envelope): number {
  if (a.from !== b.from) return a.from < b.from ? -1 : 1;
  if (a.to !== b.to) return a.to < b.to ? -1 : 1;
  return 0;
}
const hashOrder = (a: Envelope, b: Envelope): number => a.h - b.h;

/** The options of {@link modelCheck}, validated, with defaults filled in and nodes numbered. */
interface Setup<S> {
  readonly nodes: readonly ModelCheckNode<S>[];
  readonly ids: readonly NodeId[];
  readonly index: ReadonlyMap<NodeId, number>;
  readonly commandsPerNode: readonly (readonly unknown[])[];
  /** 1 for each node whose deadlines may fire. */
  readonly timeoutNodes: Uint8Array;
  readonly fifo: boolean;
  readonly maxLoss: number;
  readonly maxDup: number;
  readonly maxCrash: number;
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly invariants: readonly Invariant<S>[];
  readonly atTerminal: readonly Invariant<S>[];
  readonly failOnRejected: boolean;
  readonly deadline: (() => boolean) | undefined;
}

function indexNodes(nodes: readonly ModelCheckNode<unknown>[]): Map<NodeId, number> {
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ConfigError('nodes', 'must be a non-empty array');
  const index = new Map<NodeId, number>();
  nodes.forEach(({ id }, i) => {
    if (typeof id !== 'string' || id === '') throw new ConfigError(`nodes[${i}].id`, 'must be a non-empty string');
    if (index.has(id)) throw new ConfigError(`nodes[${i}].id`, `duplicate node id ${JSON.stringify(id)}`);
    index.set(id, i);
  });
  return index;
}

function commandsByNode(commands: readonly ModelCheckCommand[], index: ReadonlyMap<NodeId, number>): unknown[][] {
  const perNode: unknown[][] = Array.from({ length: index.size }, () => []);
  commands.forEach((c, i) => {
    const at = index.get(c.node);
    if (at === undefined) throw new ConfigError(`commands[${i}].node`, `unknown node ${JSON.stringify(c.node)}`);
    (perNode[at] as unknown[]).push(c.input);
  });
  return perNode;
}

function timeoutMask(timeouts: boolean | readonly NodeId[], index: ReadonlyMap<NodeId, number>): Uint8Array {
  const mask = new Uint8Array(index.size);
  if (timeouts === true) mask.fill(1);
  else if (Array.isArray(timeouts)) {
    timeouts.forEach((id, i) => {
      const at = index.get(id);
      if (at === undefined) throw new ConfigError(`timeouts[${i}]`, `unknown node ${JSON.stringify(id)}`);
      mask[at] = 1;
    });
  } else if (timeouts !== false) throw new ConfigError('timeouts', 'must be a boolean or a list of node ids');
  return mask;
}

function oneOf<T extends string>(field: string, value: T | undefined, allowed: readonly [T, T]): T {
  if (value === undefined) return allowed[0];
  if (!allowed.includes(value)) throw new ConfigError(field, `must be '${allowed[0]}' or '${allowed[1]}', got ${String(value)}`);
  return value;
}

function resolveOptions<S>(options: ModelCheckOptions<S>): Setup<S> {
  const nodes = options.nodes;
  const index = indexNodes(nodes);
  const commandsPerNode = commandsByNode(options.commands ?? [], index);
  const timeoutNodes = timeoutMask(options.timeouts ?? false, index);
  const channels = oneOf('channels', options.channels, ['unordered', 'fifo']);
  const maxLoss = nonNegativeInt('faults.loss', options.faults?.loss, 0);
  const maxDup = nonNegativeInt('faults.duplication', options.faults?.duplication, 0);
  const maxCrash = nonNegativeInt('faults.crashes', options.faults?.crashes, 0);
  const maxDepth = nonNegativeInt('maxDepth', options.maxDepth, 50);
  const maxStates = nonNegativeInt('maxStates', options.maxStates, 100_000);
  const rejections = oneOf('rejections', options.rejections, ['ignore', 'violation']);
  return {
    nodes,
    ids: nodes.map((n) => n.id),
    index,
    commandsPerNode,
    timeoutNodes,
    fifo: channels === 'fifo',
    maxLoss,
    maxDup,
    maxCrash,
    maxDepth,
    maxStates,
    invariants: options.invariants ?? [],
    atTerminal: options.atTerminal ?? [],
    failOnRejected: rejections === 'violation',
    deadline: options.deadline,
  };
}

/**
 * The transition system the search explores: the initial world, the choices enabled in a world,
 * the world each choice leads to (a step through the core runtime), and what the checks see.
 */
class Transitions<S> {
  private readonly initialStates: readonly S[];
  private readonly order: (a: Envelope, b: Envelope) => number;

  constructor(private readonly setup: Setup<S>) {
    this.initialStates = setup.nodes.map((n) => (givenState(n) ? (n.initialState as S) : n.machine.init(n.config)));
    this.order = setup.fifo ? fifoOrder : hashOrder;
  }

  initial(): World<S> {
    const { nodes } = this.setup;
    const states = this.initialStates;
    // A node started from init has nothing on disk yet (a crash before its first persist restarts
    // from init); one started from a given state has that state's durable part on disk.
    const images = nodes.map((n, i) => (givenState(n) ? initialImage(n.machine, states[i] as S) : undefined));
    return {
      states,
      images,
      imageHashes: images.map((d) => (d === undefined ? 0 : hash53(canonicalJson(d)))),
      hashes: states.map((st) => hash53(canonicalJson(st))),
      inflight: [],
      cmd: nodes.map(() => 0),
      now: nodes.map(() => 0),
      lost: 0,
      dup: 0,
      crashed: 0,
    };
  }

  // Fingerprints combine per-part hashes: a state's hash is computed once, when a step creates
  // it, and an envelope's when it is sent.
  fingerprint(w: World<S>): number {
    let text = w.hashes.join(',') + '|' + w.imageHashes.join(',') + '|';
    for (const e of w.inflight) text += e.h + ',';
    text += '|' + w.cmd.join(',') + '|' + w.now.join(',') + '|' + w.lost + ',' + w.dup + ',' + w.crashed;
    return hash53(text);
  }

  /** The node states by id, as invariants see them. */
  record(w: World<S>): Record<NodeId, S> {
    const r: Record<NodeId, S> = {};
    this.setup.ids.forEach((id, i) => (r[id] = w.states[i] as S));
    return r;
  }

  // Every node is up in every state (a crash restarts at once); the time is the latest clock.
  view(w: World<S>): InvariantView {
    return { time: Math.max(...w.now), nodes: this.setup.ids, isUp: (node) => this.setup.index.has(node) };
  }

  /** Every choice enabled in `w`, in the order the search follows them. */
  choices(w: World<S>): Choice[] {
    const out: Choice[] = [];
    for (let at = 0; at < w.inflight.length; at++) {
      if (!this.sameAsPrevious(w.inflight, at)) this.messageChoices(w, at, out);
    }
    for (let i = 0; i < this.setup.nodes.length; i++) this.nodeChoices(w, i, out);
    return out;
  }

  // Identical copies lead to identical states (FIFO: only a link's head may move): offer the first of each.
  private sameAsPrevious(inflight: readonly Envelope[], at: number): boolean {
    if (at === 0) return false;
    const e = inflight[at] as Envelope;
    const p = inflight[at - 1] as Envelope;
    return this.setup.fifo ? p.from === e.from && p.to === e.to : p.h === e.h;
  }

  private messageChoices(w: World<S>, at: number, out: Choice[]): void {
    const e = w.inflight[at] as Envelope;
    this.pushStep(w, this.setup.index.get(e.to) as number, { kind: 'deliver', at }, out);
    if (w.dup < this.setup.maxDup) out.push({ kind: 'duplicate', at });
    if (w.lost < this.setup.maxLoss) out.push({ kind: 'drop', at });
  }

  private nodeChoices(w: World<S>, i: number, out: Choice[]): void {
    if ((w.cmd[i] as number) < (this.setup.commandsPerNode[i] as unknown[]).length) this.pushStep(w, i, { kind: 'command', node: i }, out);
    const now = this.timeoutAt(w, i);
    if (now !== undefined) this.pushStep(w, i, { kind: 'timeout', node: i, now }, out);
    if (w.crashed < this.setup.maxCrash) out.push({ kind: 'crash', node: i });
  }

  /** Offers a step of node i, and the same step with a crash inside it where that differs. */
  private pushStep(w: World<S>, i: number, c: Choice & { kind: 'deliver' | 'command' | 'timeout' }, out: Choice[]): void {
    out.push(c);
    // A crash inside a step (after its persist, before its sends) only differs from a crash
    // before or after the step for a machine that persists.
    if (w.crashed < this.setup.maxCrash && (this.setup.nodes[i] as ModelCheckNode<S>).machine.durable !== undefined) {
      out.push({ ...c, crashBeforeSends: true });
    }
  }

  /** When node i's deadline may fire (its clock never goes back), if it may. */
  private timeoutAt(w: World<S>, i: number): number | undefined {
    if (this.setup.timeoutNodes[i] !== 1) return undefined;
    const d = (this.setup.nodes[i] as ModelCheckNode<S>).machine.nextDeadline?.(w.states[i] as S);
    return d === undefined ? undefined : Math.max(d, w.now[i] as number);
  }

  /** The world `c` leads to from `w`; throws {@link MachineThrew} for a machine that fails. */
  apply(w: World<S>, c: Choice): World<S> {
    switch (c.kind) {
      case 'deliver':
      case 'duplicate': {
        const e = w.inflight[c.at] as Envelope;
        const rest = c.kind === 'deliver' ? without(w.inflight, c.at) : w.inflight;
        const patch = c.kind === 'duplicate' ? { dup: w.dup + 1 } : {};
        const input = { type: 'message', from: e.from, message: e.message };
        return this.stepNode(w, this.setup.index.get(e.to) as number, input, rest, patch, c.crashBeforeSends);
      }
      case 'drop':
        return { ...w, inflight: without(w.inflight, c.at), lost: w.lost + 1 };
      case 'command': {
        const k = w.cmd[c.node] as number;
        const input = (this.setup.commandsPerNode[c.node] as unknown[])[k];
        return this.stepNode(w, c.node, input, w.inflight, { cmd: replaced(w.cmd, c.node, k + 1) }, c.crashBeforeSends);
      }
      case 'timeout': {
        const now = replaced(w.now, c.node, c.now);
        return this.stepNode({ ...w, now }, c.node, { type: 'tick', now: c.now }, w.inflight, { now }, c.crashBeforeSends);
      }
      case 'crash':
        // One crash rule everywhere: restart from what the node's persists made durable.
        return { ...this.withState(w, w, c.node, this.restart(c.node, w.images[c.node])), crashed: w.crashed + 1 };
    }
  }

  /**
   * Steps node i with input (stamped with the node's clock) through the shared runtime; returns
   * the new world with its sends in flight. With `crashBeforeSends` the node crashes right after
   * the step's persist: the image keeps the record, the sends are lost, the node restarts.
   */
  private stepNode(w: World<S>, i: number, input: unknown, inflight: readonly Envelope[], patch: Partial<World<S>>, crashBeforeSends = false): World<S> {
    const node = this.setup.nodes[i] as ModelCheckNode<S>;
    const fx = this.runStep(node, w.states[i] as S, input, w.now[i] as number);
    const disk = fx.persist === undefined ? w : this.persisted(w, i, fx.persist.record);
    const base = { ...w, ...patch, images: disk.images, imageHashes: disk.imageHashes };
    if (crashBeforeSends) return this.withState({ ...base, inflight, crashed: w.crashed + 1 }, w, i, this.restart(i, disk.images[i]));
    const next = this.withState({ ...base, inflight: this.sent(node.id, fx.sends, inflight) }, w, i, fx.state);
    // The record is durable at once here: its acknowledgement input follows in the same action.
    const onDurable = fx.persist?.onDurable;
    return onDurable === undefined ? next : this.stepNode(next, i, onDurable, next.inflight, {});
  }

  private runStep(node: ModelCheckNode<S>, state: S, input: unknown, now: number): Effects<S, unknown> {
    let fx: Effects<S, unknown>;
    try {
      fx = applyStep(node.machine, state, stampNow(input, now));
    } catch (err) {
      throw new MachineThrew(`${node.id} threw on ${canonicalJson(input)}: ${message(err)}`);
    }
    if (this.setup.failOnRejected) {
      for (const o of fx.events) {
        const r = o as { type?: unknown; reason?: unknown };
        if (r.type === 'rejected') throw new MachineThrew(`${node.id} rejected ${canonicalJson(input)}: ${String(r.reason)}`, 'no rejected inputs');
      }
    }
    return fx;
  }

  /** Node i's durable image after a step persisted `record`. */
  private persisted(w: World<S>, i: number, record: unknown): Pick<World<S>, 'images' | 'imageHashes'> {
    const m = (this.setup.nodes[i] as ModelCheckNode<S>).machine as CheckableMachine<S> & MaybeDurable<unknown, S>;
    const image = foldPersist(m, w.images[i], record, () => initialImage(m, this.initialStates[i] as S));
    return { images: replaced(w.images, i, image), imageHashes: replaced(w.imageHashes, i, hash53(canonicalJson(image ?? null))) };
  }

  /** `inflight` plus the sends to known nodes, in channel order (the sort is stable: FIFO order per link survives). */
  private sent(from: NodeId, sends: Effects<S, unknown>['sends'], inflight: readonly Envelope[]): readonly Envelope[] {
    let out: Envelope[] | undefined;
    for (const o of sends) {
      if (!this.setup.index.has(o.to)) continue;
      out ??= inflight.slice();
      out.push({ from, to: o.to, message: o.message, h: hash53(canonicalJson([from, o.to, o.message])) });
    }
    return out === undefined ? inflight : out.sort(this.order);
  }

  private restart(i: number, image: unknown): S {
    const node = this.setup.nodes[i] as ModelCheckNode<S>;
    try {
      return restartState(node.machine, node.config, image);
    } catch (err) {
      throw new MachineThrew(`${node.id} threw while restarting: ${message(err)}`);
    }
  }

  /** `base` with node i in `state` (its hash recomputed only when the state changed from `w`'s). */
  private withState(base: World<S>, w: World<S>, i: number, state: S): World<S> {
    const states = replaced(w.states, i, state);
    if (state === w.states[i]) return { ...base, states };
    return { ...base, states, hashes: replaced(w.hashes, i, hash53(canonicalJson(state))) };
  }

  /** The path step that choice `c` in `w` stands for. */
  describe(w: World<S>, c: Choice): ModelCheckStep {
    switch (c.kind) {
      case 'deliver':
      case 'duplicate':
      case 'drop': {
        const e = w.inflight[c.at] as Envelope;
        const step = { kind: c.kind, from: e.from, to: e.to, message: e.message };
        return c.kind === 'drop' ? step : crashMark(step, c.crashBeforeSends);
      }
      case 'command': {
        const input = (this.setup.commandsPerNode[c.node] as unknown[])[w.cmd[c.node] as number];
        return crashMark({ kind: 'command' as const, node: this.setup.ids[c.node] as NodeId, input }, c.crashBeforeSends);
      }
      case 'timeout':
        return crashMark({ kind: 'timeout' as const, node: this.setup.ids[c.node] as NodeId, now: c.now }, c.crashBeforeSends);
      case 'crash':
        return { kind: 'crash', node: this.setup.ids[c.node] as NodeId };
    }
  }
}

function givenState<S>(n: ModelCheckNode<S>): boolean {
  return 'initialState' in n && n.initialState !== undefined;
}

/** The breadth-first search: worlds[k] was reached from worlds[parent[k]] by stepsTo[k]. */
class Search<S> {
  private readonly worlds: World<S>[] = [];
  private readonly parent: number[] = [];
  private readonly stepsTo: (ModelCheckStep | undefined)[] = [];
  private readonly depthOf: number[] = [];
  private readonly seen = new Set<number>();
  private transitions = 0;
  private terminal = 0;
  private maxDepthSeen = 0;
  private bound: 'depth' | 'states' | 'deadline' | undefined;

  constructor(
    private readonly setup: Setup<S>,
    private readonly t: Transitions<S>,
  ) {}

  run(): ModelCheckResult<S> {
    const initial = this.t.initial();
    this.add(initial, this.t.fingerprint(initial), -1, undefined, 0);
    const v0 = this.check(this.setup.invariants, 0, initial);
    if (v0 !== undefined) return v0;
    for (let head = 0; head < this.worlds.length; head++) {
      if ((head & 255) === 0 && this.setup.deadline?.() === true) {
        this.bound = 'deadline';
        break;
      }
      const done = this.expand(head);
      if (done !== undefined) return done;
      // the frontier behind us is no longer needed except for paths: drop the world itself
      this.worlds[head] = undefined as unknown as World<S>;
    }
    return this.result(this.bound === undefined ? 'complete' : 'bounded');
  }

  /** Follows every choice of world `head`; a result when the search ends there. */
  private expand(head: number): ModelCheckResult<S> | undefined {
    const w = this.worlds[head] as World<S>;
    const depth = this.depthOf[head] as number;
    const cs = this.t.choices(w);
    if (cs.length === 0) {
      this.terminal++;
      return this.setup.atTerminal.length === 0 ? undefined : this.check(this.setup.atTerminal, head, w);
    }
    if (depth >= this.setup.maxDepth) {
      this.bound ??= 'depth';
      return undefined;
    }
    for (const c of cs) {
      const done = this.follow(head, w, c);
      if (done !== undefined) return done;
    }
    return undefined;
  }

  private follow(head: number, w: World<S>, c: Choice): ModelCheckResult<S> | undefined {
    this.transitions++;
    let next: World<S>;
    try {
      next = this.t.apply(w, c);
    } catch (err) {
      if (!(err instanceof MachineThrew)) throw err;
      const path = [...this.pathTo(head), this.t.describe(w, c)];
      return this.result('violation', { invariant: err.invariant, description: err.description, path, states: this.t.record(w) });
    }
    const fp = this.t.fingerprint(next);
    if (this.seen.has(fp)) return undefined;
    if (this.seen.size >= this.setup.maxStates) {
      this.bound = 'states';
      return this.result('bounded');
    }
    const k = this.add(next, fp, head, this.t.describe(w, c), (this.depthOf[head] as number) + 1);
    return this.check(this.setup.invariants, k, next);
  }

  private add(w: World<S>, fp: number, parent: number, step: ModelCheckStep | undefined, depth: number): number {
    this.seen.add(fp);
    this.worlds.push(w);
    this.parent.push(parent);
    this.stepsTo.push(step);
    this.depthOf.push(depth);
    if (depth > this.maxDepthSeen) this.maxDepthSeen = depth;
    return this.worlds.length - 1;
  }

  /** A violation result when one of `invariants` fails in world k (`w`). */
  private check(invariants: readonly Invariant<S>[], k: number, w: World<S>): ModelCheckResult<S> | undefined {
    const states = this.t.record(w);
    const v = checkInvariants(invariants, states, this.t.view(w));
    return v === undefined ? undefined : this.result('violation', { ...v, path: this.pathTo(k), states });
  }

  private pathTo(k: number): ModelCheckStep[] {
    const path: ModelCheckStep[] = [];
    for (let at = k; at > 0; at = this.parent[at] as number) path.push(this.stepsTo[at] as ModelCheckStep);
    return path.reverse();
  }

  private result(status: ModelCheckResult<S>['status'], violation?: ModelCheckViolation<S>): ModelCheckResult<S> {
    const base = { status, states: this.seen.size, transitions: this.transitions, depth: this.maxDepthSeen, terminal: this.terminal };
    if (violation !== undefined) return { ...base, violation };
    return status === 'bounded' && this.bound !== undefined ? { ...base, bound: this.bound } : base;
  }
}

/**
 * Explores every execution of a small configuration of machines breadth-first, up to a depth
 * bound: every order of delivering in-flight messages, firing local commands and (optionally)
 * deadlines, plus optional message loss, duplication and crash-restart choices. Each distinct
 * global state — all node states, the in-flight messages as a multiset, pending commands,
 * clocks and fault budgets used — is fingerprinted (a 53-bit hash of its canonical JSON) and
 * explored once, as in TLC (Yu, Manolios & Lamport 1999). Invariants are checked at every state;
 * the first violation comes with the shortest execution that reaches it.
 *
 * Machines must be deterministic and must not mutate states (the distkit machine contract):
 * states are shared between explored branches.
 *
 * @throws ConfigError for an empty or duplicate node list, a command for an unknown node, an
 *   unknown timeout node, or a negative bound or fault budget.
 * @example
 * ```ts
 * import { modelCheck } from 'distkit/check';
 * import { centralizedMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: centralizedMutex, config: { id, nodes: ids, coordinator: 'a' } }));
 * const commands = [{ node: 'b', input: { type: 'request' } }, { node: 'c', input: { type: 'request' } }];
 * // Every interleaving of the two requests and their messages: mutual exclusion holds.
 * modelCheck({ nodes, commands, invariants: mutexInvariants() }).status; //=> 'complete'
 * // With message loss and a crash allowed the search finds the coordinator's weakness.
 * modelCheck({ nodes, commands, invariants: mutexInvariants(), faults: { loss: 1, crashes: 1 } }).violation?.invariant; //=> 'mutual exclusion: at most one node in the critical section'
 * ```
 */
export function modelCheck<S>(options: ModelCheckOptions<S>): ModelCheckResult<S> {
  const setup = resolveOptions(options);
  return new Search(setup, new Transitions(setup)).run();
}

/**
 * Renders an execution path one step per line, for reports and test failure messages.
 *
 * @example
 * ```ts
 * import { formatModelCheckPath } from 'distkit/check';
 * formatModelCheckPath([{ kind: 'command', node: 'a', input: { type: 'request' } }, { kind: 'deliver', from: 'a', to: 'b', message: { type: 'req' } }]);
 * //=> '1. a: command {"type":"request"}\n2. a -> b: deliver {"type":"req"}'
 * ```
 */
export function formatModelCheckPath(path: readonly ModelCheckStep[]): string {
  return path
    .map((s, i) => {
      const n = `${i + 1}. `;
      switch (s.kind) {
        case 'deliver':
        case 'duplicate':
        case 'drop':
          return `${n}${s.from} -> ${s.to}: ${s.kind} ${canonicalJson(s.message)}${'crashBeforeSends' in s && s.crashBeforeSends ? `, then ${s.to} crashes before its sends` : ''}`;
        case 'command':
          return `${n}${s.node}: command ${canonicalJson(s.input)}${s.crashBeforeSends ? ', then crash before its sends' : ''}`;
        case 'timeout':
          return `${n}${s.node}: timeout at ${s.now}${s.crashBeforeSends ? ', then crash before its sends' : ''}`;
        case 'crash':
          return `${n}${s.node}: crash and restart`;
      }
    })
    .join('\n');
}
