/**
 * Latency percentiles over the most recent recorded durations, in ms (0 when nothing recorded).
 *
 * @example
 * ```ts
 * import type { LatencySummary } from 'distkit/resilience';
 * const l: LatencySummary = { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
 * ```
 */
export interface LatencySummary {
  /** Durations in the sample (at most the recorder's capacity). */
  readonly count: number;
  /** Median, ms. */
  readonly p50: number;
  /** 90th percentile, ms. */
  readonly p90: number;
  /** 99th percentile, ms. */
  readonly p99: number;
  /** Largest, ms. */
  readonly max: number;
  /** Mean, ms. */
  readonly mean: number;
}

/** A fixed-size ring of recent durations; percentiles by nearest rank. @internal */
export class LatencyRecorder {
  private readonly ring: Float64Array;
  private n = 0;
  constructor(capacity: number) {
    this.ring = new Float64Array(capacity);
  }
  record(ms: number): void {
    this.ring[this.n % this.ring.length] = ms;
    this.n++;
  }
  summary(): LatencySummary {
    const count = Math.min(this.n, this.ring.length);
    if (count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    const xs = Array.from(this.ring.subarray(0, count)).sort((a, b) => a - b);
    const at = (q: number): number => xs[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))]!;
    let sum = 0;
    for (const x of xs) sum += x;
    return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: xs[count - 1]!, mean: sum / count };
  }
}
