// A small seeded, deterministic cluster driver for Raft tests: virtual time, a lossy network that
// duplicates and reorders, partitions, crashes and restarts from the persisted image (the shared
// runtime's restart rule), and the five safety invariants of Raft (Figure 3) checked after every
// step. Every input goes through the shared runtime (`applyStep`, or `checkedStep` when given),
// stamped with the virtual time.
import { Random, applyStep, foldPersist, restartState, stampNow, type Unstamped } from 'distkit/core';
import {
  raft,
  raftEntries,
  raftLastIndex,
  type RaftConfig,
  type RaftDurable,
  type RaftEntry,
  type RaftInput,
  type RaftMessage,
  type RaftOutput,
  type RaftState,
} from 'distkit/consensus';

export interface NetworkOptions {
  lossRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export interface ClusterOptions {
  ids: readonly string[];
  seed: number;
  electionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  network?: Partial<NetworkOptions>;
  config?: Partial<RaftConfig>;
  /** Compact when this many applied entries are above the snapshot (0: never). */
  compactEvery?: number;
  /**
   * A disk that takes this long (ms, drawn per write) to make a persist record durable: records
   * wait in order, sends not marked `beforePersist` wait behind them, a crash loses what is not
   * yet durable, and a record's `onDurable` input is stepped when it lands. Absent: writes are
   * durable at once.
   */
  diskDelayMs?: readonly [number, number];
  /** Step every input through the given function (e.g. checkedStep). */
  stepper?: (state: RaftState, input: RaftInput) => { state: RaftState; outputs: readonly RaftOutput[] };
}

interface Event {
  at: number;
  seq: number;
  kind: 'deliver' | 'tick' | 'disk';
  incarnation?: number;
  to: string;
  from?: string;
  message?: RaftMessage;
}

export interface NodeSim {
  id: string;
  state: RaftState;
  disk: RaftDurable;
  up: boolean;
  /** The application: applied entries (this lifetime) and a toy state machine value. */
  app: { applied: number; digest: number };
  tickAt: number;
  incarnation: number;
  /** Ticks in a row at one virtual time (a host livelock if it grows). */
  sameTimeTicks: number;
  lastTickTime: number;
  /** Records written but not yet durable (with `diskDelayMs`), and the sends waiting behind them. */
  pending: { record: unknown; ack: unknown }[];
  held: { to: string; message: RaftMessage }[];
}

export class InvariantViolation extends Error {}

/** Heap of events ordered by (at, seq). */
class Queue {
  private items: Event[] = [];
  get size(): number {
    return this.items.length;
  }
  push(e: Event): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(a[i]!, a[p]!)) {
        [a[i], a[p]] = [a[p]!, a[i]!];
        i = p;
      } else break;
    }
  }
  peek(): Event | undefined {
    return this.items[0];
  }
  pop(): Event | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
const less = (x: Event, y: Event): boolean => x.at < y.at || (x.at === y.at && x.seq < y.seq);

const digestOf = (d: number, e: RaftEntry): number => (Math.imul(d ^ e.index, 0x01000193) + (typeof e.data === 'number' ? e.data : 7)) | 0;

export class Cluster {
  readonly nodes = new Map<string, NodeSim>();
  readonly rng: Random;
  now = 0;
  private seq = 0;
  private queue = new Queue();
  net: NetworkOptions;
  /** Partition groups: node -> group number; nodes in different groups cannot talk. */
  groups = new Map<string, number>();
  /** Invariant bookkeeping. */
  readonly leaders = new Map<number, string>();
  readonly committed = new Map<number, { term: number; data: string }>();
  maxCommitted = 0;
  readonly events: string[] = [];
  steps = 0;
  readonly configs: Map<string, RaftConfig>;
  private stepper: NonNullable<ClusterOptions['stepper']>;
  /** Extra observers of outputs. */
  onOutput?: (id: string, o: RaftOutput, c: Cluster) => void;
  readonly compactEvery: number;

  constructor(readonly opts: ClusterOptions) {
    this.rng = new Random(opts.seed);
    this.net = { lossRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 10, ...opts.network };
    this.stepper = opts.stepper ?? ((s, i) => applyStep(raft, s, i));
    this.compactEvery = opts.compactEvery ?? 0;
    this.configs = new Map();
    for (const id of opts.ids) {
      const config: RaftConfig = {
        id,
        voters: opts.ids,
        seed: opts.seed,
        electionTimeoutMs: opts.electionTimeoutMs ?? 100,
        heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 20,
        ...opts.config,
      };
      this.configs.set(id, config);
      const state = raft.init(config);
      this.nodes.set(id, { id, state, disk: raft.durable(state), up: true, app: { applied: 0, digest: 0 }, tickAt: -1, incarnation: 0, sameTimeTicks: 0, lastTickTime: -1, pending: [], held: [] });
    }
    for (const id of opts.ids) this.scheduleTick(this.nodes.get(id)!);
  }

  node(id: string): NodeSim {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  leader(): NodeSim | undefined {
    let best: NodeSim | undefined;
    for (const n of this.nodes.values()) {
      if (n.up && n.state.role === 'leader' && (!best || n.state.term > best.state.term)) best = n;
    }
    return best;
  }

  /** Feeds one input to a node, performs its outputs and checks the invariants. */
  input(id: string, input: RaftInput | Unstamped<RaftInput>): readonly RaftOutput[] {
    const n = this.node(id);
    if (!n.up) return [];
    const prev = n.state;
    const t = this.stepper(prev, stampNow(input, this.now) as RaftInput);
    this.steps++;
    n.state = t.state;
    for (const o of t.outputs) this.perform(n, o);
    this.checkStep(n, prev);
    this.scheduleTick(n);
    return t.outputs;
  }

  private perform(n: NodeSim, o: RaftOutput): void {
    switch (o.type) {
      case 'persist':
        if (this.opts.diskDelayMs === undefined) n.disk = foldPersist(raft, n.disk, o.record) as RaftDurable;
        else this.write(n, o.record, o.onDurable);
        break;
      case 'send':
        // A send waits behind records not yet durable unless the machine says it need not, and
        // never overtakes a send already waiting.
        if (n.held.length > 0 || (n.pending.length > 0 && o.beforePersist !== true)) n.held.push({ to: o.to, message: o.message });
        else this.transmit(n.id, o.to, o.message);
        break;
      case 'apply':
        for (const e of o.entries) this.applyEntry(n, e);
        if (this.compactEvery > 0 && n.app.applied - n.state.log.snapshotIndex >= this.compactEvery) {
          const t = applyStep(raft, n.state, { type: 'compact', index: n.app.applied, data: { digest: n.app.digest }, now: this.now });
          n.state = t.state;
          for (const x of t.outputs) this.perform(n, x);
        }
        break;
      case 'restore': {
        const data = o.snapshot.data as { digest?: number } | null;
        n.app = { applied: o.snapshot.index, digest: data?.digest ?? 0 };
        break;
      }
      case 'role':
        if (o.role === 'leader') this.events.push(`${this.now} ${n.id} leader t${o.term}`);
        break;
      default:
        break;
    }
    this.onOutput?.(n.id, o, this);
  }

  /** Queues a record on the slow disk; the first one pending schedules the sync. */
  private write(n: NodeSim, record: unknown, ack: unknown): void {
    if (n.pending.length === 0) {
      const [min, max] = this.opts.diskDelayMs!;
      this.queue.push({ at: this.now + this.rng.int(min, max + 1), seq: this.seq++, kind: 'disk', to: n.id, incarnation: n.incarnation });
    }
    n.pending.push({ record, ack });
  }

  /** The sync lands: every pending record is durable, the held sends leave, the acks are stepped. */
  private sync(n: NodeSim): void {
    const done = n.pending.splice(0);
    for (const w of done) n.disk = foldPersist(raft, n.disk, w.record) as RaftDurable;
    for (const m of n.held.splice(0)) this.transmit(n.id, m.to, m.message);
    for (const w of done) if (w.ack !== undefined) this.input(n.id, w.ack as RaftInput);
  }

  private applyEntry(n: NodeSim, e: RaftEntry): void {
    // State machine safety, plus "in order, exactly once": each apply continues the last.
    if (e.index !== n.app.applied + 1) {
      throw new InvariantViolation(`${n.id} applied index ${e.index} after ${n.app.applied} (seed ${this.opts.seed})`);
    }
    const key = JSON.stringify(e.data) + (e.kind ?? '');
    const prior = this.committed.get(e.index);
    if (prior === undefined) {
      this.committed.set(e.index, { term: e.term, data: key });
      if (e.index > this.maxCommitted) this.maxCommitted = e.index;
    } else if (prior.term !== e.term || prior.data !== key) {
      throw new InvariantViolation(
        `state machine safety: ${n.id} applied ${e.index}@t${e.term} but t${prior.term} was applied elsewhere (seed ${this.opts.seed})`,
      );
    }
    n.app.applied = e.index;
    n.app.digest = digestOf(n.app.digest, e);
  }

  private transmit(from: string, to: string, message: RaftMessage): void {
    if (!this.nodes.has(to)) return;
    if (this.rng.float() < this.net.lossRate) return;
    const copies = this.rng.float() < this.net.duplicateRate ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      const delay = this.rng.int(this.net.minDelayMs, this.net.maxDelayMs + 1);
      this.queue.push({ at: this.now + delay, seq: this.seq++, kind: 'deliver', to, from, message });
    }
  }

  private scheduleTick(n: NodeSim): void {
    if (!n.up) return;
    const at = Math.max(this.now, raft.nextDeadline!(n.state) ?? Infinity);
    if (at === n.tickAt) return;
    n.tickAt = at;
    this.queue.push({ at, seq: this.seq++, kind: 'tick', to: n.id });
  }

  /** Runs events up to (and including) virtual time `until`. */
  runUntil(until: number): void {
    for (;;) {
      const e = this.queue.peek();
      if (!e || e.at > until) break;
      this.queue.pop();
      this.now = Math.max(this.now, e.at);
      const n = this.nodes.get(e.to);
      if (!n || !n.up) continue;
      if (e.kind === 'disk') {
        if (e.incarnation === n.incarnation) this.sync(n);
      } else if (e.kind === 'tick') {
        if (e.at !== n.tickAt) continue;
        n.tickAt = -1;
        n.sameTimeTicks = this.now === n.lastTickTime ? n.sameTimeTicks + 1 : 0;
        n.lastTickTime = this.now;
        // A machine whose nextDeadline stays at a time its tick does not move past.
        if (n.sameTimeTicks > 1000) this.fail(`liveness: ${n.id} asks for a tick at ${this.now} again and again`);
        this.input(n.id, { type: 'tick', now: this.now });
      } else {
        if ((this.groups.get(e.from!) ?? 0) !== (this.groups.get(e.to) ?? 0)) continue;
        this.input(n.id, { type: 'message', from: e.from!, message: e.message, now: this.now });
      }
    }
    this.now = Math.max(this.now, until);
  }

  /** Runs until `cond` holds or `until` passes; returns whether it held. */
  runUntilCondition(cond: () => boolean, until: number, stepMs = 5): boolean {
    while (this.now < until) {
      if (cond()) return true;
      this.runUntil(Math.min(until, this.now + stepMs));
    }
    return cond();
  }

  crash(id: string): void {
    const n = this.node(id);
    if (!n.up) return;
    n.up = false;
    // What the disk had not made durable is gone, and so are the sends waiting for it.
    n.pending = [];
    n.held = [];
    n.incarnation++;
    this.events.push(`${this.now} ${id} crash`);
  }

  restart(id: string): void {
    const n = this.node(id);
    if (n.up) return;
    // Recover from what was persisted; the application restarts from the snapshot.
    n.state = restartState(raft, this.configs.get(id)!, n.disk);
    const snap = n.disk.snapshot;
    n.app = { applied: snap.index, digest: (snap.data as { digest?: number } | null)?.digest ?? 0 };
    n.up = true;
    n.tickAt = -1;
    n.incarnation++;
    this.events.push(`${this.now} ${id} restart`);
    this.checkStep(n, n.state);
    this.scheduleTick(n);
  }

  partition(groups: readonly (readonly string[])[]): void {
    this.groups.clear();
    groups.forEach((g, i) => g.forEach((id) => this.groups.set(id, i)));
    this.events.push(`${this.now} partition ${groups.map((g) => g.join('')).join('|')}`);
  }

  heal(): void {
    this.groups.clear();
  }

  // ---- invariants (Raft Figure 3) ---------------------------------------------------------------

  private fail(what: string): never {
    throw new InvariantViolation(`${what} (seed ${this.opts.seed}, t=${this.now}, step ${this.steps})\n${this.events.slice(-15).join('\n')}`);
  }

  private checkStep(n: NodeSim, prev: RaftState): void {
    const s = n.state;
    // Election safety: at most one leader per term.
    if (s.role === 'leader') {
      const other = this.leaders.get(s.term);
      if (other === undefined) this.leaders.set(s.term, n.id);
      else if (other !== n.id) this.fail(`election safety: ${other} and ${n.id} both lead term ${s.term}`);
    }
    // Leader append-only: a leader never overwrites or deletes entries in its term.
    if (prev.role === 'leader' && s.role === 'leader' && prev.term === s.term && prev !== s) {
      const lo = Math.max(prev.log.snapshotIndex, s.log.snapshotIndex) + 1;
      const hi = raftLastIndex(prev.log);
      if (raftLastIndex(s.log) < hi) this.fail(`leader append-only: ${n.id} shrank its log`);
      for (let i = Math.max(lo, hi - 64); i <= hi; i++) {
        if (termOf(prev, i) !== termOf(s, i)) this.fail(`leader append-only: ${n.id} rewrote index ${i}`);
      }
    }
    // Leader completeness: a leader's log holds every committed entry.
    if (s.role === 'leader' && prev.role !== 'leader') {
      if (raftLastIndex(s.log) < this.maxCommitted) this.fail(`leader completeness: ${n.id} lacks committed entries up to ${this.maxCommitted}`);
      for (const e of raftEntries(s.log)) {
        const c = this.committed.get(e.index);
        if (c !== undefined && c.term !== e.term) this.fail(`leader completeness: ${n.id} has ${e.index}@t${e.term}, committed t${c.term}`);
      }
    }
    // Commit never beyond the log, applied never beyond commit.
    if (s.commit > raftLastIndex(s.log) || s.applied > s.commit) this.fail(`${n.id}: commit ${s.commit} / applied ${s.applied} out of range`);
    // Log matching: same index and term => identical prefixes.
    if (s !== prev) for (const o of this.nodes.values()) if (o !== n) this.checkLogMatching(n, o);
  }

  private checkLogMatching(a: NodeSim, b: NodeSim): void {
    const la = a.state.log;
    const lb = b.state.log;
    const lo = Math.max(la.snapshotIndex, lb.snapshotIndex) + 1;
    const hi = Math.min(raftLastIndex(la), raftLastIndex(lb));
    let matched = false;
    for (let i = hi; i >= lo; i--) {
      const ta = termOf(a.state, i);
      const tb = termOf(b.state, i);
      if (matched) {
        if (ta !== tb) this.fail(`log matching: ${a.id} and ${b.id} differ at ${i} below a matching entry`);
      } else if (ta === tb) {
        matched = true;
      }
    }
  }
}

function termOf(s: RaftState, i: number): number {
  const log = s.log;
  if (i === log.snapshotIndex) return log.snapshotTerm;
  if (i < log.snapshotIndex || i > raftLastIndex(log)) return -1;
  return log.entries[log.start + i - log.snapshotIndex - 1]!.term;
}

/** Checks the final state: every up node's applied prefix agrees with the committed record. */
export function checkConverged(c: Cluster): void {
  for (const n of c.nodes.values()) {
    for (const e of raftEntries(n.state.log, 1, n.state.commit)) {
      const k = c.committed.get(e.index);
      if (k !== undefined && k.term !== e.term) throw new InvariantViolation(`${n.id} committed ${e.index}@t${e.term} vs t${k.term}`);
    }
  }
}
