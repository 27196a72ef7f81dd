/**
 * The one module of the isomorphic code that touches the real world: the default monotonic clock,
 * wall clock, timers and entropy used by the imperative wrappers and {@link createNode} when the
 * user injects none. Everything else takes these as parameters.
 *
 * @packageDocumentation
 */

/**
 * A source of time. `now()` is monotonic milliseconds (for deadlines); `wallNow()` is Unix epoch
 * milliseconds (for timestamps shown to people or exchanged with clock-sync protocols).
 *
 * @example
 * ```ts
 * import type { Clock } from 'distkit/core';
 * let t = 0;
 * const fake: Clock = { now: () => t, wallNow: () => 1_700_000_000_000 + t };
 * ```
 */
export interface Clock {
  /** Monotonic milliseconds, for deadlines and `tick` inputs. */
  now(): number;
  /** Unix epoch milliseconds, for timestamps exchanged with clock-sync protocols. */
  wallNow(): number;
}

/** Cancels a timer armed with {@link Timers.setTimer}. */
export type CancelTimer = () => void;

/**
 * Schedules callbacks. {@link systemTimers} keep a Node process alive while a timer is armed (work
 * someone awaits); {@link backgroundTimers} do not (idle protocol deadlines).
 *
 * @example
 * ```ts
 * import type { Timers } from 'distkit/core';
 * const manual: Timers = { setTimer: (_ms, _cb) => () => {} };
 * ```
 */
export interface Timers {
  /** Calls `callback` once after `delayMs`; returns a function that cancels it. */
  setTimer(delayMs: number, callback: () => void): CancelTimer;
}

interface TimerHandle {
  unref?: () => void;
}
interface HostGlobals {
  performance?: { now(): number };
  Date: { now(): number };
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  crypto?: { getRandomValues<T extends Uint32Array>(array: T): T };
}
const host = globalThis as unknown as HostGlobals;

/**
 * The real clock: `performance.now()` when available (monotonic), else `Date.now()`.
 *
 * @example
 * ```ts
 * import { systemClock } from 'distkit/core';
 * // Monotonic milliseconds for `now`; the wall clock separately, for timestamps people read.
 * const a = systemClock.now();
 * const b = systemClock.now();
 * [b >= a, systemClock.wallNow() > 1_600_000_000_000]; //=> [true, true]
 * ```
 */
export const systemClock: Clock = {
  now: () => (host.performance ? host.performance.now() : host.Date.now()),
  wallNow: () => host.Date.now(),
};

/**
 * Real timers on `setTimeout` for work a caller is waiting on (a retry's delay, a timeout racing a
 * pending call, a saga's back-off): under Node such a timer keeps the process alive until it fires
 * or is cancelled, so a script awaiting `Retry.execute` is not cut short after its first attempt.
 *
 * @example
 * ```ts
 * import { systemTimers } from 'distkit/core';
 * const fired: string[] = [];
 * const cancel = systemTimers.setTimer(100, () => fired.push('cancelled one'));
 * cancel();
 * await new Promise<void>((resolve) => systemTimers.setTimer(5, () => { fired.push('kept one'); resolve(); }));
 * fired; //=> ['kept one']
 * ```
 */
export const systemTimers: Timers = {
  setTimer(delayMs, callback) {
    const handle = host.setTimeout(callback, Math.max(0, delayMs));
    return () => host.clearTimeout(handle);
  },
};

/**
 * Real timers for idle background work (a running node's next protocol deadline, a health
 * monitor's status change): unref'd under Node, so they never hold a process open by themselves.
 * A node stays alive through its transport's sockets, not its timers.
 *
 * @example
 * ```ts
 * import { backgroundTimers } from 'distkit/core';
 * // Like systemTimers, but a pending timer does not keep the process alive (unref'd).
 * const due: number[] = [];
 * await new Promise<void>((resolve) => backgroundTimers.setTimer(5, () => { due.push(5); resolve(); }));
 * const cancel = backgroundTimers.setTimer(60_000, () => due.push(60_000));
 * cancel();
 * due; //=> [5]
 * ```
 */
export const backgroundTimers: Timers = {
  setTimer(delayMs, callback) {
    const handle = host.setTimeout(callback, Math.max(0, delayMs));
    (handle as TimerHandle).unref?.();
    return () => host.clearTimeout(handle);
  },
};

/**
 * A random 32-bit seed from the platform's CSPRNG (Web Crypto), for hosts that want a fresh seed.
 * Pure machines never call this; a host passes the seed in their config.
 *
 * @example
 * ```ts
 * import { randomSeed } from 'distkit/core';
 * // A fresh seed from the platform's randomness: log it, and the run can be replayed from it.
 * const seed = randomSeed();
 * Number.isSafeInteger(seed) && seed >= 0; //=> true
 * ```
 */
export function randomSeed(): number {
  if (host.crypto) return host.crypto.getRandomValues(new Uint32Array(1))[0]!;
  return Math.floor(Math.random() * 0x100000000);
}
