/**
 * Registers and flags as delta-state CRDTs (Almeida, Shoker and Baquero, arXiv:1603.01529):
 * the last-writer-wins register (§4), and the causal multi-value register and enable-wins flag
 * built on dot stores (§5, Figure 5 for the flag; §7 for the register).
 *
 * @packageDocumentation
 */
import { InvalidCommandError, MAX_COUNTER, canonicalJson, type Parsed } from '../../core/index.js';
import { CausalContext } from './causal-context.js';
import { dotsOf, joinCausal, type Causal, type DotEntry } from './dot-store.js';
import { CRDT_LIMITS, counter, field, jsonValue, object, parseCausal, parseEntries, refuse, runParser, type CrdtLimits } from './parse.js';

/**
 * A last-writer-wins register: the value with the greatest `(ts, replica)`; `replica` is `''`
 * and `ts` is 0 before the first write.
 *
 * @example
 * ```ts
 * import type { LWWRegister } from 'distkit/replication';
 * const r: LWWRegister<string> = { ts: 17, replica: 'a', value: 'x' };
 * ```
 */
export interface LWWRegister<V = unknown> {
  readonly ts: number;
  readonly replica: string;
  readonly value: V | null;
}

function lwwCompare(a: LWWRegister, b: LWWRegister): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  // Equal stamps only differ under a faulty writer; ordering the values keeps join commutative.
  if (a.value === b.value) return 0;
  const x = canonicalJson(a.value);
  const y = canonicalJson(b.value);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Last-writer-wins register operations: `set(r, replica, value, now)` returns the delta, stamped
 * `max(now, r.ts + 1)` so that a write always supersedes what the writer has seen; `join` keeps
 * the greater `(ts, replica)`.
 *
 * @example
 * ```ts
 * import { LWWRegister } from 'distkit/replication';
 * const r0 = LWWRegister.empty<string>();
 * const a = LWWRegister.set(r0, 'a', 'apple', 10);
 * const b = LWWRegister.set(r0, 'b', 'banana', 10);
 * LWWRegister.value(LWWRegister.join(a, b)); //=> 'banana'
 * ```
 */
export const LWWRegister = Object.freeze({
  /** The unwritten register (value `null`). */
  empty: <V = unknown>(): LWWRegister<V> => ({ ts: 0, replica: '', value: null }),
  /** The delta of writing `value` at `replica` at time `now` (any clock: wall, hybrid, logical). */
  set<V>(r: LWWRegister<V>, replica: string, value: V, now: number): LWWRegister<V> {
    const ts = Math.max(Math.floor(now), r.ts + 1);
    if (!Number.isSafeInteger(ts) || ts > MAX_COUNTER) throw new InvalidCommandError('set', `timestamp must be a safe integer up to MAX_COUNTER, got ${now}`);
    return { ts, replica, value };
  },
  /** The later write. */
  join: <V>(a: LWWRegister<V>, b: LWWRegister<V>): LWWRegister<V> => (lwwCompare(a, b) >= 0 ? a : b),
  /** The current value, or `null`. */
  value: <V>(r: LWWRegister<V>): V | null => r.value,
  /** Validates an untrusted register or delta. */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<LWWRegister> =>
    runParser(limits, (ctx) => {
      const o = object(x, 'delta');
      const ts = counter(field(o, 'ts', 'delta'), 'delta.ts', 0);
      const replica = field(o, 'replica', 'delta');
      if (typeof replica !== 'string' || replica.length > 256) refuse('delta.replica', 'expected a replica id');
      if (ts === 0 && (replica !== '' || o.value !== null)) refuse('delta', 'ts 0 is only the unwritten register');
      return { ts, replica, value: jsonValue(field(o, 'value', 'delta'), 'delta.value', ctx) };
    }),
});

/**
 * A multi-value register: a dot function from write dots to values (§7). Concurrent writes are
 * all kept; a write replaces every value its replica has seen.
 *
 * @example
 * ```ts
 * import type { MVRegister } from 'distkit/replication';
 * const r: MVRegister = { store: [['a', 1, 'x']], cc: { vv: { a: 1 }, cloud: [] } };
 * ```
 */
export type MVRegister = Causal<readonly DotEntry[]>;

/**
 * Multi-value register operations: `write` returns a delta holding the new value under a fresh
 * dot and, in its context, the dots it overwrites; `value` lists the concurrent values.
 *
 * @example
 * ```ts
 * import { MVRegister } from 'distkit/replication';
 * const r0 = MVRegister.empty();
 * const a = MVRegister.write(r0, 'a', 'x');
 * const b = MVRegister.write(r0, 'b', 'y');
 * const both = MVRegister.join(a, b);
 * MVRegister.value(both); //=> ['x', 'y']
 * MVRegister.value(MVRegister.join(both, MVRegister.write(both, 'a', 'z'))); //=> ['z']
 * ```
 */
export const MVRegister = Object.freeze({
  /** The unwritten register. */
  empty: (): MVRegister => ({ store: [], cc: CausalContext.empty() }),
  /** The delta of writing `value` at `replica`. */
  write(r: MVRegister, replica: string, value: unknown): MVRegister {
    const dot = CausalContext.nextDot(r.cc, replica);
    const seen = dotsOf(r.store);
    seen.push(dot);
    return { store: [[dot[0], dot[1], value]], cc: CausalContext.fromDots(seen) };
  },
  /** The delta that clears the register (removes every value seen). */
  reset: (r: MVRegister): MVRegister => ({ store: [], cc: CausalContext.fromDots(dotsOf(r.store)) }),
  /** Least upper bound (§5). */
  join: (a: MVRegister, b: MVRegister): MVRegister => joinCausal(a, b),
  /** The concurrent values, in dot order. */
  value: (r: MVRegister): unknown[] => r.store.map((e) => e[2]),
  /** Validates an untrusted register or delta. */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<MVRegister> =>
    runParser(limits, (ctx) => parseCausal(x, 'delta', ctx, (s, p, cc) => parseEntries(s, p, 'json', cc, ctx))),
});

/**
 * An enable-wins flag: a dot set, true while it holds a dot (§5, Figure 5).
 *
 * @example
 * ```ts
 * import type { EWFlag } from 'distkit/replication';
 * const f: EWFlag = { store: [['a', 1]], cc: { vv: { a: 1 }, cloud: [] } }; // enabled
 * ```
 */
export type EWFlag = Causal<readonly DotEntry[]>;

/**
 * Enable-wins flag operations: `enable` adds a fresh dot (and covers the dots it saw), `disable`
 * covers the dots it saw without adding one, so a concurrent enable wins.
 *
 * @example
 * ```ts
 * import { EWFlag } from 'distkit/replication';
 * const on = EWFlag.join(EWFlag.empty(), EWFlag.enable(EWFlag.empty(), 'a'));
 * const off = EWFlag.disable(on);
 * const again = EWFlag.enable(on, 'b');
 * EWFlag.value(EWFlag.join(EWFlag.join(on, off), again)); //=> true
 * EWFlag.value(EWFlag.join(on, off)); //=> false
 * ```
 */
export const EWFlag = Object.freeze({
  /** The disabled flag. */
  empty: (): EWFlag => ({ store: [], cc: CausalContext.empty() }),
  /** The delta of enabling at `replica`. */
  enable(f: EWFlag, replica: string): EWFlag {
    const dot = CausalContext.nextDot(f.cc, replica);
    return { store: [dot], cc: CausalContext.fromDots([...dotsOf(f.store), dot]) };
  },
  /** The delta of disabling. */
  disable: (f: EWFlag): EWFlag => ({ store: [], cc: CausalContext.fromDots(dotsOf(f.store)) }),
  /** Least upper bound (§5). */
  join: (a: EWFlag, b: EWFlag): EWFlag => joinCausal(a, b),
  /** True while enabled. */
  value: (f: EWFlag): boolean => f.store.length > 0,
  /** Validates an untrusted flag or delta. */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<EWFlag> =>
    runParser(limits, (ctx) => parseCausal(x, 'delta', ctx, (s, p, cc) => parseEntries(s, p, 'dot', cc, ctx))),
});
