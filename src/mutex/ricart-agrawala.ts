import type { Machine, NodeId, Transition } from '../core/index.js';
import { MAX_COUNTER, checkMembers, parse, reject, send, transition, v } from '../core/index.js';
import { compareRequests, receiveClock, stepTimestamped, type TimestampedMutex, type MutexInput, type MutexOutput, type TimestampedRequesterState } from './common.js';

/**
 * Configuration of a {@link ricartAgrawala} node.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { ricartAgrawala, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const entered: string[] = [];
 * // Everyone asks at once; each leaves 5 ms after entering.
 * const r = simulate({
 *   seed: 1, maxTimeMs: 1000, invariants: mutexInvariants(),
 *   nodes: ids.map((id) => ({ id, machine: ricartAgrawala, config: { id, nodes: ids } })),
 *   commands: ids.map((node) => ({ at: 0, node, input: { type: 'request' } })),
 *   onOutput: (e, sim) => { if ((e.output as { type: string }).type === 'enter') { entered.push(e.node); sim.inject(e.node, { type: 'release' }, 5); } },
 * });
 * // One at a time, in (timestamp, id) order, and mutual exclusion holds throughout.
 * [r.ok, entered]; //=> [true, ['a', 'b', 'c']]
 * ```
 */
export interface RicartAgrawalaConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every participant, this node included. */
  readonly nodes: readonly NodeId[];
}

/**
 * A Ricart–Agrawala message. `ts` of a `reply` echoes the timestamp of the request it answers, so
 * stale or forged replies are recognised.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { ricartAgrawala, mutexInvariants } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const entered: string[] = [];
 * // Everyone asks at once; each leaves 5 ms after entering.
 * const r = simulate({
 *   seed: 1, maxTimeMs: 1000, invariants: mutexInvariants(),
 *   nodes: ids.map((id) => ({ id, machine: ricartAgrawala, config: { id, nodes: ids } })),
 *   commands: ids.map((node) => ({ at: 0, node, input: { type: 'request' } })),
 *   onOutput: (e, sim) => { if ((e.output as { type: string }).type === 'enter') { entered.push(e.node); sim.inject(e.node, { type: 'release' }, 5); } },
 * });
 * // 2(N − 1) messages per entry: a request to and a reply from each other node.
 * r.stats.byType; //=> { reply: { sent: 6, delivered: 6, dropped: 0, duplicated: 0, corrupted: 0 }, request: { sent: 6, delivered: 6, dropped: 0, duplicated: 0, corrupted: 0 } }
 * ```
 */
export type RicartAgrawalaMessage = { readonly type: 'request'; readonly ts: number } | { readonly type: 'reply'; readonly ts: number };

/**
 * State of a {@link ricartAgrawala} node (plain data).
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * const s = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
 * s.phase; //=> 'idle'
 * ```
 */
export interface RicartAgrawalaState extends TimestampedRequesterState {
  /** The other participants. */
  readonly peers: readonly NodeId[];
  /** Peers that replied to the outstanding request. */
  readonly replied: readonly NodeId[];
  /** Requests whose reply is deferred until release: sender and its timestamp. */
  readonly deferred: readonly { readonly node: NodeId; readonly ts: number }[];
}

/**
 * Outputs of {@link ricartAgrawala}.
 *
 * @example
 * ```ts
 * import { ricartAgrawala, type RicartAgrawalaOutput } from 'distkit/mutex';
 * const b = ricartAgrawala.init({ id: 'b', nodes: ['a', 'b'] });
 * // An idle node replies at once to a request.
 * const o: readonly RicartAgrawalaOutput[] = ricartAgrawala.step(b, { type: 'message', from: 'a', message: { type: 'request', ts: 1 }, now: 0 }).outputs;
 * o; //=> [{ type: 'send', to: 'a', message: { type: 'reply', ts: 1 } }]
 * ```
 */
export type RicartAgrawalaOutput = MutexOutput<RicartAgrawalaMessage>;

const messageCheck = v.tagged({
  request: v.object({ type: v.literal('request'), ts: v.int({ min: 0, max: MAX_COUNTER }) }),
  reply: v.object({ type: v.literal('reply'), ts: v.int({ min: 0, max: MAX_COUNTER }) }),
});

/**
 * Ricart–Agrawala distributed mutual exclusion (Ricart & Agrawala, CACM 1981): a requester
 * broadcasts a timestamped REQUEST and enters after a REPLY from each of the N−1 others; a node
 * defers its reply while it is in the critical section or has an earlier request of its own (ties
 * broken by node id). 2(N−1) messages per entry. Assumes reliable delivery (any order).
 * Timestamps above `MAX_COUNTER` are refused, and the clock never passes it.
 *
 * @example
 * ```ts
 * import { ricartAgrawala } from 'distkit/mutex';
 * let a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
 * const t = ricartAgrawala.step(a, { type: 'request', now: 0 });
 * t.outputs; //=> [{ type: 'send', to: 'b', message: { type: 'request', ts: 1 } }]
 * ```
 */
export const ricartAgrawala: Machine<RicartAgrawalaConfig, RicartAgrawalaState, MutexInput, RicartAgrawalaOutput> = {
  name: 'ricart-agrawala',
  init(config) {
    const nodes = checkMembers(config.id, config.nodes);
    return {
      id: config.id,
      peers: nodes.filter((n) => n !== config.id),
      clock: 0,
      phase: 'idle',
      requestTs: -1,
      replied: [],
      deferred: [],
    };
  },
  step: (state, input) => stepTimestamped(handlers, state, input),
};

const handlers: TimestampedMutex<RicartAgrawalaState, RicartAgrawalaOutput> = {
  request(state, clock) {
    // §2: "the requesting node sends a REQUEST with its sequence number to all other nodes".
    const next: RicartAgrawalaState = { ...state, clock, phase: 'wanting', requestTs: clock, replied: [] };
    if (state.peers.length === 0) return transition({ ...next, phase: 'held' }, [{ type: 'enter' }]);
    return transition(
      next,
      state.peers.map((p) => send(p, { type: 'request', ts: clock })),
    );
  },
  release(state) {
    // On exit, answer every deferred request.
    return transition(
      { ...state, phase: 'idle', requestTs: -1, replied: [], deferred: [] },
      state.deferred.map((d) => send(d.node, { type: 'reply', ts: d.ts })),
    );
  },
  message(state, from, message) {
    if (!state.peers.includes(from)) return reject(state, from, `unknown sender ${JSON.stringify(from)}`);
    const parsed = parse(messageCheck, message, 'message');
    if (!parsed.ok) return reject(state, from, parsed.problem);
    const m: RicartAgrawalaMessage = parsed.value;
    if (m.type === 'request') return onRequest(state, from, m.ts);
    return onReply(state, from, m.ts);
  },
};

function onRequest(state: RicartAgrawalaState, from: NodeId, ts: number): Transition<RicartAgrawalaState, RicartAgrawalaOutput> {
  if (state.deferred.some((d) => d.node === from)) return reject(state, from, 'second request while the first is still deferred');
  const clock = receiveClock(state.clock, ts);
  // Defer when in the critical section, or wanting with priority (earlier (ts, id)).
  const defer =
    state.phase === 'held' ||
    (state.phase === 'wanting' && compareRequests(state.requestTs, state.id, ts, from) < 0);
  if (defer) return transition({ ...state, clock, deferred: [...state.deferred, { node: from, ts }] });
  return transition({ ...state, clock }, [send(from, { type: 'reply', ts })]);
}

function onReply(state: RicartAgrawalaState, from: NodeId, ts: number): Transition<RicartAgrawalaState, RicartAgrawalaOutput> {
  if (state.phase !== 'wanting') return reject(state, from, 'reply while no request is outstanding');
  if (ts !== state.requestTs) return reject(state, from, `reply for request ${ts}, outstanding is ${state.requestTs}`);
  if (state.replied.includes(from)) return reject(state, from, 'duplicate reply');
  const replied = [...state.replied, from];
  if (replied.length === state.peers.length) {
    return transition({ ...state, replied, phase: 'held' }, [{ type: 'enter' }]);
  }
  return transition({ ...state, replied });
}
