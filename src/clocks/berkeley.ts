import type { Machine, MessageInput, NodeId, RejectedOutput, SendOutput, Timer, Transition } from '../core/index.js';
import { assertNever, checkMembers, ConfigError, checkObject, InvalidCommandError, MAX_COUNTER, describeValue, earliest, hasOwn, inputNow, nonNegativeMs, positiveMs, reject, setOwn, startTimer, STOPPED_TIMER, timerDue, v, withOwn } from '../core/index.js';
import { nodeIdProblem } from './parse.js';

/**
 * Configuration of a {@link berkeley} node.
 *
 * @example
 * ```ts
 * import { berkeley, type BerkeleyConfig } from 'distkit/clocks';
 * const config: BerkeleyConfig = { id: 'a', nodes: ['m', 'a', 'b'], master: 'm', toleranceMs: 20 };
 * berkeley.init(config).toleranceMs; //=> 20
 * ```
 */
export interface BerkeleyConfig {
  /** This node. */
  readonly id: NodeId;
  /** Every member, the master included. */
  readonly nodes: readonly NodeId[];
  /** The time daemon that polls the others. */
  readonly master: NodeId;
  /** Time between the starts of two rounds (default 10 000 ms). */
  readonly pollIntervalMs?: number;
  /** How long the master waits for replies before closing a round (default 1 000 ms). */
  readonly replyTimeoutMs?: number;
  /**
   * The fault-tolerant average only takes the largest group of clocks within this distance of each
   * other (default 20 ms); clocks outside are still corrected, but do not pull the average.
   */
  readonly toleranceMs?: number;
  /** Replies whose round trip exceeds this are discarded, their estimate too uncertain (default `replyTimeoutMs`). */
  readonly maxRoundTripMs?: number;
  /** The local clock's reading minus the host's `now` before any input carries a `clockMs` (default 0). */
  readonly clockOffsetMs?: number;
}

/**
 * The messages {@link berkeley} nodes exchange (Gusella & Zatti 1989, TEMPO): the master's poll,
 * a follower's clock reading, and the master's correction (a delta, not a time, so that its own
 * transit time does not matter).
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * let m = berkeley.init({ id: 'm', nodes: ['m', 'a'], master: 'm', toleranceMs: 50 });
 * const poll = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = poll.state;
 * // a's clock reads 1040 when the poll arrives; the master reads 1010 when the answer is back.
 * const t = berkeley.step(m, { type: 'message', from: 'a', message: { type: 'time', round: 1, clockMs: 1040 }, now: 10, clockMs: 1010 });
 * t.outputs.filter((o) => o.type === 'send'); //=> [{ type: 'send', to: 'a', message: { type: 'adjust', round: 1, deltaMs: -17.5 } }]
 * ```
 */
export type BerkeleyMessage =
  | { readonly type: 'poll'; readonly round: number }
  | { readonly type: 'time'; readonly round: number; readonly clockMs: number }
  | { readonly type: 'adjust'; readonly round: number; readonly deltaMs: number };

/**
 * The local clock reading any {@link berkeley} input may carry. Two clocks meet here and must
 * not be confused: the input's `now` is the host's monotonic time, which every distkit input
 * carries and which times the machine's deadlines and round trips; `clockMs` is the reading, at
 * that `now`, of the clock Berkeley synchronizes (the node's wall clock, which the `adjust`
 * outputs correct). When `clockMs` is absent the machine uses its model: the last known
 * `clockMs − now` plus the corrections since. A `clockMs` comes from the local host; a
 * non-finite one throws `InvalidCommandError`.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * const a = berkeley.init({ id: 'a', nodes: ['m', 'a'], master: 'm' });
 * berkeley.step(a, { type: 'message', from: 'm', message: { type: 'poll', round: 1 }, now: 5, clockMs: 1040 }).outputs; //=> [{ type: 'send', to: 'm', message: { type: 'time', round: 1, clockMs: 1040 } }]
 * ```
 */
export interface BerkeleyClockReading {
  /** The local clock's reading at the input's `now` (ms). */
  readonly clockMs?: number;
}

/**
 * A tick: a deadline the node asked for is due; the master starts a round when one is due and
 * closes it at its deadline.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * let m = berkeley.init({ id: 'm', nodes: ['m', 'a'], master: 'm', toleranceMs: 50 });
 * const poll = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = poll.state;
 * poll.outputs; //=> [{ type: 'send', to: 'a', message: { type: 'poll', round: 1 } }]
 * ```
 */
export interface BerkeleyTick extends BerkeleyClockReading {
  /** Discriminant. */
  readonly type: 'tick';
  /** The host's monotonic time (ms). */
  readonly now: number;
}

/**
 * A message from a peer (untrusted), with the host's time (`now`) and, optionally, the local
 * clock's reading at its arrival.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * const a = berkeley.init({ id: 'a', nodes: ['m', 'a'], master: 'm' });
 * const polled = berkeley.step(a, { type: 'message', from: 'm', message: { type: 'poll', round: 1 }, now: 5, clockMs: 1040 }).state;
 * const adjust = { type: 'adjust', round: 1, deltaMs: -17.5 } as const;
 * berkeley.step(polled, { type: 'message', from: 'm', message: adjust, now: 20, clockMs: 1060 }).outputs; //=> [{ type: 'adjust', round: 1, deltaMs: -17.5 }]
 * ```
 */
export interface BerkeleyMessageInput extends MessageInput<unknown>, BerkeleyClockReading {}

/**
 * A local command to the master: start a round now (whatever the schedule).
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * const m = berkeley.init({ id: 'm', nodes: ['m', 'a', 'b'], master: 'm' });
 * // Start a round now instead of waiting for the interval.
 * berkeley.step(m, { type: 'sync', now: 42, clockMs: 1042 }).outputs.map((o) => o.type === 'send' && o.to); //=> ['a', 'b']
 * ```
 */
export interface BerkeleySync extends BerkeleyClockReading {
  /** Discriminant. */
  readonly type: 'sync';
  /** The host's monotonic time (ms). */
  readonly now: number;
}

/**
 * Every input of {@link berkeley}.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * let m = berkeley.init({ id: 'm', nodes: ['m', 'a'], master: 'm', toleranceMs: 50 });
 * const poll = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = poll.state;
 * m.round; //=> 1
 * ```
 */
export type BerkeleyInput = BerkeleyTick | BerkeleyMessageInput | BerkeleySync;

/**
 * Event: shift the local clock by `deltaMs` (slew it, ideally, to keep it monotonic). Emitted by a
 * follower on the master's correction and by the master for its own clock.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * let m = berkeley.init({ id: 'm', nodes: ['m', 'a'], master: 'm', toleranceMs: 50 });
 * const poll = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = poll.state;
 * // a's clock reads 1040 when the poll arrives; the master reads 1010 when the answer is back.
 * const t = berkeley.step(m, { type: 'message', from: 'a', message: { type: 'time', round: 1, clockMs: 1040 }, now: 10, clockMs: 1010 });
 * t.outputs.at(-1); //=> { type: 'adjust', round: 1, deltaMs: 17.5 }
 * ```
 */
export interface BerkeleyAdjustOutput {
  /** Discriminant. */
  readonly type: 'adjust';
  /** The round the correction comes from. */
  readonly round: number;
  /** How much to add to the local clock (ms). */
  readonly deltaMs: number;
}

/**
 * Event at the master when a round closes: what it measured and decided.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * let m = berkeley.init({ id: 'm', nodes: ['m', 'a'], master: 'm', toleranceMs: 50 });
 * const poll = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = poll.state;
 * // a's clock reads 1040 when the poll arrives; the master reads 1010 when the answer is back.
 * const t = berkeley.step(m, { type: 'message', from: 'a', message: { type: 'time', round: 1, clockMs: 1040 }, now: 10, clockMs: 1010 });
 * t.outputs[0]; //=> { type: 'round', round: 1, averageMs: 17.5, estimatesMs: { m: 0, a: 35 }, excluded: [], missing: [] }
 * ```
 */
export interface BerkeleyRoundOutput {
  /** Discriminant. */
  readonly type: 'round';
  /** The round number. */
  readonly round: number;
  /** The fault-tolerant average offset from the master's clock; every clock is moved onto it. */
  readonly averageMs: number;
  /** Each answering node's estimated offset from the master's clock (the master's is 0). */
  readonly estimatesMs: Readonly<Record<NodeId, number>>;
  /** Nodes whose clocks fell outside the tolerance group (corrected, but left out of the average). */
  readonly excluded: readonly NodeId[];
  /** Nodes that did not answer in time (or too slowly): not corrected this round. */
  readonly missing: readonly NodeId[];
}

/**
 * Every output of {@link berkeley}.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * let m = berkeley.init({ id: 'm', nodes: ['m', 'a'], master: 'm', toleranceMs: 50 });
 * const poll = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = poll.state;
 * // a's clock reads 1040 when the poll arrives; the master reads 1010 when the answer is back.
 * const t = berkeley.step(m, { type: 'message', from: 'a', message: { type: 'time', round: 1, clockMs: 1040 }, now: 10, clockMs: 1010 });
 * t.outputs.map((o) => o.type); //=> ['round', 'send', 'adjust']
 * ```
 */
export type BerkeleyOutput = SendOutput<BerkeleyMessage> | RejectedOutput | BerkeleyAdjustOutput | BerkeleyRoundOutput;

/**
 * A round in progress at the master.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * let m = berkeley.init({ id: 'm', nodes: ['m', 'a'], master: 'm', toleranceMs: 50 });
 * const poll = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = poll.state;
 * m.pending; //=> { round: 1, sentAt: 0, replyTimer: { at: 1000, attempt: 0 }, estimatesMs: { m: 0 } }
 * ```
 */
export interface BerkeleyRound {
  /** Its number. */
  readonly round: number;
  /** The host's `now` when the polls went out (the start of every round trip). */
  readonly sentAt: number;
  /** Closes the round, even with replies missing, `replyTimeoutMs` after `sentAt`. */
  readonly replyTimer: Timer;
  /** Offsets estimated so far, from the master's clock (the master's own is 0). */
  readonly estimatesMs: Readonly<Record<NodeId, number>>;
}

/**
 * The state of a {@link berkeley} node: plain data.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * const nodes = ['m', 'a'];
 * let m = berkeley.init({ id: 'm', nodes, master: 'm' });
 * let a = berkeley.init({ id: 'a', nodes, master: 'm' });
 * // Round 1: m polls a at clock 1000; a's clock reads 1041 when the poll arrives; the reply takes 4 ms.
 * let t = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = t.state;
 * const poll = t.outputs.find((o) => o.type === 'send');
 * const r = berkeley.step(a, { type: 'message', from: 'm', message: poll?.type === 'send' ? poll.message : null, now: 2, clockMs: 1041 });
 * a = r.state;
 * const reply = r.outputs.find((o) => o.type === 'send');
 * t = berkeley.step(m, { type: 'message', from: 'a', message: reply?.type === 'send' ? reply.message : null, now: 4, clockMs: 1004 });
 * // a's reading, corrected for half the round trip, is 39 ms ahead: beyond the 20 ms tolerance, so
 * // the fault-tolerant average leaves a out and tells it to move back 39 ms.
 * t.outputs; //=> [{ type: 'round', round: 1, averageMs: 0, estimatesMs: { m: 0, a: 39 }, excluded: ['a'], missing: [] }, { type: 'send', to: 'a', message: { type: 'adjust', round: 1, deltaMs: -39 } }, { type: 'adjust', round: 1, deltaMs: 0 }]
 * t.state.round; //=> 1
 * ```
 */
export interface BerkeleyState {
  /** This node. */
  readonly id: NodeId;
  /** Every member. */
  readonly nodes: readonly NodeId[];
  /** The master. */
  readonly master: NodeId;
  /** See {@link BerkeleyConfig.pollIntervalMs}. */
  readonly pollIntervalMs: number;
  /** See {@link BerkeleyConfig.replyTimeoutMs}. */
  readonly replyTimeoutMs: number;
  /** See {@link BerkeleyConfig.toleranceMs}. */
  readonly toleranceMs: number;
  /** See {@link BerkeleyConfig.maxRoundTripMs}. */
  readonly maxRoundTripMs: number;
  /** The model of the local clock: its reading at host time `now` is `now + offsetMs`. */
  readonly offsetMs: number;
  /** Master: the last round started. Follower: the last round answered. */
  readonly round: number;
  /** Follower: the last round whose correction was applied (a correction applies once per poll answered). */
  readonly adjustedRound: number;
  /**
   * Master: when the next round starts. A fresh master's is due at time 0 of the host clock, so
   * its first tick polls. Stopped at a follower.
   */
  readonly pollTimer: Timer;
  /** Master: the round in progress, if any. */
  readonly pending: BerkeleyRound | null;
}

/**
 * The largest clock reading, correction or offset (ms, in absolute value) a {@link berkeley} node
 * accepts: `Number.MAX_SAFE_INTEGER`, about 285,000 years. Larger values from a peer are
 * rejected, so sums of offsets stay finite and exact enough.
 *
 * @example
 * ```ts
 * import { BERKELEY_MAX_CLOCK_MS } from 'distkit/clocks';
 * BERKELEY_MAX_CLOCK_MS === Number.MAX_SAFE_INTEGER; //=> true
 * ```
 */
export const BERKELEY_MAX_CLOCK_MS = Number.MAX_SAFE_INTEGER;

function init(config: BerkeleyConfig): BerkeleyState {
  checkObject('config', config, 'expected an object');
  const nodes = checkMembers(config.id, config.nodes);
  nodes.forEach((n, i) => {
    const p = nodeIdProblem(n); // node ids key plain-object tables: no Object.prototype names
    if (p !== undefined) throw new ConfigError(`nodes[${i}]`, p);
  });
  if (!nodes.includes(config.master)) throw new ConfigError('master', `${JSON.stringify(config.master)} is not in nodes`);
  const pollIntervalMs = positiveMs('pollIntervalMs', config.pollIntervalMs, 10_000);
  const replyTimeoutMs = positiveMs('replyTimeoutMs', config.replyTimeoutMs, 1_000);
  const toleranceMs = nonNegativeMs('toleranceMs', config.toleranceMs, 20);
  const maxRoundTripMs = positiveMs('maxRoundTripMs', config.maxRoundTripMs, replyTimeoutMs);
  const offsetMs = config.clockOffsetMs ?? 0;
  if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || Math.abs(offsetMs) > BERKELEY_MAX_CLOCK_MS) throw new ConfigError('clockOffsetMs', `expected a finite number, got ${describeValue(offsetMs)}`);
  return {
    id: config.id,
    nodes,
    master: config.master,
    pollIntervalMs,
    replyTimeoutMs,
    toleranceMs,
    maxRoundTripMs,
    offsetMs,
    round: 0,
    adjustedRound: 0,
    pollTimer: config.id === config.master ? startTimer(0, 0) : STOPPED_TIMER,
    pending: null,
  };
}

const round = v.int({ min: 1, max: MAX_COUNTER });
const clock = v.number({ min: -BERKELEY_MAX_CLOCK_MS, max: BERKELEY_MAX_CLOCK_MS });
const messageCheck = v.tagged({
  poll: v.object({ type: v.literal('poll'), round }),
  time: v.object({ type: v.literal('time'), round, clockMs: clock }),
  adjust: v.object({ type: v.literal('adjust'), round, deltaMs: clock }),
});

type Out = Transition<BerkeleyState, BerkeleyOutput>;

/**
 * Reads the local clock reading an input carries (local data: a bad one throws) and returns the
 * state with its clock model updated, or the same state when nothing changed.
 */
function observe(state: BerkeleyState, input: BerkeleyClockReading & { readonly type: string }, now: number): BerkeleyState {
  const clockMs = input.clockMs;
  if (clockMs === undefined) return state;
  if (typeof clockMs !== 'number' || !Number.isFinite(clockMs) || Math.abs(clockMs) > BERKELEY_MAX_CLOCK_MS) {
    throw new InvalidCommandError(input.type, `clockMs must be a finite number of ms within ±${BERKELEY_MAX_CLOCK_MS}, got ${describeValue(clockMs)}`);
  }
  const offsetMs = clockMs - now;
  return offsetMs === state.offsetMs ? state : { ...state, offsetMs };
}

function step(state: BerkeleyState, input: BerkeleyInput): Out {
  const now = inputNow(input);
  switch (input.type) {
    case 'tick':
      return onTick(observe(state, input, now), now);
    case 'sync': {
      if (state.id !== state.master) throw new InvalidCommandError('sync', `only the master (${state.master}) starts rounds`);
      if (state.pending !== null) throw new InvalidCommandError('sync', `round ${state.pending.round} is still in progress`);
      return startRound(observe(state, input, now), now, []);
    }
    case 'message':
      // The clock reading is checked first: it is the local host's data, whatever the peer sent.
      observe(state, input, now);
      return onMessage(state, input, now);
    default:
      return assertNever(input, 'input');
  }
}

function onTick(state: BerkeleyState, now: number): Out {
  if (state.id !== state.master) return { state, outputs: [] };
  let s = state;
  const outputs: BerkeleyOutput[] = [];
  if (s.pending !== null && timerDue(s.pending.replyTimer, now)) {
    const t = finishRound(s, s.pending);
    s = t.state;
    outputs.push(...t.outputs);
  }
  if (s.pending === null && timerDue(s.pollTimer, now)) return startRound(s, now, outputs);
  return { state: s, outputs };
}

/** TEMPO: the master polls every follower, noting when (for the round-trip correction). */
function startRound(state: BerkeleyState, now: number, outputs: BerkeleyOutput[]): Out {
  // Round numbers wrap before they reach MAX_COUNTER: followers accept any round but the one
  // they answered last (a restarted master numbers its rounds from 1 again, too).
  const r = state.round >= MAX_COUNTER ? 1 : state.round + 1;
  const pending: BerkeleyRound = {
    round: r,
    sentAt: now,
    replyTimer: startTimer(now, state.replyTimeoutMs),
    estimatesMs: setOwn({}, state.id, 0),
  };
  const s: BerkeleyState = { ...state, round: r, pending, pollTimer: startTimer(now, state.pollIntervalMs) };
  for (const n of state.nodes) if (n !== state.id) outputs.push({ type: 'send', to: n, message: { type: 'poll', round: r } });
  if (state.nodes.length === 1) return finishRoundInto(s, pending, outputs);
  return { state: s, outputs };
}

function onMessage(state: BerkeleyState, input: BerkeleyMessageInput, now: number): Out {
  const from = input.from;
  if (typeof from !== 'string' || !state.nodes.includes(from) || from === state.id) {
    return reject(state, typeof from === 'string' ? from : 'unknown', `unknown sender ${describeValue(from)}`);
  }
  const problem = messageCheck(input.message, 'message');
  if (problem !== undefined) return reject(state, from, problem);
  const m = input.message as BerkeleyMessage;
  const isMaster = state.id === state.master;
  switch (m.type) {
    case 'poll':
      if (isMaster || from !== state.master) return reject(state, from, `poll from ${from}, who is not the master`);
      // Any other round is accepted: a master that restarted numbers its rounds from 1 again.
      // Corrections stay safe: one is only applied for the round just answered, and once.
      if (m.round === state.round) return reject(state, from, `duplicate poll for round ${m.round}`);
      return onPoll(observe(state, input, now), m.round, from, now);
    case 'time':
      if (!isMaster) return reject(state, from, 'time reading sent to a node that is not the master');
      return onTime(state, input, from, m.round, m.clockMs, now);
    case 'adjust':
      if (isMaster || from !== state.master) return reject(state, from, `adjust from ${from}, who is not the master`);
      if (m.round !== state.round || state.adjustedRound === m.round) {
        return reject(state, from, `adjust for round ${m.round} does not match the poll answered (round ${state.round}) or was already applied`);
      }
      return onAdjust(state, input, m.round, m.deltaMs, now);
    default:
      return assertNever(m, 'berkeley message');
  }
}

/** A follower answers a poll with its clock reading at the poll's arrival. */
function onPoll(state: BerkeleyState, r: number, from: NodeId, now: number): Out {
  const clockMs = now + state.offsetMs;
  return {
    state: { ...state, round: r },
    outputs: [{ type: 'send', to: from, message: { type: 'time', round: r, clockMs } }],
  };
}

/** The master records a follower's reading, timed by the reply's arrival. */
function onTime(state: BerkeleyState, input: BerkeleyMessageInput, from: NodeId, r: number, clockMs: number, now: number): Out {
  const p = state.pending;
  if (p === null || p.round !== r) return reject(state, from, `time reading for round ${r}, which is not in progress`);
  if (hasOwn(p.estimatesMs, from)) return reject(state, from, `duplicate time reading for round ${r}`);
  const s = observe(state, input, now);
  const estimate = estimateOffset(s, p, clockMs, now);
  if (estimate === undefined) {
    return reject(state, from, `round trip ${now - p.sentAt} ms exceeds maxRoundTripMs ${s.maxRoundTripMs}, or the reading is out of range`);
  }
  const pending: BerkeleyRound = { ...p, estimatesMs: withOwn(p.estimatesMs, from, estimate) };
  const next: BerkeleyState = { ...s, pending };
  if (Object.keys(pending.estimatesMs).length === s.nodes.length) return finishRound(next, pending);
  return { state: next, outputs: [] };
}

/**
 * TEMPO's round-trip correction: the follower read its clock about RTT/2 before the reply arrived,
 * so its offset from the master is reading + RTT/2 − master clock at arrival. `undefined` when the
 * round trip is too long to trust or the result is not finite.
 */
function estimateOffset(state: BerkeleyState, p: BerkeleyRound, clockMs: number, now: number): number | undefined {
  const rtt = now - p.sentAt;
  if (rtt > state.maxRoundTripMs) return undefined;
  const estimate = clockMs + Math.max(rtt, 0) / 2 - (now + state.offsetMs);
  return Number.isFinite(estimate) && Math.abs(estimate) <= BERKELEY_MAX_CLOCK_MS ? estimate : undefined;
}

function finishRound(state: BerkeleyState, p: BerkeleyRound): Out {
  return finishRoundInto(state, p, []);
}

/**
 * Gusella & Zatti 1989 §2: the fault-tolerant average — the mean of the largest subset of clocks
 * that lie within `toleranceMs` of each other — then each node's correction, as a delta.
 */
function finishRoundInto(state: BerkeleyState, p: BerkeleyRound, outputs: BerkeleyOutput[]): Out {
  const ids = state.nodes.filter((n) => hasOwn(p.estimatesMs, n));
  const group = toleranceGroup(ids.map((id) => ({ id, ms: p.estimatesMs[id] as number })), state.toleranceMs);
  const inGroup = new Set(group);
  let sum = 0;
  for (const id of group) sum += p.estimatesMs[id] as number;
  const averageMs = sum / group.length;
  outputs.push({
    type: 'round',
    round: p.round,
    averageMs,
    estimatesMs: p.estimatesMs,
    excluded: ids.filter((id) => !inGroup.has(id)),
    missing: state.nodes.filter((n) => !hasOwn(p.estimatesMs, n)),
  });
  for (const id of ids) {
    if (id === state.id) continue;
    outputs.push({ type: 'send', to: id, message: { type: 'adjust', round: p.round, deltaMs: averageMs - (p.estimatesMs[id] as number) } });
  }
  // The master's own estimate is 0: its correction is the average itself.
  outputs.push({ type: 'adjust', round: p.round, deltaMs: averageMs });
  // Estimates are bounded by BERKELEY_MAX_CLOCK_MS, so their average and the new offset are finite.
  return { state: { ...state, pending: null, offsetMs: state.offsetMs + averageMs }, outputs };
}

/**
 * The largest set of readings whose spread is at most `toleranceMs` (a window over the sorted
 * values). Ties go to the tighter window, then the earlier one, so the result is deterministic.
 */
function toleranceGroup(readings: { id: NodeId; ms: number }[], toleranceMs: number): NodeId[] {
  const sorted = readings.slice().sort((a, b) => a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let bestLo = 0;
  let bestHi = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as { ms: number }).ms - (sorted[lo] as { ms: number }).ms > toleranceMs) lo++;
    const size = hi - lo;
    const bestSize = bestHi - bestLo;
    const spread = sorted[hi]!.ms - sorted[lo]!.ms;
    const bestSpread = sorted[bestHi]!.ms - sorted[bestLo]!.ms;
    if (size > bestSize || (size === bestSize && spread < bestSpread)) {
      bestLo = lo;
      bestHi = hi;
    }
  }
  return sorted.slice(bestLo, bestHi + 1).map((r) => r.id);
}

/** A follower applies the master's correction. */
function onAdjust(state: BerkeleyState, input: BerkeleyMessageInput, r: number, deltaMs: number, now: number): Out {
  const s = observe(state, input, now);
  const offsetMs = s.offsetMs + deltaMs;
  if (Math.abs(offsetMs) > BERKELEY_MAX_CLOCK_MS) return reject(state, input.from, `adjust by ${deltaMs} ms would move the clock beyond ±${BERKELEY_MAX_CLOCK_MS} ms`);
  return {
    state: { ...s, adjustedRound: r, offsetMs },
    outputs: [{ type: 'adjust', round: r, deltaMs }],
  };
}

/**
 * When the node next needs a tick: the master's round deadline, or its next poll; `undefined`
 * for a follower (it only reacts to messages).
 *
 * @example
 * ```ts
 * import { berkeley, berkeleyNextDeadline } from 'distkit/clocks';
 * berkeleyNextDeadline(berkeley.init({ id: 'm', nodes: ['m', 'a'], master: 'm' })); //=> 0
 * berkeleyNextDeadline(berkeley.init({ id: 'a', nodes: ['m', 'a'], master: 'm' })); //=> undefined
 * ```
 */
export function berkeleyNextDeadline(state: BerkeleyState): number | undefined {
  if (state.id !== state.master) return undefined;
  return state.pending !== null ? earliest(state.pending.replyTimer) : earliest(state.pollTimer);
}

/**
 * The local clock reading the machine's model gives at host time `now`: `now + offsetMs`
 * (the last `clockMs − now` reported, plus the corrections since).
 *
 * @example
 * ```ts
 * import { berkeley, berkeleyClockMs } from 'distkit/clocks';
 * berkeleyClockMs(berkeley.init({ id: 'm', nodes: ['m'], master: 'm', clockOffsetMs: 5 }), 100); //=> 105
 * ```
 */
export function berkeleyClockMs(state: BerkeleyState, now: number): number {
  return now + state.offsetMs;
}

/**
 * The type of {@link berkeley}: a {@link Machine} that always has a `nextDeadline`.
 *
 * @example
 * ```ts
 * import { berkeley, type BerkeleyMachine } from 'distkit/clocks';
 * const machine: BerkeleyMachine = berkeley;
 * const s = machine.init({ id: 'm', nodes: ['m', 'a'], master: 'm', pollIntervalMs: 1000 });
 * // The master's next poll is due at once; after polling, the reply timeout is the next deadline.
 * [machine.nextDeadline(s), machine.nextDeadline(machine.step(s, { type: 'tick', now: 0, clockMs: 0 }).state)]; //=> [0, 1000]
 * ```
 */
export interface BerkeleyMachine extends Machine<BerkeleyConfig, BerkeleyState, BerkeleyInput, BerkeleyOutput> {
  /** Validates the config (throws a `ConfigError` naming the field) and returns the initial state. */
  init(config: BerkeleyConfig): BerkeleyState;
  /** Applies one input; pure, and total on peer messages (bad ones are rejected, state unchanged). */
  step(state: BerkeleyState, input: BerkeleyInput): Transition<BerkeleyState, BerkeleyOutput>;
  /** See {@link berkeleyNextDeadline}. */
  nextDeadline(state: BerkeleyState): number | undefined;
}

/**
 * The Berkeley algorithm (Gusella & Zatti 1989, "The Accuracy of the Clock Synchronization
 * Achieved by TEMPO in Berkeley UNIX 4.3BSD") as a pure machine. The master polls every
 * follower each `pollIntervalMs`; each follower answers with its clock reading; the master
 * estimates each clock's offset with the round-trip correction (reading + RTT/2 − own clock),
 * takes the fault-tolerant average (the mean over the largest group within `toleranceMs` of each
 * other), and sends each node its correction as a delta (`adjust`), applying its own too.
 *
 * Every input carries the host's monotonic `now` (deadlines, round trips) and may carry the
 * local clock's reading `clockMs` (the clock being synchronized). Peer messages are validated;
 * unknown senders, polls or corrections not from the master, stale or duplicate rounds, rounds
 * above `MAX_COUNTER` and readings beyond {@link BERKELEY_MAX_CLOCK_MS} are rejected with the
 * state unchanged.
 *
 * @example
 * ```ts
 * import { berkeley } from 'distkit/clocks';
 * const nodes = ['m', 'a'];
 * let m = berkeley.init({ id: 'm', nodes, master: 'm' });
 * let a = berkeley.init({ id: 'a', nodes, master: 'm' });
 * // Round 1: m polls a at clock 1000; a's clock reads 1041 when the poll arrives; the reply takes 4 ms.
 * let t = berkeley.step(m, { type: 'tick', now: 0, clockMs: 1000 });
 * m = t.state;
 * const poll = t.outputs.find((o) => o.type === 'send');
 * const r = berkeley.step(a, { type: 'message', from: 'm', message: poll?.type === 'send' ? poll.message : null, now: 2, clockMs: 1041 });
 * a = r.state;
 * const reply = r.outputs.find((o) => o.type === 'send');
 * t = berkeley.step(m, { type: 'message', from: 'a', message: reply?.type === 'send' ? reply.message : null, now: 4, clockMs: 1004 });
 * const adjust = t.outputs.find((o) => o.type === 'send');
 * // a applies the master's correction.
 * berkeley.step(a, { type: 'message', from: 'm', message: adjust?.type === 'send' ? adjust.message : null, now: 6, clockMs: 1047 }).outputs; //=> [{ type: 'adjust', round: 1, deltaMs: -39 }]
 * ```
 */
export const berkeley: BerkeleyMachine = {
  name: 'berkeley',
  init,
  step,
  nextDeadline: berkeleyNextDeadline,
};
