import type { Machine, NodeId, Transition } from '../core/index.js';
import { InvalidCommandError, MAX_COUNTER, assertNever, canIncrement, checkMembers, getOwn, parse, positiveInt, reject, send, setOwn, transition, v, withOwn } from '../core/index.js';
import { compareRequests, receiveClock, stepTimestamped, type TimestampedMutex, type MutexInput, type MutexOutput, type TimestampedRequesterState } from './common.js';

/**
 * Configuration of a {@link lamportMutex} node.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { lamportMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const entered: string[] = [];
 * // Everyone asks at once; each leaves 5 ms after entering.
 * const r = simulate({
 *   seed: 1, maxTimeMs: 1000, invariants: mutexInvariants(),
 *   nodes: ids.map((id) => ({ id, machine: lamportMutex, config: { id, nodes: ids } })),
 *   commands: ids.map((node) => ({ at: 0, node, input: { type: 'request' } })),
 *   onOutput: (e, sim) => { if ((e.output as { type: string }).type === 'enter') { entered.push(e.node); sim.inject(e.node, { type: 'release' }, 5); } },
 * });
 * [r.ok, entered]; //=> [true, ['a', 'b', 'c']]
 * ```
 */
export interface LamportMutexConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every participant, this node included. */
  readonly nodes: readonly NodeId[];
  /**
   * How many out-of-order messages per peer are buffered before further ones are rejected.
   * Default {@link LAMPORT_MAX_REORDER}.
   */
  readonly maxReorder?: number;
}

/**
 * The default bound on out-of-order messages buffered per peer (the only table a peer can grow
 * in {@link lamportMutex}); a message further ahead is rejected with a reason naming the limit.
 *
 * @example
 * ```ts
 * import { LAMPORT_MAX_REORDER } from 'distkit/mutex';
 * LAMPORT_MAX_REORDER; //=> 64
 * ```
 */
export const LAMPORT_MAX_REORDER = 64;

/**
 * A message of Lamport's algorithm. `n` numbers the messages of each link so the receiver can
 * restore FIFO order, which the algorithm assumes (Lamport 1978, §"the algorithm").
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { lamportMutex, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const entered: string[] = [];
 * // Everyone asks at once; each leaves 5 ms after entering.
 * const r = simulate({
 *   seed: 1, maxTimeMs: 1000, invariants: mutexInvariants(),
 *   nodes: ids.map((id) => ({ id, machine: lamportMutex, config: { id, nodes: ids } })),
 *   commands: ids.map((node) => ({ at: 0, node, input: { type: 'request' } })),
 *   onOutput: (e, sim) => { if ((e.output as { type: string }).type === 'enter') { entered.push(e.node); sim.inject(e.node, { type: 'release' }, 5); } },
 * });
 * // 3(N − 1) messages per entry: request, acknowledgement and release to each other node.
 * Object.fromEntries(Object.entries(r.stats.byType).map(([k, c]) => [k, c.sent])); //=> { ack: 6, release: 6, request: 6 }
 * ```
 */
export interface LamportMutexMessage {
  /** REQUEST, ACK (the "timestamped acknowledgment") or RELEASE. */
  readonly type: 'request' | 'ack' | 'release';
  /** The sender's Lamport timestamp for this message. */
  readonly ts: number;
  /** Per-link sequence number, from 0. */
  readonly n: number;
}

/**
 * State of a {@link lamportMutex} node.
 *
 * @example
 * ```ts
 * import { lamportMutex } from 'distkit/mutex';
 * lamportMutex.init({ id: 'a', nodes: ['a', 'b'] }).queue; //=> []
 * ```
 */
export interface LamportMutexState extends TimestampedRequesterState {
  /** The other participants. */
  readonly peers: readonly NodeId[];
  /** Limit of buffered out-of-order messages per peer. */
  readonly maxReorder: number;
  /** The request queue, sorted by (ts, node). */
  readonly queue: readonly { readonly ts: number; readonly node: NodeId }[];
  /** The largest timestamp received from each peer. */
  readonly lastTs: Readonly<Record<NodeId, number>>;
  /** Next sequence number to send on each link. */
  readonly sendSeq: Readonly<Record<NodeId, number>>;
  /** Next sequence number expected from each peer. */
  readonly recvSeq: Readonly<Record<NodeId, number>>;
  /** Messages that arrived ahead of their turn, per peer (validated copies only). */
  readonly pending: Readonly<Record<NodeId, readonly LamportMutexMessage[]>>;
}

/**
 * Outputs of {@link lamportMutex}.
 *
 * @example
 * ```ts
 * import { lamportMutex, type LamportMutexOutput } from 'distkit/mutex';
 * // Alone in its group, a node enters as soon as it asks.
 * const o: readonly LamportMutexOutput[] = lamportMutex.step(lamportMutex.init({ id: 'a', nodes: ['a'] }), { type: 'request', now: 0 }).outputs;
 * o; //=> [{ type: 'enter' }]
 * ```
 */
export type LamportMutexOutput = MutexOutput<LamportMutexMessage>;

const messageCheck = v.object({
  type: v.literal('request', 'ack', 'release'),
  ts: v.int({ min: 0, max: MAX_COUNTER }),
  n: v.int({ min: 0, max: MAX_COUNTER }),
});

/**
 * Lamport's distributed mutual exclusion (Lamport, "Time, Clocks, and the Ordering of Events",
 * CACM 1978): every node keeps a request queue ordered by (timestamp, id); a requester enters when
 * its request heads its queue and it has received a later-timestamped message from every other
 * node. 3(N−1) messages per entry. FIFO links are restored inside the machine from sequence numbers.
 * Timestamps and sequence numbers above `MAX_COUNTER` are refused, and the clock never passes it.
 *
 * @example
 * ```ts
 * import { lamportMutex } from 'distkit/mutex';
 * const a = lamportMutex.init({ id: 'a', nodes: ['a', 'b'] });
 * lamportMutex.step(a, { type: 'request', now: 0 }).outputs.length; //=> 1
 * ```
 */
export const lamportMutex: Machine<LamportMutexConfig, LamportMutexState, MutexInput, LamportMutexOutput> = {
  name: 'lamport-mutex',
  init(config) {
    const nodes = checkMembers(config.id, config.nodes);
    const peers = nodes.filter((n) => n !== config.id);
    const table = <T>(value: T): Record<NodeId, T> => {
      const r: Record<NodeId, T> = {};
      for (const p of peers) setOwn(r, p, value);
      return r;
    };
    return {
      id: config.id,
      peers,
      maxReorder: positiveInt('maxReorder', config.maxReorder, LAMPORT_MAX_REORDER),
      clock: 0,
      phase: 'idle',
      requestTs: -1,
      queue: [],
      lastTs: table(-1),
      sendSeq: table(0),
      recvSeq: table(0),
      pending: table<readonly LamportMutexMessage[]>([]),
    };
  },
  step: (state, input) => stepTimestamped(handlers, state, input),
};

const handlers: TimestampedMutex<LamportMutexState, LamportMutexOutput> = {
  request(state, ts) {
    // Rule 1: put Tm:Pi on the own queue and send it to every other process.
    const s: LamportMutexState = {
      ...state,
      clock: ts,
      phase: 'wanting',
      requestTs: ts,
      queue: insert(state.queue, ts, state.id),
    };
    return broadcast(s, 'request', ts, []);
  },
  release(state) {
    // Rule 3: remove the own request and send a timestamped RELEASE to every other process.
    // (Capped at MAX_COUNTER: a release must always go out; the clock stays monotonic.)
    const ts = Math.min(state.clock + 1, MAX_COUNTER);
    const s: LamportMutexState = {
      ...state,
      clock: ts,
      phase: 'idle',
      requestTs: -1,
      queue: state.queue.filter((q) => q.node !== state.id),
    };
    return broadcast(s, 'release', ts, []);
  },
  message: (state, from, message) => onMessage(state, from, message),
};

function onMessage(state: LamportMutexState, from: NodeId, message: unknown): Transition<LamportMutexState, LamportMutexOutput> {
  if (!state.peers.includes(from)) return reject(state, from, `unknown sender ${JSON.stringify(from)}`);
  const parsed = parse(messageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const m: LamportMutexMessage = parsed.value;
  const expected = getOwn(state.recvSeq, from) ?? 0;
  if (m.n < expected) return reject(state, from, `duplicate message n=${m.n}, expected ${expected}`);
  const buffered = getOwn(state.pending, from) ?? [];
  if (m.n >= expected + state.maxReorder) return reject(state, from, `message n=${m.n} too far ahead of ${expected} (maxReorder = ${state.maxReorder})`);
  if (buffered.some((b) => b.n === m.n)) return reject(state, from, `duplicate message n=${m.n}`);
  if (m.n > expected) {
    // Buffer the validated copy, never the received object.
    return transition({ ...state, pending: withOwn(state.pending, from, [...buffered, m]) });
  }
  // Deliver m and every buffered successor, in order.
  let s = state;
  const outputs: LamportMutexOutput[] = [];
  let next: LamportMutexMessage | undefined = m;
  let rest = buffered;
  while (next !== undefined) {
    const r = deliver(s, from, next);
    s = r.state;
    outputs.push(...r.outputs);
    const want: number = next.n + 1;
    next = rest.find((b) => b.n === want);
    rest = rest.filter((b) => b.n !== want);
    s = { ...s, recvSeq: withOwn(s.recvSeq, from, want) };
  }
  s = { ...s, pending: withOwn(s.pending, from, rest) };
  return maybeEnter(s, outputs);
}

function deliver(state: LamportMutexState, from: NodeId, m: LamportMutexMessage): Transition<LamportMutexState, LamportMutexOutput> {
  const clock = receiveClock(state.clock, m.ts);
  const lastTs = withOwn(state.lastTs, from, Math.max(getOwn(state.lastTs, from) ?? -1, m.ts));
  const base: LamportMutexState = { ...state, clock, lastTs };
  switch (m.type) {
    case 'request': {
      // Rule 2: put the request on the queue and send a timestamped acknowledgment.
      const queue = insert(base.queue.filter((q) => q.node !== from), m.ts, from);
      const ackTs = Math.min(clock + 1, MAX_COUNTER);
      const s = { ...base, clock: ackTs, queue };
      const seq = getOwn(s.sendSeq, from) ?? 0;
      return transition({ ...s, sendSeq: withOwn(s.sendSeq, from, nextSeq(seq)) }, [
        send(from, { type: 'ack', ts: ackTs, n: seq }),
      ]);
    }
    case 'release':
      // Rule 4: remove the sender's request from the queue.
      return transition({ ...base, queue: base.queue.filter((q) => q.node !== from) });
    case 'ack':
      return transition(base);
    default:
      return assertNever(m.type, 'message type');
  }
}

/** The next per-link sequence number; a link that sent 2^53 − 2 messages cannot go on exactly. */
function nextSeq(n: number): number {
  if (!canIncrement(n) || n >= MAX_COUNTER) throw new InvalidCommandError('send', `per-link sequence numbers are exhausted (${n})`);
  return n + 1;
}

function maybeEnter(state: LamportMutexState, outputs: LamportMutexOutput[]): Transition<LamportMutexState, LamportMutexOutput> {
  if (state.phase !== 'wanting') return transition(state, outputs);
  // Rule 5: own request first in the queue, and a later message from everybody else.
  const head = state.queue[0];
  if (head === undefined || head.node !== state.id) return transition(state, outputs);
  for (const p of state.peers) {
    if (compareRequests(getOwn(state.lastTs, p) ?? -1, p, state.requestTs, state.id) <= 0) return transition(state, outputs);
  }
  return transition({ ...state, phase: 'held' }, [...outputs, { type: 'enter' }]);
}

function broadcast(
  state: LamportMutexState,
  type: 'request' | 'release',
  ts: number,
  outputs: LamportMutexOutput[],
): Transition<LamportMutexState, LamportMutexOutput> {
  const sendSeq: Record<NodeId, number> = { ...state.sendSeq };
  const out = [...outputs];
  for (const p of state.peers) {
    const n = getOwn(sendSeq, p) ?? 0;
    setOwn(sendSeq, p, nextSeq(n));
    out.push(send(p, { type, ts, n }));
  }
  return maybeEnter({ ...state, sendSeq }, out);
}

function insert(
  queue: readonly { readonly ts: number; readonly node: NodeId }[],
  ts: number,
  node: NodeId,
): { ts: number; node: NodeId }[] {
  const out = queue.slice();
  let i = out.length;
  while (i > 0 && compareRequests(out[i - 1]!.ts, out[i - 1]!.node, ts, node) > 0) i--;
  out.splice(i, 0, { ts, node });
  return out;
}
