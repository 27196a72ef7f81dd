/**
 * The Byzantine generals problem solved with oral messages, algorithm OM(m) (Lamport, Shostak &
 * Pease, "The Byzantine Generals Problem", ACM TOPLAS 4(3), 1982, §3), run as synchronous rounds.
 * Cited below as LSP §n.
 */
import type { Machine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Transition } from '../core/index.js';
import { ConfigError, assertNever, byzantineTolerance, checkMembers, getOwn, hasOwn, inputNow, nonNegativeInt, parse, positiveInt, positiveMs, reject, send, transition, v, withOwn } from '../core/index.js';

/**
 * An order a general can give: any short string from the configured {@link OmConfig.values}.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { byzantineGenerals } from 'distkit/consensus';
 * const generals = ['c', 'l1', 'l2', 'l3'];
 * const config = (id: string) => ({ id, generals, commander: 'c', m: 1, roundTimeoutMs: 50, ...(id === 'c' ? { order: 'attack' } : {}) });
 * const nodes = generals.map((id) => ({ id, machine: byzantineGenerals, config: config(id) }));
 * const decided: Record<string, unknown> = {};
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 1000, onOutput: (e) => { if ((e.output as { type: string }).type === 'decided') decided[e.node] = (e.output as { value: unknown }).value; } });
 * // OM(1) with four loyal generals: every lieutenant obeys the commander's order (IC2).
 * decided; //=> { c: 'attack', l2: 'attack', l1: 'attack', l3: 'attack' }
 * ```
 */
export type OmValue = string;

/**
 * The paper's default order, used for every message that does not arrive and when no value has a
 * majority (LSP §3: "or else RETREAT if he receives no value").
 *
 * @example
 * ```ts
 * import { OM_DEFAULT_VALUE } from 'distkit/consensus';
 * OM_DEFAULT_VALUE; //=> 'retreat'
 * ```
 */
export const OM_DEFAULT_VALUE: OmValue = 'retreat';

/**
 * The default {@link OmConfig.maxPaths}: the largest information-gathering tree a lieutenant may
 * have to keep (the number of message paths it expects over all rounds). OM(m) sends
 * O(n^(m+1)) messages; this bound turns an accidental huge `m` into a {@link ConfigError} instead
 * of an out-of-memory. A lieutenant stores one value per valid path at most, so no peer can grow
 * its tree past it.
 *
 * @example
 * ```ts
 * import { OM_MAX_PATHS } from 'distkit/consensus';
 * OM_MAX_PATHS; //=> 100000
 * ```
 */
export const OM_MAX_PATHS = 100_000;

/**
 * Configuration of one general running {@link byzantineGenerals}.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { byzantineGenerals } from 'distkit/consensus';
 * const generals = ['c', 'l1', 'l2', 'l3'];
 * const config = (id: string) => ({ id, generals, commander: 'c', m: 1, roundTimeoutMs: 50, ...(id === 'c' ? { order: 'attack' } : {}) });
 * const nodes = generals.map((id) => ({ id, machine: byzantineGenerals, config: config(id) }));
 * const decided: Record<string, unknown> = {};
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 1000, onOutput: (e) => { if ((e.output as { type: string }).type === 'decided') decided[e.node] = (e.output as { value: unknown }).value; } });
 * // The commander decides its own order; each lieutenant decides after m + 1 rounds.
 * [r.ok, Object.keys(decided).sort()]; //=> [true, ['c', 'l1', 'l2', 'l3']]
 * ```
 */
export interface OmConfig {
  /** This general. */
  readonly id: NodeId;
  /** Every general, the commander included (n = `generals.length`). */
  readonly generals: readonly NodeId[];
  /** The commanding general. */
  readonly commander: NodeId;
  /** The number of traitors tolerated; OM(m) needs n >= 3m + 1 (LSP §3, Theorem 1). */
  readonly m: number;
  /**
   * Length of one synchronous round, ms: it must exceed the largest message delay plus the clock
   * difference between generals (LSP §3 assumption A3: the absence of a message can be detected).
   */
  readonly roundTimeoutMs: number;
  /** Round 1 starts at this time on the host's clock, ms; generals' clocks must agree. Default 0. */
  readonly startAtMs?: number;
  /** The commander's order. Required on the commander, ignored elsewhere. */
  readonly order?: OmValue;
  /** The allowed orders; anything else is rejected as malformed. Default `['attack', 'retreat']`. */
  readonly values?: readonly OmValue[];
  /** The value a missing message stands for and the result of a tie. Default {@link OM_DEFAULT_VALUE}. */
  readonly defaultValue?: OmValue;
  /**
   * Run even though n < 3m + 1. With so few generals m traitors can make loyal lieutenants disagree
   * (LSP §2, the three-generals impossibility); only for demonstrating exactly that. Default false.
   */
  readonly unsafeAllowFewGenerals?: boolean;
  /** The most message paths a lieutenant may have to keep over all rounds. Default {@link OM_MAX_PATHS}. */
  readonly maxPaths?: number;
}

/**
 * An OM(m) message: `value` as relayed along `path`. `path[0]` is the commander and the last element
 * is the sender; a round-r message has a path of length r (LSP §3, the lieutenant "acts as the
 * commander in algorithm OM(m − 1)").
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { byzantineGenerals } from 'distkit/consensus';
 * const generals = ['c', 'l1', 'l2', 'l3'];
 * const config = (id: string) => ({ id, generals, commander: 'c', m: 1, roundTimeoutMs: 50, ...(id === 'c' ? { order: 'attack' } : {}) });
 * const nodes = generals.map((id) => ({ id, machine: byzantineGenerals, config: config(id) }));
 * const decided: Record<string, unknown> = {};
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 1000, onOutput: (e) => { if ((e.output as { type: string }).type === 'decided') decided[e.node] = (e.output as { value: unknown }).value; } });
 * // Round 1: the commander's order; round 2: each lieutenant relays it, its path naming who said what.
 * const relays = r.trace.flatMap((e) => (e.kind === 'send' && e.node === 'l2' ? [{ to: e.to, message: e.message }] : []));
 * relays; //=> [{ to: 'l1', message: { type: 'om', round: 2, path: ['c', 'l2'], value: 'attack' } }, { to: 'l3', message: { type: 'om', round: 2, path: ['c', 'l2'], value: 'attack' } }]
 * ```
 */
export interface OmMessage {
  /** Discriminant. */
  readonly type: 'om';
  /** The round this message belongs to, 1..m+1; equals `path.length`. */
  readonly round: number;
  /** The relayers of the value, commander first, sender last; no general twice. */
  readonly path: readonly NodeId[];
  /** The order being relayed. */
  readonly value: OmValue;
}

/**
 * Inputs of {@link byzantineGenerals}: peer messages (untrusted) and ticks, each with the host's
 * time `now`. Round 1 starts at the first tick at or after `startAtMs`; a round closes at its
 * deadline (on the first tick at or after it) or as soon as every message it expects has arrived.
 *
 * @example
 * ```ts
 * import { byzantineGenerals, type OmInput } from 'distkit/consensus';
 * const s = byzantineGenerals.init({ id: 'c', generals: ['c', 'l1', 'l2', 'l3'], commander: 'c', m: 1, roundTimeoutMs: 50, order: 'attack' });
 * // The commander's first tick sends its order to every lieutenant.
 * const start: OmInput = { type: 'tick', now: 0 };
 * byzantineGenerals.step(s, start).outputs.map((o) => (o.type === 'send' ? o.to : o.type)); //=> ['l1', 'l2', 'l3', 'decided']
 * ```
 */
export type OmInput = MessageInput<unknown> | TickInput;

/**
 * The outcome at one general: the order it obeys. The commander decides its own order.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { byzantineGenerals } from 'distkit/consensus';
 * const generals = ['c', 'l1', 'l2', 'l3'];
 * const config = (id: string) => ({ id, generals, commander: 'c', m: 1, roundTimeoutMs: 50, ...(id === 'c' ? { order: 'attack' } : {}) });
 * const nodes = generals.map((id) => ({ id, machine: byzantineGenerals, config: config(id) }));
 * const decided: Record<string, unknown> = {};
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 1000, onOutput: (e) => { if ((e.output as { type: string }).type === 'decided') decided[e.node] = (e.output as { value: unknown }).value; } });
 * import type { OmDecidedOutput } from 'distkit/consensus';
 * const outs: OmDecidedOutput[] = [];
 * simulate({ seed: 1, nodes, maxTimeMs: 1000, onOutput: (e) => { if (e.node === 'l1' && (e.output as { type: string }).type === 'decided') outs.push(e.output as OmDecidedOutput); } });
 * outs; //=> [{ type: 'decided', value: 'attack' }]
 * ```
 */
export interface OmDecidedOutput {
  /** Discriminant. */
  readonly type: 'decided';
  /** The order this general follows. */
  readonly value: OmValue;
}

/**
 * Outputs of {@link byzantineGenerals}.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { byzantineGenerals } from 'distkit/consensus';
 * const generals = ['c', 'l1', 'l2', 'l3'];
 * const config = (id: string) => ({ id, generals, commander: 'c', m: 1, roundTimeoutMs: 50, ...(id === 'c' ? { order: 'attack' } : {}) });
 * const nodes = generals.map((id) => ({ id, machine: byzantineGenerals, config: config(id) }));
 * const decided: Record<string, unknown> = {};
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 1000, onOutput: (e) => { if ((e.output as { type: string }).type === 'decided') decided[e.node] = (e.output as { value: unknown }).value; } });
 * [...new Set(r.trace.flatMap((e) => (e.kind === 'output' ? [(e.output as { type: string }).type] : [])))]; //=> ['decided']
 * ```
 */
export type OmOutput = SendOutput<OmMessage> | RejectedOutput | OmDecidedOutput;

/**
 * State of one general (plain data). `received` is the lieutenant's information-gathering tree:
 * the value received for each path, keyed by `JSON.stringify(path)`.
 *
 * @example
 * ```ts
 * import { byzantineGenerals } from 'distkit/consensus';
 * const s = byzantineGenerals.init({ id: 'l1', generals: ['c', 'l1', 'l2', 'l3'], commander: 'c', m: 1, roundTimeoutMs: 50 });
 * s.round; //=> 0
 * ```
 */
export interface OmState {
  /** This general. */
  readonly id: NodeId;
  /** Every general, in configuration order. */
  readonly generals: readonly NodeId[];
  /** The commander. */
  readonly commander: NodeId;
  /** Traitors tolerated. */
  readonly m: number;
  /** Round length, ms. */
  readonly roundTimeoutMs: number;
  /** When round 1 starts, ms. */
  readonly startAtMs: number;
  /** The commander's order (empty string on lieutenants). */
  readonly order: OmValue;
  /** Allowed orders. */
  readonly values: readonly OmValue[];
  /** Stand-in for missing messages and ties. */
  readonly defaultValue: OmValue;
  /** The open round: 0 before the start, 1..m+1 while running, m+2 once decided. */
  readonly round: number;
  /** Values received, by path (`JSON.stringify(path)`). */
  readonly received: Readonly<Record<string, OmValue>>;
  /** How many messages have arrived per round (index r holds round r). */
  readonly arrived: readonly number[];
  /** The decision, once made. */
  readonly decision: OmValue | null;
}

const LIMIT_VALUE = 256;

// The shape is checked first, then the path against the configuration (see messageProblem). A
// path is never longer than the number of rounds, which init bounds through maxPaths.
const messageShape = v.tagged({
  om: v.object({
    type: v.literal('om'),
    round: v.int({ min: 0, max: 1024 }),
    path: v.array(v.id(), { minLength: 1, maxLength: 1024 }),
    value: v.string({ maxLength: LIMIT_VALUE }),
  }),
});

/**
 * Oral-messages Byzantine agreement OM(m) (Lamport, Shostak & Pease, TOPLAS 1982, §3): the
 * commander sends its order to every lieutenant; in each of the next m rounds every lieutenant
 * relays each value it received on a path, with itself appended, to every general not yet on that
 * path; after round m + 1 each lieutenant decides by recursive majority over the tree of values
 * it gathered. With n >= 3m + 1 generals of which at most m are traitors, IC1 (all loyal
 * lieutenants obey the same order) and IC2 (if the commander is loyal, they obey its order) hold.
 * Synchronous: rounds last `roundTimeoutMs`, a missing message counts as `defaultValue`.
 *
 * @example
 * ```ts
 * import { byzantineGenerals } from 'distkit/consensus';
 * const generals = ['c', 'l1', 'l2', 'l3'];
 * const c = byzantineGenerals.init({ id: 'c', generals, commander: 'c', m: 1, roundTimeoutMs: 50, order: 'attack' });
 * const t = byzantineGenerals.step(c, { type: 'tick', now: 0 });
 * t.outputs.filter((o) => o.type === 'send').length; //=> 3
 * ```
 */
export const byzantineGenerals: Machine<OmConfig, OmState, OmInput, OmOutput> = {
  name: 'byzantine-generals',
  init,
  step(state, input): Transition<OmState, OmOutput> {
    const now = inputNow(input);
    switch (input.type) {
      case 'tick':
        return onTick(state, now);
      case 'message':
        return onMessage(state, input.from, input.message);
      default:
        return assertNever(input, 'input');
    }
  },
  nextDeadline: omNextDeadline,
};

/**
 * When the general wants its next tick: the start of round 1, then the end of the open round
 * (round r ends at `startAtMs + r * roundTimeoutMs`); `undefined` once decided.
 *
 * @example
 * ```ts
 * import { byzantineGenerals, omNextDeadline } from 'distkit/consensus';
 * const s = byzantineGenerals.init({ id: 'l1', generals: ['c', 'l1', 'l2', 'l3'], commander: 'c', m: 1, roundTimeoutMs: 50, startAtMs: 10 });
 * omNextDeadline(s); //=> 10
 * ```
 */
export function omNextDeadline(state: OmState): number | undefined {
  if (state.round === 0) return state.startAtMs;
  if (state.round > state.m + 1) return undefined;
  return roundDeadline(state, state.round);
}

/**
 * How many messages a lieutenant expects in round `round` of OM(m) among `n` generals: one per
 * path of length `round` that starts at the commander and avoids the lieutenant,
 * (n − 2)! / (n − 1 − round)!.
 *
 * @example
 * ```ts
 * import { omExpectedMessages } from 'distkit/consensus';
 * omExpectedMessages(7, 1); //=> 1
 * omExpectedMessages(7, 3); //=> 20
 * ```
 */
export function omExpectedMessages(n: number, round: number): number {
  let count = 1;
  for (let k = 1; k < round; k++) count *= Math.max(0, n - 1 - k);
  return count;
}

function init(config: OmConfig): OmState {
  const c = config as Partial<OmConfig>;
  const generals = checkMembers(c.id, c.generals, 'generals');
  const id = c.id as NodeId;
  if (typeof c.commander !== 'string' || !generals.includes(c.commander)) throw new ConfigError('commander', 'must be one of the generals');
  const m = nonNegativeInt('m', c.m);
  const n = generals.length;
  // LSP §3 Theorem 1 / §2: with n <= 3m no solution exists against m traitors.
  if (byzantineTolerance(n) < m && c.unsafeAllowFewGenerals !== true) {
    throw new ConfigError(
      'm',
      `OM(${m}) needs n >= 3m + 1 = ${3 * m + 1} generals to tolerate ${m} traitor(s), got n = ${n}; ` +
        `lower m or add generals (unsafeAllowFewGenerals: true runs it anyway, without IC1/IC2)`,
    );
  }
  const maxPaths = positiveInt('maxPaths', c.maxPaths, OM_MAX_PATHS);
  let paths = 0;
  for (let r = 1; r <= m + 1 && paths <= maxPaths; r++) paths += omExpectedMessages(n, r);
  if (paths > maxPaths) throw new ConfigError('m', `OM(${m}) with n = ${n} needs more than ${maxPaths} message paths per lieutenant (maxPaths)`);
  const roundTimeoutMs = positiveMs('roundTimeoutMs', c.roundTimeoutMs);
  const startAtMs = c.startAtMs ?? 0;
  if (typeof startAtMs !== 'number' || !Number.isFinite(startAtMs)) throw new ConfigError('startAtMs', 'must be a finite number');
  const values = c.values ?? ['attack', OM_DEFAULT_VALUE];
  if (!Array.isArray(values) || values.length === 0) throw new ConfigError('values', 'must be a non-empty array of strings');
  for (const x of values as unknown[]) {
    if (typeof x !== 'string' || x.length > LIMIT_VALUE) throw new ConfigError('values', `every value must be a string of length <= ${LIMIT_VALUE}`);
  }
  const defaultValue = c.defaultValue ?? OM_DEFAULT_VALUE;
  if (!values.includes(defaultValue)) throw new ConfigError('defaultValue', `must be one of values, got ${JSON.stringify(defaultValue)}`);
  let order = '';
  if (id === c.commander) {
    if (typeof c.order !== 'string' || !values.includes(c.order)) throw new ConfigError('order', 'the commander needs an order from values');
    order = c.order;
  }
  return {
    id,
    generals,
    commander: c.commander,
    m,
    roundTimeoutMs,
    startAtMs,
    order,
    values: values.slice(),
    defaultValue,
    round: 0,
    received: {},
    arrived: new Array<number>(m + 2).fill(0),
    decision: null,
  };
}

function roundDeadline(state: OmState, round: number): number {
  return state.startAtMs + round * state.roundTimeoutMs;
}

function onTick(state: OmState, now: number): Transition<OmState, OmOutput> {
  if (state.round > state.m + 1) return transition(state);
  const outputs: OmOutput[] = [];
  let s = state;
  if (s.round === 0) {
    if (now < s.startAtMs) return transition(state);
    if (s.id === s.commander) return startCommander(s);
    s = { ...s, round: 1 };
  }
  // A round closes at its deadline even if messages are missing (LSP §3, A3: absence is detectable).
  while (s.round <= s.m + 1 && (now >= roundDeadline(s, s.round) || roundComplete(s))) s = closeRound(s, outputs);
  return transition(s, outputs);
}

// LSP §3 OM(m) step (1): "The commander sends his value to every lieutenant."
function startCommander(state: OmState): Transition<OmState, OmOutput> {
  const outputs: OmOutput[] = [];
  for (const g of state.generals) {
    if (g !== state.commander) outputs.push(send<OmMessage>(g, { type: 'om', round: 1, path: [state.commander], value: state.order }));
  }
  outputs.push({ type: 'decided', value: state.order });
  return transition({ ...state, round: state.m + 2, decision: state.order }, outputs);
}

function onMessage(state: OmState, from: NodeId, message: unknown): Transition<OmState, OmOutput> {
  if (!state.generals.includes(from)) return reject(state, from, `unknown sender ${JSON.stringify(from)}`);
  if (from === state.id) return reject(state, from, 'a message from this general itself');
  const parsed = parse(messageShape, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const m = parsed.value as OmMessage;
  const problem = messageProblem(state, from, m);
  if (problem !== undefined) return reject(state, from, problem);
  const key = JSON.stringify(m.path);
  if (hasOwn(state.received, key)) return reject(state, from, `path ${key}: a value was already received for it`);
  const arrived = state.arrived.slice();
  arrived[m.round] = arrived[m.round]! + 1;
  let s: OmState = { ...state, received: withOwn(state.received, key, m.value), arrived };
  // Rounds may close early: every message a round can bring is in (the synchronous deadline still bounds the others).
  const outputs: OmOutput[] = [];
  if (s.round >= 1) while (s.round <= s.m + 1 && roundComplete(s)) s = closeRound(s, outputs);
  return transition(s, outputs);
}

function messageProblem(state: OmState, from: NodeId, m: OmMessage): string | undefined {
  if (state.id === state.commander) return 'the commander takes no messages in OM(m)';
  const last = state.m + 1;
  if (m.round < 1 || m.round > last) return `message.round: expected 1..${last} for OM(${state.m}), got ${m.round}`;
  if (m.path.length !== m.round) return `message.path: a round-${m.round} message carries a path of length ${m.round}, got ${m.path.length}`;
  if (state.round > m.round) return `message.round: round ${m.round} is closed (a late message counts as missing)`;
  if (m.path[0] !== state.commander) return `message.path: must start at the commander ${JSON.stringify(state.commander)}`;
  const onPath = new Set<string>();
  for (const g of m.path) {
    if (!state.generals.includes(g)) return `message.path: unknown general ${JSON.stringify(g)}`;
    if (onPath.has(g)) return `message.path: general ${JSON.stringify(g)} appears twice`;
    onPath.add(g);
  }
  if (onPath.has(state.id)) return 'message.path: already passed through this general';
  if (m.path[m.path.length - 1] !== from) return `message.path: the sender ${JSON.stringify(from)} must be its last element`;
  if (!state.values.includes(m.value)) return `message.value: expected one of ${state.values.map((x) => JSON.stringify(x)).join(', ')}`;
  return undefined;
}

function roundComplete(state: OmState): boolean {
  return state.arrived[state.round]! >= omExpectedMessages(state.generals.length, state.round);
}

// Closes the open round r: for r <= m, relay (OM(m) step 2); for r = m + 1, decide (step 3).
function closeRound(state: OmState, outputs: OmOutput[]): OmState {
  const r = state.round;
  if (r <= state.m) {
    // LSP §3 OM(m) step (2): each lieutenant acts as commander in OM(m − 1) for every value it
    // holds, sending it to the generals not yet on its path; a missing value is sent as the default.
    for (const path of pathsOfLength(state, r)) {
      const value = getOwn(state.received, JSON.stringify(path)) ?? state.defaultValue;
      const relayed = [...path, state.id];
      for (const g of state.generals) {
        if (!relayed.includes(g)) outputs.push(send<OmMessage>(g, { type: 'om', round: r + 1, path: relayed, value }));
      }
    }
    return { ...state, round: r + 1 };
  }
  const decision = resolve(state, [state.commander]);
  outputs.push({ type: 'decided', value: decision });
  return { ...state, round: r + 1, decision };
}

// Every path of the given length that starts at the commander, has no repeats and avoids this general.
function pathsOfLength(state: OmState, length: number): NodeId[][] {
  const lieutenants = state.generals.filter((g) => g !== state.commander && g !== state.id);
  const out: NodeId[][] = [];
  const grow = (path: NodeId[]): void => {
    if (path.length === length) {
      out.push(path);
      return;
    }
    for (const g of lieutenants) if (!path.includes(g)) grow([...path, g]);
  };
  grow([state.commander]);
  return out;
}

// LSP §3 OM(m) step (3): the lieutenant obeys majority(v_1, ..., v_{n−1}), where its own v is what
// it received directly and each other v_j is the outcome of the OM(m − 1) that j commanded.
function resolve(state: OmState, path: readonly NodeId[]): OmValue {
  const direct = getOwn(state.received, JSON.stringify(path)) ?? state.defaultValue;
  if (path.length === state.m + 1) return direct; // OM(0): use the value received.
  const votes = [direct];
  for (const g of state.generals) {
    if (g !== state.id && !path.includes(g)) votes.push(resolve(state, [...path, g]));
  }
  return majorityValue(votes, state.defaultValue);
}

// LSP §3: "majority(v_1, ..., v_{n−1}) ... the majority value among the v_i if it exists, otherwise
// the value RETREAT".
function majorityValue(votes: readonly OmValue[], fallback: OmValue): OmValue {
  const counts = new Map<OmValue, number>();
  for (const x of votes) {
    const c = (counts.get(x) ?? 0) + 1;
    if (2 * c > votes.length) return x;
    counts.set(x, c);
  }
  return fallback;
}
