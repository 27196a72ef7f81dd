// A small seeded, deterministic driver for the txn machines: virtual time, a network with delay,
// loss and duplication, crash and restart from the folded persist image (the shared runtime's
// crash rule), and crash points placed at an exact step index of a node (before its persist,
// after its persist, after its sends). Every step goes through the shared runtime (applyStep or
// checkedStep, splitTransition, foldPersist, restartState), stamped with the world's time.
import {
  Random,
  applyStep,
  checkedStep,
  foldPersist,
  initialImage,
  messageInput,
  restartState,
  splitTransition,
  stampNow,
  type DurableMachine,
  type Machine,
} from 'distkit/core';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnyMachine = Machine<any, any, any, any> & Partial<Pick<DurableMachine<any, any, any, any, any>, 'durable' | 'recover' | 'applyPersist'>>;

export type CrashMode = 'beforePersist' | 'afterPersist' | 'afterSend';
export interface CrashPoint {
  node: string;
  step: number;
  mode: CrashMode;
  /** Down time before the node restarts from its durable state; Infinity = never. */
  downMs?: number;
}

export interface WorldOptions {
  seed?: number;
  loss?: number;
  duplicate?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  checked?: boolean;
  crashes?: readonly CrashPoint[];
  maxEvents?: number;
}

interface Node {
  id: string;
  machine: AnyMachine;
  config: unknown;
  state: any;
  stored: unknown;
  records: unknown[];
  up: boolean;
  steps: number;
  restartAt: number | null;
}

export interface TraceEvent {
  at: number;
  kind: 'send' | 'deliver' | 'drop' | 'crash' | 'recover' | 'output' | 'input';
  from?: string;
  to?: string;
  node?: string;
  data?: unknown;
}

interface Flight {
  at: number;
  seq: number;
  from: string;
  to: string;
  message: unknown;
}

export class World {
  now = 0;
  readonly nodes = new Map<string, Node>();
  readonly order: string[] = [];
  readonly trace: TraceEvent[] = [];
  readonly outputs: { at: number; node: string; output: any }[] = [];
  private flights: Flight[] = [];
  private seq = 0;
  private readonly rng: Random;
  private readonly scheduled: { at: number; seq: number; node: string; input: unknown }[] = [];
  private readonly opts: Required<Omit<WorldOptions, 'crashes' | 'seed'>> & { crashes: readonly CrashPoint[] };
  private cuts: Set<string> = new Set();
  events = 0;
  traceEnabled = true;

  constructor(opts: WorldOptions = {}) {
    this.rng = new Random(opts.seed ?? 1);
    this.opts = {
      loss: opts.loss ?? 0,
      duplicate: opts.duplicate ?? 0,
      minDelayMs: opts.minDelayMs ?? 1,
      maxDelayMs: opts.maxDelayMs ?? 10,
      checked: opts.checked ?? false,
      crashes: opts.crashes ?? [],
      maxEvents: opts.maxEvents ?? 200_000,
    };
  }

  add(id: string, machine: AnyMachine, config: unknown): this {
    const state = machine.init(config);
    this.nodes.set(id, {
      id,
      machine,
      config,
      state,
      stored: initialImage(machine, state),
      records: [],
      up: true,
      steps: 0,
      restartAt: null,
    });
    this.order.push(id);
    return this;
  }

  node(id: string): Node {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  state<S = any>(id: string): S {
    return this.node(id).state as S;
  }

  /** Schedules a local command (or any input) for a node at virtual time `at`. */
  schedule(at: number, node: string, input: unknown): this {
    this.scheduled.push({ at, seq: this.seq++, node, input });
    return this;
  }

  /** Cuts (or heals) the link between two groups of nodes, both directions. */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) {
      this.cuts.add(`${x}>${y}`);
      this.cuts.add(`${y}>${x}`);
    }
  }
  heal(): void {
    this.cuts.clear();
  }

  crash(id: string, downMs = Infinity): void {
    const n = this.node(id);
    n.up = false;
    n.restartAt = downMs === Infinity ? null : this.now + downMs;
    this.log({ at: this.now, kind: 'crash', node: id });
  }

  restart(id: string): void {
    const n = this.node(id);
    n.up = true;
    n.restartAt = null;
    n.state = restartState(n.machine, n.config, structuredClone(n.stored));
    this.log({ at: this.now, kind: 'recover', node: id });
  }

  private log(e: TraceEvent): void {
    if (this.traceEnabled) this.trace.push(e);
  }

  /** Feeds one input to a node and performs its outputs (subject to crash points). */
  input(id: string, input: unknown): void {
    const n = this.node(id);
    if (!n.up) return;
    const stamped = stampNow(input, this.now);
    const t = this.opts.checked ? splitTransition(n.machine.name, checkedStep(n.machine, n.state, stamped)) : applyStep(n.machine, n.state, stamped);
    const index = n.steps++;
    const crash = this.opts.crashes.find((c) => c.node === id && c.step === index);
    if (crash?.mode === 'beforePersist') {
      this.crash(id, crash.downMs ?? 500);
      return;
    }
    n.state = t.state;
    if (t.persist !== undefined) {
      n.stored = structuredClone(foldPersist(n.machine, n.stored, t.persist.record));
      // Log-structured machines persist a list of log records per transition: keep the records.
      const r = t.persist.record;
      if (Array.isArray(r)) n.records.push(...(r as unknown[]));
      else n.records.push(r);
    }
    if (crash?.mode === 'afterPersist') {
      this.crash(id, crash.downMs ?? 500);
      return;
    }
    for (const o of t.outputs as any[]) {
      if (o.type === 'send') this.send(id, o.to, o.message);
      else if (o.type !== 'persist') {
        this.outputs.push({ at: this.now, node: id, output: o });
        this.log({ at: this.now, kind: 'output', node: id, data: o });
      }
    }
    if (crash?.mode === 'afterSend') this.crash(id, crash.downMs ?? 500);
  }

  send(from: string, to: string, message: unknown): void {
    this.log({ at: this.now, kind: 'send', from, to, data: message });
    if (this.cuts.has(`${from}>${to}`) || this.rng.float() < this.opts.loss) {
      this.log({ at: this.now, kind: 'drop', from, to, data: message });
      return;
    }
    const copies = this.rng.float() < this.opts.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = this.now + this.rng.int(this.opts.minDelayMs, this.opts.maxDelayMs + 1);
      this.flights.push({ at, seq: this.seq++, from, to, message });
    }
  }

  /** Next event time, or undefined when nothing is pending. */
  private nextTime(): number | undefined {
    let t: number | undefined;
    const consider = (x: number | undefined | null): void => {
      if (x !== undefined && x !== null && (t === undefined || x < t)) t = x;
    };
    for (const f of this.flights) consider(f.at);
    for (const s of this.scheduled) consider(s.at);
    for (const id of this.order) {
      const n = this.node(id);
      if (n.up) consider(n.machine.nextDeadline?.(n.state));
      else consider(n.restartAt);
    }
    return t;
  }

  /** Processes one event; returns false when nothing is pending or the time limit is passed. */
  stepOnce(until = Infinity): boolean {
    const t = this.nextTime();
    if (t === undefined || t > until) return false;
    if (++this.events > this.opts.maxEvents) throw new Error(`world: more than ${this.opts.maxEvents} events`);
    this.now = Math.max(this.now, t);
    for (const id of this.order) {
      const n = this.node(id);
      if (!n.up && n.restartAt !== null && n.restartAt <= this.now) {
        this.restart(id);
        return true;
      }
    }
    const si = this.scheduled.findIndex((s) => s.at <= this.now);
    if (si >= 0) {
      const [s] = this.scheduled.splice(si, 1);
      this.log({ at: this.now, kind: 'input', node: s!.node, data: s!.input });
      this.input(s!.node, s!.input);
      return true;
    }
    let best = -1;
    for (let i = 0; i < this.flights.length; i++) {
      const f = this.flights[i]!;
      if (f.at <= this.now && (best < 0 || f.at < this.flights[best]!.at || (f.at === this.flights[best]!.at && f.seq < this.flights[best]!.seq))) best = i;
    }
    if (best >= 0) {
      const [f] = this.flights.splice(best, 1);
      const n = this.node(f!.to);
      if (!n.up || this.cuts.has(`${f!.from}>${f!.to}`)) {
        this.log({ at: this.now, kind: 'drop', from: f!.from, to: f!.to, data: f!.message });
        return true;
      }
      this.log({ at: this.now, kind: 'deliver', from: f!.from, to: f!.to, data: f!.message });
      this.input(f!.to, messageInput(f!.from, f!.message, this.now));
      return true;
    }
    for (const id of this.order) {
      const n = this.node(id);
      const d = n.up ? n.machine.nextDeadline?.(n.state) : undefined;
      if (d !== undefined && d <= this.now) {
        this.input(id, { type: 'tick', now: this.now });
        return true;
      }
    }
    return true;
  }

  run(until = Infinity, done?: () => boolean): this {
    while ((done === undefined || !done()) && this.stepOnce(until));
    if (until !== Infinity && this.now < until && (done === undefined || !done())) this.now = until;
    return this;
  }

  /** Outputs of one type emitted by a node. */
  emitted<T = any>(node: string, type: string): T[] {
    return this.outputs.filter((o) => o.node === node && o.output.type === type).map((o) => o.output as T);
  }
}
