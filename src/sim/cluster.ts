/**
 * A hand-driven cluster for tests: the same runtime as `createNode`, `simulate` and `modelCheck`,
 * stepped one decision at a time (deliver this, tick that, crash here), with a readable transcript
 * of everything that happened. Golden transcript tests run scripts through it.
 *
 * @packageDocumentation
 */
import {
  ConfigError,
  applyStep,
  checkedStep,
  foldPersist,
  getOwn,
  initialImage,
  restartState,
  splitTransition,
  stampNow,
  type Effects,
  type MaybeDurable,
  type NodeId,
  type SendOutput,
} from '../core/index.js';
import type { AnyMachine } from './types.js';

/**
 * One node of a {@link TestCluster}.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['a', 'b', 'c'];
 * const c = createTestCluster({ nodes: ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids } })) });
 * // Driven by hand: a asks for an election; c, the highest id, wins once messages flow.
 * c.input('a', { type: 'elect' });
 * c.stabilize();
 * ids.map((id) => (c.state(id) as { leader: string | null }).leader); //=> ['c', 'c', 'c']
 * ```
 */
export interface ClusterNode {
  /** The node id; `send` outputs address nodes by it. */
  readonly id: NodeId;
  /** The machine the node runs. */
  readonly machine: AnyMachine;
  /** Passed to `init` and `recover`. */
  readonly config: unknown;
}

/**
 * Options of {@link createTestCluster}.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['a', 'b', 'c'];
 * const c = createTestCluster({ nodes: ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids } })) });
 * // checked: every step is deep-frozen and checked for purity, as the contract requires.
 * c.input('c', { type: 'elect' }).map((o) => (o as { type: string }).type); //=> ['send', 'send', 'leader']
 * c.now; //=> 0
 * ```
 */
export interface ClusterOptions {
  /** The nodes. Ids unique and non-empty. */
  readonly nodes: readonly ClusterNode[];
  /** The clock's start (ms). Default 0. */
  readonly startMs?: number;
  /**
   * Step through `checkedStep` (deep-frozen inputs, plain data, persist rules, durable equality).
   * Default true.
   */
  readonly checked?: boolean;
}

/**
 * A message in flight in a {@link TestCluster}.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['a', 'b', 'c'];
 * const c = createTestCluster({ nodes: ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids } })) });
 * c.input('a', { type: 'elect' });
 * // Messages wait in flight until delivered or dropped: here a asks b and c.
 * c.inFlight; //=> [{ from: 'a', to: 'b', message: { type: 'election' } }, { from: 'a', to: 'c', message: { type: 'election' } }]
 * c.drop((m) => m.to === 'c');
 * ```
 */
export interface InFlight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: unknown;
}

/**
 * A cluster of machines driven by hand (see {@link createTestCluster}). Every method that steps a
 * node appends lines to `transcript` and returns the outputs of that step.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['a', 'b', 'c'];
 * const c = createTestCluster({ nodes: ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids } })) });
 * c.input('c', { type: 'elect' });
 * c.deliver();
 * c.transcript; //=> ['c < {"type":"elect"}', '  -> a {"type":"coordinator"}', '  -> b {"type":"coordinator"}', '  {"type":"leader","leader":"c"}', 'c -> a {"type":"coordinator"}', '  {"type":"leader","leader":"c"}', 'c -> b {"type":"coordinator"}', '  {"type":"leader","leader":"c"}']
 * ```
 */
export interface TestCluster {
  /** The cluster's clock (ms). Every input is stamped with it. */
  readonly now: number;
  /** Messages sent and not yet delivered or dropped, in send order. */
  readonly inFlight: readonly InFlight[];
  /** What happened, one line per input and output (see {@link formatClusterOutput}). */
  readonly transcript: string[];
  /** The node's current state; throws for a crashed or unknown node. */
  state(id: NodeId): unknown;
  /** The node's durable image: what a crash restarts it from (`undefined` before its first persist). */
  image(id: NodeId): unknown;
  /** Whether the node is up. */
  isUp(id: NodeId): boolean;
  /** Moves the clock forward by `ms` (no input is stepped). */
  advance(ms: number): void;
  /** Steps a local command (stamped with `now`) on a node; returns its outputs. */
  input(id: NodeId, command: unknown): readonly unknown[];
  /** Ticks a node at `now`; returns its outputs. */
  tick(id: NodeId): readonly unknown[];
  /**
   * Moves the clock to the earliest deadline of the given nodes (every up node by default) and
   * ticks each node due then. Returns false when no node has a deadline.
   */
  tickNext(ids?: readonly NodeId[]): boolean;
  /** Delivers the in-flight messages that match (default: all currently in flight), in order. */
  deliver(filter?: (m: InFlight) => boolean): number;
  /** Drops the in-flight messages that match. */
  drop(filter: (m: InFlight) => boolean): number;
  /** Delivers until nothing is in flight (at most `maxRounds` rounds, default 1,000). */
  stabilize(maxRounds?: number): void;
  /** Crashes a node: volatile state and its in-flight messages are lost. */
  crash(id: NodeId): void;
  /** Restarts a crashed node from its durable image (or `init`). */
  restart(id: NodeId): void;
}

interface NodeSlot {
  readonly spec: ClusterNode;
  state: unknown;
  image: unknown;
  up: boolean;
}

/**
 * Renders one output for a transcript: `send` as `-> to {message}`, `persist` as `persist
 * {record}`, anything else as its JSON.
 *
 * @example
 * ```ts
 * import { formatClusterOutput } from 'distkit/sim';
 * formatClusterOutput({ type: 'send', to: 'b', message: { type: 'ping' } }); //=> '-> b {"type":"ping"}'
 * ```
 */
export function formatClusterOutput(o: unknown): string {
  const x = o as { type?: unknown; to?: unknown; message?: unknown; record?: unknown };
  if (x.type === 'send') return `-> ${String(x.to)} ${JSON.stringify(x.message)}`;
  if (x.type === 'persist') return `persist ${JSON.stringify(x.record)}`;
  return JSON.stringify(o);
}

/**
 * Creates a hand-driven cluster: the shared runtime (`applyStep`, persist images, the restart
 * rule) under explicit control, in the style of etcd-io/raft's interaction environment. Use it
 * for scenario tests and golden transcripts; use `simulate` for random schedules.
 *
 * @throws ConfigError for an empty node list or a duplicate id.
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const c = createTestCluster({ nodes: [{ id: 'a', machine: bully, config: { id: 'a', nodes: ['a'] } }] });
 * c.isUp('a'); //=> true
 * ```
 */
export function createTestCluster(options: ClusterOptions): TestCluster {
  if (!Array.isArray(options.nodes) || options.nodes.length === 0) throw new ConfigError('nodes', 'must be a non-empty array');
  const slots: Record<NodeId, NodeSlot> = Object.create(null) as Record<NodeId, NodeSlot>;
  for (const [i, spec] of options.nodes.entries()) {
    if (typeof spec.id !== 'string' || spec.id === '') throw new ConfigError(`nodes[${i}].id`, 'must be a non-empty string');
    if (getOwn(slots, spec.id) !== undefined) throw new ConfigError(`nodes[${i}].id`, `duplicate node id ${JSON.stringify(spec.id)}`);
    const state: unknown = spec.machine.init(spec.config);
    slots[spec.id] = { spec, state, image: undefined, up: true };
  }
  return new HandCluster(slots, options.checked ?? true, options.startMs ?? 0);
}

class HandCluster implements TestCluster {
  inFlight: InFlight[] = [];
  readonly transcript: string[] = [];

  constructor(
    private readonly slots: Record<NodeId, NodeSlot>,
    private readonly checked: boolean,
    public now: number,
  ) {}

  state(id: NodeId): unknown {
    return this.upSlot(id).state;
  }

  image(id: NodeId): unknown {
    return this.slot(id).image;
  }

  isUp(id: NodeId): boolean {
    return this.slot(id).up;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new ConfigError('ms', `must be a finite non-negative number, got ${String(ms)}`);
    this.now += ms;
    this.transcript.push(`advance ${ms} (now ${this.now})`);
  }

  input(id: NodeId, command: unknown): readonly unknown[] {
    return this.step(id, command, `${id} < ${JSON.stringify(command)}`);
  }

  tick(id: NodeId): readonly unknown[] {
    return this.step(id, { type: 'tick' }, `${id} tick @${this.now}`);
  }

  tickNext(ids?: readonly NodeId[]): boolean {
    const candidates = ids ?? Object.keys(this.slots);
    let best: number | undefined;
    for (const id of candidates) {
      const d = this.deadline(id);
      if (d !== undefined && (best === undefined || d < best)) best = d;
    }
    if (best === undefined) return false;
    if (best > this.now) this.now = best;
    for (const id of candidates) {
      const d = this.deadline(id);
      if (d !== undefined && d <= this.now) this.tick(id);
    }
    return true;
  }

  deliver(filter?: (m: InFlight) => boolean): number {
    const batch = filter ? this.inFlight.filter(filter) : this.inFlight;
    this.inFlight = filter ? this.inFlight.filter((m) => !filter(m)) : [];
    for (const m of batch) this.deliverOne(m);
    return batch.length;
  }

  drop(filter: (m: InFlight) => boolean): number {
    const gone = this.inFlight.filter(filter);
    this.inFlight = this.inFlight.filter((m) => !filter(m));
    for (const m of gone) this.transcript.push(`${m.from} -> ${m.to} dropped ${JSON.stringify(m.message)}`);
    return gone.length;
  }

  stabilize(maxRounds = 1000): void {
    for (let round = 0; this.inFlight.length > 0; round++) {
      if (round >= maxRounds) throw new ConfigError('maxRounds', `messages still in flight after ${maxRounds} rounds`);
      this.deliver();
    }
  }

  crash(id: NodeId): void {
    const s = this.slot(id);
    s.up = false;
    s.state = undefined;
    this.inFlight = this.inFlight.filter((m) => m.to !== id);
    this.transcript.push(`${id} crash`);
  }

  restart(id: NodeId): void {
    const s = this.slot(id);
    if (s.up) throw new ConfigError('id', `node ${id} is up`);
    s.state = restartState(s.spec.machine as AnyMachine & MaybeDurable<unknown, unknown>, s.spec.config, s.image);
    s.up = true;
    this.transcript.push(`${id} restart`);
  }

  private slot(id: NodeId): NodeSlot {
    const s = getOwn(this.slots, id);
    if (s === undefined) throw new ConfigError('id', `unknown node ${JSON.stringify(id)}`);
    return s;
  }

  private upSlot(id: NodeId): NodeSlot {
    const s = this.slot(id);
    if (!s.up) throw new ConfigError('id', `node ${id} is down`);
    return s;
  }

  // The deadline of an up node (`undefined` for a down one or none).
  private deadline(id: NodeId): number | undefined {
    const s = this.slot(id);
    return s.up ? (s.spec.machine.nextDeadline?.(s.state) as number | undefined) : undefined;
  }

  private step(id: NodeId, input: unknown, label: string): readonly unknown[] {
    const s = this.upSlot(id);
    this.transcript.push(label);
    const stamped = stampNow(input, this.now);
    const m = s.spec.machine;
    const fx: Effects<unknown, unknown> = this.checked ? splitTransition(m.name, checkedStep(m, s.state, stamped)) : applyStep(m, s.state, stamped);
    s.state = fx.state;
    if (fx.persist !== undefined) {
      const d = m as AnyMachine & MaybeDurable<unknown, unknown>;
      s.image = foldPersist(d, s.image, fx.persist.record, () => initialImage(d, d.init(s.spec.config)));
    }
    for (const o of fx.outputs) this.transcript.push(`  ${formatClusterOutput(o)}`);
    for (const o of fx.sends as readonly SendOutput[]) this.inFlight.push({ from: id, to: o.to, message: o.message });
    // The record is durable at once: its acknowledgement input (if any) is stepped right away.
    const ack = fx.persist?.onDurable;
    if (ack !== undefined) return [...fx.outputs, ...this.step(id, ack, `${id} durable ${JSON.stringify(ack)}`)];
    return fx.outputs;
  }

  private deliverOne(m: InFlight): void {
    const target = getOwn(this.slots, m.to);
    if (target === undefined || !target.up) {
      this.transcript.push(`${m.from} -> ${m.to} lost (${target === undefined ? 'unknown node' : 'down'})`);
      return;
    }
    this.step(m.to, { type: 'message', from: m.from, message: m.message }, `${m.from} -> ${m.to} ${JSON.stringify(m.message)}`);
  }
}
