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
 * import type { CheckableMachine } from 'distkit/check';
 * import type { Machine } from 'distkit/core';
 * declare const m: Machine<{ id: string }, { n: number }, { type: 'tick'; now: number }, never>;
 * const checkable: CheckableMachine<{ n: number }> = m;
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
 * import type { ModelCheckNode } from 'distkit/check';
 * import type { Machine } from 'distkit/core';
 * declare const pinger: Machine<{ peer: string }, { sent: number }, never, never>;
 * const node: ModelCheckNode<{ sent: number }> = { id: 'a', machine: pinger, config: { peer: 'b' } };
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
 * import type { ModelCheckCommand } from 'distkit/check';
 * const cmd: ModelCheckCommand = { node: 'a', input: { type: 'request' } };
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
 * import type { ModelCheckFaults } from 'distkit/check';
 * const faults: ModelCheckFaults = { loss: 1, crashes: 1 };
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
 * import { atMostOne } from 'distkit/core';
 * import type { ModelCheckOptions } from 'distkit/check';
 * declare const nodes: ModelCheckOptions<{ inCs: boolean }>['nodes'];
 * const options: ModelCheckOptions<{ inCs: boolean }> = {
 *   nodes,
 *   commands: [{ node: 'a', input: { type: 'request' } }, { node: 'b', input: { type: 'request' } }],
 *   invariants: [atMostOne('mutual exclusion', (s) => s.inCs)],
 *   maxDepth: 30,
 * };
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
 * import type { ModelCheckStep } from 'distkit/check';
 * const s: ModelCheckStep = { kind: 'deliver', from: 'a', to: 'b', message: { type: 'ping' } };
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
 * import { formatModelCheckPath, type ModelCheckViolation } from 'distkit/check';
 * declare const v: ModelCheckViolation<unknown>;
 * formatModelCheckPath(v.path);
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
 * import type { ModelCheckResult } from 'distkit/check';
 * declare const r: ModelCheckResult<unknown>;
 * if (r.status === 'complete') r.states; // the size of the whole state space
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

function nonNegInt(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(field, `must be a non-negative integer, got ${String(value)}`);
  }
  return value;
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
 * import { atMostOne, type Machine } from 'distkit/core';
 * // A lock server and two clients (machines defined elsewhere).
 * declare const server: Machine<null, { holder: string | null }, any, unknown>;
 * declare const client: Machine<null, { inCs: boolean }, any, unknown>;
 * const result = modelCheck<{ holder: string | null } | { inCs: boolean }>({
 *   nodes: [
 *     { id: 'server', machine: server, config: null },
 *     { id: 'a', machine: client, config: null },
 *     { id: 'b', machine: client, config: null },
 *   ],
 *   commands: [{ node: 'a', input: { type: 'acquire' } }, { node: 'b', input: { type: 'acquire' } }],
 *   invariants: [atMostOne('mutual exclusion', (s) => 'inCs' in s && s.inCs)],
 * });
 * result.status; // 'complete' when the protocol is safe, 'violation' (with result.violation.path) when not
 * ```
 */
export function modelCheck<S>(options: ModelCheckOptions<S>): ModelCheckResult<S> {
  const nodes = options.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ConfigError('nodes', 'must be a non-empty array');
  const ids = nodes.map((n) => n.id);
  const index = new Map<NodeId, number>();
  ids.forEach((id, i) => {
    if (typeof id !== 'string' || id === '') throw new ConfigError(`nodes[${i}].id`, 'must be a non-empty string');
    if (index.has(id)) throw new ConfigError(`nodes[${i}].id`, `duplicate node id ${JSON.stringify(id)}`);
    index.set(id, i);
  });
  const commandsPerNode: unknown[][] = nodes.map(() => []);
  (options.commands ?? []).forEach((c, i) => {
    const at = index.get(c.node);
    if (at === undefined) throw new ConfigError(`commands[${i}].node`, `unknown node ${JSON.stringify(c.node)}`);
    (commandsPerNode[at] as unknown[]).push(c.input);
  });
  const timeouts = options.timeouts ?? false;
  const timeoutNodes = new Uint8Array(nodes.length);
  if (timeouts === true) timeoutNodes.fill(1);
  else if (Array.isArray(timeouts)) {
    timeouts.forEach((id, i) => {
      const at = index.get(id);
      if (at === undefined) throw new ConfigError(`timeouts[${i}]`, `unknown node ${JSON.stringify(id)}`);
      timeoutNodes[at] = 1;
    });
  } else if (timeouts !== false) throw new ConfigError('timeouts', 'must be a boolean or a list of node ids');
  const channels = options.channels ?? 'unordered';
  if (channels !== 'unordered' && channels !== 'fifo') throw new ConfigError('channels', `must be 'unordered' or 'fifo', got ${String(channels)}`);
  const fifo = channels === 'fifo';
  const maxLoss = nonNegInt(options.faults?.loss, 'faults.loss', 0);
  const maxDup = nonNegInt(options.faults?.duplication, 'faults.duplication', 0);
  const maxCrash = nonNegInt(options.faults?.crashes, 'faults.crashes', 0);
  const maxDepth = nonNegInt(options.maxDepth, 'maxDepth', 50);
  const maxStates = nonNegInt(options.maxStates, 'maxStates', 100_000);
  const invariants = options.invariants ?? [];
  const atTerminal = options.atTerminal ?? [];
  const rejections = options.rejections ?? 'ignore';
  if (rejections !== 'ignore' && rejections !== 'violation') throw new ConfigError('rejections', `must be 'ignore' or 'violation', got ${String(rejections)}`);
  const failOnRejected = rejections === 'violation';

  // Fingerprints combine per-part hashes: a state's hash is computed once, when a step creates
  // it, and an envelope's when it is sent.
  const fingerprint = (w: World<S>): number => {
    let text = w.hashes.join(',') + '|' + w.imageHashes.join(',') + '|';
    for (const e of w.inflight) text += e.h + ',';
    text += '|' + w.cmd.join(',') + '|' + w.now.join(',') + '|' + w.lost + ',' + w.dup + ',' + w.crashed;
    return hash53(text);
  };
  const record = (w: World<S>): Record<NodeId, S> => {
    const r: Record<NodeId, S> = {};
    ids.forEach((id, i) => (r[id] = w.states[i] as S));
    return r;
  };
  // Every node is up in every state (a crash restarts at once); the time is the latest clock.
  const view = (w: World<S>): InvariantView => ({ time: Math.max(...w.now), nodes: ids, isUp: (node) => index.has(node) });
  const envelopeOrder = (a: Envelope, b: Envelope): number => {
    if (fifo) {
      // keep send order within a link; links in a canonical order
      if (a.from !== b.from) return a.from < b.from ? -1 : 1;
      if (a.to !== b.to) return a.to < b.to ? -1 : 1;
      return 0;
    }
    return a.h - b.h;
  };

  /**
   * Steps node i with input (stamped with the node's clock) through the shared runtime; returns
   * the new world with its sends in flight. With `crashBeforeSends` the node crashes right after
   * the step's persist: the image keeps the record, the sends are lost, the node restarts.
   */
  const stepNode = (
    w: World<S>,
    i: number,
    input: unknown,
    inflight: readonly Envelope[],
    patch: Partial<World<S>>,
    crashBeforeSends = false,
  ): World<S> => {
    const node = nodes[i] as ModelCheckNode<S>;
    const m = node.machine as CheckableMachine<S> & MaybeDurable<unknown, S>;
    let fx: Effects<S, unknown>;
    try {
      fx = applyStep(m, w.states[i] as S, stampNow(input, w.now[i] as number));
    } catch (err) {
      throw new MachineThrew(`${node.id} threw on ${canonicalJson(input)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (failOnRejected) {
      for (const o of fx.events) {
        const r = o as { type?: unknown; reason?: unknown };
        if (r.type === 'rejected') throw new MachineThrew(`${node.id} rejected ${canonicalJson(input)}: ${String(r.reason)}`, 'no rejected inputs');
      }
    }
    let images = w.images;
    let imageHashes = w.imageHashes;
    if (fx.persist !== undefined) {
      const image = foldPersist(m, w.images[i], fx.persist.record, () => initialImage(m, initialStates[i] as S));
      const nextImages = w.images.slice();
      nextImages[i] = image;
      const nextImageHashes = w.imageHashes.slice();
      nextImageHashes[i] = hash53(canonicalJson(image ?? null));
      images = nextImages;
      imageHashes = nextImageHashes;
    }
    let nextState = fx.state;
    let nextInflight = inflight as Envelope[];
    if (crashBeforeSends) {
      try {
        nextState = restartState(m, node.config, images[i]);
      } catch (err) {
        throw new MachineThrew(`${node.id} threw while restarting: ${err instanceof Error ? err.message : String(err)}`);
      }
      patch = { ...patch, crashed: w.crashed + 1 };
    } else {
      let copied = false;
      for (const o of fx.sends) {
        if (!index.has(o.to)) continue;
        if (!copied) {
          nextInflight = nextInflight.slice();
          copied = true;
        }
        nextInflight.push({ from: node.id, to: o.to, message: o.message, h: hash53(canonicalJson([node.id, o.to, o.message])) });
      }
      if (copied) nextInflight.sort(envelopeOrder); // stable: FIFO order per link survives
    }
    const states = w.states.slice();
    states[i] = nextState;
    const base = { ...w, ...patch, states, images, imageHashes, inflight: nextInflight };
    if (nextState === w.states[i]) return base;
    const nextHashes = w.hashes.slice();
    nextHashes[i] = hash53(canonicalJson(nextState));
    return { ...base, hashes: nextHashes };
  };

  const without = (list: readonly Envelope[], at: number): Envelope[] => {
    const copy = list.slice();
    copy.splice(at, 1);
    return copy;
  };

  const apply = (w: World<S>, c: Choice): World<S> => {
    switch (c.kind) {
      case 'deliver':
      case 'duplicate': {
        const e = w.inflight[c.at] as Envelope;
        const rest = c.kind === 'deliver' ? without(w.inflight, c.at) : w.inflight;
        const patch = c.kind === 'duplicate' ? { dup: w.dup + 1 } : {};
        return stepNode(w, index.get(e.to) as number, { type: 'message', from: e.from, message: e.message }, rest, patch, c.crashBeforeSends);
      }
      case 'drop':
        return { ...w, inflight: without(w.inflight, c.at), lost: w.lost + 1 };
      case 'command': {
        const cmd = w.cmd.slice();
        const k = cmd[c.node] as number;
        cmd[c.node] = k + 1;
        return stepNode(w, c.node, (commandsPerNode[c.node] as unknown[])[k], w.inflight, { cmd }, c.crashBeforeSends);
      }
      case 'timeout': {
        const now = w.now.slice();
        now[c.node] = c.now;
        return stepNode({ ...w, now }, c.node, { type: 'tick', now: c.now }, w.inflight, { now }, c.crashBeforeSends);
      }
      case 'crash': {
        const node = nodes[c.node] as ModelCheckNode<S>;
        const states = w.states.slice();
        try {
          // One crash rule everywhere: restart from what the node's persists made durable.
          states[c.node] = restartState(node.machine, node.config, w.images[c.node]);
        } catch (err) {
          throw new MachineThrew(`${node.id} threw while restarting: ${err instanceof Error ? err.message : String(err)}`);
        }
        const hashes = w.hashes.slice();
        hashes[c.node] = hash53(canonicalJson(states[c.node]));
        return { ...w, states, hashes, crashed: w.crashed + 1 };
      }
    }
  };

  // A crash inside a step (after its persist, before its sends) only differs from a crash before or
  // after the step for a machine that persists.
  const canCrashInside = (w: World<S>, i: number): boolean => w.crashed < maxCrash && (nodes[i] as ModelCheckNode<S>).machine.durable !== undefined;

  const choices = (w: World<S>): Choice[] => {
    const out: Choice[] = [];
    const inflight = w.inflight;
    for (let at = 0; at < inflight.length; at++) {
      const e = inflight[at] as Envelope;
      // identical copies lead to identical states: offer the first of each
      if (!fifo && at > 0 && (inflight[at - 1] as Envelope).h === e.h) continue;
      if (fifo && at > 0 && (inflight[at - 1] as Envelope).from === e.from && (inflight[at - 1] as Envelope).to === e.to) continue;
      out.push({ kind: 'deliver', at });
      if (canCrashInside(w, index.get(e.to) as number)) out.push({ kind: 'deliver', at, crashBeforeSends: true });
      if (w.dup < maxDup) out.push({ kind: 'duplicate', at });
      if (w.lost < maxLoss) out.push({ kind: 'drop', at });
    }
    for (let i = 0; i < nodes.length; i++) {
      if ((w.cmd[i] as number) < (commandsPerNode[i] as unknown[]).length) {
        out.push({ kind: 'command', node: i });
        if (canCrashInside(w, i)) out.push({ kind: 'command', node: i, crashBeforeSends: true });
      }
      if (timeoutNodes[i] === 1) {
        const m = (nodes[i] as ModelCheckNode<S>).machine;
        const d = m.nextDeadline?.(w.states[i] as S);
        if (d !== undefined) {
          out.push({ kind: 'timeout', node: i, now: Math.max(d, w.now[i] as number) });
          if (canCrashInside(w, i)) out.push({ kind: 'timeout', node: i, now: Math.max(d, w.now[i] as number), crashBeforeSends: true });
        }
      }
      if (w.crashed < maxCrash) out.push({ kind: 'crash', node: i });
    }
    return out;
  };

  const describe = (w: World<S>, c: Choice): ModelCheckStep => {
    switch (c.kind) {
      case 'deliver':
      case 'duplicate': {
        const e = w.inflight[c.at] as Envelope;
        const step = { kind: c.kind, from: e.from, to: e.to, message: e.message };
        return c.crashBeforeSends ? { ...step, crashBeforeSends: true } : step;
      }
      case 'drop': {
        const e = w.inflight[c.at] as Envelope;
        return { kind: c.kind, from: e.from, to: e.to, message: e.message };
      }
      case 'command': {
        const step = { kind: 'command' as const, node: ids[c.node] as NodeId, input: (commandsPerNode[c.node] as unknown[])[w.cmd[c.node] as number] };
        return c.crashBeforeSends ? { ...step, crashBeforeSends: true } : step;
      }
      case 'timeout': {
        const step = { kind: 'timeout' as const, node: ids[c.node] as NodeId, now: c.now };
        return c.crashBeforeSends ? { ...step, crashBeforeSends: true } : step;
      }
      case 'crash':
        return { kind: 'crash', node: ids[c.node] as NodeId };
    }
  };

  // Breadth-first search; worlds[k] was reached from worlds[parent[k]] by steps[k].
  const worlds: World<S>[] = [];
  const parent: number[] = [];
  const stepsTo: (ModelCheckStep | undefined)[] = [];
  const depthOf: number[] = [];
  const seen = new Set<number>();
  let transitions = 0;
  let terminal = 0;
  let maxDepthSeen = 0;
  let bound: 'depth' | 'states' | 'deadline' | undefined;

  const pathTo = (k: number): ModelCheckStep[] => {
    const path: ModelCheckStep[] = [];
    for (let at = k; at > 0; at = parent[at] as number) path.push(stepsTo[at] as ModelCheckStep);
    return path.reverse();
  };
  const result = (status: ModelCheckResult<S>['status'], violation?: ModelCheckViolation<S>): ModelCheckResult<S> => {
    const base = { status, states: seen.size, transitions, depth: maxDepthSeen, terminal };
    if (violation !== undefined) return { ...base, violation };
    return status === 'bounded' && bound !== undefined ? { ...base, bound } : base;
  };

  const initialStates = nodes.map((n) => ('initialState' in n && n.initialState !== undefined ? n.initialState : n.machine.init(n.config)));
  // A node started from init has nothing on disk yet (a crash before its first persist restarts
  // from init); one started from a given state has that state's durable part on disk.
  const initialImages = nodes.map((n, i) => ('initialState' in n && n.initialState !== undefined ? initialImage(n.machine, initialStates[i] as S) : undefined));
  const initial: World<S> = {
    states: initialStates,
    images: initialImages,
    imageHashes: initialImages.map((d) => (d === undefined ? 0 : hash53(canonicalJson(d)))),
    hashes: initialStates.map((st) => hash53(canonicalJson(st))),
    inflight: [],
    cmd: nodes.map(() => 0),
    now: nodes.map(() => 0),
    lost: 0,
    dup: 0,
    crashed: 0,
  };
  worlds.push(initial);
  parent.push(-1);
  stepsTo.push(undefined);
  depthOf.push(0);
  seen.add(fingerprint(initial));
  const v0 = checkInvariants(invariants, record(initial), view(initial));
  if (v0 !== undefined) return result('violation', { ...v0, path: [], states: record(initial) });

  for (let head = 0; head < worlds.length; head++) {
    const w = worlds[head] as World<S>;
    const depth = depthOf[head] as number;
    if ((head & 255) === 0 && options.deadline?.() === true) {
      bound = 'deadline';
      break;
    }
    const cs = choices(w);
    if (cs.length === 0) {
      terminal++;
      const v = atTerminal.length === 0 ? undefined : checkInvariants(atTerminal, record(w), view(w));
      if (v !== undefined) return result('violation', { ...v, path: pathTo(head), states: record(w) });
      continue;
    }
    if (depth >= maxDepth) {
      bound ??= 'depth';
      continue;
    }
    for (const c of cs) {
      transitions++;
      let next: World<S>;
      try {
        next = apply(w, c);
      } catch (err) {
        if (!(err instanceof MachineThrew)) throw err;
        const path = [...pathTo(head), describe(w, c)];
        return result('violation', { invariant: err.invariant, description: err.description, path, states: record(w) });
      }
      const fp = fingerprint(next);
      if (seen.has(fp)) continue;
      if (seen.size >= maxStates) {
        bound = 'states';
        return result('bounded');
      }
      seen.add(fp);
      const k = worlds.length;
      worlds.push(next);
      parent.push(head);
      stepsTo.push(describe(w, c));
      depthOf.push(depth + 1);
      if (depth + 1 > maxDepthSeen) maxDepthSeen = depth + 1;
      const v = checkInvariants(invariants, record(next), view(next));
      if (v !== undefined) return result('violation', { ...v, path: pathTo(k), states: record(next) });
    }
    // the frontier behind us is no longer needed except for paths: drop the world itself
    worlds[head] = undefined as unknown as World<S>;
  }
  return result(bound === undefined ? 'complete' : 'bounded');
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
