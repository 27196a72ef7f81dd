import {
  InvalidCommandError,
  reject,
  transition,
  v,
  type Machine,
  type NodeId,
  type Transition,
} from '../core/index.js';
import {
  checkMembers,
  compareRequests,
  positiveInt,
  send,
  type MutexInput,
  type MutexOutput,
  type MutexPhase,
} from './common.js';

/**
 * Configuration of a {@link lamportMutex} node.
 *
 * @example
 * ```ts
 * import type { LamportMutexConfig } from 'distkit/mutex';
 * const c: LamportMutexConfig = { id: 'a', nodes: ['a', 'b', 'c'] };
 * ```
 */
export interface LamportMutexConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every participant, this node included. */
  readonly nodes: readonly NodeId[];
  /** How many out-of-order messages per peer are buffered before further ones are rejected. Default 64. */
  readonly maxReorder?: number;
}

/**
 * A message of Lamport's algorithm. `n` numbers the messages of each link so the receiver can
 * restore FIFO order, which the algorithm assumes (Lamport 1978, §"the algorithm").
 *
 * @example
 * ```ts
 * import type { LamportMutexMessage } from 'distkit/mutex';
 * const m: LamportMutexMessage = { type: 'request', ts: 3, n: 0 };
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
export interface LamportMutexState {
  /** This node. */
  readonly id: NodeId;
  /** The other participants. */
  readonly peers: readonly NodeId[];
  /** Limit of buffered out-of-order messages per peer. */
  readonly maxReorder: number;
  /** Lamport clock. */
  readonly clock: number;
  /** Requester phase. */
  readonly phase: MutexPhase;
  /** Timestamp of this node's own request, -1 when idle. */
  readonly requestTs: number;
  /** The request queue, sorted by (ts, node). */
  readonly queue: readonly { readonly ts: number; readonly node: NodeId }[];
  /** The largest timestamp received from each peer. */
  readonly lastTs: Readonly<Record<NodeId, number>>;
  /** Next sequence number to send on each link. */
  readonly sendSeq: Readonly<Record<NodeId, number>>;
  /** Next sequence number expected from each peer. */
  readonly recvSeq: Readonly<Record<NodeId, number>>;
  /** Messages that arrived ahead of their turn, per peer. */
  readonly pending: Readonly<Record<NodeId, readonly LamportMutexMessage[]>>;
}

/**
 * Outputs of {@link lamportMutex}.
 *
 * @example
 * ```ts
 * import type { LamportMutexOutput } from 'distkit/mutex';
 * const o: LamportMutexOutput = { type: 'enter' };
 * ```
 */
export type LamportMutexOutput = MutexOutput<LamportMutexMessage>;

const messageCheck = v.object({
  type: v.literal('request', 'ack', 'release'),
  ts: v.int({ min: 0 }),
  n: v.int({ min: 0 }),
});

/**
 * Lamport's distributed mutual exclusion (Lamport, "Time, Clocks, and the Ordering of Events",
 * CACM 1978): every node keeps a request queue ordered by (timestamp, id); a requester enters when
 * its request heads its queue and it has received a later-timestamped message from every other
 * node. 3(N−1) messages per entry. FIFO links are restored inside the machine from sequence numbers.
 *
 * @example
 * ```ts
 * import { lamportMutex } from 'distkit/mutex';
 * const a = lamportMutex.init({ id: 'a', nodes: ['a', 'b'] });
 * lamportMutex.step(a, { type: 'request' }).outputs.length; //=> 1
 * ```
 */
export const lamportMutex: Machine<LamportMutexConfig, LamportMutexState, MutexInput, LamportMutexOutput> = {
  name: 'lamport-mutex',
  init(config) {
    const nodes = checkMembers(config.id, config.nodes);
    const peers = nodes.filter((n) => n !== config.id);
    const zero = Object.fromEntries(peers.map((p) => [p, 0]));
    return {
      id: config.id,
      peers,
      maxReorder: positiveInt('maxReorder', config.maxReorder, 64),
      clock: 0,
      phase: 'idle',
      requestTs: -1,
      queue: [],
      lastTs: Object.fromEntries(peers.map((p) => [p, -1])),
      sendSeq: zero,
      recvSeq: zero,
      pending: Object.fromEntries(peers.map((p) => [p, []])),
    };
  },
  step(state, input): Transition<LamportMutexState, LamportMutexOutput> {
    switch (input.type) {
      case 'tick':
        return transition(state);
      case 'request': {
        if (state.phase !== 'idle') throw new InvalidCommandError('request', `already ${state.phase}`);
        // Rule 1: put Tm:Pi on the own queue and send it to every other process.
        const ts = state.clock + 1;
        const s: LamportMutexState = {
          ...state,
          clock: ts,
          phase: 'wanting',
          requestTs: ts,
          queue: insert(state.queue, ts, state.id),
        };
        return broadcast(s, 'request', ts, []);
      }
      case 'release': {
        if (state.phase !== 'held') throw new InvalidCommandError('release', 'this node is not in the critical section');
        // Rule 3: remove the own request and send a timestamped RELEASE to every other process.
        const ts = state.clock + 1;
        const s: LamportMutexState = {
          ...state,
          clock: ts,
          phase: 'idle',
          requestTs: -1,
          queue: state.queue.filter((q) => q.node !== state.id),
        };
        return broadcast(s, 'release', ts, []);
      }
      case 'message': {
        const { from, message } = input;
        if (!state.peers.includes(from)) return reject(state, from, `unknown sender ${JSON.stringify(from)}`);
        const problem = messageCheck(message, 'message');
        if (problem !== undefined) return reject(state, from, problem);
        const m = message as LamportMutexMessage;
        const expected = state.recvSeq[from] ?? 0;
        if (m.n < expected) return reject(state, from, `duplicate message n=${m.n}, expected ${expected}`);
        const buffered = state.pending[from] ?? [];
        if (m.n >= expected + state.maxReorder) return reject(state, from, `message n=${m.n} too far ahead of ${expected}`);
        if (buffered.some((b) => b.n === m.n)) return reject(state, from, `duplicate message n=${m.n}`);
        if (m.n > expected) {
          return transition({ ...state, pending: { ...state.pending, [from]: [...buffered, m] } });
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
          s = { ...s, recvSeq: { ...s.recvSeq, [from]: want } };
        }
        s = { ...s, pending: { ...s.pending, [from]: rest } };
        return maybeEnter(s, outputs);
      }
    }
  },
};

function deliver(state: LamportMutexState, from: NodeId, m: LamportMutexMessage): Transition<LamportMutexState, LamportMutexOutput> {
  const clock = Math.max(state.clock, m.ts) + 1;
  const lastTs = { ...state.lastTs, [from]: Math.max(state.lastTs[from] ?? -1, m.ts) };
  const base: LamportMutexState = { ...state, clock, lastTs };
  switch (m.type) {
    case 'request': {
      // Rule 2: put the request on the queue and send a timestamped acknowledgment.
      const queue = insert(base.queue.filter((q) => q.node !== from), m.ts, from);
      const ackTs = clock + 1;
      const s = { ...base, clock: ackTs, queue };
      const seq = s.sendSeq[from] ?? 0;
      return transition({ ...s, sendSeq: { ...s.sendSeq, [from]: seq + 1 } }, [
        send(from, { type: 'ack', ts: ackTs, n: seq }),
      ]);
    }
    case 'release':
      // Rule 4: remove the sender's request from the queue.
      return transition({ ...base, queue: base.queue.filter((q) => q.node !== from) });
    case 'ack':
      return transition(base);
  }
}

function maybeEnter(state: LamportMutexState, outputs: LamportMutexOutput[]): Transition<LamportMutexState, LamportMutexOutput> {
  if (state.phase !== 'wanting') return transition(state, outputs);
  // Rule 5: own request first in the queue, and a later message from everybody else.
  const head = state.queue[0];
  if (head === undefined || head.node !== state.id) return transition(state, outputs);
  for (const p of state.peers) {
    if (compareRequests(state.lastTs[p] ?? -1, p, state.requestTs, state.id) <= 0) return transition(state, outputs);
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
    const n = sendSeq[p] ?? 0;
    sendSeq[p] = n + 1;
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
