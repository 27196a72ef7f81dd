/**
 * Validation of CRDT states and deltas received from peers. A delta is untrusted data: it is
 * checked against its type's shape, the canonical form (sorted, duplicate-free dots; a compact
 * context), §5's rule that every dot of a store is in the delta's context, and named size limits,
 * then copied so that only checked fields are stored.
 *
 * @packageDocumentation
 */
import { MAX_COUNTER, MAX_ID_LENGTH, describeValue, getOwn, isPlainObject, plainDataProblem, setOwn, type Parsed } from '../../core/index.js';
import { CausalContext, compareDots, type Dot } from './causal-context.js';
import { DOT_MAP_BUCKETS, DotMap, type DotMapPair } from './dot-map.js';
import { dotsOf, type Causal, type DotEntry, type DotStore } from './dot-store.js';

/**
 * Bounds on a delta or state from a peer: how many dots, keys and counters it may hold in all,
 * and how large (JSON text) and deep each register value may be.
 *
 * @example
 * ```ts
 * import { CRDT_LIMITS } from 'distkit/replication';
 * CRDT_LIMITS.maxItems; //=> 100000
 * ```
 */
export interface CrdtLimits {
  /** Dots, cloud dots, keys and counters in one delta, all counted together. */
  readonly maxItems: number;
  /** Largest register value or set element, as JSON text length. */
  readonly maxValueBytes: number;
  /** Deepest nesting of a register value. */
  readonly maxValueDepth: number;
}

/**
 * The default {@link CrdtLimits}: 100,000 items per delta, 64 KiB and 32 levels per value.
 *
 * @example
 * ```ts
 * import { CRDT_LIMITS } from 'distkit/replication';
 * CRDT_LIMITS.maxValueBytes; //=> 65536
 * ```
 */
export const CRDT_LIMITS: CrdtLimits = Object.freeze({ maxItems: 100_000, maxValueBytes: 1 << 16, maxValueDepth: 32 });

/** A failed check: thrown inside the parsers, caught at their entry point. */
class Refused {
  constructor(readonly reason: string) {}
}

/** The parsing context: the limits and the items left in the budget. */
export interface ParseContext {
  readonly limits: CrdtLimits;
  left: number;
}

export function refuse(path: string, problem: string): never {
  throw new Refused(`${path}: ${problem}`);
}

/** Runs a parser, turning a refusal into `{ ok: false }`. Other errors propagate (they are bugs). */
export function runParser<T>(limits: CrdtLimits, body: (ctx: ParseContext) => T): Parsed<T> {
  try {
    return { ok: true, value: body({ limits, left: limits.maxItems }) };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, problem: e.reason };
    throw e;
  }
}

export function spend(ctx: ParseContext, path: string, n = 1): void {
  ctx.left -= n;
  if (ctx.left < 0) refuse(path, `more than ${ctx.limits.maxItems} items (dots, keys, counters) in one delta`);
}

export function object(x: unknown, path: string): Readonly<Record<string, unknown>> {
  if (!isPlainObject(x)) refuse(path, `expected an object, got ${describeValue(x)}`);
  return x;
}

export function field(x: Readonly<Record<string, unknown>>, key: string, path: string): unknown {
  const f = getOwn(x, key);
  if (f === undefined) refuse(`${path}.${key}`, 'missing');
  return f;
}

export function replicaId(x: unknown, path: string): string {
  if (typeof x !== 'string' || x.length === 0 || x.length > MAX_ID_LENGTH) refuse(path, `expected a replica id (1..${MAX_ID_LENGTH} characters), got ${describeValue(x)}`);
  return x;
}

export function counter(x: unknown, path: string, min = 1): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > MAX_COUNTER) refuse(path, `expected an integer in [${min}, ${MAX_COUNTER}], got ${describeValue(x)}`);
  return x;
}

export function element(x: unknown, path: string, ctx: ParseContext): string {
  if (typeof x !== 'string' || x.length > ctx.limits.maxValueBytes) refuse(path, `expected a string of at most ${ctx.limits.maxValueBytes} characters, got ${describeValue(x)}`);
  return x;
}

/** Plain JSON data within the value limits, deep-copied. */
export function jsonValue(x: unknown, path: string, ctx: ParseContext): unknown {
  const problem = plainDataProblem(x, '', { maxDepth: ctx.limits.maxValueDepth, maxBytes: ctx.limits.maxValueBytes });
  if (problem !== undefined) refuse(path, problem);
  return JSON.parse(JSON.stringify(x)) as unknown;
}

function dot(x: unknown, path: string, length: number): Dot {
  if (!Array.isArray(x) || x.length !== length) refuse(path, `expected ${length === 2 ? '[replica, counter]' : '[replica, counter, value]'}, got ${describeValue(x)}`);
  return [replicaId(x[0], `${path}[0]`), counter(x[1], `${path}[1]`)];
}

/** A causal context in canonical compact form (§5). */
export function parseContext(x: unknown, path: string, ctx: ParseContext): CausalContext {
  const o = object(x, path);
  const vvIn = object(field(o, 'vv', path), `${path}.vv`);
  const vv: Record<string, number> = {};
  for (const r of Object.keys(vvIn)) {
    spend(ctx, `${path}.vv`);
    setOwn(vv, replicaId(r, `${path}.vv`), counter(vvIn[r], `${path}.vv.${r}`));
  }
  const cloudIn = field(o, 'cloud', path);
  if (!Array.isArray(cloudIn)) refuse(`${path}.cloud`, `expected an array, got ${describeValue(cloudIn)}`);
  spend(ctx, `${path}.cloud`, cloudIn.length);
  const cloud: Dot[] = [];
  for (let i = 0; i < cloudIn.length; i++) {
    const d = dot(cloudIn[i], `${path}.cloud[${i}]`, 2);
    if (i > 0 && compareDots(cloud[i - 1]!, d) >= 0) refuse(`${path}.cloud[${i}]`, 'dots must be sorted by replica then counter, without duplicates');
    if (d[1] <= (getOwn(vv, d[0]) ?? 0) + 1) refuse(`${path}.cloud[${i}]`, 'not compact: the dot is covered by, or contiguous with, the version vector');
    cloud.push(d);
  }
  return { vv, cloud };
}

/** The kind of value each entry of a dot array carries. */
export type EntryKind = 'dot' | 'json' | 'flag';

/** A dot set or dot function: sorted, duplicate-free entries; every dot in `cc`. */
export function parseEntries(x: unknown, path: string, kind: EntryKind, cc: CausalContext, ctx: ParseContext): readonly DotEntry[] {
  if (!Array.isArray(x)) refuse(path, `expected an array of dot entries, got ${describeValue(x)}`);
  spend(ctx, path, x.length);
  const out: DotEntry[] = [];
  for (let i = 0; i < x.length; i++) {
    const p = `${path}[${i}]`;
    const d = dot(x[i], p, kind === 'dot' ? 2 : 3);
    if (i > 0 && compareDots(out[i - 1] as unknown as Dot, d) >= 0) refuse(p, 'dots must be sorted by replica then counter, without duplicates');
    if (!CausalContext.contains(cc, d)) refuse(p, 'dot missing from the causal context (§5: every dot of a store is in its context)');
    if (kind === 'dot') out.push(d);
    else if (kind === 'flag') {
      const f = (x[i] as unknown[])[2];
      if (typeof f !== 'boolean') refuse(`${p}[2]`, `expected a boolean, got ${describeValue(f)}`);
      out.push([d[0], d[1], f]);
    } else out.push([d[0], d[1], jsonValue((x[i] as unknown[])[2], `${p}[2]`, ctx)]);
  }
  return out;
}

/** A bucket name: the decimal form of an integer in `[0, DOT_MAP_BUCKETS)`. */
function isBucketName(b: string): boolean {
  const n = Number(b);
  return Number.isInteger(n) && n >= 0 && n < DOT_MAP_BUCKETS && String(n) === b;
}

/** A dot map (bucket → sorted `[key, value]` pairs): each key in its own bucket, no empty bucket, values non-empty stores parsed by `inner`. */
export function parseDotMap<S extends DotStore>(x: unknown, path: string, ctx: ParseContext, inner: (value: unknown, path: string) => S): DotMap<S> {
  const o = object(x, path);
  const out: Record<string, DotMapPair<S>[]> = {};
  for (const b of Object.keys(o)) {
    const bp = `${path}.${b}`;
    spend(ctx, bp);
    if (!isBucketName(b)) refuse(bp, `expected a bucket name (an integer in [0, ${DOT_MAP_BUCKETS}))`);
    const pairs = o[b];
    if (!Array.isArray(pairs) || pairs.length === 0) refuse(bp, `expected a non-empty array of [key, value] pairs (empty buckets are not stored), got ${describeValue(pairs)}`);
    spend(ctx, bp, pairs.length);
    const bucket: DotMapPair<S>[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const pair: unknown = pairs[i];
      if (!Array.isArray(pair) || pair.length !== 2) refuse(`${bp}[${i}]`, `expected a [key, value] pair, got ${describeValue(pair)}`);
      const k = element(pair[0], `${bp}[${i}][0]`, ctx);
      const p = `${path}.${k}`;
      if (DotMap.bucketOf(k) !== b) refuse(p, `key in bucket ${b}, but it belongs in bucket ${DotMap.bucketOf(k)}`);
      if (i > 0 && !(bucket[i - 1]![0] < k)) refuse(p, 'keys must be sorted (code-unit order) without duplicates');
      const v = inner(pair[1], p);
      if (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0) refuse(p, 'empty entries are not stored (canonical form)');
      bucket.push([k, v]);
    }
    out[b] = bucket;
  }
  return out;
}

/** A causal state or delta: `{ store, cc }`, the store parsed by `store` under the parsed `cc`. */
export function parseCausal<S extends DotStore>(
  x: unknown,
  path: string,
  ctx: ParseContext,
  store: (value: unknown, path: string, cc: CausalContext) => S,
): Causal<S> {
  const o = object(x, path);
  const cc = parseContext(field(o, 'cc', path), `${path}.cc`, ctx);
  const parsed = store(field(o, 'store', path), `${path}.store`, cc);
  if (!Array.isArray(parsed)) uniqueDots(parsed, `${path}.store`);
  return { store: parsed, cc };
}

/** Refuses a dot map holding one dot under two keys: a dot names one event (§5). */
function uniqueDots(store: DotStore, path: string): void {
  const dots = dotsOf(store);
  const seen = new Set<string>();
  for (const d of dots) {
    const key = `${d[1]}:${d[0]}`;
    if (seen.has(key)) refuse(path, `dot ${JSON.stringify(d)} is under two keys (a dot names one event)`);
    seen.add(key);
  }
}
