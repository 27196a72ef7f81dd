/**
 * Time in the machine contract: every input carries the host's current time (`now`, milliseconds
 * from its monotonic clock), and deadlines live in the state as {@link Timer} values.
 *
 * @packageDocumentation
 */
import { InvalidCommandError } from './errors.js';
import { nextFloat, type PrngState } from './prng.js';
import { describeValue } from './validate.js';

/**
 * A deadline kept in a machine's state: plain data, so it serializes with the state. `at` is the
 * host time (ms) at which the machine wants a `tick`, or `null` when the timer is stopped;
 * `attempt` counts {@link backoffTimer} restarts since the last {@link startTimer}.
 *
 * One value serves every timer of every machine (election, heartbeat, retry, lease, probe ...):
 * start it from the input's `now`, test it with {@link timerDue}, stop it when the wait is over,
 * and build `nextDeadline` with {@link earliest}. Because `now` arrives with every input, a timer
 * started by a message counts from the time the message arrived, never from an older tick.
 * (TigerBeetle's `Timeout` in src/vsr.zig is the model: one small value with start, reset,
 * backoff and fired.)
 *
 * @example
 * ```ts
 * import { startTimer, timerDue, type Timer } from 'distkit/core';
 * const t: Timer = startTimer(1000, 150);
 * t.at;              //=> 1150
 * timerDue(t, 1149); //=> false
 * timerDue(t, 1150); //=> true
 * ```
 */
export interface Timer {
  /** When the timer fires (host ms), or `null` when stopped. */
  readonly at: number | null;
  /** Backoff restarts since the timer was last started (0 after {@link startTimer}). */
  readonly attempt: number;
}

/**
 * The stopped timer. Shared and frozen: compare with `timer.at === null`, not by identity.
 *
 * @example
 * ```ts
 * import { STOPPED_TIMER, timerDue } from 'distkit/core';
 * timerDue(STOPPED_TIMER, Number.MAX_SAFE_INTEGER); //=> false
 * ```
 */
export const STOPPED_TIMER: Timer = Object.freeze({ at: null, attempt: 0 });

/**
 * Starts (or restarts) a timer that fires `afterMs` after `now`.
 *
 * @example
 * ```ts
 * import { startTimer } from 'distkit/core';
 * startTimer(500, 100); //=> { at: 600, attempt: 0 }
 * ```
 */
export function startTimer(now: number, afterMs: number): Timer {
  return { at: now + afterMs, attempt: 0 };
}

/**
 * Stops a timer. Returns the same value when it is already stopped, so a machine can keep its
 * state object unchanged.
 *
 * @example
 * ```ts
 * import { startTimer, stopTimer } from 'distkit/core';
 * stopTimer(startTimer(0, 10)).at; //=> null
 * ```
 */
export function stopTimer(timer: Timer): Timer {
  return timer.at === null ? timer : STOPPED_TIMER;
}

/**
 * True when the timer is running and its deadline has come (`now >= at`).
 *
 * @example
 * ```ts
 * import { startTimer, timerDue } from 'distkit/core';
 * timerDue(startTimer(0, 10), 10); //=> true
 * ```
 */
export function timerDue(timer: Timer, now: number): boolean {
  return timer.at !== null && now >= timer.at;
}

/**
 * The timer's deadline for `nextDeadline`, or `undefined` when stopped.
 *
 * @example
 * ```ts
 * import { startTimer, timerDeadline, STOPPED_TIMER } from 'distkit/core';
 * timerDeadline(startTimer(0, 10)); //=> 10
 * timerDeadline(STOPPED_TIMER);     //=> undefined
 * ```
 */
export function timerDeadline(timer: Timer): number | undefined {
  return timer.at ?? undefined;
}

/**
 * Starts a timer at a random point in `[minMs, maxMs)` after `now`, drawn from the machine's
 * PRNG (Raft §5.2's randomized election timeout). Returns the timer and the PRNG's next state.
 *
 * @example
 * ```ts
 * import { randomTimer, seedPrng } from 'distkit/core';
 * const { timer } = randomTimer(0, 150, 300, seedPrng(1));
 * timer.at! >= 150 && timer.at! < 300; //=> true
 * ```
 */
export function randomTimer(now: number, minMs: number, maxMs: number, prng: PrngState): { timer: Timer; prng: PrngState } {
  const d = nextFloat(prng);
  return { timer: { at: now + minMs + Math.floor(d.value * (maxMs - minMs)), attempt: 0 }, prng: d.state };
}

/**
 * Options of {@link backoffTimer}: exponential backoff with full jitter.
 *
 * @example
 * ```ts
 * import type { BackoffOptions } from 'distkit/core';
 * const o: BackoffOptions = { baseMs: 100, maxMs: 5000 };
 * ```
 */
export interface BackoffOptions {
  /** The first wait's upper bound. */
  readonly baseMs: number;
  /** The cap on every wait. */
  readonly maxMs: number;
}

/**
 * Restarts a timer after one more failed attempt: the wait is drawn uniformly from
 * `[0, min(maxMs, baseMs · 2^attempt)]` ("full jitter", Brooker, AWS Architecture Blog, 2015), at
 * least 1 ms, and `attempt` goes up by one. Returns the timer and the PRNG's next state.
 *
 * @example
 * ```ts
 * import { backoffTimer, startTimer, seedPrng } from 'distkit/core';
 * const { timer } = backoffTimer(startTimer(0, 100), 100, { baseMs: 100, maxMs: 1000 }, seedPrng(3));
 * timer.attempt; //=> 1
 * timer.at! > 100 && timer.at! <= 300; //=> true
 * ```
 */
export function backoffTimer(
  timer: Timer,
  now: number,
  options: BackoffOptions,
  prng: PrngState,
): { timer: Timer; prng: PrngState } {
  const attempt = timer.attempt + 1;
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 52));
  const d = nextFloat(prng);
  return { timer: { at: now + Math.max(1, Math.round(d.value * ceiling)), attempt }, prng: d.state };
}

/**
 * The earliest of several deadlines: each a {@link Timer}, a number, or `null`/`undefined` for
 * none. Builds a machine's `nextDeadline` from all its timers.
 *
 * @example
 * ```ts
 * import { earliest, startTimer, STOPPED_TIMER } from 'distkit/core';
 * earliest(startTimer(0, 50), STOPPED_TIMER, 30, undefined); //=> 30
 * earliest(STOPPED_TIMER, null);                              //=> undefined
 * ```
 */
export function earliest(...deadlines: readonly (Timer | number | null | undefined)[]): number | undefined {
  let best: number | undefined;
  for (const d of deadlines) {
    const at = d === null || d === undefined ? undefined : typeof d === 'number' ? d : (d.at ?? undefined);
    if (at !== undefined && (best === undefined || at < best)) best = at;
  }
  return best;
}

/**
 * Reads an input's `now` and throws {@link InvalidCommandError} unless it is a finite number
 * (a monotonic clock's origin is arbitrary, so it may be negative). `now` comes from the local host, never from a peer, so a bad one is a
 * programming error of the host. Every machine calls this first in `step`.
 *
 * @example
 * ```ts
 * import { inputNow } from 'distkit/core';
 * inputNow({ type: 'tick', now: 5 }); //=> 5
 * // inputNow({ type: 'tick', now: NaN }) throws InvalidCommandError
 * ```
 */
export function inputNow(input: unknown): number {
  if (input === null || typeof input !== 'object') throw new InvalidCommandError('input', `expected an input object, got ${describeValue(input)}`);
  const { type, now } = input as { readonly type?: unknown; readonly now?: unknown };
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    const what = typeof type === 'string' ? type : 'input';
    throw new InvalidCommandError(what, `now must be a finite number of milliseconds, got ${describeValue(now)}`);
  }
  return now;
}
