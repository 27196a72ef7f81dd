/**
 * Delta-interval anti-entropy with causal consistency (Almeida, Shoker and Baquero, "Delta State
 * Replicated Data Types", arXiv:1603.01529, §6, Algorithm 2) as a machine, with causal-stability
 * tracking to collect metadata every replica has seen.
 *
 * @packageDocumentation
 */
import type { DurableMachine, MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput, Transition } from '../core/index.js';
import {
  InvalidCommandError,
  MAX_COUNTER,
  STOPPED_TIMER,
  checkIds,
  checkMembers,
  getOwn,
  parse,
  positiveInt,
  positiveMs,
  reject,
  send,
  setOwn,
  startTimer,
  stepByType,
  timerDeadline,
  timerDue,
  transition,
  v,
  type Timer,
} from '../core/index.js';
import { CausalContext } from './crdt/causal-context.js';
import { CRDT_LIMITS, type CrdtLimits } from './crdt/parse.js';
import { checkCrdtSpec, collectCrdt, emptyCrdt, isCausalSpec, joinCrdt, parseCrdt, type CrdtSpec } from './crdt/spec.js';

/**
 * Configuration of a {@link deltaAntiEntropy} replica.
 *
 * @example
 * ```ts
 * import type { DeltaAntiEntropyConfig } from 'distkit/replication';
 * const c: DeltaAntiEntropyConfig = { id: 'a', nodes: ['a', 'b', 'c'], crdt: 'aworset', shipIntervalMs: 50 };
 * ```
 */
export interface DeltaAntiEntropyConfig {
  /** This replica. */
  readonly id: NodeId;
  /** Every replica, this one included (causal stability needs to hear from all of them). */
  readonly nodes: readonly NodeId[];
  /** The replicas this one ships to and accepts deltas from (default: all others). */
  readonly neighbours?: readonly NodeId[];
  /** The CRDT type every replica holds. */
  readonly crdt: CrdtSpec;
  /** Period of shipping delta-intervals and collecting garbage, ms (default 100). */
  readonly shipIntervalMs?: number;
  /** Most deltas kept for shipping (default 1,024); a neighbour further behind gets the full state. */
  readonly maxBufferedDeltas?: number;
  /** Bounds on each delta or state received (default {@link CRDT_LIMITS}). */
  readonly limits?: CrdtLimits;
  /**
   * Collect remove-wins tombstones once they are causally stable (default true): each period, the
   * delta of `collectCrdt` below {@link stableContext} is joined and shipped like an update.
   */
  readonly collectTombstones?: boolean;
}

/**
 * A delta-interval `[from, to)` of the sender's delta sequence, joined in `delta` (Algorithm 2's
 * `delta` message); `from: 0` carries the full state. An `ack` says the sender of the ack has
 * joined everything before `seq` from the receiver; `vv` is its version vector (causal stability)
 * and `gap` says an interval did not follow what it had.
 *
 * @example
 * ```ts
 * import type { AntiEntropyMessage } from 'distkit/replication';
 * const m: AntiEntropyMessage = { type: 'ack', seq: 4, vv: { a: 3 } };
 * ```
 */
export type AntiEntropyMessage =
  | { readonly type: 'delta'; readonly from: number; readonly to: number; readonly delta: unknown }
  | { readonly type: 'ack'; readonly seq: number; readonly vv?: Readonly<Record<string, number>>; readonly gap?: boolean };

/** One buffered delta: its sequence number, the neighbour it came from (or this replica), the delta. */
export interface BufferedDelta {
  readonly seq: number;
  readonly origin: NodeId;
  readonly delta: unknown;
}

/**
 * State of a {@link deltaAntiEntropy} replica (plain data). `crdt` is the replica state X_i.
 *
 * @example
 * ```ts
 * import { deltaAntiEntropy } from 'distkit/replication';
 * deltaAntiEntropy.init({ id: 'a', nodes: ['a', 'b'], crdt: 'gcounter' }).crdt; //=> {}
 * ```
 */
export interface DeltaAntiEntropyState {
  readonly id: NodeId;
  readonly nodes: readonly NodeId[];
  readonly neighbours: readonly NodeId[];
  readonly spec: CrdtSpec;
  readonly shipIntervalMs: number;
  readonly maxBufferedDeltas: number;
  readonly limits: CrdtLimits;
  readonly collectTombstones: boolean;
  /** X_i: the replica's CRDT state. */
  readonly crdt: unknown;
  /** c_i: the sequence number of the next delta. */
  readonly seq: number;
  /** D_i: deltas with sequence numbers `buffer[0].seq ..< seq`, contiguous. */
  readonly buffer: readonly BufferedDelta[];
  /** A_i: per neighbour, everything before this sequence number has been acknowledged. */
  readonly acks: Readonly<Record<NodeId, number>>;
  /** Per neighbour, every delta of its sequence before this number has been joined here. */
  readonly received: Readonly<Record<NodeId, number>>;
  /** Per replica, the version vector it last reported (causal stability). */
  readonly reports: Readonly<Record<NodeId, Readonly<Record<string, number>>>>;
  readonly shipTimer: Timer;
}

/**
 * Inputs: peer messages, ticks, and `update` with a delta the host computed with a delta mutator
 * on `state.crdt` (e.g. `AWORSet.add(state.crdt, id, 'x')`).
 *
 * @example
 * ```ts
 * import type { AntiEntropyInput } from 'distkit/replication';
 * const i: AntiEntropyInput = { type: 'update', delta: { a: 1 }, now: 0 };
 * ```
 */
export type AntiEntropyInput = MessageInput | TickInput | { readonly type: 'update'; readonly delta: unknown; readonly now: number };

/**
 * Outputs: sends, the durable record, rejections, and `merged` when a peer's delta changed the state.
 *
 * @example
 * ```ts
 * import type { AntiEntropyOutput } from 'distkit/replication';
 * const o: AntiEntropyOutput = { type: 'merged', from: 'b' };
 * ```
 */
export type AntiEntropyOutput = SendOutput<AntiEntropyMessage> | PersistOutput<AntiEntropyDurable> | RejectedOutput | { readonly type: 'merged'; readonly from: NodeId };

/**
 * What must survive a crash: the CRDT (its dots are never reused), the delta sequence number, and
 * how far each neighbour's sequence has been joined (acks already sent promise it).
 *
 * @example
 * ```ts
 * import type { AntiEntropyDurable } from 'distkit/replication';
 * const d: AntiEntropyDurable = { crdt: { a: 2 }, seq: 2, received: { b: 0 } };
 * ```
 */
export interface AntiEntropyDurable {
  readonly crdt: unknown;
  readonly seq: number;
  readonly received: Readonly<Record<NodeId, number>>;
}

type T = Transition<DeltaAntiEntropyState, AntiEntropyOutput>;

const seqCheck = v.int({ min: 0, max: MAX_COUNTER });
const envelopeCheck = v.tagged({
  delta: v.object({ type: v.literal('delta'), from: seqCheck, to: seqCheck, delta: v.json({ maxDepth: 64, maxBytes: 1 << 26 }) }),
  ack: v.object({ type: v.literal('ack'), seq: seqCheck, vv: v.optional(v.record(v.int({ min: 0, max: MAX_COUNTER }), { maxKeys: 4096 })), gap: v.optional(v.boolean()) }),
});


function zeroes(ids: readonly NodeId[]): Record<NodeId, number> {
  const out: Record<NodeId, number> = {};
  for (const id of ids) setOwn(out, id, 0);
  return out;
}

function initState(config: DeltaAntiEntropyConfig): DeltaAntiEntropyState {
  const nodes = checkMembers(config.id, config.nodes);
  const neighbours = config.neighbours === undefined ? nodes.filter((n) => n !== config.id) : checkIds('neighbours', config.neighbours);
  for (const n of neighbours) {
    if (n === config.id || !nodes.includes(n)) throw new InvalidCommandError('neighbours', `${JSON.stringify(n)} must be another member of nodes`);
  }
  const spec = checkCrdtSpec('crdt', config.crdt);
  return {
    id: config.id,
    nodes,
    neighbours,
    spec,
    shipIntervalMs: positiveMs('shipIntervalMs', config.shipIntervalMs, 100),
    maxBufferedDeltas: positiveInt('maxBufferedDeltas', config.maxBufferedDeltas, 1024),
    limits: config.limits ?? CRDT_LIMITS,
    collectTombstones: config.collectTombstones ?? true,
    crdt: emptyCrdt(spec),
    seq: 0,
    buffer: [],
    acks: zeroes(neighbours),
    received: zeroes(neighbours),
    reports: {},
    shipTimer: STOPPED_TIMER,
  };
}

/** The durable part of a state. */
function durableOf(s: DeltaAntiEntropyState): AntiEntropyDurable {
  return { crdt: s.crdt, seq: s.seq, received: s.received };
}

/** Outputs a persist of the durable image first when the transition changed it. */
function finish(before: DeltaAntiEntropyState, after: DeltaAntiEntropyState, outputs: AntiEntropyOutput[]): T {
  const changed = before.crdt !== after.crdt || before.seq !== after.seq || before.received !== after.received;
  return transition(after, changed ? [{ type: 'persist', record: durableOf(after) }, ...outputs] : outputs);
}

/** Algorithm 2, on an operation or an inflating delta: X_i := X_i ⊔ d; D_i[c_i] := d; c_i++. */
function record(s: DeltaAntiEntropyState, origin: NodeId, delta: unknown, joined: unknown): DeltaAntiEntropyState {
  const entry: BufferedDelta = { seq: s.seq, origin, delta };
  // A full buffer drops its oldest delta: a neighbour that still needed it gets the full state.
  const buffer = s.buffer.length >= s.maxBufferedDeltas ? [...s.buffer.slice(s.buffer.length - s.maxBufferedDeltas + 1), entry] : [...s.buffer, entry];
  return { ...s, crdt: joined, seq: s.seq + 1, buffer };
}

function onUpdate(s: DeltaAntiEntropyState, input: { readonly delta: unknown }, now: number): T {
  const parsed = parseCrdt(s.spec, input.delta, s.limits);
  if (!parsed.ok) throw new InvalidCommandError('update', `the delta is not a ${JSON.stringify(s.spec)} delta: ${parsed.problem}`);
  if (s.seq >= MAX_COUNTER) throw new InvalidCommandError('update', 'the delta sequence is exhausted');
  const joined = joinCrdt(s.spec, s.crdt, parsed.value);
  if (joined === s.crdt) return transition(s);
  const next = armed(record(s, s.id, parsed.value, joined), now);
  return finish(s, next, []);
}

function armed(s: DeltaAntiEntropyState, now: number): DeltaAntiEntropyState {
  return s.shipTimer.at === null ? { ...s, shipTimer: startTimer(now, s.shipIntervalMs) } : s;
}

function onMessage(s: DeltaAntiEntropyState, input: MessageInput, now: number): T {
  const from = input.from;
  if (getOwn(s.received, from) === undefined) return reject(s, from, `${JSON.stringify(from)} is not a neighbour`);
  const env = parse(envelopeCheck, input.message, 'message');
  if (!env.ok) return reject(s, from, env.problem);
  const m = env.value;
  if (m.type === 'ack') return onAck(s, from, m.seq, m.vv, m.gap === true);
  if (m.from > m.to) return reject(s, from, `message: interval from ${m.from} after its end ${m.to}`);
  const delta = parseCrdt(s.spec, m.delta, s.limits);
  if (!delta.ok) return reject(s, from, `message.${delta.problem}`);
  return onDelta(armed(s, now), from, m.from, m.to, delta.value);
}

/**
 * Algorithm 2, on receiving a delta-interval. The causal delta-merging condition (§6): an
 * interval is joined only when it starts at or before what this replica already joined from the
 * sender, so the state never holds a sender's later delta without the earlier ones. A gap is
 * answered with what is held, so the sender rewinds; a stale interval is only acknowledged.
 */
function onDelta(s: DeltaAntiEntropyState, from: NodeId, start: number, end: number, delta: unknown): T {
  const have = getOwn(s.received, from)!;
  if (start > have) return transition(s, [send(from, ackMessage(s, have, true))]);
  if (end <= have) return transition(s, [send(from, ackMessage(s, have, false))]);
  const received = { ...s.received };
  setOwn(received, from, end);
  const joined = joinCrdt(s.spec, s.crdt, delta);
  // Only an inflating delta is buffered for the other neighbours (Algorithm 2: "if d ⋢ X_i").
  const next = joined === s.crdt ? { ...s, received } : { ...record(s, from, delta, joined), received };
  const outputs: AntiEntropyOutput[] = [send(from, ackMessage(next, end, false))];
  if (joined !== s.crdt) outputs.push({ type: 'merged', from });
  return finish(s, next, outputs);
}

function ackMessage(s: DeltaAntiEntropyState, seq: number, gap: boolean): AntiEntropyMessage {
  const vv = isCausalSpec(s.spec) ? (s.crdt as { cc: CausalContext }).cc.vv : undefined;
  return { type: 'ack', seq, ...(vv === undefined ? {} : { vv }), ...(gap ? { gap: true } : {}) };
}

/** Algorithm 2, on receiving an ack: A_i(j) := max(A_i(j), n); a gap ack rewinds A_i(j) to n. */
function onAck(s: DeltaAntiEntropyState, from: NodeId, seq: number, vv: Readonly<Record<string, number>> | undefined, gap: boolean): T {
  if (seq > s.seq) return reject(s, from, `ack of ${seq}, beyond the ${s.seq} deltas sent`);
  const current = getOwn(s.acks, from)!;
  const next = gap ? seq : Math.max(current, seq);
  let out = s;
  if (next !== current) {
    const acks = { ...s.acks };
    setOwn(acks, from, next);
    out = { ...out, acks };
  }
  if (vv !== undefined && isCausalSpec(s.spec)) out = { ...out, reports: withReport(out.reports, from, vv, s.nodes) };
  return transition(out);
}

/** Keeps only members' entries of a reported version vector (the table is bounded by `nodes`). */
function withReport(reports: DeltaAntiEntropyState['reports'], from: NodeId, vv: Readonly<Record<string, number>>, nodes: readonly NodeId[]): DeltaAntiEntropyState['reports'] {
  const kept: Record<string, number> = {};
  for (const n of nodes) {
    const c = getOwn(vv, n);
    if (c !== undefined && c > 0) setOwn(kept, n, c);
  }
  const out = { ...reports };
  setOwn(out, from, kept);
  return out;
}

function onTick(s: DeltaAntiEntropyState, _input: TickInput, now: number): T {
  if (!timerDue(s.shipTimer, now)) return transition(s);
  const c = collectTombstones(s);
  const sends = s.neighbours.flatMap((j) => shipTo(c, j));
  // Ship again next period while a neighbour has not acknowledged everything; else rest until the
  // next update or delta.
  const timer = sends.length > 0 ? startTimer(now, s.shipIntervalMs) : STOPPED_TIMER;
  const next = collectGarbage({ ...c, shipTimer: timer });
  return finish(s, next, sends);
}

/**
 * Algorithm 2, periodically ship: the join of the buffered deltas neighbour `j` has not
 * acknowledged (leaving out those that came from `j`), or the full state when the buffer no longer
 * reaches back to its acknowledgement.
 */
function shipTo(s: DeltaAntiEntropyState, j: NodeId): SendOutput<AntiEntropyMessage>[] {
  const acked = getOwn(s.acks, j)!;
  if (acked >= s.seq) return [];
  const first = s.buffer.length === 0 ? s.seq : s.buffer[0]!.seq;
  if (first > acked) return [send(j, { type: 'delta', from: 0, to: s.seq, delta: s.crdt })];
  let delta = emptyCrdt(s.spec);
  for (let k = acked - first; k < s.buffer.length; k++) {
    const b = s.buffer[k]!;
    if (b.origin !== j) delta = joinCrdt(s.spec, delta, b.delta);
  }
  return [send(j, { type: 'delta', from: acked, to: s.seq, delta })];
}

/**
 * Causal stability (Baquero, Almeida and Shoker 2014, adapted to delta-state): tombstones whose
 * dots are in {@link stableContext} are removed by a delta, buffered and shipped like an update,
 * so every replica drops the same tokens and none is left holding one that a later add, made
 * without it, cannot cover. Every dot this replica has not seen is causally after the stable ones,
 * so no operation concurrent with a collected token is still to come.
 */
function collectTombstones(s: DeltaAntiEntropyState): DeltaAntiEntropyState {
  if (!s.collectTombstones || s.seq >= MAX_COUNTER) return s;
  const stable = stableContext(s);
  if (stable === undefined) return s;
  const delta = collectCrdt(s.spec, s.crdt, stable);
  if (delta === undefined) return s;
  const joined = joinCrdt(s.spec, s.crdt, delta);
  return joined === s.crdt ? s : record(s, s.id, delta, joined);
}

/** Algorithm 2, periodically garbage-collect deltas: those every neighbour has acknowledged. */
function collectGarbage(s: DeltaAntiEntropyState): DeltaAntiEntropyState {
  let least = s.seq;
  for (const j of s.neighbours) least = Math.min(least, getOwn(s.acks, j)!);
  const first = s.buffer.length === 0 ? s.seq : s.buffer[0]!.seq;
  return least > first ? { ...s, buffer: s.buffer.slice(least - first) } : s;
}

/**
 * The causally stable context: the dots every replica has reported seeing (the pointwise minimum
 * of the version vectors in their acks and this replica's own), or `undefined` until every
 * replica has reported, or while this replica lacks some dot a replica reported. Every operation
 * a replica issues from now on is causally after these dots, so a host may use them to settle
 * decisions that wait on "everyone has seen it" (e.g. to discard data it keeps beside the CRDT).
 *
 * @example
 * ```ts
 * import { deltaAntiEntropy, stableContext } from 'distkit/replication';
 * stableContext(deltaAntiEntropy.init({ id: 'a', nodes: ['a', 'b'], crdt: 'aworset' })); //=> undefined
 * ```
 */
export function stableContext(s: DeltaAntiEntropyState): CausalContext | undefined {
  if (!isCausalSpec(s.spec)) return undefined;
  const own = (s.crdt as { cc: CausalContext }).cc;
  const min: Record<string, number> = { ...own.vv };
  for (const n of s.nodes) {
    if (n === s.id) continue;
    const r = getOwn(s.reports, n);
    if (r === undefined) return undefined;
    for (const k of Object.keys(r)) if (!CausalContext.leq({ vv: setOwn({}, k, r[k]!), cloud: [] }, own)) return undefined;
    for (const k of Object.keys(min)) {
      const c = Math.min(min[k]!, getOwn(r, k) ?? 0);
      if (c === 0) delete min[k];
      else setOwn(min, k, c);
    }
  }
  return { vv: min, cloud: [] };
}

/**
 * Delta-interval anti-entropy with causal consistency (Almeida, Shoker and Baquero,
 * arXiv:1603.01529, §6, Algorithm 2). Each replica keeps its CRDT state X_i, a buffer D_i of
 * deltas numbered by c_i and, per neighbour, the acknowledged sequence number A_i(j). Every
 * `shipIntervalMs` it ships each neighbour the join of the deltas it has not acknowledged, or the
 * whole state when the buffer no longer reaches back that far; a receiver joins an interval only
 * when it follows what it already has from that sender (the causal delta-merging condition),
 * buffers it for its other neighbours when it inflates the state, and acknowledges; deltas every
 * neighbour acknowledged are collected. Acks carry the receiver's version vector, from which
 * {@link stableContext} tells the causally stable dots. Durable: the state, sequence number and
 * received positions are persisted before any ack that promises them.
 *
 * @example
 * ```ts
 * import { deltaAntiEntropy, GCounter } from 'distkit/replication';
 * const config = { id: 'a', nodes: ['a', 'b'], crdt: 'gcounter' as const, shipIntervalMs: 10 };
 * let a = deltaAntiEntropy.init(config);
 * a = deltaAntiEntropy.step(a, { type: 'update', delta: GCounter.increment(a.crdt as GCounter, 'a'), now: 0 }).state;
 * const t = deltaAntiEntropy.step(a, { type: 'tick', now: 10 });
 * t.outputs.filter((o) => o.type === 'send'); //=> [{ type: 'send', to: 'b', message: { type: 'delta', from: 0, to: 1, delta: { a: 1 } } }]
 * ```
 */
export const deltaAntiEntropy: DurableMachine<DeltaAntiEntropyConfig, DeltaAntiEntropyState, AntiEntropyInput, AntiEntropyOutput, AntiEntropyDurable> = {
  name: 'delta-anti-entropy',
  init: initState,
  step: (state, input) =>
    stepByType<DeltaAntiEntropyState, AntiEntropyInput, AntiEntropyOutput>(
      { message: onMessage, tick: onTick, update: onUpdate },
      state,
      input,
    ),
  nextDeadline: (state) => timerDeadline(state.shipTimer),
  durable: durableOf,
  recover(config, durable) {
    const s = initState(config);
    return { ...s, crdt: durable.crdt, seq: durable.seq, received: { ...s.received, ...durable.received } };
  },
};
