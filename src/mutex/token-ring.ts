import type { Machine, NodeId, Timer, Transition } from '../core/index.js';
import { MAX_COUNTER, MAX_ID_LENGTH, STOPPED_TIMER, checkMembers, compareNodeIds, earliest, parse, positiveInt, reject, send, startTimer, stopTimer, timerDue, transition, v } from '../core/index.js';
import { stepMutex, type MutexHandlers, type MutexInput, type MutexOutput, type MutexPhase } from './common.js';

/**
 * Configuration of a {@link tokenRing} node.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { tokenRing } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: tokenRing, config: { id, nodes: ids, tokenTimeoutMs: 200 } }));
 * const events: string[] = [];
 * // Each node asks once at 10 ms and leaves the critical section 5 ms after entering it.
 * const commands = ids.map((node) => ({ at: 10, node, input: { type: 'request' } }));
 * const onOutput = (e: { node: string; output: unknown }, sim: { inject(node: string, input: unknown, delayMs?: number): void }) => {
 *   const o = e.output as { type: string; gen?: number };
 *   events.push(`${e.node} ${o.type}${o.gen === undefined ? '' : ` ${o.gen}`}`);
 *   if (o.type === 'enter') sim.inject(e.node, { type: 'release' }, 5);
 * };
 * import type { TokenRingConfig } from 'distkit/mutex';
 * const config: TokenRingConfig = { id: 'b', nodes: ids, tokenTimeoutMs: 2000 };
 * // The token starts at the first node and is passed around the ring: each node enters in turn.
 * const r = simulate({ seed: 1, nodes: ids.map((id) => ({ id, machine: tokenRing, config: { ...config, id } })), onOutput, commands, maxTimeMs: 500 });
 * [r.ok, events]; //=> [true, ['a enter', 'b enter', 'c enter']]
 * ```
 */
export interface TokenRingConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every node, in ring (passing) order; `nodes[0]` starts with the token. */
  readonly nodes: readonly NodeId[];
  /**
   * A node that has not seen the token for this long (and is not holding it) starts a
   * regeneration round. Choose it well above one rotation plus the longest hold. Default 5000.
   */
  readonly tokenTimeoutMs?: number;
}

/**
 * A token-ring message: the `token` of generation `gen` on its `seq`-th hop (every pass numbers
 * the token one higher, so each copy ever sent is unique), or a regeneration `probe` for
 * generation `gen` started by `origin`.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { tokenRing } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: tokenRing, config: { id, nodes: ids, tokenTimeoutMs: 200 } }));
 * const events: string[] = [];
 * // Each node asks once at 10 ms and leaves the critical section 5 ms after entering it.
 * const commands = ids.map((node) => ({ at: 10, node, input: { type: 'request' } }));
 * const onOutput = (e: { node: string; output: unknown }, sim: { inject(node: string, input: unknown, delayMs?: number): void }) => {
 *   const o = e.output as { type: string; gen?: number };
 *   events.push(`${e.node} ${o.type}${o.gen === undefined ? '' : ` ${o.gen}`}`);
 *   if (o.type === 'enter') sim.inject(e.node, { type: 'release' }, 5);
 * };
 * const r = simulate({ seed: 1, nodes, commands, onOutput, maxTimeMs: 50 });
 * r.trace.flatMap((e) => (e.kind === 'send' ? [[e.node, e.to, e.message]] : [])).slice(0, 3); //=> [['a', 'b', { type: 'token', gen: 0, seq: 1 }], ['b', 'c', { type: 'token', gen: 0, seq: 2 }], ['c', 'a', { type: 'token', gen: 0, seq: 3 }]]
 * ```
 */
export type TokenRingMessage =
  | { readonly type: 'token'; readonly gen: number; readonly seq: number }
  | { readonly type: 'probe'; readonly gen: number; readonly origin: NodeId };

/**
 * A token's identity: its generation, and the hop number within that generation. Tokens are
 * ordered by `(gen, seq)`; a node accepts only a token newer than every token it has accepted.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { tokenRing } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: tokenRing, config: { id, nodes: ids, tokenTimeoutMs: 200 } }));
 * const events: string[] = [];
 * // Each node asks once at 10 ms and leaves the critical section 5 ms after entering it.
 * const commands = ids.map((node) => ({ at: 10, node, input: { type: 'request' } }));
 * const onOutput = (e: { node: string; output: unknown }, sim: { inject(node: string, input: unknown, delayMs?: number): void }) => {
 *   const o = e.output as { type: string; gen?: number };
 *   events.push(`${e.node} ${o.type}${o.gen === undefined ? '' : ` ${o.gen}`}`);
 *   if (o.type === 'enter') sim.inject(e.node, { type: 'release' }, 5);
 * };
 * // The token circulates a, b, c; c crashes and the others notice the token is gone and regenerate it.
 * simulate({ seed: 1, nodes, commands, onOutput, maxTimeMs: 2000, faults: [{ at: 30, fault: { type: 'crash', node: 'c' } }, { at: 1000, fault: { type: 'restart', node: 'c' } }] });
 * // Each regeneration raises the generation, so an old token that reappears is recognised and dropped.
 * events.filter((e) => e.includes('regenerated')); //=> ['a token-regenerated 5']
 * ```
 */
export interface TokenStamp {
  /** Generation: raised by every regeneration. */
  readonly gen: number;
  /** Hop number within the generation: raised by every pass. */
  readonly seq: number;
}

/**
 * Events of {@link tokenRing}: the node started a regeneration round, regenerated the token, or
 * destroyed a token of a superseded generation.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { tokenRing } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: tokenRing, config: { id, nodes: ids, tokenTimeoutMs: 200 } }));
 * const events: string[] = [];
 * // Each node asks once at 10 ms and leaves the critical section 5 ms after entering it.
 * const commands = ids.map((node) => ({ at: 10, node, input: { type: 'request' } }));
 * const onOutput = (e: { node: string; output: unknown }, sim: { inject(node: string, input: unknown, delayMs?: number): void }) => {
 *   const o = e.output as { type: string; gen?: number };
 *   events.push(`${e.node} ${o.type}${o.gen === undefined ? '' : ` ${o.gen}`}`);
 *   if (o.type === 'enter') sim.inject(e.node, { type: 'release' }, 5);
 * };
 * // The token circulates a, b, c; c crashes and the others notice the token is gone and regenerate it.
 * simulate({ seed: 1, nodes, commands, onOutput, maxTimeMs: 2000, faults: [{ at: 30, fault: { type: 'crash', node: 'c' } }, { at: 1000, fault: { type: 'restart', node: 'c' } }] });
 * [...new Set(events.map((e) => e.split(' ')[1]))]; //=> ['enter', 'token-lost-suspected', 'token-regenerated']
 * ```
 */
export type TokenRingEvent =
  | { readonly type: 'token-lost-suspected'; readonly gen: number }
  | { readonly type: 'token-regenerated'; readonly gen: number }
  | { readonly type: 'token-discarded'; readonly gen: number };

/*
 * Duplicates: a network that duplicates messages could otherwise deliver one pass of the token
 * twice and make two holders. Every pass carries (gen, seq) one hop higher than the token
 * received, and a node accepts a token only when it is newer than the last one it accepted, so
 * each copy is accepted at most once, by its addressee: one holder at a time.
 */

/**
 * State of a {@link tokenRing} node.
 *
 * @example
 * ```ts
 * import { tokenRing } from 'distkit/mutex';
 * tokenRing.init({ id: 'a', nodes: ['a', 'b'] }).token; //=> 0
 * ```
 */
export interface TokenRingState {
  /** This node. */
  readonly id: NodeId;
  /** The ring. */
  readonly ring: readonly NodeId[];
  /** Where the token goes next. */
  readonly successor: NodeId;
  /** Where tokens and probes come from. */
  readonly predecessor: NodeId;
  /** Loss timeout. */
  readonly tokenTimeoutMs: number;
  /** Requester phase. */
  readonly phase: MutexPhase;
  /** Generation of the token this node holds, or -1. */
  readonly token: number;
  /** The newest token this node accepted (or created): older or equal copies are discarded. */
  readonly lastToken: TokenStamp;
  /** The largest probe seen, as (gen, origin); tokens of older generations are destroyed. */
  readonly maxProbe: { readonly gen: number; readonly origin: NodeId };
  /**
   * Loss detection: fires `tokenTimeoutMs` after the token (or a probe) last passed here. Stopped
   * while holding the token; started by the node's first input.
   */
  readonly lossTimer: Timer;
  /** Generation of this node's own regeneration round in flight, or -1. */
  readonly ownProbe: number;
  /** A probe held back while this node is in the critical section with an older token. */
  readonly deferredProbe: { readonly gen: number; readonly origin: NodeId } | null;
}

/**
 * Outputs of {@link tokenRing}.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { tokenRing } from 'distkit/mutex';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: tokenRing, config: { id, nodes: ids, tokenTimeoutMs: 200 } }));
 * const events: string[] = [];
 * // Each node asks once at 10 ms and leaves the critical section 5 ms after entering it.
 * const commands = ids.map((node) => ({ at: 10, node, input: { type: 'request' } }));
 * const onOutput = (e: { node: string; output: unknown }, sim: { inject(node: string, input: unknown, delayMs?: number): void }) => {
 *   const o = e.output as { type: string; gen?: number };
 *   events.push(`${e.node} ${o.type}${o.gen === undefined ? '' : ` ${o.gen}`}`);
 *   if (o.type === 'enter') sim.inject(e.node, { type: 'release' }, 5);
 * };
 * // The token circulates a, b, c; c crashes and the others notice the token is gone and regenerate it.
 * simulate({ seed: 1, nodes, commands, onOutput, maxTimeMs: 2000, faults: [{ at: 30, fault: { type: 'crash', node: 'c' } }, { at: 1000, fault: { type: 'restart', node: 'c' } }] });
 * events.slice(0, 2); //=> ['a enter', 'b enter']
 * ```
 */
export type TokenRingOutput = MutexOutput<TokenRingMessage, TokenRingEvent>;

const messageCheck = v.tagged({
  token: v.object({ type: v.literal('token'), gen: v.int({ min: 0, max: MAX_COUNTER }), seq: v.int({ min: 0, max: MAX_COUNTER }) }),
  probe: v.object({ type: v.literal('probe'), gen: v.int({ min: 1, max: MAX_COUNTER }), origin: v.string({ minLength: 1, maxLength: MAX_ID_LENGTH }) }),
});

type T = Transition<TokenRingState, TokenRingOutput>;

function probeCmp(a: { gen: number; origin: NodeId }, b: { gen: number; origin: NodeId }): number {
  if (a.gen !== b.gen) return a.gen < b.gen ? -1 : 1;
  return compareNodeIds(a.origin, b.origin);
}

/**
 * Token-ring mutual exclusion (Le Lann 1977; Tanenbaum & van Steen §6.3.5): a single token travels
 * round the ring; a node enters only while holding it and passes it on at release, or at once when
 * it does not want it. One to infinitely many messages per entry.
 *
 * Loss: a node that has not seen the token for `tokenTimeoutMs` sends a probe for generation
 * g+1 round the ring. Every node that sees it destroys tokens older than g+1; a node in the critical
 * section holds the probe back until it releases. Only the largest concurrent probe (by generation,
 * then origin id) survives, and only when it returns to its origin is a token of generation g+1
 * created, so two live tokens never exist.
 *
 * Duplication: each pass numbers the token one hop higher (`seq`), and a node accepts only a
 * token newer, by `(gen, seq)`, than the last it accepted; a duplicated or replayed token is
 * discarded, so a network that duplicates messages never makes two holders.
 *
 * @example
 * ```ts
 * import { tokenRing } from 'distkit/mutex';
 * const a = tokenRing.init({ id: 'a', nodes: ['a', 'b'] });
 * tokenRing.step(a, { type: 'request', now: 0 }).outputs; //=> [{ type: 'enter' }]
 * ```
 */
export const tokenRing: Machine<TokenRingConfig, TokenRingState, MutexInput, TokenRingOutput> = {
  name: 'token-ring',
  init(config) {
    const ring = checkMembers(config.id, config.nodes);
    const i = ring.indexOf(config.id);
    return {
      id: config.id,
      ring,
      successor: ring[(i + 1) % ring.length]!,
      predecessor: ring[(i - 1 + ring.length) % ring.length]!,
      tokenTimeoutMs: positiveInt('tokenTimeoutMs', config.tokenTimeoutMs, 5000),
      phase: 'idle',
      token: i === 0 ? 0 : -1,
      lastToken: { gen: 0, seq: 0 },
      maxProbe: { gen: 0, origin: ring[0]! },
      lossTimer: STOPPED_TIMER,
      ownProbe: -1,
      deferredProbe: null,
    };
  },
  step: (state, input) => stepMutex(handlers, state, input),
  // A node without the token watches for its loss from its first input; one that has had none
  // asks for a tick at once (a past deadline is due now), so the watch starts without traffic.
  nextDeadline: (s) => (s.token < 0 && s.lossTimer.at === null ? 0 : earliest(s.lossTimer)),
};

const handlers: MutexHandlers<TokenRingState, TokenRingOutput> = {
  tick: (state, now) => onTick(state, now),
  request(state, now) {
    const s = armed(state, now);
    if (s.token >= 0) return transition({ ...s, phase: 'held' }, [{ type: 'enter' }]);
    return transition({ ...s, phase: 'wanting' });
  },
  release: (state, now) => passOn({ ...state, phase: 'idle' }, now),
  message(state, from, message, now) {
    if (from !== state.predecessor) return reject(state, from, `only the predecessor ${JSON.stringify(state.predecessor)} may send here`);
    const parsed = parse(messageCheck, message, 'message');
    if (!parsed.ok) return reject(state, from, parsed.problem);
    const m: TokenRingMessage = parsed.value;
    if (m.type === 'token') return onToken(state, { gen: m.gen, seq: m.seq }, now);
    if (!state.ring.includes(m.origin)) return reject(state, from, `probe origin ${JSON.stringify(m.origin)} not in the ring`);
    return onProbe(state, m.gen, m.origin, now);
  },
};

function stampCmp(a: TokenStamp, b: TokenStamp): number {
  if (a.gen !== b.gen) return a.gen < b.gen ? -1 : 1;
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

/** Starts the loss timer at the node's first input (a node without the token must watch for loss). */
function armed(state: TokenRingState, now: number): TokenRingState {
  if (state.token >= 0 || state.lossTimer.at !== null) return state;
  return { ...state, lossTimer: startTimer(now, state.tokenTimeoutMs) };
}

function onTick(state: TokenRingState, now: number): T {
  const s = armed(state, now);
  if (s.token >= 0 || !timerDue(s.lossTimer, now)) return transition(s);
  // Loss suspected: start a regeneration round for a generation above any seen.
  const gen = s.maxProbe.gen + 1;
  if (gen > MAX_COUNTER) return transition({ ...s, lossTimer: stopTimer(s.lossTimer) }, [{ type: 'token-lost-suspected', gen: s.maxProbe.gen }]);
  const probe = { gen, origin: s.id };
  const next: TokenRingState = { ...s, maxProbe: probe, ownProbe: gen, lossTimer: startTimer(now, s.tokenTimeoutMs) };
  const outputs: TokenRingOutput[] = [{ type: 'token-lost-suspected', gen: s.maxProbe.gen }];
  if (s.successor === s.id) return chain(transition(next, outputs), (u) => regenerate(u, gen, now));
  return transition(next, [...outputs, send(s.successor, { type: 'probe', ...probe })]);
}

function onToken(state: TokenRingState, stamp: TokenStamp, now: number): T {
  if (stamp.gen > state.maxProbe.gen) return reject(state, state.predecessor, `token of generation ${stamp.gen} that no probe announced`);
  // A copy no newer than the last token accepted here is a duplicate or a replay: one holder only.
  if (stampCmp(stamp, state.lastToken) <= 0) return transition(state, [{ type: 'token-discarded', gen: stamp.gen }]);
  if (state.token >= 0) return reject(state, state.predecessor, 'a second token while holding one');
  if (stamp.gen < state.maxProbe.gen) return transition(state, [{ type: 'token-discarded', gen: stamp.gen }]);
  const s: TokenRingState = { ...state, token: stamp.gen, lastToken: stamp, lossTimer: stopTimer(state.lossTimer) };
  if (s.phase === 'wanting') return transition({ ...s, phase: 'held' }, [{ type: 'enter' }]);
  return passOn(s, now);
}

function onProbe(state: TokenRingState, gen: number, origin: NodeId, now: number): T {
  const probe = { gen, origin };
  const cmp = probeCmp(probe, state.maxProbe);
  if (origin === state.id) {
    // Our own probe came back: every node has seen it and destroyed older tokens.
    if (cmp === 0 && state.ownProbe === gen) return regenerate(state, gen, now);
    return transition(state); // superseded, or a duplicate of a round already finished
  }
  if (cmp < 0) return transition(state); // a smaller concurrent probe dies here
  const s: TokenRingState = {
    ...state,
    maxProbe: probe,
    ownProbe: cmp > 0 ? -1 : state.ownProbe,
    lossTimer: state.token >= 0 ? state.lossTimer : startTimer(now, state.tokenTimeoutMs),
  };
  if (s.token >= 0 && s.token < gen) {
    if (s.phase === 'held') return transition({ ...s, deferredProbe: probe });
    // Holding an old token outside the critical section cannot happen (tokens are passed at once),
    // but destroy it defensively.
    return transition({ ...s, token: -1, lossTimer: startTimer(now, s.tokenTimeoutMs) }, [
      { type: 'token-discarded', gen: s.token },
      send(s.successor, { type: 'probe', ...probe }),
    ]);
  }
  return transition(s, [send(s.successor, { type: 'probe', ...probe })]);
}

function regenerate(state: TokenRingState, gen: number, now: number): T {
  // A new generation starts at hop 0; every node's last accepted token is of an older generation.
  const s: TokenRingState = { ...state, ownProbe: -1, token: gen, lastToken: { gen, seq: 0 }, lossTimer: stopTimer(state.lossTimer) };
  const ev: TokenRingOutput = { type: 'token-regenerated', gen };
  if (s.phase === 'wanting') return transition({ ...s, phase: 'held' }, [ev, { type: 'enter' }]);
  return chain(transition(s, [ev]), (u) => passOn(u, now));
}

function passOn(state: TokenRingState, now: number): T {
  const d = state.deferredProbe;
  const watching = startTimer(now, state.tokenTimeoutMs);
  if (d !== null && d.gen > state.token) {
    // Our token is superseded: destroy it and let the probe continue.
    return transition({ ...state, token: -1, deferredProbe: null, lossTimer: watching }, [
      { type: 'token-discarded', gen: state.token },
      send(state.successor, { type: 'probe', gen: d.gen, origin: d.origin }),
    ]);
  }
  if (state.successor === state.id) return transition({ ...state, deferredProbe: null });
  const seq = state.lastToken.seq + 1;
  if (seq > MAX_COUNTER) {
    // The generation has used every hop number: drop the token; loss detection regenerates it
    // in the next generation.
    return transition({ ...state, token: -1, deferredProbe: null, lossTimer: watching }, [{ type: 'token-discarded', gen: state.token }]);
  }
  return transition({ ...state, token: -1, deferredProbe: null, lossTimer: watching }, [
    send(state.successor, { type: 'token', gen: state.token, seq }),
  ]);
}

function chain(t: T, f: (s: TokenRingState) => T): T {
  const u = f(t.state);
  return transition(u.state, [...t.outputs, ...u.outputs]);
}
