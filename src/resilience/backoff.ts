import { ConfigError, checkObject, nextFloat, seedPrng, type PrngState, nonNegativeMs, numberIn } from '../core/index.js';
import { growth } from './options.js';

/**
 * Jitter applied to an exponential backoff, after Brooker, "Exponential Backoff And Jitter"
 * (AWS Architecture Blog, 2015): `none` → `min(max, b·f^k)`; `full` → uniform in `[0, that]`;
 * `equal` → half of it plus uniform in `[0, half]`; `decorrelated` → `min(max, uniform[b, 3·prev])`.
 *
 * @example
 * ```ts
 * import { backoffInit, backoffNext, type Jitter } from 'distkit/resilience';
 * // Full jitter draws each delay uniformly below the exponential cap (AWS, 'Exponential Backoff And Jitter').
 * const delays = (jitter: Jitter) => { let s = backoffInit({ kind: 'exponential', initialMs: 100, jitter }, 7); return [1, 2, 3].map(() => { const d = backoffNext(s); s = d.state; return Math.round(d.delayMs); }); };
 * delays('none'); //=> [100, 200, 400]
 * delays('full').every((d, i) => d >= 0 && d <= 100 * 2 ** i); //=> true
 * ```
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

/**
 * A backoff between attempts: constant, linear (`initialMs + k·stepMs`) or exponential
 * (`initialMs · factor^k`, optionally jittered), each capped at `maxDelayMs`.
 *
 * @example
 * ```ts
 * import { backoffInit, backoffNext, type Backoff } from 'distkit/resilience';
 * const b: Backoff = { kind: 'exponential', initialMs: 100, factor: 2, jitter: 'none', maxDelayMs: 500 };
 * let s = backoffInit(b, 1);
 * // Doubling, capped at maxDelayMs.
 * [1, 2, 3, 4, 5].map(() => { const d = backoffNext(s); s = d.state; return d.delayMs; }); //=> [100, 200, 400, 500, 500]
 * ```
 */
export type Backoff =
  | { readonly kind: 'constant'; readonly delayMs: number }
  | { readonly kind: 'linear'; readonly initialMs: number; readonly stepMs: number; readonly maxDelayMs?: number }
  | {
      readonly kind: 'exponential';
      readonly initialMs: number;
      readonly factor?: number;
      readonly jitter?: Jitter;
      readonly maxDelayMs?: number;
    };

/**
 * The state of a backoff sequence: plain data (PRNG state inside for the jitter).
 *
 * @example
 * ```ts
 * import { backoffInit } from 'distkit/resilience';
 * const s = backoffInit({ kind: 'constant', delayMs: 50 }, 1);
 * s.retries; //=> 0
 * ```
 */
export interface BackoffState {
  /** The validated backoff. */
  readonly backoff: Backoff;
  /** Delays handed out so far. */
  readonly retries: number;
  /** The last delay handed out (decorrelated jitter grows from it), ms. */
  readonly previousMs: number;
  /** PRNG state for the jitter. */
  readonly prng: PrngState;
}

/**
 * Validates a backoff (throws ConfigError naming the option) and starts its sequence.
 *
 * @example
 * ```ts
 * import { backoffInit, backoffNext } from 'distkit/resilience';
 * const s = backoffInit({ kind: 'exponential', initialMs: 100 }, 7);
 * backoffNext(s).delayMs; //=> 100
 * ```
 */
export function backoffInit(backoff: Backoff, seed: number | PrngState): BackoffState {
  const b = validateBackoff(backoff);
  const prng = typeof seed === 'number' ? seedFrom(seed) : seed;
  return { backoff: b, retries: 0, previousMs: 'initialMs' in b ? b.initialMs : b.delayMs, prng };
}

function seedFrom(seed: number): PrngState {
  if (!Number.isFinite(seed)) throw new ConfigError('seed', `must be a finite number, got ${seed}`);
  return seedPrng(seed);
}

/**
 * The next delay of a backoff sequence and the state after it. Pure.
 *
 * @example
 * ```ts
 * import { backoffInit, backoffNext } from 'distkit/resilience';
 * const s = backoffInit({ kind: 'linear', initialMs: 100, stepMs: 50 }, 1);
 * const a = backoffNext(s);
 * const b = backoffNext(a.state);
 * [a.delayMs, b.delayMs]; //=> [100, 150]
 * ```
 */
export function backoffNext(state: BackoffState): { readonly delayMs: number; readonly state: BackoffState } {
  const b = state.backoff;
  const k = state.retries;
  let delayMs: number;
  let prng = state.prng;
  switch (b.kind) {
    case 'constant':
      delayMs = b.delayMs;
      break;
    case 'linear':
      delayMs = Math.min(b.maxDelayMs ?? Number.MAX_VALUE, b.initialMs + k * b.stepMs);
      break;
    case 'exponential': {
      const cap = b.maxDelayMs ?? Number.MAX_VALUE;
      const base = growth(b.initialMs, b.factor ?? 2, k, cap);
      const jitter = b.jitter ?? 'none';
      if (jitter === 'none') {
        delayMs = base;
      } else {
        const d = nextFloat(prng);
        prng = d.state;
        if (jitter === 'full') delayMs = d.value * base;
        else if (jitter === 'equal') delayMs = base / 2 + (d.value * base) / 2;
        else {
          const hi = Math.max(b.initialMs, Math.min(cap, state.previousMs * 3));
          delayMs = Math.min(cap, b.initialMs + d.value * (hi - b.initialMs));
        }
      }
      break;
    }
  }
  if (!Number.isFinite(delayMs)) delayMs = Number.MAX_VALUE;
  return { delayMs, state: { backoff: b, retries: k + 1, previousMs: delayMs, prng } };
}

function validateBackoff(b: Backoff): Backoff {
  checkObject('backoff', b, 'must be an object with a kind');
  switch (b.kind) {
    case 'constant':
      return { kind: 'constant', delayMs: nonNegativeMs('backoff.delayMs', b.delayMs) };
    case 'linear': {
      const out = {
        kind: 'linear' as const,
        initialMs: nonNegativeMs('backoff.initialMs', b.initialMs),
        stepMs: nonNegativeMs('backoff.stepMs', b.stepMs),
      };
      return b.maxDelayMs === undefined ? out : { ...out, maxDelayMs: nonNegativeMs('backoff.maxDelayMs', b.maxDelayMs) };
    }
    case 'exponential': {
      const jitters: readonly string[] = ['none', 'full', 'equal', 'decorrelated'];
      if (b.jitter !== undefined && !jitters.includes(b.jitter)) {
        throw new ConfigError('backoff.jitter', `must be one of none, full, equal, decorrelated; got ${JSON.stringify(b.jitter)}`);
      }
      const initialMs = nonNegativeMs('backoff.initialMs', b.initialMs);
      return {
        kind: 'exponential',
        initialMs,
        factor: b.factor === undefined ? 2 : numberIn('backoff.factor', b.factor, 1, Infinity),
        jitter: b.jitter ?? 'none',
        ...(b.maxDelayMs === undefined ? {} : { maxDelayMs: numberIn('backoff.maxDelayMs', b.maxDelayMs, initialMs, Infinity) }),
      };
    }
    default:
      throw new ConfigError('backoff.kind', `must be 'constant', 'linear' or 'exponential', got ${JSON.stringify((b as { kind?: unknown }).kind)}`);
  }
}
