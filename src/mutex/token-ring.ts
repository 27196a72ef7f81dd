import {
  InvalidCommandError,
  reject,
  transition,
  v,
  type Machine,
  type NodeId,
  type Transition,
} from '../core/index.js';
import { checkMembers, compareNodeIds, positiveInt, send, type MutexInput, type MutexOutput, type MutexPhase } from './common.js';

/**
 * Configuration of a {@link tokenRing} node.
 *
 * @example
 * ```ts
 * import type { TokenRingConfig } from 'distkit/mutex';
 * const c: TokenRingConfig = { id: 'b', ring: ['a', 'b', 'c'], tokenTimeoutMs: 2000 };
 * ```
 */
export interface TokenRingConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** The ring, in passing order; `ring[0]` starts with the token. */
  readonly ring: readonly NodeId[];
  /**
   * A node that has not seen the token for this long (and is not holding it) starts a
   * regeneration round. Choose it well above one rotation plus the longest hold. Default 5000.
   */
  readonly tokenTimeoutMs?: number;
}

/**
 * A token-ring message: the `token` of generation `gen`, or a regeneration `probe` for generation
 * `gen` started by `origin`.
 *
 * @example
 * ```ts
 * import type { TokenRingMessage } from 'distkit/mutex';
 * const m: TokenRingMessage = { type: 'token', gen: 0 };
 * ```
 */
export type TokenRingMessage =
  | { readonly type: 'token'; readonly gen: number }
  | { readonly type: 'probe'; readonly gen: number; readonly origin: NodeId };

/**
 * Events of {@link tokenRing}: the node started a regeneration round, regenerated the token, or
 * destroyed a token of a superseded generation.
 *
 * @example
 * ```ts
 * import type { TokenRingEvent } from 'distkit/mutex';
 * const e: TokenRingEvent = { type: 'token-regenerated', gen: 2 };
 * ```
 */
export type TokenRingEvent =
  | { readonly type: 'token-lost-suspected'; readonly gen: number }
  | { readonly type: 'token-regenerated'; readonly gen: number }
  | { readonly type: 'token-discarded'; readonly gen: number };

/**
 * State of a {@link tokenRing} node.
 *
 * @example
 * ```ts
 * import { tokenRing } from 'distkit/mutex';
 * tokenRing.init({ id: 'a', ring: ['a', 'b'] }).token; //=> 0
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
  /** Last tick time. */
  readonly now: number;
  /** Requester phase. */
  readonly phase: MutexPhase;
  /** Generation of the token this node holds, or -1. */
  readonly token: number;
  /** The largest probe seen, as (gen, origin); tokens of older generations are destroyed. */
  readonly maxProbe: { readonly gen: number; readonly origin: NodeId };
  /** Last time the token (or a probe) passed here. */
  readonly lastSeen: number;
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
 * import type { TokenRingOutput } from 'distkit/mutex';
 * const o: TokenRingOutput = { type: 'token-regenerated', gen: 2 };
 * ```
 */
export type TokenRingOutput = MutexOutput<TokenRingMessage, TokenRingEvent>;

const messageCheck = v.tagged({
  token: v.object({ type: v.literal('token'), gen: v.int({ min: 0 }) }),
  probe: v.object({ type: v.literal('probe'), gen: v.int({ min: 1 }), origin: v.string({ minLength: 1, maxLength: 256 }) }),
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
 * created, so two live tokens never exist. Assumes no message duplication.
 *
 * @example
 * ```ts
 * import { tokenRing } from 'distkit/mutex';
 * const a = tokenRing.init({ id: 'a', ring: ['a', 'b'] });
 * tokenRing.step(a, { type: 'request' }).outputs; //=> [{ type: 'enter' }]
 * ```
 */
export const tokenRing: Machine<TokenRingConfig, TokenRingState, MutexInput, TokenRingOutput> = {
  name: 'token-ring',
  init(config) {
    const ring = checkMembers(config.id, config.ring, 'ring');
    const i = ring.indexOf(config.id);
    return {
      id: config.id,
      ring,
      successor: ring[(i + 1) % ring.length]!,
      predecessor: ring[(i - 1 + ring.length) % ring.length]!,
      tokenTimeoutMs: positiveInt('tokenTimeoutMs', config.tokenTimeoutMs, 5000),
      now: 0,
      phase: 'idle',
      token: i === 0 ? 0 : -1,
      maxProbe: { gen: 0, origin: ring[0]! },
      lastSeen: 0,
      ownProbe: -1,
      deferredProbe: null,
    };
  },
  step(state, input): T {
    switch (input.type) {
      case 'tick': {
        const s = { ...state, now: Math.max(state.now, input.now) };
        if (s.token >= 0 || s.now - s.lastSeen < s.tokenTimeoutMs) return transition(s);
        // Loss suspected: start a regeneration round for a generation above any seen.
        const gen = s.maxProbe.gen + 1;
        const probe = { gen, origin: s.id };
        const next: TokenRingState = { ...s, maxProbe: probe, ownProbe: gen, lastSeen: s.now };
        const outputs: TokenRingOutput[] = [{ type: 'token-lost-suspected', gen: s.maxProbe.gen }];
        if (s.successor === s.id) return chain(transition(next, outputs), (u) => regenerate(u, gen));
        return transition(next, [...outputs, send(s.successor, { type: 'probe', ...probe })]);
      }
      case 'request': {
        if (state.phase !== 'idle') throw new InvalidCommandError('request', `already ${state.phase}`);
        if (state.token >= 0) return transition({ ...state, phase: 'held' }, [{ type: 'enter' }]);
        return transition({ ...state, phase: 'wanting' });
      }
      case 'release': {
        if (state.phase !== 'held') throw new InvalidCommandError('release', 'this node is not in the critical section');
        return passOn({ ...state, phase: 'idle' });
      }
      case 'message': {
        const { from, message } = input;
        if (from !== state.predecessor) return reject(state, from, `only the predecessor ${JSON.stringify(state.predecessor)} may send here`);
        const problem = messageCheck(message, 'message');
        if (problem !== undefined) return reject(state, from, problem);
        const m = message as TokenRingMessage;
        if (m.type === 'token') return onToken(state, m.gen);
        if (!state.ring.includes(m.origin)) return reject(state, from, `probe origin ${JSON.stringify(m.origin)} not in the ring`);
        return onProbe(state, m.gen, m.origin);
      }
    }
  },
  nextDeadline: (s) => (s.token >= 0 ? undefined : s.lastSeen + s.tokenTimeoutMs),
};

function onToken(state: TokenRingState, gen: number): T {
  if (gen > state.maxProbe.gen) return reject(state, state.predecessor, `token of generation ${gen} that no probe announced`);
  if (state.token >= 0) return reject(state, state.predecessor, 'a second token while holding one');
  if (gen < state.maxProbe.gen) return transition(state, [{ type: 'token-discarded', gen }]);
  const s: TokenRingState = { ...state, token: gen, lastSeen: state.now };
  if (s.phase === 'wanting') return transition({ ...s, phase: 'held' }, [{ type: 'enter' }]);
  return passOn(s);
}

function onProbe(state: TokenRingState, gen: number, origin: NodeId): T {
  const probe = { gen, origin };
  const cmp = probeCmp(probe, state.maxProbe);
  if (origin === state.id) {
    // Our own probe came back: every node has seen it and destroyed older tokens.
    if (cmp === 0 && state.ownProbe === gen) return regenerate(state, gen);
    return transition(state); // superseded
  }
  if (cmp < 0) return transition(state); // a smaller concurrent probe dies here
  const s: TokenRingState = {
    ...state,
    maxProbe: probe,
    ownProbe: cmp > 0 ? -1 : state.ownProbe,
    lastSeen: state.now,
  };
  if (s.token >= 0 && s.token < gen) {
    if (s.phase === 'held') return transition({ ...s, deferredProbe: probe });
    // Holding an old token outside the critical section cannot happen (tokens are passed at once),
    // but destroy it defensively.
    return transition({ ...s, token: -1 }, [{ type: 'token-discarded', gen: s.token }, send(s.successor, { type: 'probe', ...probe })]);
  }
  return transition(s, [send(s.successor, { type: 'probe', ...probe })]);
}

function regenerate(state: TokenRingState, gen: number): T {
  const s: TokenRingState = { ...state, ownProbe: -1, token: gen, lastSeen: state.now };
  const ev: TokenRingOutput = { type: 'token-regenerated', gen };
  if (s.phase === 'wanting') return transition({ ...s, phase: 'held' }, [ev, { type: 'enter' }]);
  return chain(transition(s, [ev]), passOn);
}

function passOn(state: TokenRingState): T {
  const d = state.deferredProbe;
  if (d !== null && d.gen > state.token) {
    // Our token is superseded: destroy it and let the probe continue.
    return transition({ ...state, token: -1, deferredProbe: null, lastSeen: state.now }, [
      { type: 'token-discarded', gen: state.token },
      send(state.successor, { type: 'probe', gen: d.gen, origin: d.origin }),
    ]);
  }
  if (state.successor === state.id) return transition({ ...state, deferredProbe: null });
  return transition({ ...state, token: -1, deferredProbe: null, lastSeen: state.now }, [
    send(state.successor, { type: 'token', gen: state.token }),
  ]);
}

function chain(t: T, f: (s: TokenRingState) => T): T {
  const u = f(t.state);
  return transition(u.state, [...t.outputs, ...u.outputs]);
}
