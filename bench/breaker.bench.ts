// Circuit breakers: overhead per successful async call of each distkit strategy side by side with
// its cockatiel counterpart (consecutive ↔ ConsecutiveBreaker, count window ↔ CountBreaker, time
// window ↔ SamplingBreaker), opossum (whose rolling window is time-based) and a bare `await fn()`.
// Each group is measured in interleaved rounds (bare, distkit, cockatiel, opossum, bare, ...); a
// ratio is the median of the per-round ratios, so a busy machine slowing one round slows both
// sides of it. Every breaker records every outcome in its window.
// @ts-expect-error opossum ships no type declarations
import OpossumBreaker from 'opossum';
import { ConsecutiveBreaker, CountBreaker, SamplingBreaker, circuitBreaker as cockatielBreaker, handleAll } from 'cockatiel';
import { CircuitBreaker, type BreakerStrategy } from '../src/resilience/index.js';
import { performance } from 'node:perf_hooks';
import { median, opsFigure, round, type Figures } from './lib.js';

const work = async (): Promise<number> => 1;

interface Group {
  /** Figure name prefix. */
  readonly name: string;
  readonly distkit: BreakerStrategy;
  readonly cockatiel: ConsecutiveBreaker | CountBreaker | SamplingBreaker;
}

const groups: readonly Group[] = [
  { name: 'resilience.breaker.call', distkit: { kind: 'consecutive', threshold: 5 }, cockatiel: new ConsecutiveBreaker(5) },
  // The last 100 calls (Resilience4j's default size), tripping at 50% once 20 were seen.
  {
    name: 'resilience.breaker.call.count100',
    distkit: { kind: 'count', size: 100, failureRatio: 0.5, minimumCalls: 20 },
    cockatiel: new CountBreaker({ threshold: 0.5, size: 100, minimumNumberOfCalls: 20 }),
  },
  // The last 10 s in 10 buckets (opossum's default rolling window, cockatiel's bucketing of 10 s).
  {
    name: 'resilience.breaker.call.time10s',
    distkit: { kind: 'time', durationMs: 10_000, buckets: 10, failureRatio: 0.5, minimumThroughput: 20 },
    cockatiel: new SamplingBreaker({ threshold: 0.5, duration: 10_000 }),
  },
];

export default async function (): Promise<Figures> {
  const out: Figures = {};
  for (const g of groups) {
    const ours = new CircuitBreaker({ strategy: g.distkit, openMs: 10_000 });
    const cockatiel = cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: g.cockatiel });
    // opossum without its per-call timeout timer (distkit's breaker has none either; a Timeout
    // policy is composed explicitly). Its rolling-stats interval stays on, as users get it.
    const opossum = new OpossumBreaker(work, { timeout: false, resetTimeout: 10_000 });
    const rates = await rounds({
      bare: () => work(),
      distkit: () => ours.call(work),
      cockatiel: () => cockatiel.execute(work),
      opossum: () => opossum.fire(),
    });
    opossum.shutdown();
    const vs = (other: string): number => round(median(rates.distkit!.map((r, i) => r / rates[other]![i]!)), 3);
    out[g.name] = opsFigure(median(rates.distkit!), 'calls/s');
    out[`${g.name}.cockatiel`] = opsFigure(median(rates.cockatiel!), 'calls/s');
    out[`${g.name}.opossum`] = opsFigure(median(rates.opossum!), 'calls/s');
    out[`${g.name}.vs.cockatiel`] = { value: vs('cockatiel'), unit: 'x' };
    out[`${g.name}.vs.opossum`] = { value: vs('opossum'), unit: 'x' };
    out[`${g.name}.vs.bare`] = { value: vs('bare'), unit: 'distkit/bare' };
  }
  return out;
}

/** Calls/s of each candidate per round (each call awaited in turn), after a warm-up. */
async function rounds(candidates: Record<string, () => Promise<unknown>>, count = 41, batch = 10_000): Promise<Record<string, number[]>> {
  const names = Object.keys(candidates);
  for (const name of names) for (let i = 0; i < 2 * batch; i++) await candidates[name]!();
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < count; r++) {
    for (const name of names) {
      const fn = candidates[name]!;
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) await fn();
      rates[name]!.push((batch * 1000) / (performance.now() - t0));
    }
  }
  return rates;
}
