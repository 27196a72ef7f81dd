/**
 * CRDT types named by plain data, so that a machine's config (and a peer) can say which type a
 * replica holds: `'aworset'`, `{ ormap: 'mvregister' }`, `{ ormap: { ormap: 'ewflag' } }`.
 *
 * @packageDocumentation
 */
import { ConfigError, describeValue, getOwn, isPlainObject, setOwn, type Parsed } from '../../core/index.js';
import { CausalContext, type Dot } from './causal-context.js';
import { GCounter, PNCounter } from './counters.js';
import type { DotMap } from './dot-map.js';
import { joinCausal, type Causal, type DotStore } from './dot-store.js';
import { ORMap } from './ormap.js';
import { CRDT_LIMITS, parseCausal, parseDotMap, parseEntries, runParser, type CrdtLimits, type ParseContext } from './parse.js';
import { EWFlag, LWWRegister, MVRegister } from './registers.js';
import { AWORSet, GSet, RWORSet, TwoPSet, collectableDots, type ElementDots } from './sets.js';

/**
 * A causal CRDT type: one that can be embedded in an {@link ORMap}.
 *
 * @example
 * ```ts
 * import type { CausalSpec } from 'distkit/replication';
 * const spec: CausalSpec = { ormap: 'aworset' }; // a map of add-wins sets
 * ```
 */
export type CausalSpec = 'ewflag' | 'mvregister' | 'aworset' | 'rworset' | { readonly ormap: CausalSpec };

/**
 * Any CRDT type of this module, as plain data.
 *
 * @example
 * ```ts
 * import type { CrdtSpec } from 'distkit/replication';
 * const spec: CrdtSpec = 'pncounter';
 * ```
 */
export type CrdtSpec = 'gcounter' | 'pncounter' | 'lwwregister' | 'gset' | 'twopset' | CausalSpec;

/** The deepest ORMap nesting a spec may have. */
export const MAX_SPEC_DEPTH = 8;

const SIMPLE = ['gcounter', 'pncounter', 'lwwregister', 'gset', 'twopset'] as const;
const CAUSAL = ['ewflag', 'mvregister', 'aworset', 'rworset'] as const;

/**
 * Checks a spec given by the local host; throws `ConfigError` naming `field` when it is not one.
 *
 * @example
 * ```ts
 * import { checkCrdtSpec } from 'distkit/replication';
 * checkCrdtSpec('crdt', { ormap: 'aworset' }); //=> { ormap: 'aworset' }
 * ```
 */
export function checkCrdtSpec(field: string, spec: unknown): CrdtSpec {
  let s: unknown = spec;
  for (let depth = 0; depth <= MAX_SPEC_DEPTH; depth++) {
    if (typeof s === 'string' && (CAUSAL as readonly string[]).includes(s)) return spec as CrdtSpec;
    if (depth === 0 && typeof s === 'string' && (SIMPLE as readonly string[]).includes(s)) return spec as CrdtSpec;
    if (!isPlainObject(s) || Object.keys(s).length !== 1 || getOwn(s, 'ormap') === undefined) break;
    s = s.ormap;
  }
  throw new ConfigError(field, `must be one of ${[...SIMPLE, ...CAUSAL].join(', ')} or { ormap: <causal type> } nested at most ${MAX_SPEC_DEPTH} deep, got ${describeValue(spec)}`);
}

function storeParser(spec: CausalSpec, ctx: ParseContext): (x: unknown, path: string, cc: CausalContext) => DotStore {
  switch (spec) {
    case 'ewflag':
      return (x, p, cc) => parseEntries(x, p, 'dot', cc, ctx);
    case 'mvregister':
      return (x, p, cc) => parseEntries(x, p, 'json', cc, ctx);
    case 'aworset':
      return (x, p, cc) => parseDotMap(x, p, ctx, (v, q) => parseEntries(v, q, 'dot', cc, ctx));
    case 'rworset':
      return (x, p, cc) => parseDotMap(x, p, ctx, (v, q) => parseEntries(v, q, 'flag', cc, ctx));
    default: {
      const inner = storeParser(spec.ormap, ctx);
      return (x, p, cc) => parseDotMap(x, p, ctx, (v, q) => inner(v, q, cc));
    }
  }
}

/**
 * True for a type built on a causal context (one that can be embedded in an ORMap).
 *
 * @example
 * ```ts
 * import { isCausalSpec } from 'distkit/replication';
 * isCausalSpec({ ormap: 'ewflag' }); //=> true
 * isCausalSpec('gcounter');          //=> false
 * ```
 */
export function isCausalSpec(spec: CrdtSpec): spec is CausalSpec {
  return typeof spec !== 'string' || (CAUSAL as readonly string[]).includes(spec);
}

/**
 * The empty state of a type.
 *
 * @example
 * ```ts
 * import { emptyCrdt } from 'distkit/replication';
 * emptyCrdt('gcounter'); //=> {}
 * ```
 */
export function emptyCrdt(spec: CrdtSpec): unknown {
  switch (spec) {
    case 'gcounter':
      return GCounter.empty();
    case 'pncounter':
      return PNCounter.empty();
    case 'lwwregister':
      return LWWRegister.empty();
    case 'gset':
      return GSet.empty();
    case 'twopset':
      return TwoPSet.empty();
    case 'ewflag':
    case 'mvregister':
      return EWFlag.empty();
    default:
      return ORMap.empty();
  }
}

/**
 * Joins two states (or deltas) of a type.
 *
 * @example
 * ```ts
 * import { joinCrdt } from 'distkit/replication';
 * joinCrdt('gcounter', { a: 1 }, { a: 3, b: 1 }); //=> { a: 3, b: 1 }
 * ```
 */
export function joinCrdt(spec: CrdtSpec, a: unknown, b: unknown): unknown {
  switch (spec) {
    case 'gcounter':
      return GCounter.join(a as GCounter, b as GCounter);
    case 'pncounter':
      return PNCounter.join(a as PNCounter, b as PNCounter);
    case 'lwwregister':
      return LWWRegister.join(a as LWWRegister, b as LWWRegister);
    case 'gset':
      return GSet.join(a as GSet, b as GSet);
    case 'twopset':
      return TwoPSet.join(a as TwoPSet, b as TwoPSet);
    default:
      return joinCausal(a as Causal<DotStore>, b as Causal<DotStore>);
  }
}

/**
 * Validates an untrusted state or delta of a type; the value returned holds only checked data.
 *
 * @example
 * ```ts
 * import { parseCrdt } from 'distkit/replication';
 * parseCrdt('gcounter', { a: -1 }); //=> { ok: false, problem: 'delta.a: expected an integer in [0, 9007199254740990], got -1' }
 * ```
 */
export function parseCrdt(spec: CrdtSpec, x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<unknown> {
  switch (spec) {
    case 'gcounter':
      return GCounter.parse(x, limits);
    case 'pncounter':
      return PNCounter.parse(x, limits);
    case 'lwwregister':
      return LWWRegister.parse(x, limits);
    case 'gset':
      return GSet.parse(x, limits);
    case 'twopset':
      return TwoPSet.parse(x, limits);
    default:
      return runParser(limits, (ctx) => parseCausal(x, 'delta', ctx, storeParser(spec, ctx)));
  }
}

/**
 * The value of a state: a number, a register value, a sorted element list, a flag, or for a map
 * an object of its keys' values (a key whose embedded CRDT reads as empty — an empty set, a
 * disabled flag, a reset register — is left out, as after a removal of the key).
 *
 * @example
 * ```ts
 * import { crdtValue } from 'distkit/replication';
 * crdtValue('pncounter', { p: { a: 3 }, n: { b: 1 } }); //=> 2
 * ```
 */
export function crdtValue(spec: CrdtSpec, state: unknown): unknown {
  switch (spec) {
    case 'gcounter':
      return GCounter.value(state as GCounter);
    case 'pncounter':
      return PNCounter.value(state as PNCounter);
    case 'lwwregister':
      return LWWRegister.value(state as LWWRegister);
    case 'gset':
      return GSet.value(state as GSet);
    case 'twopset':
      return TwoPSet.value(state as TwoPSet);
    case 'ewflag':
      return EWFlag.value(state as EWFlag);
    case 'mvregister':
      return MVRegister.value(state as MVRegister);
    case 'aworset':
      return AWORSet.value(state as AWORSet);
    case 'rworset':
      return RWORSet.value(state as RWORSet);
    default: {
      const inner = spec.ormap;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(ORMap.value(state as ORMap, (x) => crdtValue(inner, x)))) if (!isBottom(v)) setOwn(out, k, v);
      return out;
    }
  }
}

/** A value equal to that of an empty embedded CRDT (an empty set or map, a disabled flag, no values). */
function isBottom(value: unknown): boolean {
  if (value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}

function collectIn(spec: CausalSpec, store: DotStore, stable: CausalContext, out: Dot[]): void {
  if (spec === 'rworset') collectableDots(store as ElementDots, stable, out);
  else if (typeof spec !== 'string') {
    const map = store as DotMap<DotStore>;
    for (const b of Object.keys(map)) for (const p of map[b]!) collectIn(spec.ormap, p[1], stable, out);
  }
}

/**
 * The delta that collects a state's tombstones below a causally stable context (see
 * {@link RWORSet}'s `collect`), at any depth of ORMap nesting; `undefined` when there is nothing
 * to collect (only remove-wins sets keep tombstones).
 *
 * @example
 * ```ts
 * import { RWORSet, collectCrdt } from 'distkit/replication';
 * const s = RWORSet.join(RWORSet.empty(), RWORSet.remove(RWORSet.empty(), 'a', 'x'));
 * collectCrdt('rworset', s, s.cc); //=> { store: {}, cc: { vv: { a: 1 }, cloud: [] } }
 * collectCrdt('rworset', s, { vv: {}, cloud: [] }); //=> undefined
 * ```
 */
export function collectCrdt(spec: CrdtSpec, state: unknown, stable: CausalContext): unknown {
  if (!isCausalSpec(spec)) return undefined;
  const dots: Dot[] = [];
  collectIn(spec, (state as Causal<DotStore>).store, stable, dots);
  return dots.length === 0 ? undefined : { store: {}, cc: CausalContext.fromDots(dots) };
}
