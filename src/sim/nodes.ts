// The simulated nodes: each one's machine state, its durable image, whether it is up or paused
// (with the inputs a pause holds back), its clock and its one armed timer. The rules of crash,
// restart, pause and resume live here, once.
import { ConfigError, foldPersist, initialImage, restartState, type MaybeDurable, type NodeId } from '../core/index.js';
import { localTime, nodeClock, virtualTime, type NodeClock } from './clock.js';
import type { EventQueue, SimEvent } from './events.js';
import type { AnyMachine, SimNode, SimulateOptions } from './types.js';

type Durable = AnyMachine & MaybeDurable<unknown, unknown>;

/** One node while the run goes. */
export interface NodeRt {
  readonly id: NodeId;
  readonly index: number;
  readonly spec: SimNode;
  readonly machine: AnyMachine;
  state: unknown;
  up: boolean;
  paused: boolean;
  /** Inputs that arrived while paused, stepped in order on resume. */
  backlog: SimEvent[];
  durable: unknown;
  hasDurable: boolean;
  /** The deadline (local time) the node's tick is armed for. */
  armed: number | undefined;
  /** Bumped whenever the armed tick is replaced or cancelled; a tick of an older generation is stale. */
  timerGen: number;
  lastTickTime: number;
  readonly clock: NodeClock;
}

/** What becomes of an input that reaches a node: stepped now, held back, or lost and why. */
export type Admission = 'ready' | 'queued' | 'crashed' | 'partition';

/** The nodes of a run, by index and by id, and the live view of the states of those up. */
export class Nodes {
  readonly list: readonly NodeRt[];
  readonly ids: readonly NodeId[];
  // No prototype: node ids such as `constructor` or `__proto__` are ordinary keys.
  readonly states: Record<NodeId, unknown> = Object.create(null) as Record<NodeId, unknown>;
  private readonly indexOf: Map<NodeId, number>;
  private readonly queue: EventQueue;

  constructor(options: SimulateOptions<unknown, unknown>, queue: EventQueue) {
    this.queue = queue;
    this.ids = options.nodes.map((x) => x.id);
    this.indexOf = new Map(this.ids.map((id, i) => [id, i]));
    this.list = options.nodes.map((spec, index) => ({
      id: spec.id,
      index,
      spec,
      machine: spec.machine,
      state: undefined,
      up: true,
      paused: false,
      backlog: [],
      durable: undefined,
      hasDurable: false,
      armed: undefined,
      timerGen: 0,
      lastTickTime: -1,
      clock: nodeClock(options.clocks?.[spec.id]),
    }));
  }

  /** The index of a node id, or `undefined` for an unknown one. */
  index(id: NodeId): number | undefined {
    return this.indexOf.get(id);
  }

  /** The node with a known id. */
  byId(id: NodeId): NodeRt {
    return this.list[this.indexOf.get(id)!]!;
  }

  /** Whether the node with this id exists and is up. */
  isUp(id: NodeId): boolean {
    const i = this.indexOf.get(id);
    return i !== undefined && this.list[i]!.up;
  }

  /** Starts a node at time 0, or only validates its config when it starts down. */
  boot(nd: NodeRt): void {
    try {
      if (nd.spec.startDown === true) {
        if (!hasInitialState(nd)) nd.machine.init(nd.spec.config);
        nd.up = false;
      } else this.start(nd, false, 0);
    } catch (e) {
      // By shape, not class: the machine may come from another copy of distkit (a bundle).
      const field = e instanceof Error && e.name === 'ConfigError' ? (e as { field?: unknown }).field : undefined;
      if (typeof field === 'string') throw new ConfigError(`nodes[${nd.index}].config.${field}`, e instanceof Error ? e.message.slice(field.length + 2) : '');
      throw e;
    }
  }

  /** Brings a node up: from its durable image after a crash, else from its initial state. */
  start(nd: NodeRt, restart: boolean, now: number): void {
    const m = nd.machine as Durable;
    if (restart && nd.hasDurable) nd.state = restartState(m, nd.spec.config, nd.durable);
    else {
      nd.state = initialState(nd);
      // A given initial state's durable part is on disk; a node from init has nothing there yet.
      if (hasInitialState(nd) && m.durable !== undefined) {
        nd.durable = initialImage(m, nd.state);
        nd.hasDurable = true;
      }
    }
    nd.up = true;
    nd.paused = false;
    nd.armed = undefined;
    this.states[nd.id] = nd.state;
    this.arm(nd, now);
  }

  /** A crash: volatile state, held-back inputs and the armed timer are lost; the image stays. */
  crash(nd: NodeRt): void {
    nd.up = false;
    nd.paused = false;
    nd.backlog = [];
    nd.state = undefined;
    nd.armed = undefined;
    nd.timerGen++;
    delete this.states[nd.id];
  }

  /** A paused node steps the inputs it held back, in order, then runs normally. */
  resume(nd: NodeRt, now: number): void {
    nd.paused = false;
    const held = nd.backlog;
    nd.backlog = [];
    for (const e of held) this.queue.push(now, e);
    this.rearm(nd, now);
  }

  /**
   * The one rule for an input reaching a node: a crashed node loses it, a message across a cut
   * (`cut`) is lost too, a paused node holds it back until it resumes, else it is stepped now.
   */
  admit(nd: NodeRt, event: SimEvent, cut = false): Admission {
    if (!nd.up) return 'crashed';
    if (cut) return 'partition';
    if (!nd.paused) return 'ready';
    nd.backlog.push(event);
    return 'queued';
  }

  /** Records the node's new state after a step. */
  update(nd: NodeRt, state: unknown): void {
    nd.state = state;
    this.states[nd.id] = state;
  }

  /** Folds a persist record into the node's image: what a crash restarts it from. */
  persist(nd: NodeRt, record: unknown): void {
    const m = nd.machine as Durable;
    nd.durable = foldPersist(m, nd.durable, record, () => initialImage(m, initialState(nd)));
    nd.hasDurable = true;
  }

  /** Arms the node's timer afresh (after its clock changed or it resumed). */
  rearm(nd: NodeRt, now: number): void {
    nd.armed = undefined;
    this.arm(nd, now);
  }

  /** Arms one tick at the node's `nextDeadline`, converted to virtual time. */
  arm(nd: NodeRt, now: number): void {
    const fn = nd.machine.nextDeadline;
    if (fn === undefined || !nd.up) return;
    const d = fn.call(nd.machine, nd.state) as number | undefined;
    if (d === undefined || !Number.isFinite(d)) {
      if (nd.armed !== undefined) {
        nd.armed = undefined;
        nd.timerGen++;
      }
      return;
    }
    if (d === nd.armed) return;
    nd.armed = d;
    nd.timerGen++;
    let t = virtualTime(nd.clock, d);
    if (t < now) t = now;
    // A deadline the machine did not move past fires at most once per virtual millisecond.
    if (t <= nd.lastTickTime) t = nd.lastTickTime + 1;
    this.queue.push(t, { kind: 'tick', node: nd.index, timerGen: nd.timerGen });
  }

  /** What the node's clock reads at virtual time `now`. */
  localTime(nd: NodeRt, now: number): number {
    return localTime(nd.clock, now);
  }

  /** The states of the nodes up at the end (a copy). */
  finalStates(): Record<NodeId, unknown> {
    const out: Record<NodeId, unknown> = Object.create(null) as Record<NodeId, unknown>;
    for (const nd of this.list) if (nd.up) out[nd.id] = nd.state;
    return out;
  }
}

function hasInitialState(nd: NodeRt): boolean {
  return Object.prototype.hasOwnProperty.call(nd.spec, 'initialState');
}

function initialState(nd: NodeRt): unknown {
  return hasInitialState(nd) ? nd.spec.initialState : nd.machine.init(nd.spec.config);
}
