// Per-node clocks: a node whose clock has skew `skewMs` and drift `drift` reads
// `skewMs + t * (1 + drift)` at virtual time `t`. Inputs carry the local reading; deadlines a
// machine asks for in local time are converted back to virtual time to schedule its tick.
import type { ClockOptions } from './types.js';

/** A node's clock error, changed by `clock` faults. */
export interface NodeClock {
  skewMs: number;
  drift: number;
}

/** A node's clock from the options (no error by default). */
export function nodeClock(options: ClockOptions | undefined): NodeClock {
  return { skewMs: options?.skewMs ?? 0, drift: options?.drift ?? 0 };
}

/** What the node's clock reads at virtual time `t`. */
export function localTime(clock: NodeClock, t: number): number {
  return clock.skewMs + t * (1 + clock.drift);
}

/** The earliest virtual time at which the node's clock reads at least `local`. */
export function virtualTime(clock: NodeClock, local: number): number {
  let t = (local - clock.skewMs) / (1 + clock.drift);
  // Floating point may land a hair early; the node must see now >= its deadline.
  while (localTime(clock, t) < local) t += Math.max(Math.abs(t) * 1e-15, 1e-12);
  return t;
}

/** Rounds a time to 1 µs, so sampled times print short and compare exactly. */
export function roundMs(x: number): number {
  return Math.round(x * 1000) / 1000;
}
