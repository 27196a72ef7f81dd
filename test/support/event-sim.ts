// A small seeded, deterministic discrete-event driver for the mutex and election machines' tests:
// virtual time, random per-message delays (so messages reorder), optional loss and duplication,
// crashes and restarts, invariants checked after every step. The same seed always gives the same
// run. Every input is stamped with the virtual time and applied by the shared runtime
// (`checkedStep`, or `applyStep` when unchecked).
import { Random, applyStep, checkedStep, stampNow, type Machine, type NodeId } from 'distkit/core';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMachine = Machine<any, any, any, any>;

export interface SimOptions {
  seed: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Probability that a message is dropped. */
  lossRate?: number;
  /** Probability that a message is delivered twice (each copy with its own delay). */
  dupRate?: number;
  /** Which messages may be dropped (default all). */
  lossFilter?: (from: NodeId, to: NodeId, message: unknown) => boolean;
  /** Step through checkedStep (freeze + plain-data checks). Slower; default true. */
  checked?: boolean;
}

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

export type Output = { type: string; to?: NodeId; message?: unknown; from?: NodeId; reason?: string; [k: string]: unknown };

export class Sim {
  now = 0;
  readonly rng: Random;
  readonly states: Record<NodeId, unknown> = {};
  readonly machines: Record<NodeId, AnyMachine> = {};
  readonly crashed = new Set<NodeId>();
  /** Messages sent, by message type. */
  readonly sent: Record<string, number> = {};
  sentTotal = 0;
  dropped = 0;
  steps = 0;
  rejected: { node: NodeId; from: NodeId; reason: string }[] = [];
  private heap: Event[] = [];
  private seq = 0;
  private tickAt: Record<NodeId, number> = {};
  private readonly opts: Required<Omit<SimOptions, 'lossFilter'>> & { lossFilter: SimOptions['lossFilter'] | undefined };
  /** Called for every output that is not a send (after the state is updated). */
  onEvent: (node: NodeId, out: Output) => void = () => {};
  /** Called after every step; throw to report a violation. */
  invariant: () => void = () => {};
  /** Called for every send before delivery is scheduled; return false to drop it. */
  filter: (from: NodeId, to: NodeId, message: unknown) => boolean = () => true;

  constructor(opts: SimOptions) {
    this.opts = {
      seed: opts.seed,
      minDelayMs: opts.minDelayMs ?? 1,
      maxDelayMs: opts.maxDelayMs ?? 10,
      lossRate: opts.lossRate ?? 0,
      dupRate: opts.dupRate ?? 0,
      lossFilter: opts.lossFilter,
      checked: opts.checked ?? true,
    };
    this.rng = new Random(opts.seed);
  }

  add(id: NodeId, machine: AnyMachine, state: unknown): void {
    this.machines[id] = machine;
    this.states[id] = state;
    this.crashed.delete(id);
    this.armTick(id);
  }

  crash(id: NodeId): void {
    this.crashed.add(id);
    delete this.tickAt[id];
  }

  at(time: number, fn: () => void): void {
    this.push({ at: Math.max(time, this.now), seq: this.seq++, run: fn });
  }

  after(delay: number, fn: () => void): void {
    this.at(this.now + delay, fn);
  }

  /** Feeds one input to a node now (stamped with the virtual time) and performs its outputs. */
  input(id: NodeId, input: unknown): void {
    if (this.crashed.has(id)) return;
    const m = this.machines[id]!;
    const stamped = stampNow(input, this.now);
    const t = this.opts.checked ? checkedStep(m, this.states[id], stamped) : applyStep(m, this.states[id], stamped);
    this.states[id] = t.state;
    this.steps++;
    for (const o of t.outputs as Output[]) {
      if (o.type === 'send') this.send(id, o.to!, o.message);
      else {
        if (o.type === 'rejected') this.rejected.push({ node: id, from: o.from ?? '?', reason: o.reason ?? '?' });
        this.onEvent(id, o);
      }
    }
    this.invariant();
    this.armTick(id);
  }

  private send(from: NodeId, to: NodeId, message: unknown): void {
    const type = (message as { type?: string })?.type ?? '?';
    this.sent[type] = (this.sent[type] ?? 0) + 1;
    this.sentTotal++;
    if (!this.filter(from, to, message)) {
      this.dropped++;
      return;
    }
    const lossy = this.opts.lossFilter ? this.opts.lossFilter(from, to, message) : true;
    if (this.opts.lossRate > 0 && lossy && this.rng.float() < this.opts.lossRate) {
      this.dropped++;
      return;
    }
    const copies = this.opts.dupRate > 0 && this.rng.float() < this.opts.dupRate ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delay = this.opts.minDelayMs + this.rng.float() * (this.opts.maxDelayMs - this.opts.minDelayMs);
      this.after(delay, () => {
        if (this.crashed.has(to) || this.machines[to] === undefined) return;
        this.input(to, { type: 'message', from, message });
      });
    }
  }

  private armTick(id: NodeId): void {
    const m = this.machines[id]!;
    if (!m.nextDeadline || this.crashed.has(id)) return;
    let d = m.nextDeadline(this.states[id]);
    if (d === undefined) return;
    if (d <= this.now) d = this.now;
    const cur = this.tickAt[id];
    if (cur !== undefined && cur <= d && cur >= this.now) return;
    this.tickAt[id] = d;
    const when = d;
    this.at(when, () => {
      if (this.tickAt[id] !== when) return;
      delete this.tickAt[id];
      this.input(id, { type: 'tick', now: this.now });
      // A machine whose deadline stays in the past would spin: nudge it forward.
      const again = m.nextDeadline!(this.states[id]);
      if (again !== undefined && again <= this.now && this.tickAt[id] === this.now) {
        this.tickAt[id] = this.now + 1;
        const w = this.now + 1;
        this.at(w, () => {
          if (this.tickAt[id] !== w) return;
          delete this.tickAt[id];
          this.input(id, { type: 'tick', now: this.now });
        });
      }
    });
  }

  /** Ticks a node explicitly (for machines that want periodic ticks). */
  tick(id: NodeId): void {
    this.input(id, { type: 'tick', now: this.now });
  }

  /** Runs events until the queue is empty, `until` is reached, or `stop()` returns true. */
  run(until = Infinity, stop: () => boolean = () => false, maxEvents = 5_000_000): void {
    let n = 0;
    while (this.heap.length > 0 && !stop()) {
      const top = this.heap[0]!;
      if (top.at > until) break;
      this.pop();
      this.now = top.at;
      top.run();
      if (++n > maxEvents) throw new Error(`sim: more than ${maxEvents} events (livelock?) at t=${this.now}`);
    }
    if (until !== Infinity && this.now < until && !stop()) this.now = until;
  }

  get pending(): number {
    return this.heap.length;
  }

  private push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): Event {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export const ids = (n: number, prefix = 'n'): NodeId[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

// ---- mutual-exclusion workload ------------------------------------------------------------------

export interface MutexRunOptions {
  seed: number;
  /** Nodes that run the workload (request / enter / release). */
  clients: readonly NodeId[];
  /** Critical-section entries each client makes. */
  entriesPerClient: number;
  holdMaxMs?: number;
  thinkMaxMs?: number;
  checked?: boolean;
  lossRate?: number;
  dupRate?: number;
  lossFilter?: SimOptions['lossFilter'];
  /** Set up the nodes (sim.add) before the run. */
  setup: (sim: Sim) => void;
  /** Extra work per event output (e.g. checking fencing tokens). */
  onEvent?: (sim: Sim, node: NodeId, out: Output) => void;
  /** Stop after this virtual time. */
  untilMs?: number;
}

export interface MutexRunResult {
  entries: number;
  wanted: number;
  messages: number;
  sent: Record<string, number>;
  maxConcurrent: number;
  endMs: number;
  steps: number;
  rejected: number;
  sim: Sim;
  /** Longest time any request waited for entry. */
  maxWaitMs: number;
}

export class MutualExclusionViolation extends Error {}

/** Runs a request/enter/release workload and checks mutual exclusion after every step. */
export function runMutex(o: MutexRunOptions): MutexRunResult {
  const sim = new Sim({ seed: o.seed, checked: o.checked ?? true, lossRate: o.lossRate ?? 0, dupRate: o.dupRate ?? 0, ...(o.lossFilter ? { lossFilter: o.lossFilter } : {}) });
  o.setup(sim);
  const holdMax = o.holdMaxMs ?? 5;
  const thinkMax = o.thinkMaxMs ?? 20;
  const inCS = new Set<NodeId>();
  const remaining: Record<NodeId, number> = {};
  const requestedAt: Record<NodeId, number> = {};
  let entries = 0;
  let maxConcurrent = 0;
  let maxWaitMs = 0;
  const totalWanted = o.clients.length * o.entriesPerClient;
  const scheduleRequest = (id: NodeId): void => {
    if ((remaining[id] ?? 0) <= 0) return;
    sim.after(sim.rng.float() * thinkMax, () => {
      if (sim.crashed.has(id)) return;
      requestedAt[id] = sim.now;
      sim.input(id, { type: 'request' });
    });
  };
  sim.onEvent = (node, out) => {
    if (out.type === 'enter') {
      inCS.add(node);
      entries++;
      maxConcurrent = Math.max(maxConcurrent, inCS.size);
      maxWaitMs = Math.max(maxWaitMs, sim.now - (requestedAt[node] ?? sim.now));
      if (inCS.size > 1) throw new MutualExclusionViolation(`seed ${o.seed}: ${[...inCS].join(', ')} in the critical section at t=${sim.now}`);
      sim.after(1 + sim.rng.float() * holdMax, () => {
        if (!inCS.has(node) || sim.crashed.has(node)) return;
        inCS.delete(node);
        remaining[node] = (remaining[node] ?? 0) - 1;
        sim.input(node, { type: 'release' });
        scheduleRequest(node);
      });
    } else if (out.type === 'lease-lost' || out.type === 'coordinator-failed') {
      if (inCS.delete(node)) remaining[node] = (remaining[node] ?? 0) - 1;
      scheduleRequest(node);
    }
    o.onEvent?.(sim, node, out);
  };
  for (const c of o.clients) {
    remaining[c] = o.entriesPerClient;
    scheduleRequest(c);
  }
  sim.run(o.untilMs ?? Infinity, () => entries >= totalWanted && inCS.size === 0 && Object.values(remaining).every((r) => r <= 0));
  return {
    entries,
    wanted: totalWanted,
    messages: sim.sentTotal,
    sent: { ...sim.sent },
    maxConcurrent,
    endMs: sim.now,
    steps: sim.steps,
    rejected: sim.rejected.length,
    sim,
    maxWaitMs,
  };
}
