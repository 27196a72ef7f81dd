// Shared benchmark helpers. Figures are `{ value, unit }` objects keyed by a dotted name.
import { performance } from 'node:perf_hooks';

export interface Figure {
  value: number;
  unit: string;
}
export type Figures = Record<string, Figure>;

export interface MeasureOptions {
  /** Total sampling time per candidate, ms. */
  timeMs?: number;
  /** Number of interleaved samples per candidate. */
  samples?: number;
}

/** Keeps results alive so the optimizer cannot drop the measured work. */
export let sink: unknown;
export function consume(x: unknown): void {
  sink = x;
}

function calibrate(fn: (i: number) => void, targetMs: number): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    const dt = performance.now() - t0;
    if (dt >= targetMs || n >= 1 << 30) return Math.max(1, Math.round((n * targetMs) / Math.max(dt, 0.001)));
    n *= 2;
  }
}

/**
 * Measures operations per second of several candidates side by side: samples are interleaved
 * (A, B, C, A, B, C, ...) so machine noise hits all of them alike. Returns the median ops/s of each.
 */
export function compareOps(candidates: Record<string, (i: number) => void>, opts: MeasureOptions = {}): Record<string, number> {
  const samples = opts.samples ?? 10;
  const sampleMs = (opts.timeMs ?? 1000) / samples;
  const names = Object.keys(candidates);
  const iters: Record<string, number> = {};
  for (const name of names) {
    const fn = candidates[name]!;
    calibrate(fn, 20); // warm up
    iters[name] = calibrate(fn, sampleMs);
  }
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let s = 0; s < samples; s++) {
    for (const name of names) {
      const fn = candidates[name]!;
      const n = iters[name]!;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn(i);
      const dt = performance.now() - t0;
      rates[name]!.push((n * 1000) / dt);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(rates[n]!)]));
}

/** ops/s of one candidate. */
export function measureOps(fn: (i: number) => void, opts: MeasureOptions = {}): number {
  return compareOps({ x: fn }, opts).x!;
}

/** Async variant: each call awaited in turn. Returns median calls/s per candidate, interleaved. */
export async function compareAsyncOps(
  candidates: Record<string, () => Promise<unknown>>,
  opts: MeasureOptions & { batch?: number } = {},
): Promise<Record<string, number>> {
  const samples = opts.samples ?? 10;
  const batch = opts.batch ?? 2000;
  const names = Object.keys(candidates);
  for (const name of names) for (let i = 0; i < batch; i++) await candidates[name]!();
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let s = 0; s < samples; s++) {
    for (const name of names) {
      const fn = candidates[name]!;
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) await fn();
      rates[name]!.push((batch * 1000) / (performance.now() - t0));
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(rates[n]!)]));
}

export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A ratio figure: how many times faster `ours` is than `theirs` (higher = distkit faster). */
export function ratio(ours: number, theirs: number): Figure {
  return { value: round(ours / theirs, 3), unit: 'x' };
}

export function round(x: number, digits = 3): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const p = Math.pow(10, Math.max(0, digits - Math.ceil(Math.log10(Math.abs(x)))));
  return Math.round(x * p) / p;
}

export function opsFigure(x: number, unit = 'ops/s'): Figure {
  return { value: Math.round(x), unit };
}
