// The client workload: clients issue operations one at a time through local commands, a response
// output completes an operation, and a missing one times out. Invocations and responses make the
// history the checkers read.
import { ConfigError, Random, describeValue, type NodeId } from '../core/index.js';
import type { Operation } from '../check/index.js';
import { roundMs } from './clock.js';
import type { EventQueue } from './events.js';
import type { Trace } from './trace.js';
import type { Completion, Workload, WorkloadContext } from './types.js';

/** A client while the run goes. */
export interface ClientRt {
  readonly base: string;
  /** The name operations are recorded under (renamed after a timeout). */
  name: string;
  renames: number;
  /** Operations issued so far. */
  index: number;
  open: OpRt | undefined;
}

/** An operation while the run goes. */
export interface OpRt {
  readonly id: number;
  readonly client: ClientRt;
  readonly clientName: string;
  readonly node: NodeId;
  readonly input: unknown;
  readonly call: number;
  output: unknown;
  ret: number | undefined;
  failed: boolean;
}

/** What the workload driver needs from the run. */
export interface WorkloadOptions {
  readonly workload: Workload<unknown, unknown>;
  readonly seed: number | string;
  readonly ids: readonly NodeId[];
  readonly queue: EventQueue;
  readonly trace: Trace;
  isUp(node: NodeId): boolean;
}

/** An operation to hand to a node as a local command. */
export interface Invocation {
  readonly node: NodeId;
  readonly input: unknown;
}

/** Drives the clients of a workload and records their history. */
export class WorkloadDriver {
  private readonly w: Workload<unknown, unknown>;
  private readonly queue: EventQueue;
  private readonly trace: Trace;
  private readonly ids: readonly NodeId[];
  private readonly operations: number;
  private readonly thinkMs: number;
  private readonly timeoutMs: number;
  private readonly ops: OpRt[] = [];
  private readonly open = new Map<number, OpRt>();
  // One context object, refilled for every call to `generate`.
  private readonly ctx: { client: string; index: number; time: number; random: Random; nodes: readonly NodeId[]; isUp(node: NodeId): boolean };
  private lastHistoryTime = -Infinity;

  constructor(options: WorkloadOptions) {
    const w = options.workload;
    this.w = w;
    this.queue = options.queue;
    this.trace = options.trace;
    this.ids = options.ids;
    this.operations = w.operations ?? 10;
    this.thinkMs = w.thinkMs ?? 1;
    this.timeoutMs = w.timeoutMs ?? 1000;
    const random = new Random(`${String(options.seed)}/workload`);
    this.ctx = { client: '', index: 0, time: 0, random, nodes: options.ids, isUp: options.isUp };
  }

  /** Creates the clients and schedules their first operations. */
  start(): void {
    const w = this.w;
    const names = typeof w.clients === 'number' ? Array.from({ length: w.clients }, (_, i) => `c${i}`) : w.clients;
    for (const base of names) this.next({ base, name: base, renames: 0, index: 0, open: undefined }, w.startMs ?? 0);
  }

  /** The client's next operation, recorded as invoked now; `undefined` when the client is done. */
  invoke(c: ClientRt, now: number): Invocation | undefined {
    const ctx: WorkloadContext = Object.assign(this.ctx, { client: c.name, index: c.index, time: now });
    const next = this.w.generate(ctx);
    if (next === undefined) return undefined;
    if (!this.ids.includes(next.node)) throw new ConfigError('workload.generate', `returned unknown node id ${describeValue(next.node)}`);
    c.index++;
    const op: OpRt = { id: this.ops.length, client: c, clientName: c.name, node: next.node, input: next.input, call: this.historyTime(now), output: undefined, ret: undefined, failed: false };
    this.ops.push(op);
    this.open.set(op.id, op);
    c.open = op;
    this.trace.record({ kind: 'invoke', time: now, node: next.node, client: c.name, op: op.id, input: next.input });
    this.queue.push(now + this.timeoutMs, { kind: 'timeout', op });
    return { node: next.node, input: this.w.command({ id: op.id, client: c.name, input: next.input, node: next.node }) };
  }

  /** Completes the operation an output answers, if any; false for a response to no operation. */
  respond(node: NodeId, output: unknown, now: number): boolean {
    const c = this.w.complete(node, output) as (Completion<unknown> & { output?: unknown; failed?: true }) | undefined;
    if (c === undefined) return true;
    const op = this.open.get(c.id);
    if (op !== undefined) this.finish(op, node, c, now);
    // A late or repeated response to an issued operation is normal.
    return op !== undefined || (Number.isInteger(c.id) && c.id >= 0 && c.id < this.ops.length);
  }

  /** An operation without a response: its outcome stays unknown, its client goes on renamed. */
  timeout(op: OpRt, now: number): void {
    if (!this.open.delete(op.id)) return;
    this.trace.record({ kind: 'timeout', time: now, node: op.node, client: op.clientName, op: op.id });
    const c = op.client;
    c.open = undefined;
    c.renames++;
    c.name = `${c.base}.${c.renames}`;
    this.next(c, now + this.thinkMs);
  }

  /** The history: every operation but the failed ones, open ones without a response. */
  history<I, O>(): Operation<I, O>[] {
    const out: Operation<I, O>[] = [];
    for (const op of this.ops) {
      if (op.failed) continue;
      if (op.ret === undefined) out.push({ id: op.id, client: op.clientName, input: op.input as I, call: op.call });
      else out.push({ id: op.id, client: op.clientName, input: op.input as I, call: op.call, output: op.output as O, ret: op.ret });
    }
    return out;
  }

  private finish(op: OpRt, node: NodeId, completion: { output?: unknown; failed?: true }, now: number): void {
    this.open.delete(op.id);
    if (completion.failed === true) {
      op.failed = true;
      this.trace.record({ kind: 'fail', time: now, node, client: op.clientName, op: op.id });
    } else {
      op.output = completion.output;
      op.ret = this.historyTime(now);
      this.trace.record({ kind: 'complete', time: now, node, client: op.clientName, op: op.id, output: completion.output });
    }
    op.client.open = undefined;
    this.next(op.client, now + this.thinkMs);
  }

  private next(c: ClientRt, at: number): void {
    if (c.index < this.operations) this.queue.push(at, { kind: 'invoke', client: c });
  }

  // History times strictly increase, so the checkers see a total order of calls and returns.
  private historyTime(now: number): number {
    let t = now;
    if (t <= this.lastHistoryTime) t = roundMs(this.lastHistoryTime + 0.001);
    this.lastHistoryTime = t;
    return t;
  }
}
