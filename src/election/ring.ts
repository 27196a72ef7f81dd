import type { Machine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Timer, Transition, InputHandlers } from '../core/index.js';
import { ConfigError, InvalidCommandError, MAX_COUNTER, checkMembers, compareNodeIds, earliest, parse, positiveInt, reject, send, startTimer, timerDue, transition, v, stepByType } from '../core/index.js';
import { highestId, type ElectCommand, type LeaderOutput } from './common.js';

/**
 * Configuration of a {@link ringElection} node.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * const s = ringElection.init({ id: 'n2', nodes: ['n1', 'n2', 'n3'], variant: 'chang-roberts' });
 * // n2 passes on a larger candidate and swallows a smaller one (Chang-Roberts).
 * ringElection.step(s, { type: 'message', from: 'n1', message: { type: 'election', mid: 0, candidate: 'n1' }, now: 0 }).outputs.filter((o) => o.type === 'send'); //=> [{ type: 'send', to: 'n1', message: { type: 'ack', mid: 0 } }, { type: 'send', to: 'n3', message: { type: 'election', candidate: 'n2', mid: 0 } }]
 * ```
 */
export interface RingElectionConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every node, in ring (sending) order. */
  readonly nodes: readonly NodeId[];
  /**
   * `chang-roberts` (default): only the largest candidate travels on. `candidate-list`: the
   * message collects every live node's id and the initiator picks the largest (Tanenbaum's variant).
   */
  readonly variant?: 'chang-roberts' | 'candidate-list';
  /** A successor that does not acknowledge within this long is skipped as crashed. Default 500. */
  readonly ackTimeoutMs?: number;
  /** Messages awaiting an acknowledgement at most (default {@link RING_MAX_UNACKED}). */
  readonly maxUnacked?: number;
}

/**
 * The default bound on a ring node's messages awaiting acknowledgement. Every election message a
 * predecessor sends may be forwarded, so a flood would grow this table without it; when it is
 * full, messages that would be forwarded are rejected until acknowledgements drain it.
 *
 * @example
 * ```ts
 * import { RING_MAX_UNACKED } from 'distkit/election';
 * RING_MAX_UNACKED; //=> 64
 * ```
 */
export const RING_MAX_UNACKED = 64;

/**
 * A message sent to a successor and not yet acknowledged: what was sent (only validated fields)
 * and when to give up on the successor.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * const a = ringElection.init({ id: 'a', nodes: ['a', 'b', 'c'] });
 * const t = ringElection.step(a, { type: 'elect', now: 0 });
 * t.state.unacked; //=> [{ mid: 0, to: 'b', payload: { type: 'election', candidate: 'a' }, timer: { at: 500, attempt: 0 } }]
 * ```
 */
export interface RingUnacked {
  /** The message number. */
  readonly mid: number;
  /** The successor it went to. */
  readonly to: NodeId;
  /** The protocol message, rebuilt from validated fields. */
  readonly payload: RingPayload;
  /** The acknowledgement timeout, started when the message was sent. */
  readonly timer: Timer;
}

/**
 * A ring-election message. Every message but `ack` carries `mid`, which the receiver acknowledges
 * so that the sender can skip a crashed successor.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * const a = ringElection.init({ id: 'a', nodes: ['a', 'b', 'c'] });
 * const t = ringElection.step(a, { type: 'elect', now: 0 });
 * t.outputs; //=> [{ type: 'send', to: 'b', message: { type: 'election', candidate: 'a', mid: 0 } }]
 * ```
 */
export type RingElectionMessage =
  | { readonly type: 'election'; readonly mid: number; readonly candidate: NodeId }
  | { readonly type: 'elected'; readonly mid: number; readonly leader: NodeId }
  | { readonly type: 'election-list'; readonly mid: number; readonly candidates: readonly NodeId[] }
  | { readonly type: 'coordinator'; readonly mid: number; readonly leader: NodeId; readonly origin: NodeId }
  | { readonly type: 'ack'; readonly mid: number };

/**
 * A ring-election protocol message without its transport number `mid`.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * const c = ringElection.init({ id: 'c', nodes: ['a', 'b', 'c'] });
 * // c's own candidacy came all the way round: c is elected and says so.
 * const t = ringElection.step(c, { type: 'message', from: 'b', message: { type: 'election', mid: 0, candidate: 'c' }, now: 0 });
 * t.outputs.filter((o) => o.type === 'send').map((o) => o.message); //=> [{ type: 'ack', mid: 0 }]
 * ```
 */
export type RingPayload =
  | { readonly type: 'election'; readonly candidate: NodeId }
  | { readonly type: 'elected'; readonly leader: NodeId }
  | { readonly type: 'election-list'; readonly candidates: readonly NodeId[] }
  | { readonly type: 'coordinator'; readonly leader: NodeId; readonly origin: NodeId };

/**
 * State of a {@link ringElection} node.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * ringElection.init({ id: 'a', nodes: ['a', 'b'] }).participant; //=> false
 * ```
 */
export interface RingElectionState {
  /** This node. */
  readonly id: NodeId;
  /** The ring. */
  readonly ring: readonly NodeId[];
  /** Which algorithm. */
  readonly variant: 'chang-roberts' | 'candidate-list';
  /** Acknowledgement timeout. */
  readonly ackTimeoutMs: number;
  /** Bound on `unacked`. */
  readonly maxUnacked: number;
  /** The known leader, or null. */
  readonly leader: NodeId | null;
  /** Chang–Roberts: this node has forwarded an election message and not yet seen the result. */
  readonly participant: boolean;
  /** Ring members this node believes crashed (skipped until heard from again). */
  readonly crashed: readonly NodeId[];
  /** Next message number (wraps to 0 before it would stop being exact). */
  readonly nextMid: number;
  /** Messages sent but not yet acknowledged (at most `maxUnacked`). */
  readonly unacked: readonly RingUnacked[];
}

/**
 * Inputs of {@link ringElection}.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * const a = ringElection.init({ id: 'a', nodes: ['a', 'b', 'c'] });
 * const t = ringElection.step(a, { type: 'elect', now: 0 });
 * t.state.participant; //=> true
 * ```
 */
export type RingElectionInput = MessageInput<unknown> | TickInput | ElectCommand;

/**
 * An event: a successor did not acknowledge and is skipped until it is heard from again.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * const a = ringElection.init({ id: 'a', nodes: ['a', 'b', 'c'] });
 * const t = ringElection.step(a, { type: 'elect', now: 0 });
 * // Nobody acknowledges: after its retries a skips b, then c, and is left to lead alone.
 * let s = t.state;
 * const skipped: unknown[] = [];
 * for (let now = 500; now <= 5000; now += 500) {
 *   const r = ringElection.step(s, { type: 'tick', now });
 *   s = r.state;
 *   skipped.push(...r.outputs.filter((o) => o.type !== 'send'));
 * }
 * skipped; //=> [{ type: 'successor-skipped', node: 'b' }, { type: 'successor-skipped', node: 'c' }, { type: 'leader', leader: 'a' }]
 * ```
 */
export interface SuccessorSkippedOutput {
  /** Discriminant. */
  readonly type: 'successor-skipped';
  /** The successor believed crashed. */
  readonly node: NodeId;
}

/**
 * Outputs of {@link ringElection}.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * const a = ringElection.init({ id: 'a', nodes: ['a', 'b', 'c'] });
 * const t = ringElection.step(a, { type: 'elect', now: 0 });
 * t.outputs.map((o) => o.type); //=> ['send']
 * ```
 */
export type RingElectionOutput = SendOutput<RingElectionMessage> | RejectedOutput | LeaderOutput | SuccessorSkippedOutput;

type T = Transition<RingElectionState, RingElectionOutput>;

const id = v.id();
const mid = v.int({ min: 0, max: MAX_COUNTER });
const messageCheck = v.tagged({
  election: v.object({ type: v.literal('election'), mid, candidate: id }),
  elected: v.object({ type: v.literal('elected'), mid, leader: id }),
  'election-list': v.object({ type: v.literal('election-list'), mid, candidates: v.array(id, { minLength: 1, maxLength: 4096 }) }),
  coordinator: v.object({ type: v.literal('coordinator'), mid, leader: id, origin: id }),
  ack: v.object({ type: v.literal('ack'), mid }),
});

/**
 * Ring election. `chang-roberts` (Chang & Roberts, CACM 1979): a node forwards a larger candidate,
 * replaces a smaller one by itself unless it already takes part, and wins when its own id comes
 * back; ELECTED then travels once round. For one initiator, 2N to 3N−1 messages. `candidate-list`
 * (Tanenbaum & van Steen §6.4.1, the notes' variant): the message collects every live node and the
 * initiator announces the largest. Crashed successors are skipped after `ackTimeoutMs` without an
 * acknowledgement; acks are transport and not counted among election messages.
 *
 * @example
 * ```ts
 * import { ringElection } from 'distkit/election';
 * const a = ringElection.init({ id: 'a', nodes: ['a', 'b', 'c'] });
 * ringElection.step(a, { type: 'elect', now: 0 }).outputs;
 * //=> [{ type: 'send', to: 'b', message: { type: 'election', mid: 0, candidate: 'a' } }]
 * ```
 */
export const ringElection: Machine<RingElectionConfig, RingElectionState, RingElectionInput, RingElectionOutput> = {
  name: 'ring-election',
  init(config) {
    const ring = checkMembers(config.id, config.nodes);
    const variant = config.variant ?? 'chang-roberts';
    if (variant !== 'chang-roberts' && variant !== 'candidate-list') throw new ConfigError('variant', `unknown variant ${String(variant)}`);
    return {
      id: config.id,
      ring,
      variant,
      ackTimeoutMs: positiveInt('ackTimeoutMs', config.ackTimeoutMs, 500),
      maxUnacked: positiveInt('maxUnacked', config.maxUnacked, RING_MAX_UNACKED),
      leader: null,
      participant: false,
      crashed: [],
      nextMid: 0,
      unacked: [],
    };
  },
  step: (state, input) => stepByType(inputs, state, input),
  nextDeadline: (s) => earliest(...s.unacked.map((u) => u.timer)),
};

const inputs: InputHandlers<RingElectionState, RingElectionInput, RingElectionOutput> = {
  elect: (s, _input, now) => onElect(s, now),
  tick: (s, _input, now) => onTick(s, now),
  message: (s, input, now) => onMessage(s, input, now),
};

function onElect(state: RingElectionState, now: number): T {
  if (state.unacked.length >= state.maxUnacked) throw new InvalidCommandError('elect', `${state.unacked.length} messages await acknowledgement (maxUnacked); try again later`);
  if (state.variant === 'chang-roberts') {
    return forward({ ...state, participant: true }, { type: 'election', candidate: state.id }, [], now);
  }
  return forward(state, { type: 'election-list', candidates: [state.id] }, [], now);
}

function onMessage(state: RingElectionState, input: MessageInput<unknown>, now: number): T {
  const { from, message } = input;
  if (from === state.id || !state.ring.includes(from)) return reject(state, from, 'unknown sender');
  const parsed = parse(messageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const m = parsed.value as RingElectionMessage;
  if (m.type === 'ack') {
    if (!state.unacked.some((u) => u.mid === m.mid && u.to === from)) return reject(state, from, `ack for unknown message ${m.mid}`);
    return transition({ ...state, unacked: state.unacked.filter((u) => !(u.mid === m.mid && u.to === from)) });
  }
  const why = payloadProblem(state, m);
  if (why !== undefined) return reject(state, from, why);
  if (state.unacked.length >= state.maxUnacked) return reject(state, from, `${state.unacked.length} messages await acknowledgement (maxUnacked)`);
  // A message from a node we skipped: it is back.
  const s: RingElectionState = state.crashed.includes(from) ? { ...state, crashed: state.crashed.filter((c) => c !== from) } : state;
  return handle(s, payloadOf(m), [send(from, { type: 'ack', mid: m.mid })], now);
}

/** The protocol message without its transport number, built from the validated fields only. */
function payloadOf(m: Exclude<RingElectionMessage, { type: 'ack' }>): RingPayload {
  switch (m.type) {
    case 'election':
      return { type: 'election', candidate: m.candidate };
    case 'elected':
      return { type: 'elected', leader: m.leader };
    case 'election-list':
      return { type: 'election-list', candidates: m.candidates.slice() };
    case 'coordinator':
      return { type: 'coordinator', leader: m.leader, origin: m.origin };
  }
}

function payloadProblem(state: RingElectionState, m: Exclude<RingElectionMessage, { type: 'ack' }>): string | undefined {
  const member = (x: NodeId) => state.ring.includes(x);
  switch (m.type) {
    case 'election':
      return member(m.candidate) ? undefined : 'candidate not in the ring';
    case 'elected':
      return member(m.leader) ? undefined : 'leader not in the ring';
    case 'election-list':
      if (!m.candidates.every(member)) return 'candidates outside the ring';
      if (new Set(m.candidates).size !== m.candidates.length) return 'duplicate candidates';
      return undefined;
    case 'coordinator':
      return member(m.leader) && member(m.origin) ? undefined : 'leader or origin not in the ring';
  }
}

function handle(state: RingElectionState, p: RingPayload, outputs: RingElectionOutput[], now: number): T {
  const me = state.id;
  switch (p.type) {
    case 'election': {
      const c = compareNodeIds(p.candidate, me);
      if (c > 0) return forward({ ...state, participant: true }, p, outputs, now);
      if (c < 0) {
        if (state.participant) return transition(state, outputs); // a smaller candidate dies here
        return forward({ ...state, participant: true }, { type: 'election', candidate: me }, outputs, now);
      }
      // Our own id came back round: we are the largest. A copy arriving after we already
      // announced (a resend after a skipped successor) is a duplicate: it must not start a
      // second ELECTED round, or copies multiply on every resend.
      if (!state.participant) return transition(state, outputs);
      return forward(setLeader({ ...state, participant: false }, me, outputs), { type: 'elected', leader: me }, outputs, now);
    }
    case 'elected':
      if (p.leader === me) return transition(state, outputs); // went round: done
      // Chang–Roberts: a non-participant that already knows this leader has seen this round.
      if (!state.participant && state.leader === p.leader) return transition(state, outputs);
      return forward(setLeader({ ...state, participant: false }, p.leader, outputs), p, outputs, now);
    case 'election-list': {
      if (p.candidates.includes(me)) {
        const leader = highestId(p.candidates)!;
        return forward(setLeader(state, leader, outputs), { type: 'coordinator', leader, origin: me }, outputs, now);
      }
      return forward(state, { type: 'election-list', candidates: [...p.candidates, me] }, outputs, now);
    }
    case 'coordinator':
      if (p.origin === me) return transition(state, outputs);
      return forward(setLeader(state, p.leader, outputs), p, outputs, now);
  }
}

function setLeader(state: RingElectionState, leader: NodeId, outputs: RingElectionOutput[]): RingElectionState {
  if (state.leader !== leader) outputs.push({ type: 'leader', leader });
  return { ...state, leader };
}

/**
 * Sends to the first successor not believed crashed. A node that believes every other member
 * crashed is alone on the ring: it is the largest live id, so it leads (handing the message to
 * itself would forward a larger crashed candidate round forever).
 */
function forward(state: RingElectionState, p: RingPayload, outputs: RingElectionOutput[], now: number): T {
  const to = successor(state);
  if (to === state.id) return transition(setLeader({ ...state, participant: false }, state.id, outputs), outputs);
  const mid = state.nextMid;
  const message = { ...p, mid } as RingElectionMessage;
  return transition(
    {
      ...state,
      nextMid: mid < MAX_COUNTER ? mid + 1 : 0,
      unacked: [...state.unacked, { mid, to, payload: p, timer: startTimer(now, state.ackTimeoutMs) }],
    },
    [...outputs, send(to, message)],
  );
}

function successor(state: RingElectionState): NodeId {
  const n = state.ring.length;
  const i = state.ring.indexOf(state.id);
  for (let k = 1; k < n; k++) {
    const cand = state.ring[(i + k) % n]!;
    if (!state.crashed.includes(cand)) return cand;
  }
  return state.id;
}

function onTick(state: RingElectionState, now: number): T {
  const expired = state.unacked.filter((u) => timerDue(u.timer, now));
  if (expired.length === 0) return transition(state);
  let s: RingElectionState = { ...state, unacked: state.unacked.filter((u) => !timerDue(u.timer, now)) };
  const outputs: RingElectionOutput[] = [];
  for (const u of expired) {
    if (!s.crashed.includes(u.to)) {
      s = { ...s, crashed: [...s.crashed, u.to] };
      outputs.push({ type: 'successor-skipped', node: u.to });
    }
  }
  // Resend each unacknowledged message to the next live successor.
  let t = transition(s, outputs);
  for (const u of expired) {
    const r = forward(t.state, u.payload, [], now);
    t = transition(r.state, [...t.outputs, ...r.outputs]);
  }
  return t;
}
