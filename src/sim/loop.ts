// The event loop: pop the earliest event, hand it to the node (or the workload, or the fault
// injector) it concerns, apply the step's effects, check the invariants, decide whether to stop.
import { ConfigError, applyStep, describeValue, stampNow, type Effects, type NodeId } from '../core/index.js';
import { EventQueue, type DeliverEvent, type SimEvent, type TickEvent } from './events.js';
import { applyFault, faultSchedule } from './faults.js';
import { checkStep, errorText } from './invariants.js';
import { Network } from './network.js';
import { Nodes, type NodeRt } from './nodes.js';
import { Stats } from './stats.js';
import { Trace } from './trace.js';
import type { DropReason, Fault, MessageCounts, ScheduledFault, SimControl, SimulateOptions, StopReason, Violation } from './types.js';
import { WorkloadDriver, type ClientRt } from './workload.js';

/** One run of the simulator: its parts and the loop that drives them. */
export class Simulation {
  now = 0;
  stopReason: StopReason = 'quiescent';
  violation: Violation | undefined;
  readonly maxTimeMs: number;
  readonly queue = new EventQueue();
  readonly stats = new Stats();
  readonly trace: Trace;
  readonly nodes: Nodes;
  readonly net: Network;
  readonly workload: WorkloadDriver | undefined;
  readonly faults: readonly ScheduledFault[];
  readonly view: SimControl;
  readonly options: SimulateOptions<unknown, unknown>;
  private readonly maxSteps: number;
  private msgSeq = 0;

  constructor(options: SimulateOptions<unknown, unknown>) {
    this.options = options;
    this.maxTimeMs = options.maxTimeMs ?? 60_000;
    this.maxSteps = options.maxSteps ?? 10_000_000;
    this.trace = new Trace({ keepAll: options.trace ?? true, lastN: options.lastEvents ?? 50 });
    this.nodes = new Nodes(options, this.queue);
    const ids = this.nodes.ids;
    this.net = new Network({ seed: options.seed, ids, network: options.network, links: options.links });
    this.view = controlView(this);
    const w = options.workload;
    this.workload = w === undefined ? undefined : new WorkloadDriver({ workload: w, seed: options.seed, ids, queue: this.queue, trace: this.trace, isUp: this.view.isUp });
    this.faults = faultSchedule(options, ids, this.maxTimeMs);
  }

  /** Schedules faults, commands and clients, boots the nodes and runs until something stops it. */
  run(): void {
    for (const f of this.faults) this.queue.push(f.at, { kind: 'fault', fault: f.fault });
    for (const c of this.options.commands ?? []) this.queue.push(c.at, { kind: 'command', node: this.nodes.index(c.node)!, input: c.input });
    this.workload?.start();
    for (const nd of this.nodes.list) this.nodes.boot(nd);
    this.check();
    while (this.violation === undefined && this.next()) continue;
  }

  /** A violation report at the current step, with the last events and the options to replay. */
  violationAt(invariant: string, message: string): Violation {
    const { options, now, stats, trace } = this;
    return { invariant, message, seed: options.seed, time: now, step: stats.steps, lastEvents: trace.last(), replay: options };
  }

  // Ends the run with a violation at the current step.
  private fail(invariant: string, message: string): void {
    this.violation = this.violationAt(invariant, message);
    this.stopReason = 'violation';
  }

  // One event; false when the run stops.
  private next(): boolean {
    const q = this.queue.pop();
    if (q === undefined) return this.stop('quiescent');
    if (q.time > this.maxTimeMs) {
      this.now = this.maxTimeMs;
      return this.stop('maxTime');
    }
    this.now = q.time;
    if (!this.dispatch(q.event) || this.violation !== undefined) return true;
    this.check();
    if (this.violation !== undefined) return false;
    if (this.stats.steps >= this.maxSteps) return this.stop('maxSteps');
    if (this.options.stopWhen?.(this.view) === true) return this.stop('stopWhen');
    return true;
  }

  private stop(reason: StopReason): false {
    this.stopReason = reason;
    return false;
  }

  private check(): void {
    const failure = checkStep(this.options.invariants ?? [], this.view);
    if (failure !== undefined) this.fail(failure.invariant, failure.message);
  }

  // True when a machine stepped or a fault struck (then invariants are checked).
  private dispatch(e: SimEvent): boolean {
    switch (e.kind) {
      case 'deliver':
        return this.deliver(e);
      case 'tick':
        return this.tick(e);
      case 'command':
        return this.command(this.nodes.list[e.node]!, e.input, e);
      case 'fault':
        this.fault(e.fault);
        return true;
      case 'invoke':
        return this.invoke(e.client);
      case 'timeout':
        this.workload!.timeout(e.op, this.now);
        return false;
    }
  }

  private deliver(e: DeliverEvent): boolean {
    const nd = this.nodes.list[e.to]!;
    const from = this.nodes.list[e.from]!;
    const admission = this.nodes.admit(nd, e, this.net.isCut(e.from, e.to));
    if (admission === 'queued') return false;
    if (admission !== 'ready') {
      this.drop(from, nd.id, e.id, e.message, admission, e.counts);
      return false;
    }
    this.stats.delivered(e.counts, e.corrupted);
    if (this.trace.on) {
      const base = { kind: 'deliver', time: this.now, node: nd.id, from: from.id, id: e.id, message: e.message } as const;
      this.trace.record(e.corrupted ? { ...base, corrupted: true } : base);
    }
    this.step(nd, { type: 'message', from: from.id, message: e.message, now: this.nodes.localTime(nd, this.now) });
    return true;
  }

  private tick(e: TickEvent): boolean {
    const nd = this.nodes.list[e.node]!;
    if (!nd.up || e.timerGen !== nd.timerGen || nd.paused) return false;
    nd.armed = undefined;
    nd.lastTickTime = this.now;
    const local = this.nodes.localTime(nd, this.now);
    if (this.trace.on) this.trace.record({ kind: 'tick', time: this.now, node: nd.id, now: local });
    this.step(nd, { type: 'tick', now: local });
    return true;
  }

  private command(nd: NodeRt, input: unknown, e: SimEvent): boolean {
    const admission = this.nodes.admit(nd, e);
    if (admission === 'queued') return false;
    if (admission !== 'ready') {
      this.trace.record({ kind: 'command', time: this.now, node: nd.id, input, ignored: 'crashed' });
      return false;
    }
    this.trace.record({ kind: 'command', time: this.now, node: nd.id, input });
    this.step(nd, input);
    return true;
  }

  private invoke(client: ClientRt): boolean {
    const op = this.workload!.invoke(client, this.now);
    if (op === undefined) return false;
    const nd = this.nodes.byId(op.node);
    return this.command(nd, op.input, { kind: 'command', node: nd.index, input: op.input });
  }

  private fault(f: Fault): void {
    this.stats.faults++;
    this.trace.record({ kind: 'fault', time: this.now, fault: f });
    applyFault(f, this.nodes, this.net, this.now);
  }

  // Applies an input to a node: the heart of the loop. Every input carries the node's local time;
  // the shared runtime checks the transition's shape and orders its effects.
  private step(nd: NodeRt, input: unknown): void {
    this.stats.steps++;
    let fx: Effects<unknown, unknown>;
    try {
      fx = applyStep(nd.machine, nd.state, stampNow(input, this.nodes.localTime(nd, this.now)));
    } catch (e) {
      const what = describeValue((input as { type?: unknown } | null)?.type ?? input);
      this.fail('step threw', `${nd.machine.name} on node ${nd.id} threw ${errorText(e)} on input ${what}`);
      return;
    }
    this.nodes.update(nd, fx.state);
    if (fx.persist !== undefined) {
      // What a crash restarts from: the image the persist records built, not the live state.
      this.nodes.persist(nd, fx.persist.record);
      if (this.trace.on) this.trace.record({ kind: 'persist', time: this.now, node: nd.id });
      // The record is durable at once: its acknowledgement input (if any) is the node's next command.
      const ack = fx.persist.onDurable;
      if (ack !== undefined) this.queue.push(this.now, { kind: 'command', node: nd.index, input: ack });
    }
    for (const o of fx.sends) this.send(nd, o.to, o.message);
    for (const o of fx.events) this.emit(nd, o);
    this.nodes.arm(nd, this.now);
  }

  // An output that is neither a send nor a persist: counted, traced, handed to the hook and the workload.
  private emit(nd: NodeRt, output: unknown): void {
    const { now, options, stats, trace } = this;
    if ((output as { type: string }).type === 'rejected') stats.rejected++;
    if (trace.on) trace.record({ kind: 'output', time: now, node: nd.id, output });
    options.onOutput?.({ time: now, node: nd.id, output }, this.view);
    if (this.workload !== undefined && !this.workload.respond(nd.id, output, now)) stats.unmatchedResponses++;
  }

  private send(from: NodeRt, toId: unknown, message: unknown): void {
    const { now, stats, trace } = this;
    const id = this.msgSeq++;
    const counts = stats.sent(message);
    const to = typeof toId === 'string' ? this.nodes.index(toId) : undefined;
    if (to === undefined) {
      trace.record({ kind: 'send', time: now, node: from.id, to: String(toId), id, message });
      this.drop(from, String(toId), id, message, 'unknown-node', counts);
      return;
    }
    const copies = this.net.copies(from.index, to);
    if (copies === 2) stats.duplicated(counts);
    if (trace.on) trace.record(copies === 2 ? { kind: 'send', time: now, node: from.id, to: toId as NodeId, id, message, copies } : { kind: 'send', time: now, node: from.id, to: toId as NodeId, id, message });
    for (let c = 0; c < copies; c++) {
      const route = this.net.route(from.index, to, message, now);
      if ('dropped' in route) this.drop(from, toId as NodeId, id, message, route.dropped, counts);
      else this.queue.push(route.at, { kind: 'deliver', to, from: from.index, id, message: route.message, corrupted: route.corrupted, counts });
    }
  }

  private drop(from: NodeRt, to: NodeId, id: number, message: unknown, reason: DropReason, counts: MessageCounts): void {
    this.stats.dropped(counts);
    this.trace.record({ kind: 'drop', time: this.now, node: from.id, from: from.id, to, id, message, reason });
  }
}

// The view handed to invariants, `stopWhen` and `onOutput`, with `inject` for the hook.
function controlView(sim: Simulation): SimControl {
  const nodes = sim.nodes;
  const known = (id: NodeId, field: string): NodeRt => {
    const i = nodes.index(id);
    if (i === undefined) throw new ConfigError(field, `unknown node id ${describeValue(id)}`);
    return nodes.list[i]!;
  };
  return {
    get time() {
      return sim.now;
    },
    get steps() {
      return sim.stats.steps;
    },
    nodes: nodes.ids,
    states: nodes.states,
    isUp: (id) => nodes.isUp(id),
    isPaused: (id) => {
      const i = nodes.index(id);
      return i !== undefined && nodes.list[i]!.paused;
    },
    localTime: (id) => nodes.localTime(known(id, 'node'), sim.now),
    inject: (id, input, delayMs = 0) => {
      const nd = known(id, 'inject.node');
      if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new ConfigError('inject.delayMs', `must be a finite number >= 0, got ${describeValue(delayMs)}`);
      sim.queue.push(sim.now + delayMs, { kind: 'command', node: nd.index, input });
    },
  };
}
