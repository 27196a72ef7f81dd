/**
 * Grow-only and positive-negative counters as delta-state CRDTs (Almeida, Shoker and Baquero,
 * arXiv:1603.01529, §4.1 Figure 2 and §4.2).
 *
 * @packageDocumentation
 */
import { InvalidCommandError, MAX_COUNTER, getOwn, setOwn, type Parsed } from '../../core/index.js';
import { CRDT_LIMITS, counter, field, object, replicaId, runParser, spend, type CrdtLimits, type ParseContext } from './parse.js';

/**
 * A grow-only counter: each replica's own count (§4.1). Plain JSON.
 *
 * @example
 * ```ts
 * import type { GCounter } from 'distkit/replication';
 * const c: GCounter = { a: 2, b: 1 }; // value 3
 * ```
 */
export type GCounter = Readonly<Record<string, number>>;

function checkAmount(by: number): void {
  if (!Number.isSafeInteger(by) || by < 0) throw new InvalidCommandError('increment', `amount must be a non-negative integer, got ${by}`);
}

function gJoin(a: GCounter, b: GCounter): GCounter {
  let out: Record<string, number> | undefined;
  for (const r of Object.keys(b)) {
    const n = b[r]!;
    if (n > (getOwn(a, r) ?? 0)) setOwn((out ??= { ...a }), r, n);
  }
  return out ?? a;
}

function gValue(c: GCounter): number {
  let sum = 0;
  for (const r of Object.keys(c)) sum += c[r]!;
  return sum;
}

function gIncrement(c: GCounter, replica: string, by = 1): GCounter {
  checkAmount(by);
  const next = (getOwn(c, replica) ?? 0) + by;
  if (next > MAX_COUNTER) throw new InvalidCommandError('increment', `the count of ${replica} would pass MAX_COUNTER`);
  return setOwn({}, replica, next);
}

function parseGCounter(x: unknown, path: string, ctx: ParseContext): GCounter {
  const o = object(x, path);
  const out: Record<string, number> = {};
  for (const r of Object.keys(o)) {
    spend(ctx, path);
    setOwn(out, replicaId(r, path), counter(o[r], `${path}.${r}`, 0));
  }
  return out;
}

/**
 * Grow-only counter operations (§4.1, Figure 2): `increment` returns the delta `{ [replica]: n }`,
 * `join` takes pointwise maxima, `value` sums.
 *
 * @example
 * ```ts
 * import { GCounter } from 'distkit/replication';
 * let a = GCounter.empty();
 * const d = GCounter.increment(a, 'a', 2); //=> { a: 2 }
 * a = GCounter.join(a, d);
 * GCounter.value(GCounter.join(a, { b: 5 })); //=> 7
 * ```
 */
export const GCounter = Object.freeze({
  /** The counter at zero. */
  empty: (): GCounter => ({}),
  /** The delta of adding `by` (default 1) at `replica`. */
  increment: gIncrement,
  /** Least upper bound: pointwise maximum. */
  join: gJoin,
  /** The sum of all replicas' counts. */
  value: gValue,
  /** Validates an untrusted counter or delta. */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<GCounter> => runParser(limits, (ctx) => parseGCounter(x, 'delta', ctx)),
});

/**
 * A positive-negative counter: two grow-only counters, increments and decrements (§4.2).
 *
 * @example
 * ```ts
 * import type { PNCounter } from 'distkit/replication';
 * const c: PNCounter = { p: { a: 3 }, n: { b: 1 } }; // value 2
 * ```
 */
export interface PNCounter {
  readonly p: GCounter;
  readonly n: GCounter;
}

/**
 * Positive-negative counter operations: `increment` and `decrement` return deltas, `join` joins
 * both halves, `value` is `p − n`.
 *
 * @example
 * ```ts
 * import { PNCounter } from 'distkit/replication';
 * let c = PNCounter.empty();
 * c = PNCounter.join(c, PNCounter.increment(c, 'a', 5));
 * c = PNCounter.join(c, PNCounter.decrement(c, 'b', 2));
 * PNCounter.value(c); //=> 3
 * ```
 */
export const PNCounter = Object.freeze({
  /** The counter at zero. */
  empty: (): PNCounter => ({ p: {}, n: {} }),
  /** The delta of adding `by` (default 1) at `replica`. */
  increment: (c: PNCounter, replica: string, by = 1): PNCounter => ({ p: gIncrement(c.p, replica, by), n: {} }),
  /** The delta of subtracting `by` (default 1) at `replica`. */
  decrement: (c: PNCounter, replica: string, by = 1): PNCounter => ({ p: {}, n: gIncrement(c.n, replica, by) }),
  /** Least upper bound of both halves. */
  join(a: PNCounter, b: PNCounter): PNCounter {
    const p = gJoin(a.p, b.p);
    const n = gJoin(a.n, b.n);
    return p === a.p && n === a.n ? a : { p, n };
  },
  /** Increments minus decrements. */
  value: (c: PNCounter): number => gValue(c.p) - gValue(c.n),
  /** Validates an untrusted counter or delta. */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<PNCounter> =>
    runParser(limits, (ctx) => {
      const o = object(x, 'delta');
      return { p: parseGCounter(field(o, 'p', 'delta'), 'delta.p', ctx), n: parseGCounter(field(o, 'n', 'delta'), 'delta.n', ctx) };
    }),
});
