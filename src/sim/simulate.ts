import {
  ConfigError,
  Random,
  applyStep,
  describeValue,
  foldPersist,
  initialImage,
  restartState,
  stampNow,
  type Effects,
  type MaybeDurable,
  type NodeId,
} from '../core/index.js';
import type { History, Operation } from '../check/index.js';
import { EventHeap, SimEvent } from './heap.js';
import { drawNemesis } from './nemesis.js';
import { validateOptions } from './options.js';
import type {
  AnyMachine,
  DelayModel,
  DropReason,
  Fault,
  LinkOptions,
  MessageCounts,
  NodeOutput,
  ScheduledFault,
  SimControl,
  SimResult,
  SimStats,
  SimulateOptions,
  StopReason,
  TraceEvent,
  Violation,
  Workload,
} from './types.js';

// Event kinds.
const DELIVER = 0;
const TICK = 1;
const COMMAND = 2;
const FAULT = 3;
const INVOKE = 4;
const TIMEOUT = 5;

const DEFAULT_DELAY: DelayModel = { type: 'uniform', minMs: 1, maxMs: 10 };

interface Link {
  readonly delay: DelayModel;
  readonly loss: number;
  readonly duplicate: number;
  readonly corrupt: number;
  readonly reorder: number;
  readonly reorderMaxMs: number;
  readonly fifo: boolean;
}

interface NodeRt {
  readonly id: NodeId;
  readonly index: number;
  readonly machine: AnyMachine;
  readonly config: unknown;
  readonly initialState: unknown;
  readonly hasInitialState: boolean;
  state: unknown;
  up: boolean;
  paused: boolean;
  backlog: SimEvent[];
  durable: unknown;
  hasDurable: boolean;
  armed: number | undefined;
  timerGen: number;
  lastTickTime: number;
  skewMs: number;
  drift: number;
}

interface ClientRt {
  readonly base: string;
  name: string;
  renames: number;
  index: number;
  open: OpRt | undefined;
}

interface OpRt {
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

function roundMs(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function resolveLink(base: LinkOptions | undefined, overrides: readonly LinkOptions[]): Link {
  let delay = base?.delay ?? DEFAULT_DELAY;
  let loss = base?.loss ?? 0;
  let duplicate = base?.duplicate ?? 0;
  let corrupt = base?.corrupt ?? 0;
  let reorder = base?.reorder ?? 0;
  let reorderMaxMs = base?.reorderMaxMs ?? 50;
  let fifo = base?.fifo ?? false;
  for (const o of overrides) {
    if (o.delay !== undefined) delay = o.delay;
    if (o.loss !== undefined) loss = o.loss;
    if (o.duplicate !== undefined) duplicate = o.duplicate;
    if (o.corrupt !== undefined) corrupt = o.corrupt;
    if (o.reorder !== undefined) reorder = o.reorder;
    if (o.reorderMaxMs !== undefined) reorderMaxMs = o.reorderMaxMs;
    if (o.fifo !== undefined) fifo = o.fifo;
  }
  if (fifo && reorder > 0) throw new ConfigError('links', 'a link ends up both FIFO and reordering; drop reorder or fifo');
  return { delay, loss, duplicate, corrupt, reorder, reorderMaxMs, fifo };
}

function overrideLink(l: Link, o: LinkOptions): Link {
  return resolveLink(
    { delay: l.delay, loss: l.loss, duplicate: l.duplicate, corrupt: l.corrupt, reorder: l.reorder, reorderMaxMs: l.reorderMaxMs, fifo: l.fifo },
    [o],
  );
}

// Wrong-typed and out-of-range values a broken or hostile peer might send (all valid JSON).
const JUNK: readonly unknown[] = [null, -1, 1.5, 1e308, '', 'x', true, [], {}, { type: '?' }, [null]];

/** A corrupted copy of a message: a field removed or replaced, or the whole message replaced. */
function corruptMessage(rng: Random, m: unknown): unknown {
  const junk = JUNK[rng.int(0, JUNK.length)];
  if (m === null || typeof m !== 'object' || rng.float() < 0.15) return junk;
  if (Array.isArray(m)) {
    if (m.length === 0) return junk;
    const copy = m.slice();
    copy[rng.int(0, copy.length)] = junk;
    return copy;
  }
  const keys = Object.keys(m);
  if (keys.length === 0) return junk;
  const key = keys[rng.int(0, keys.length)]!;
  const copy: Record<string, unknown> = { ...(m as Record<string, unknown>) };
  if (rng.float() < 0.3) delete copy[key];
  else copy[key] = junk;
  return copy;
}

function messageType(m: unknown): string {
  if (m !== null && typeof m === 'object') {
    const t = (m as { type?: unknown }).type;
    if (typeof t === 'string') return t;
  }
  return '(untyped)';
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : describeValue(e);
}

/**
 * Runs a set of machines deterministically in virtual time and reports what happened.
 *
 * The simulator is a discrete-event loop over a priority queue keyed by (virtual time, sequence).
 * Each event is one of: a message delivery, a node's timer (a `tick` at the node's
 * `nextDeadline`), a local command, a fault, or a workload operation. After every input it
 * applies the machine's outputs — `send` goes through the network model (delay, loss, duplication,
 * reordering, partitions), `persist` updates the node's durable record, anything else is an event
 * recorded in the trace and passed to `onOutput` and the workload — re-arms the node's timer, and
 * checks the invariants. The first violation stops the run.
 *
 * Everything random comes from generators seeded by `options.seed`, so the same seed and options
 * always give the same trace, byte for byte (as JSON). The simulator never reads the real clock.
 *
 * A step that throws is reported as a violation of the pseudo-invariant `'step threw'`, with the
 * trace that led to it, so a crashing machine is as replayable as a wrong one.
 *
 * @throws `ConfigError` naming the field when an option is invalid (a negative rate, a loss
 * above 1, an unknown node id in a schedule...).
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { raft, raftSafetyInvariants } from 'distkit/consensus';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: raft, config: { id, voters, seed: id } }));
 * const result = simulate({
 *   seed: 42,
 *   nodes,
 *   network: { delay: { type: 'uniform', minMs: 1, maxMs: 20 }, loss: 0.1 },
 *   faults: [{ at: 50, fault: { type: 'crash', node: 'c' } }, { at: 400, fault: { type: 'restart', node: 'c' } }],
 *   invariants: raftSafetyInvariants(),
 *   maxTimeMs: 2000,
 * });
 * result.ok;                      //=> true
 * result.stats.messages.delivered; // how many messages arrived
 * ```
 */
export function simulate<I = unknown, O = unknown>(options: SimulateOptions<I, O>): SimResult<I, O> {
  validateOptions(options as SimulateOptions<unknown, unknown>);
  const seed = options.seed;
  const maxTimeMs = options.maxTimeMs ?? 60_000;
  const maxSteps = options.maxSteps ?? 10_000_000;
  const keepTrace = options.trace ?? true;
  const lastN = options.lastEvents ?? 50;
  const invariants = options.invariants ?? [];
  const stopWhen = options.stopWhen;
  const onOutput = options.onOutput;
  const workload = options.workload as Workload<unknown, unknown> | undefined;

  const rng = new Random(seed);
  const n = options.nodes.length;
  const ids: NodeId[] = options.nodes.map((x) => x.id);
  const indexOf = new Map<NodeId, number>(ids.map((id, i) => [id, i]));
  // No prototype: node ids such as `constructor` or `__proto__` are ordinary keys.
  const states: Record<NodeId, unknown> = Object.create(null) as Record<NodeId, unknown>;

  // Links, resolved once per ordered pair (one shared object when there are no overrides).
  const links: Link[] = new Array<Link>(n * n);
  const overrides = options.links ?? [];
  if (overrides.length === 0) links.fill(resolveLink(options.network, []));
  else {
    for (let f = 0; f < n; f++) {
      for (let t = 0; t < n; t++) {
        const ov = overrides.filter((l) => (l.from === undefined || l.from === ids[f]) && (l.to === undefined || l.to === ids[t]));
        links[f * n + t] = resolveLink(options.network, ov);
      }
    }
  }
  const configuredLinks = links.slice();
  const lastArrival = new Float64Array(n * n);
  // Network cuts: a group per node (partition) and one-way blocks.
  const group = new Int32Array(n);
  const oneWay = new Uint8Array(n * n);
  let anyCut = false;

  const nodes: NodeRt[] = options.nodes.map((spec, index) => {
    const clock = options.clocks?.[spec.id];
    const hasInitialState = Object.prototype.hasOwnProperty.call(spec, 'initialState');
    return {
      id: spec.id,
      index,
      machine: spec.machine,
      config: spec.config,
      initialState: spec.initialState,
      hasInitialState,
      state: undefined,
      up: true,
      paused: false,
      backlog: [],
      durable: undefined,
      hasDurable: false,
      armed: undefined,
      timerGen: 0,
      lastTickTime: -1,
      skewMs: clock?.skewMs ?? 0,
      drift: clock?.drift ?? 0,
    };
  });

  // Trace.
  const trace: TraceEvent[] = [];
  const ring: (TraceEvent | undefined)[] = new Array<TraceEvent | undefined>(lastN);
  let ringPos = 0;
  let ringCount = 0;
  // Skip building trace events at all when nothing keeps them.
  const tracing = keepTrace || lastN > 0;
  const record = (e: TraceEvent): void => {
    if (keepTrace) trace.push(e);
    else if (lastN > 0) {
      ring[ringPos] = e;
      ringPos = ringPos + 1 === lastN ? 0 : ringPos + 1;
      ringCount++;
    }
  };
  const lastEvents = (): TraceEvent[] => {
    if (keepTrace) return trace.slice(Math.max(0, trace.length - lastN));
    const out: TraceEvent[] = [];
    const count = Math.min(ringCount, lastN);
    for (let i = 0; i < count; i++) {
      const e = ring[(ringPos - count + i + lastN) % lastN];
      if (e !== undefined) out.push(e);
    }
    return out;
  };

  // Stats.
  const totals: MessageCounts = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, corrupted: 0 };
  const byType = new Map<string, MessageCounts>();
  const countsFor = (m: unknown): MessageCounts => {
    const t = messageType(m);
    let c = byType.get(t);
    if (c === undefined) {
      c = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, corrupted: 0 };
      byType.set(t, c);
    }
    return c;
  };
  let steps = 0;
  let faultCount = 0;
  let rejected = 0;
  let unmatchedResponses = 0;

  const heap = new EventHeap();
  let seq = 0;
  let now = 0;
  let msgSeq = 0;
  let violation: Violation | undefined;
  let stopReason: StopReason = 'quiescent';

  const push = (time: number, kind: number, node: number, from: number, data: unknown, id: number, gen: number): void => {
    heap.push(new SimEvent(time, seq++, kind, node, from, data, id, gen));
  };

  // Clocks.
  const localTime = (nd: NodeRt, t: number): number => nd.skewMs + t * (1 + nd.drift);
  const globalTime = (nd: NodeRt, local: number): number => {
    const k = 1 + nd.drift;
    let t = (local - nd.skewMs) / k;
    // Floating point may land a hair early; the node must see now >= its deadline.
    while (localTime(nd, t) < local) t += Math.max(Math.abs(t) * 1e-15, 1e-12);
    return t;
  };

  const view: SimControl = {
    get time() {
      return now;
    },
    get steps() {
      return steps;
    },
    nodes: ids,
    states,
    isUp: (id) => {
      const i = indexOf.get(id);
      return i !== undefined && nodes[i]!.up;
    },
    isPaused: (id) => {
      const i = indexOf.get(id);
      return i !== undefined && nodes[i]!.paused;
    },
    localTime: (id) => {
      const i = indexOf.get(id);
      if (i === undefined) throw new ConfigError('node', `unknown node id ${describeValue(id)}`);
      return localTime(nodes[i]!, now);
    },
    inject: (id, input, delayMs = 0) => {
      const i = indexOf.get(id);
      if (i === undefined) throw new ConfigError('inject.node', `unknown node id ${describeValue(id)}`);
      if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new ConfigError('inject.delayMs', `must be a finite number >= 0, got ${describeValue(delayMs)}`);
      push(now + delayMs, COMMAND, i, -1, input, -1, 0);
    },
  };

  const fail = (invariant: string, message: string): void => {
    violation = { invariant, message, seed, time: now, step: steps, lastEvents: lastEvents(), replay: options };
    stopReason = 'violation';
  };

  const checkInvariants = (): void => {
    for (let k = 0; k < invariants.length; k++) {
      const inv = invariants[k]!;
      let res: unknown;
      try {
        res = inv.check(states, view);
      } catch (e) {
        fail(inv.name, `the check threw ${errorText(e)}`);
        return;
      }
      if (res === false || typeof res === 'string') {
        fail(inv.name, res === false ? 'returned false' : res);
        return;
      }
    }
  };

  // Timers: one armed tick per node, at its nextDeadline converted to virtual time.
  const arm = (nd: NodeRt): void => {
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
    let t = globalTime(nd, d);
    if (t < now) t = now;
    // A deadline the machine did not move past fires at most once per virtual millisecond.
    if (t <= nd.lastTickTime) t = nd.lastTickTime + 1;
    push(t, TICK, nd.index, -1, undefined, -1, nd.timerGen);
  };

  // Workload bookkeeping.
  const ops: OpRt[] = [];
  const openOps = new Map<number, OpRt>();
  const clients: ClientRt[] = [];
  let lastHistoryTime = -Infinity;
  const historyTime = (): number => {
    let t = now;
    if (t <= lastHistoryTime) t = roundMs(lastHistoryTime + 0.001);
    lastHistoryTime = t;
    return t;
  };
  const wRandom = new Random(`${String(seed)}/workload`);
  const wOps = workload?.operations ?? 10;
  const wThink = workload?.thinkMs ?? 1;
  const wTimeout = workload?.timeoutMs ?? 1000;
  const nextOp = (c: ClientRt, at: number): void => {
    if (c.index < wOps) push(at, INVOKE, -1, -1, c, -1, 0);
  };
  const finishOp = (op: OpRt, nodeId: NodeId, completion: { id: number; output?: unknown; failed?: true }): void => {
    openOps.delete(op.id);
    if (completion.failed === true) {
      op.failed = true;
      record({ kind: 'fail', time: now, node: nodeId, client: op.clientName, op: op.id });
    } else {
      op.output = completion.output;
      op.ret = historyTime();
      record({ kind: 'complete', time: now, node: nodeId, client: op.clientName, op: op.id, output: completion.output });
    }
    op.client.open = undefined;
    nextOp(op.client, now + wThink);
  };

  // Network.
  const drop = (from: NodeRt, toId: NodeId, id: number, message: unknown, reason: DropReason, counts: MessageCounts): void => {
    totals.dropped++;
    counts.dropped++;
    record({ kind: 'drop', time: now, node: from.id, from: from.id, to: toId, id, message, reason });
  };
  const sampleDelay = (d: DelayModel): number => {
    switch (d.type) {
      case 'fixed':
        return d.ms;
      case 'uniform':
        return roundMs(d.minMs + rng.float() * (d.maxMs - d.minMs));
      case 'exponential':
        return roundMs((d.minMs ?? 0) + rng.exponential(d.meanMs));
    }
  };
  const cut = (f: number, t: number): boolean => anyCut && (group[f] !== group[t] || oneWay[f * n + t] === 1);
  const send = (from: NodeRt, toId: unknown, message: unknown): void => {
    const id = msgSeq++;
    const counts = countsFor(message);
    totals.sent++;
    counts.sent++;
    const to = typeof toId === 'string' ? indexOf.get(toId) : undefined;
    if (to === undefined) {
      record({ kind: 'send', time: now, node: from.id, to: String(toId), id, message });
      drop(from, String(toId), id, message, 'unknown-node', counts);
      return;
    }
    const li = from.index * n + to;
    const link = links[li]!;
    const copies = link.duplicate > 0 && rng.float() < link.duplicate ? 2 : 1;
    if (copies === 2) {
      if (tracing) record({ kind: 'send', time: now, node: from.id, to: toId as string, id, message, copies });
      totals.duplicated++;
      counts.duplicated++;
    } else if (tracing) record({ kind: 'send', time: now, node: from.id, to: toId as string, id, message });
    for (let c = 0; c < copies; c++) {
      if (cut(from.index, to)) {
        drop(from, toId as string, id, message, 'partition', counts);
        continue;
      }
      if (link.loss > 0 && rng.float() < link.loss) {
        drop(from, toId as string, id, message, 'loss', counts);
        continue;
      }
      let at = now + sampleDelay(link.delay);
      if (link.reorder > 0 && rng.float() < link.reorder) at = roundMs(at + rng.float() * link.reorderMaxMs);
      if (link.fifo) {
        if (at < lastArrival[li]!) at = lastArrival[li]!;
        lastArrival[li] = at;
      }
      if (link.corrupt > 0 && rng.float() < link.corrupt) {
        heap.push(new SimEvent(at, seq++, DELIVER, to, from.index, corruptMessage(rng, message), id, 1, counts));
      } else heap.push(new SimEvent(at, seq++, DELIVER, to, from.index, message, id, 0, counts));
    }
  };

  // Applying an input to a node: the heart of the loop. Every input carries the node's local time;
  // the shared runtime checks the transition's shape and orders its effects.
  const apply = (nd: NodeRt, input: unknown): void => {
    steps++;
    let fx: Effects<unknown, unknown>;
    try {
      fx = applyStep(nd.machine, nd.state, stampNow(input, localTime(nd, now)));
    } catch (e) {
      fail('step threw', `${nd.machine.name} on node ${nd.id} threw ${errorText(e)} on input ${describeValue((input as { type?: unknown } | null)?.type ?? input)}`);
      return;
    }
    nd.state = fx.state;
    states[nd.id] = nd.state;
    if (fx.persist !== undefined) {
      // What a crash restarts from: the image the persist records built, not the live state.
      const m = nd.machine as AnyMachine & MaybeDurable<unknown, unknown>;
      nd.durable = foldPersist(m, nd.durable, fx.persist.record, () =>
        initialImage(m, nd.hasInitialState ? nd.initialState : m.init(nd.config)),
      );
      nd.hasDurable = true;
      if (tracing) record({ kind: 'persist', time: now, node: nd.id });
    }
    for (const o of fx.sends) send(nd, o.to, o.message);
    for (const o of fx.events) {
      if ((o as { type: string }).type === 'rejected') rejected++;
      if (tracing) record({ kind: 'output', time: now, node: nd.id, output: o });
      if (onOutput !== undefined) {
        const ev: NodeOutput = { time: now, node: nd.id, output: o };
        onOutput(ev, view);
      }
      if (workload !== undefined) {
        const c = workload.complete(nd.id, o);
        if (c !== undefined) {
          const op = openOps.get(c.id);
          if (op !== undefined) finishOp(op, nd.id, c as { id: number; output?: unknown; failed?: true });
          else if (!(Number.isInteger(c.id) && c.id >= 0 && c.id < ops.length)) unmatchedResponses++;
        }
      }
    }
    arm(nd);
  };

  const start = (nd: NodeRt, restart: boolean): void => {
    const m = nd.machine as AnyMachine & MaybeDurable<unknown, unknown>;
    if (restart && nd.hasDurable) nd.state = restartState(m, nd.config, nd.durable);
    else {
      nd.state = nd.hasInitialState ? nd.initialState : m.init(nd.config);
      // A given initial state's durable part is on disk; a node from init has nothing there yet.
      if (nd.hasInitialState && m.durable !== undefined) {
        nd.durable = initialImage(m, nd.state);
        nd.hasDurable = true;
      }
    }
    nd.up = true;
    nd.paused = false;
    nd.armed = undefined;
    states[nd.id] = nd.state;
    arm(nd);
  };

  const resume = (nd: NodeRt): void => {
    nd.paused = false;
    const queued = nd.backlog;
    nd.backlog = [];
    for (const e of queued) {
      e.time = now;
      e.seq = seq++;
      heap.push(e);
    }
    nd.armed = undefined;
    arm(nd);
  };

  const applyFault = (f: Fault): void => {
    faultCount++;
    record({ kind: 'fault', time: now, fault: f });
    switch (f.type) {
      case 'crash': {
        const nd = nodes[indexOf.get(f.node)!]!;
        if (!nd.up) return;
        nd.up = false;
        nd.paused = false;
        nd.backlog = [];
        nd.state = undefined;
        nd.armed = undefined;
        nd.timerGen++;
        delete states[nd.id];
        return;
      }
      case 'restart': {
        const nd = nodes[indexOf.get(f.node)!]!;
        if (nd.up) return;
        start(nd, true);
        return;
      }
      case 'partition': {
        group.fill(f.groups.length);
        f.groups.forEach((g, gi) => {
          for (const id of g) group[indexOf.get(id)!] = gi;
        });
        anyCut = true;
        return;
      }
      case 'oneWay':
        oneWay[indexOf.get(f.from)! * n + indexOf.get(f.to)!] = 1;
        anyCut = true;
        return;
      case 'heal':
        group.fill(0);
        oneWay.fill(0);
        anyCut = false;
        return;
      case 'pause': {
        const nd = nodes[indexOf.get(f.node)!]!;
        if (nd.up) nd.paused = true;
        return;
      }
      case 'resume': {
        const nd = nodes[indexOf.get(f.node)!]!;
        if (nd.up && nd.paused) resume(nd);
        return;
      }
      case 'link': {
        const from = f.link.from === undefined ? -1 : indexOf.get(f.link.from)!;
        const to = f.link.to === undefined ? -1 : indexOf.get(f.link.to)!;
        for (let a = 0; a < n; a++) {
          if (from >= 0 && a !== from) continue;
          for (let b = 0; b < n; b++) {
            if (to >= 0 && b !== to) continue;
            links[a * n + b] = overrideLink(links[a * n + b]!, f.link);
          }
        }
        return;
      }
      case 'linkReset':
        for (let k = 0; k < links.length; k++) links[k] = configuredLinks[k]!;
        return;
      case 'clock': {
        const nd = nodes[indexOf.get(f.node)!]!;
        if (f.skewMs !== undefined) nd.skewMs = f.skewMs;
        if (f.drift !== undefined) nd.drift = f.drift;
        if (nd.up && !nd.paused) {
          nd.armed = undefined;
          arm(nd);
        }
        return;
      }
    }
  };

  // Schedule: faults (scripted + nemesis), commands, workload clients.
  const scripted = options.faults ?? [];
  const drawn = options.nemesis !== undefined ? drawNemesis(options.nemesis, ids, maxTimeMs, seed) : [];
  const faults: ScheduledFault[] = [...scripted.map((f, i) => ({ f, i })), ...drawn.map((f, i) => ({ f, i: scripted.length + i }))]
    .sort((a, b) => a.f.at - b.f.at || a.i - b.i)
    .map((x) => x.f);
  for (const f of faults) push(f.at, FAULT, -1, -1, f.fault, -1, 0);
  for (const c of options.commands ?? []) push(c.at, COMMAND, indexOf.get(c.node)!, -1, c.input, -1, 0);
  if (workload !== undefined) {
    const names = typeof workload.clients === 'number' ? Array.from({ length: workload.clients }, (_, i) => `c${i}`) : workload.clients;
    for (const base of names) {
      const c: ClientRt = { base, name: base, renames: 0, index: 0, open: undefined };
      clients.push(c);
      nextOp(c, workload.startMs ?? 0);
    }
  }

  // Boot every node at time 0 (nodes that start down only have their config validated).
  for (const nd of nodes) {
    try {
      if (options.nodes[nd.index]!.startDown === true) {
        if (!nd.hasInitialState) nd.machine.init(nd.config);
        nd.up = false;
      } else start(nd, false);
    } catch (e) {
      // By shape, not class: the machine may come from another copy of distkit (a bundle).
      const field = e instanceof Error && e.name === 'ConfigError' ? (e as { field?: unknown }).field : undefined;
      if (typeof field === 'string') throw new ConfigError(`nodes[${nd.index}].config.${field}`, e instanceof Error ? e.message.slice(field.length + 2) : '');
      throw e;
    }
  }
  checkInvariants();

  const wctx = {
    client: '',
    index: 0,
    time: 0,
    random: wRandom,
    nodes: ids,
    isUp: view.isUp,
  };

  // The event loop.
  while (violation === undefined) {
    const e = heap.pop();
    if (e === undefined) {
      stopReason = 'quiescent';
      break;
    }
    if (e.time > maxTimeMs) {
      stopReason = 'maxTime';
      now = maxTimeMs;
      break;
    }
    now = e.time;
    let stepped = false;
    switch (e.kind) {
      case DELIVER: {
        const nd = nodes[e.node]!;
        const from = nodes[e.from]!;
        const counts = e.counts as MessageCounts;
        if (!nd.up) {
          drop(from, nd.id, e.id, e.data, 'crashed', counts);
          break;
        }
        if (cut(e.from, e.node)) {
          drop(from, nd.id, e.id, e.data, 'partition', counts);
          break;
        }
        if (nd.paused) {
          nd.backlog.push(e);
          break;
        }
        totals.delivered++;
        counts.delivered++;
        if (e.gen === 1) {
          totals.corrupted++;
          counts.corrupted++;
          if (tracing) record({ kind: 'deliver', time: now, node: nd.id, from: from.id, id: e.id, message: e.data, corrupted: true });
        } else if (tracing) record({ kind: 'deliver', time: now, node: nd.id, from: from.id, id: e.id, message: e.data });
        apply(nd, { type: 'message', from: from.id, message: e.data, now: localTime(nd, now) });
        stepped = true;
        break;
      }
      case TICK: {
        const nd = nodes[e.node]!;
        if (!nd.up || e.gen !== nd.timerGen || nd.paused) break;
        nd.armed = undefined;
        nd.lastTickTime = now;
        const local = localTime(nd, now);
        if (tracing) record({ kind: 'tick', time: now, node: nd.id, now: local });
        apply(nd, { type: 'tick', now: local });
        stepped = true;
        break;
      }
      case COMMAND: {
        const nd = nodes[e.node]!;
        if (!nd.up) {
          record({ kind: 'command', time: now, node: nd.id, input: e.data, ignored: 'crashed' });
          break;
        }
        if (nd.paused) {
          nd.backlog.push(e);
          break;
        }
        record({ kind: 'command', time: now, node: nd.id, input: e.data });
        apply(nd, e.data);
        stepped = true;
        break;
      }
      case FAULT:
        applyFault(e.data as Fault);
        stepped = true;
        break;
      case INVOKE: {
        const c = e.data as ClientRt;
        const w = workload!;
        wctx.client = c.name;
        wctx.index = c.index;
        wctx.time = now;
        const next = w.generate(wctx);
        if (next === undefined) break;
        const target = indexOf.get(next.node);
        if (target === undefined) throw new ConfigError('workload.generate', `returned unknown node id ${describeValue(next.node)}`);
        c.index++;
        const op: OpRt = { id: ops.length, client: c, clientName: c.name, node: next.node, input: next.input, call: historyTime(), output: undefined, ret: undefined, failed: false };
        ops.push(op);
        openOps.set(op.id, op);
        c.open = op;
        record({ kind: 'invoke', time: now, node: next.node, client: c.name, op: op.id, input: next.input });
        push(now + wTimeout, TIMEOUT, target, -1, op, op.id, 0);
        const input = w.command({ id: op.id, client: c.name, input: next.input, node: next.node });
        const nd = nodes[target]!;
        if (!nd.up) {
          record({ kind: 'command', time: now, node: nd.id, input, ignored: 'crashed' });
          break;
        }
        if (nd.paused) {
          nd.backlog.push(new SimEvent(now, seq++, COMMAND, target, -1, input, -1, 0));
          break;
        }
        record({ kind: 'command', time: now, node: nd.id, input });
        apply(nd, input);
        stepped = true;
        break;
      }
      case TIMEOUT: {
        const op = e.data as OpRt;
        if (!openOps.has(op.id)) break;
        openOps.delete(op.id);
        record({ kind: 'timeout', time: now, node: op.node, client: op.clientName, op: op.id });
        const c = op.client;
        c.open = undefined;
        c.renames++;
        c.name = `${c.base}.${c.renames}`;
        nextOp(c, now + wThink);
        break;
      }
    }
    if (!stepped || violation !== undefined) continue;
    checkInvariants();
    if (violation !== undefined) break;
    if (steps >= maxSteps) {
      stopReason = 'maxSteps';
      break;
    }
    if (stopWhen !== undefined && stopWhen(view)) {
      stopReason = 'stopWhen';
      break;
    }
  }

  const history: Operation<I, O>[] = [];
  for (const op of ops) {
    if (op.failed) continue;
    if (op.ret === undefined) history.push({ id: op.id, client: op.clientName, input: op.input as I, call: op.call });
    else history.push({ id: op.id, client: op.clientName, input: op.input as I, call: op.call, output: op.output as O, ret: op.ret });
  }
  const stats: SimStats = {
    steps,
    timeMs: now,
    messages: totals,
    byType: Object.fromEntries([...byType.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    faults: faultCount,
    rejected,
    unmatchedResponses,
  };
  const finalStates: Record<NodeId, unknown> = Object.create(null) as Record<NodeId, unknown>;
  for (const nd of nodes) if (nd.up) finalStates[nd.id] = nd.state;
  if (violation === undefined && options.finalChecks !== undefined) {
    const end = { time: now, nodes: ids, states: finalStates, history: history as History<I, O>, stats, stopReason };
    for (const fc of options.finalChecks) {
      let res: unknown;
      try {
        res = fc.check(end);
      } catch (e) {
        res = `the check threw ${errorText(e)}`;
      }
      if (res === false || typeof res === 'string') {
        violation = { invariant: fc.name, message: res === false ? 'returned false' : res, seed, time: now, step: steps, lastEvents: lastEvents(), replay: options };
        break;
      }
    }
  }
  const base = {
    ok: violation === undefined,
    seed,
    nodes: ids,
    stopReason,
    trace: keepTrace ? trace : lastEvents(),
    stats,
    history: history as History<I, O>,
    states: finalStates,
    faults,
  };
  return violation === undefined ? base : { ...base, violation };
}
