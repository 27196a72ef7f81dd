import type { Machine, NodeId, Timer, Transition } from '../core/index.js';
import { ConfigError, InvalidCommandError, MAX_COUNTER, STOPPED_TIMER, assertNever, canIncrement, checkMembers, earliest, parse, positiveInt, reject, send, startTimer, timerDue, transition, v } from '../core/index.js';
import { stepMutex, type MutexHandlers, type MutexInput, type MutexOutput } from './common.js';

/**
 * Configuration of a {@link centralizedMutex} node. The same machine plays client and, on the node
 * named `coordinator`, coordinator.
 *
 * @example
 * ```ts
 * import { centralizedMutex, type CentralizedMutexConfig } from 'distkit/mutex';
 * const config: CentralizedMutexConfig = { id: 'b', nodes: ['a', 'b', 'c'], coordinator: 'a', timeoutMs: 500 };
 * const waiting = centralizedMutex.step(centralizedMutex.init(config), { type: 'request', now: 0 }).state;
 * // No grant within timeoutMs: b probes the coordinator.
 * centralizedMutex.step(waiting, { type: 'tick', now: 500 }).outputs; //=> [{ type: 'send', to: 'a', message: { type: 'probe', seq: 1 } }]
 * ```
 */
export interface CentralizedMutexConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every participant, the coordinator included. */
  readonly nodes: readonly NodeId[];
  /** The node that keeps the lock and the FIFO queue. */
  readonly coordinator: NodeId;
  /**
   * A waiting client probes the coordinator after this long without a grant, and reports the
   * coordinator failed when the probe is not answered within this long either. Default 1000.
   */
  readonly timeoutMs?: number;
}

/**
 * A message of the centralized algorithm. `seq` numbers a client's requests.
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * const a = centralizedMutex.init({ id: 'a', nodes: ['a', 'b', 'c'], coordinator: 'a' });
 * // The coordinator grants in FIFO order: c waits behind b.
 * let s = centralizedMutex.step(a, { type: 'message', from: 'b', message: { type: 'request', seq: 1 }, now: 0 }).state;
 * const c = centralizedMutex.step(s, { type: 'message', from: 'c', message: { type: 'request', seq: 1 }, now: 1 });
 * s = c.state;
 * const released = centralizedMutex.step(s, { type: 'message', from: 'b', message: { type: 'release', seq: 1 }, now: 2 });
 * [c.outputs, released.outputs]; //=> [[], [{ type: 'send', to: 'c', message: { type: 'grant', seq: 1 } }]]
 * ```
 */
export interface CentralizedMutexMessage {
  /** `request`, `grant`, `release`; `probe` (client: are you alive?) and `queued` (its answer). */
  readonly type: 'request' | 'grant' | 'release' | 'probe' | 'queued';
  /** The client's request number. */
  readonly seq: number;
}

/**
 * An event: the coordinator did not answer a waiting client's probe in time; the request is
 * abandoned. The host may elect a new coordinator and retry.
 *
 * @example
 * ```ts
 * import { centralizedMutex, type CoordinatorFailedOutput } from 'distkit/mutex';
 * let b = centralizedMutex.init({ id: 'b', nodes: ['a', 'b'], coordinator: 'a', timeoutMs: 500 });
 * b = centralizedMutex.step(b, { type: 'request', now: 0 }).state;
 * b = centralizedMutex.step(b, { type: 'tick', now: 500 }).state; // probe sent
 * // The probe is not answered either: the coordinator is reported failed.
 * centralizedMutex.step(b, { type: 'tick', now: 1000 }).outputs.filter((o): o is CoordinatorFailedOutput => o.type === 'coordinator-failed'); //=> [{ type: 'coordinator-failed', coordinator: 'a' }]
 * ```
 */
export interface CoordinatorFailedOutput {
  /** Discriminant. */
  readonly type: 'coordinator-failed';
  /** The coordinator suspected to have crashed. */
  readonly coordinator: NodeId;
}

/**
 * State of a {@link centralizedMutex} node.
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * centralizedMutex.init({ id: 'a', nodes: ['a', 'b'], coordinator: 'a' }).holder; //=> null
 * ```
 */
export interface CentralizedMutexState {
  /** This node. */
  readonly id: NodeId;
  /** Every participant. */
  readonly nodes: readonly NodeId[];
  /** The coordinator. */
  readonly coordinator: NodeId;
  /** Probe timeout. */
  readonly timeoutMs: number;
  /** Client phase. */
  readonly phase: 'idle' | 'wanting' | 'held';
  /** Client request counter. */
  readonly seq: number;
  /** Client: when to probe or give up; stopped when not waiting. */
  readonly timer: Timer;
  /** Client: a probe is outstanding. */
  readonly probing: boolean;
  /** Coordinator: who holds the lock, null if free. */
  readonly holder: { readonly node: NodeId; readonly seq: number } | null;
  /** Coordinator: FIFO queue of waiting requests. */
  readonly queue: readonly { readonly node: NodeId; readonly seq: number }[];
}

/**
 * Outputs of {@link centralizedMutex}.
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * const a = centralizedMutex.init({ id: 'a', nodes: ['a', 'b', 'c'], coordinator: 'a' });
 * import type { CentralizedMutexOutput } from 'distkit/mutex';
 * const outputs: readonly CentralizedMutexOutput[] = centralizedMutex.step(a, { type: 'request', now: 0 }).outputs;
 * // The coordinator's own request is granted locally.
 * outputs; //=> [{ type: 'enter' }]
 * ```
 */
export type CentralizedMutexOutput = MutexOutput<CentralizedMutexMessage, CoordinatorFailedOutput>;

const messageCheck = v.object({
  type: v.literal('request', 'grant', 'release', 'probe', 'queued'),
  seq: v.int({ min: 1, max: MAX_COUNTER }),
});

type T = Transition<CentralizedMutexState, CentralizedMutexOutput>;

/**
 * Centralized mutual exclusion (Tanenbaum & van Steen, Distributed Systems, §6.3.2): clients send
 * REQUEST to a coordinator, which GRANTs in FIFO order and is told RELEASE. Three messages per
 * entry. A client waiting longer than `timeoutMs` probes the coordinator; an unanswered probe is
 * reported as `coordinator-failed` (the textbook's "coordinator crash" weakness, made visible).
 *
 * @example
 * ```ts
 * import { centralizedMutex } from 'distkit/mutex';
 * const b = centralizedMutex.init({ id: 'b', nodes: ['a', 'b'], coordinator: 'a' });
 * centralizedMutex.step(b, { type: 'request', now: 0 }).outputs;
 * //=> [{ type: 'send', to: 'a', message: { type: 'request', seq: 1 } }]
 * ```
 */
export const centralizedMutex: Machine<CentralizedMutexConfig, CentralizedMutexState, MutexInput, CentralizedMutexOutput> = {
  name: 'centralized-mutex',
  init(config) {
    const nodes = checkMembers(config.id, config.nodes);
    if (!nodes.includes(config.coordinator)) throw new ConfigError('coordinator', 'must be one of nodes');
    return {
      id: config.id,
      nodes,
      coordinator: config.coordinator,
      timeoutMs: positiveInt('timeoutMs', config.timeoutMs, 1000),
      phase: 'idle',
      seq: 0,
      timer: STOPPED_TIMER,
      probing: false,
      holder: null,
      queue: [],
    };
  },
  step: (state, input) => stepMutex(handlers, state, input),
  nextDeadline: (s) => earliest(s.timer),
};

const handlers: MutexHandlers<CentralizedMutexState, CentralizedMutexOutput> = {
  tick: (state, now) => onTick(state, now),
  request(state, now) {
    if (!canIncrement(state.seq) || state.seq >= MAX_COUNTER) throw new InvalidCommandError('request', 'request numbers are exhausted');
    const seq = state.seq + 1;
    const s: CentralizedMutexState = { ...state, seq, phase: 'wanting', probing: false, timer: startTimer(now, state.timeoutMs) };
    if (state.id === state.coordinator) return coordinatorRequest(s, state.id, seq);
    return transition(s, [send(state.coordinator, { type: 'request', seq })]);
  },
  release(state) {
    const s: CentralizedMutexState = { ...state, phase: 'idle', timer: STOPPED_TIMER, probing: false };
    if (state.id === state.coordinator) return coordinatorRelease(s, state.id, state.seq);
    return transition(s, [send(state.coordinator, { type: 'release', seq: state.seq })]);
  },
  message(state, from, message, now) {
    if (!state.nodes.includes(from) || from === state.id) return reject(state, from, `unknown sender ${JSON.stringify(from)}`);
    const parsed = parse(messageCheck, message, 'message');
    if (!parsed.ok) return reject(state, from, parsed.problem);
    const m: CentralizedMutexMessage = parsed.value;
    switch (m.type) {
      case 'request':
      case 'release':
      case 'probe':
        if (state.id !== state.coordinator) return reject(state, from, `${m.type} sent to a node that is not the coordinator`);
        if (m.type === 'request') return coordinatorRequest(state, from, m.seq);
        if (m.type === 'release') return coordinatorRelease(state, from, m.seq);
        return coordinatorProbe(state, from, m.seq);
      case 'grant':
      case 'queued':
        if (from !== state.coordinator) return reject(state, from, `${m.type} from a node that is not the coordinator`);
        return m.type === 'grant' ? clientGrant(state, m.seq) : clientQueued(state, m.seq, now);
    }
    return assertNever(m.type, 'message type');
  },
};

function onTick(state: CentralizedMutexState, now: number): T {
  if (state.phase !== 'wanting' || !timerDue(state.timer, now)) return transition(state);
  if (!state.probing) {
    return transition({ ...state, probing: true, timer: startTimer(now, state.timeoutMs) }, [
      send(state.coordinator, { type: 'probe', seq: state.seq }),
    ]);
  }
  // The probe went unanswered: report the coordinator, abandon the request.
  return transition({ ...state, phase: 'idle', timer: STOPPED_TIMER, probing: false }, [
    { type: 'coordinator-failed', coordinator: state.coordinator },
  ]);
}

function clientGrant(state: CentralizedMutexState, seq: number): T {
  if (state.phase === 'wanting' && seq === state.seq) {
    return transition({ ...state, phase: 'held', timer: STOPPED_TIMER, probing: false }, [{ type: 'enter' }]);
  }
  if (state.phase === 'held' && seq === state.seq) return transition(state); // a repeated grant
  if (seq > state.seq) return reject(state, state.coordinator, `grant for request ${seq} never made`);
  // A grant for an abandoned request: hand it straight back so the lock is not lost.
  return transition(state, [send(state.coordinator, { type: 'release', seq })]);
}

function clientQueued(state: CentralizedMutexState, seq: number, now: number): T {
  if (state.phase !== 'wanting' || seq !== state.seq) return reject(state, state.coordinator, `queued for request ${seq}, not outstanding`);
  // The coordinator is alive and has us queued: wait another full timeout, counted from now.
  return transition({ ...state, probing: false, timer: startTimer(now, state.timeoutMs) });
}

function grantTo(state: CentralizedMutexState, node: NodeId, seq: number): T {
  const s: CentralizedMutexState = { ...state, holder: { node, seq } };
  if (node === state.id) {
    if (state.phase === 'wanting' && state.seq === seq) {
      return transition({ ...s, phase: 'held', timer: STOPPED_TIMER, probing: false }, [{ type: 'enter' }]);
    }
    return coordinatorRelease(s, node, seq); // own request abandoned meanwhile
  }
  return transition(s, [send(node, { type: 'grant', seq })]);
}

function coordinatorRequest(state: CentralizedMutexState, from: NodeId, seq: number): T {
  if (state.holder?.node === from) {
    if (state.holder.seq === seq) return reject(state, from, 'duplicate request');
    // The client gave up its earlier grant and asks again: the old hold is over.
    if (seq < state.holder.seq) return reject(state, from, 'stale request');
    const released = coordinatorRelease(state, from, state.holder.seq);
    return chain(released, (s) => coordinatorRequest(s, from, seq));
  }
  const queued = state.queue.find((q) => q.node === from);
  if (queued !== undefined && queued.seq >= seq) return reject(state, from, 'duplicate or stale request');
  const queue = state.queue.filter((q) => q.node !== from);
  if (state.holder === null) return grantTo({ ...state, queue }, from, seq);
  return transition({ ...state, queue: [...queue, { node: from, seq }] });
}

function coordinatorRelease(state: CentralizedMutexState, from: NodeId, seq: number): T {
  if (state.holder === null || state.holder.node !== from || state.holder.seq !== seq) {
    // Releasing a queued (abandoned) request just drops it.
    if (state.queue.some((q) => q.node === from && q.seq === seq)) {
      return transition({ ...state, queue: state.queue.filter((q) => q.node !== from) });
    }
    return reject(state, from, 'release from a node that does not hold the lock');
  }
  const [head, ...rest] = state.queue;
  if (head === undefined) return transition({ ...state, holder: null });
  return grantTo({ ...state, holder: null, queue: rest }, head.node, head.seq);
}

function coordinatorProbe(state: CentralizedMutexState, from: NodeId, seq: number): T {
  if (state.holder?.node === from && state.holder.seq === seq) return transition(state, [send(from, { type: 'grant', seq })]);
  if (state.queue.some((q) => q.node === from && q.seq === seq)) return transition(state, [send(from, { type: 'queued', seq })]);
  return reject(state, from, `probe for request ${seq} the coordinator does not know`);
}

function chain(t: T, f: (s: CentralizedMutexState) => T): T {
  const u = f(t.state);
  return transition(u.state, [...t.outputs, ...u.outputs]);
}
