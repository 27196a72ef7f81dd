import type { BreakerStrategy, BreakerWindow, TimeBucket } from './breaker-core.js';

/** Outcome flags of a count window: failed, slow. @internal */
export const FAILED = 1;
/** @internal */
export const SLOW = 2;

/**
 * Whether a time-window bucket starting at `start` is still in the window while bucket number
 * `current` is running: its number is one of the last `buckets + 1` (the oldest of them partly
 * expired). @internal
 */
export function bucketKept(start: number, bucketMs: number, current: number, buckets: number): boolean {
  const k = Math.round(start / bucketMs);
  return k >= current - buckets && k <= current;
}

/**
 * The closed-state failure window of a {@link CircuitBreaker}, updated in place in O(1) per call
 * with no allocation: the same window and the same trip rule as {@link circuitBreakerCore}'s
 * plain-data `window`, which the wrapper materializes from it (`toWindow`) whenever the core needs
 * it (to trip, to snapshot, to save). @internal
 */
export interface LiveWindow {
  /** Whether the window needs the time (a count window does not). */
  readonly timed: boolean;
  /**
   * Records an outcome at `now` and returns true, unless recording it trips the breaker: then
   * returns false and leaves the window as it was (the core records it, and trips).
   */
  tryRecord(now: number, failed: boolean, slow: boolean): boolean;
  /** Replaces the contents with a plain-data window of the same kind. */
  load(window: BreakerWindow): void;
  /** The contents as the core's plain-data window. */
  toWindow(): BreakerWindow;
}

/** Whether a window of `calls` calls with `failures` failed and `slow` slow ones trips. */
function trips(calls: number, failures: number, slow: number, minimum: number, failureRatio: number, slowCallRatio: number | undefined): boolean {
  return (
    calls >= minimum &&
    (failures > 0 || slow > 0) &&
    (failures / calls >= failureRatio || (slowCallRatio !== undefined && slow / calls >= slowCallRatio))
  );
}

/** The last `size` outcomes as a ring of flags, with running counts. */
class CountWindow implements LiveWindow {
  readonly timed = false;
  private readonly flags: Uint8Array;
  private head = 0;
  private n = 0;
  private failures = 0;
  private slow = 0;

  constructor(private readonly st: Extract<BreakerStrategy, { kind: 'count' }>) {
    this.flags = new Uint8Array(st.size);
  }

  tryRecord(_now: number, failed: boolean, slow: boolean): boolean {
    const size = this.flags.length;
    const full = this.n === size;
    const i = full ? this.head : this.head + this.n < size ? this.head + this.n : this.head + this.n - size;
    const out = full ? this.flags[i]! : 0;
    const f = this.failures + (failed ? 1 : 0) - (out & FAILED);
    const s = this.slow + (slow ? 1 : 0) - ((out & SLOW) >> 1);
    const n = full ? size : this.n + 1;
    // Only an outcome that leaves a failure or a slow call in the window can trip it.
    if ((f > 0 || s > 0) && trips(n, f, s, this.st.minimumCalls, this.st.failureRatio, this.st.slowCallRatio)) return false;
    this.failures = f;
    this.slow = s;
    this.flags[i] = (failed ? FAILED : 0) | (slow ? SLOW : 0);
    if (full) this.head = i + 1 === size ? 0 : i + 1;
    else this.n = n;
    return true;
  }

  load(window: BreakerWindow): void {
    this.head = 0;
    this.n = 0;
    this.failures = 0;
    this.slow = 0;
    if (window.kind !== 'count') return;
    const keep = window.outcomes.slice(-this.flags.length);
    for (const o of keep) {
      this.flags[this.n++] = o & (FAILED | SLOW);
      this.failures += o & FAILED;
      this.slow += (o & SLOW) >> 1;
    }
  }

  toWindow(): BreakerWindow {
    const outcomes = new Array<number>(this.n);
    for (let k = 0; k < this.n; k++) outcomes[k] = this.flags[(this.head + k) % this.flags.length]!;
    return { kind: 'count', outcomes };
  }
}

/**
 * `buckets + 1` bucket slots (the core keeps every bucket that ends after `now - durationMs`, so a
 * partly expired oldest bucket sits beside the current one), indexed by bucket number, with
 * running totals. Expired slots are dropped when the current bucket changes.
 */
class TimeWindow implements LiveWindow {
  readonly timed = true;
  private readonly bucketMs: number;
  private readonly starts: Float64Array;
  private readonly calls: Float64Array;
  private readonly fails: Float64Array;
  private readonly slows: Float64Array;
  /** The current bucket number, and its slot (prepared by `advance`). */
  private current = Number.NaN;
  private slotNow = 0;
  private total = 0;
  private failures = 0;
  private slow = 0;

  constructor(private readonly st: Extract<BreakerStrategy, { kind: 'time' }>) {
    this.bucketMs = st.durationMs / st.buckets;
    const n = st.buckets + 1;
    this.starts = new Float64Array(n).fill(Number.NaN);
    this.calls = new Float64Array(n);
    this.fails = new Float64Array(n);
    this.slows = new Float64Array(n);
  }

  tryRecord(now: number, failed: boolean, slow: boolean): boolean {
    if (Math.floor(now / this.bucketMs) !== this.current) this.advance(now);
    const f = this.failures + (failed ? 1 : 0);
    const s = this.slow + (slow ? 1 : 0);
    if ((f > 0 || s > 0) && trips(this.total + 1, f, s, this.st.minimumThroughput, this.st.failureRatio, this.st.slowCallRatio)) return false;
    const i = this.slotNow;
    if (Number.isNaN(this.starts[i]!)) this.starts[i] = this.current * this.bucketMs;
    this.calls[i]!++;
    this.total++;
    if (failed) {
      this.fails[i]!++;
      this.failures++;
    }
    if (slow) {
      this.slows[i]!++;
      this.slow++;
    }
    return true;
  }

  load(window: BreakerWindow): void {
    for (let i = 0; i < this.starts.length; i++) this.drop(i);
    this.current = Number.NaN;
    if (window.kind !== 'time') return;
    for (const b of window.buckets) {
      const i = this.slot(b.start);
      this.drop(i);
      this.starts[i] = b.start;
      this.calls[i] = b.calls;
      this.fails[i] = b.failures;
      this.slows[i] = b.slow;
      this.total += b.calls;
      this.failures += b.failures;
      this.slow += b.slow;
    }
  }

  toWindow(): BreakerWindow {
    const buckets: TimeBucket[] = [];
    for (let i = 0; i < this.starts.length; i++) {
      const start = this.starts[i]!;
      if (!Number.isNaN(start)) buckets.push({ start, calls: this.calls[i]!, failures: this.fails[i]!, slow: this.slows[i]! });
    }
    buckets.sort((a, b) => a.start - b.start);
    return { kind: 'time', buckets };
  }

  private slot(start: number): number {
    const k = Math.round(start / this.bucketMs) % this.starts.length;
    return k < 0 ? k + this.starts.length : k;
  }

  /**
   * A new bucket began: drops the buckets the core drops ({@link bucketKept}) and prepares the
   * current bucket's slot. Within one bucket the core keeps the same buckets, so this runs once
   * per bucket, not per call.
   */
  private advance(now: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    this.current = bucket;
    for (let i = 0; i < this.starts.length; i++) {
      const start = this.starts[i]!;
      if (!Number.isNaN(start) && !bucketKept(start, this.bucketMs, bucket, this.st.buckets)) this.drop(i);
    }
    const start = bucket * this.bucketMs;
    this.slotNow = this.slot(start);
    // The slot's previous bucket (buckets + 1 numbers ago) has expired: the current one takes it.
    if (this.starts[this.slotNow] !== start) this.drop(this.slotNow);
  }

  private drop(i: number): void {
    if (Number.isNaN(this.starts[i]!)) return;
    this.total -= this.calls[i]!;
    this.failures -= this.fails[i]!;
    this.slow -= this.slows[i]!;
    this.starts[i] = Number.NaN;
    this.calls[i] = 0;
    this.fails[i] = 0;
    this.slows[i] = 0;
  }
}

/** The live window for a windowed strategy, or `undefined` for `consecutive` (the core's counter is O(1) already). @internal */
export function liveWindow(strategy: BreakerStrategy): LiveWindow | undefined {
  switch (strategy.kind) {
    case 'consecutive':
      return undefined;
    case 'count':
      return new CountWindow(strategy);
    case 'time':
      return new TimeWindow(strategy);
  }
}
