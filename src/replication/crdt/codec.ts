/**
 * A compact binary form of CRDT states and deltas, for the wire and for storage: replica ids
 * interned once per message, dots as `(replica index, counter)` varint pairs, small integer values
 * as one varint, and a causal context sent without the dots its store already names (the
 * receiver adds them back: §5 puts every dot of a store in its context).
 *
 * @packageDocumentation
 */
import { describeValue, type Parsed } from '../../core/index.js';
import { CausalContext, type Dot } from './causal-context.js';
import { DotMap } from './dot-map.js';
import { dotsOf, type Causal, type DotEntry, type DotStore } from './dot-store.js';
import { CRDT_LIMITS, type CrdtLimits } from './parse.js';
import { isCausalSpec, parseCrdt, type CausalSpec, type CrdtSpec } from './spec.js';

/** Appends bytes; strings are written as their UTF-16 code units (exact for every JS string). */
class Writer {
  readonly bytes: number[] = [];
  uint(n: number): void {
    while (n >= 0x80) {
      this.bytes.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.bytes.push(n);
  }
  string(s: string): void {
    this.uint(s.length);
    for (let i = 0; i < s.length; i++) this.uint(s.charCodeAt(i));
  }
  /** A value: a small integer as `zigzag << 1`, anything else as `(length << 1) | 1` and its JSON text. */
  value(v: unknown): void {
    if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 0x3fffffff && !Object.is(v, -0)) this.uint((v < 0 ? -2 * v - 1 : 2 * v) * 2);
    else {
      const text = JSON.stringify(v);
      this.uint(text.length * 2 + 1);
      for (let i = 0; i < text.length; i++) this.uint(text.charCodeAt(i));
    }
  }
}

/** Reads what {@link Writer} wrote; every read is bounds-checked and throws {@link Malformed}. */
class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly limits: CrdtLimits,
  ) {}
  uint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.bytes.length) throw new Malformed(`truncated at byte ${this.pos}`);
      const b = this.bytes[this.pos++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(n)) break;
        return n;
      }
      scale *= 0x80;
    }
    throw new Malformed(`varint too long at byte ${this.pos}`);
  }
  /** A count of items still to read: each takes at least one byte, and the budget is shared. */
  count(): number {
    const n = this.uint();
    if (n > this.bytes.length - this.pos) throw new Malformed(`count ${n} exceeds the ${this.bytes.length - this.pos} bytes left`);
    return n;
  }
  chars(length: number): string {
    const codes: number[] = [];
    for (let i = 0; i < length; i++) {
      const c = this.uint();
      if (c > 0xffff) throw new Malformed(`code unit ${c} out of range`);
      codes.push(c);
    }
    let s = '';
    for (let i = 0; i < codes.length; i += 4096) s += String.fromCharCode(...codes.slice(i, i + 4096));
    return s;
  }
  string(): string {
    const n = this.count();
    if (n > this.limits.maxValueBytes) throw new Malformed(`string of ${n} characters exceeds ${this.limits.maxValueBytes}`);
    return this.chars(n);
  }
  value(): unknown {
    const tag = this.uint();
    if (tag % 2 === 0) {
      const z = tag / 2;
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    const n = (tag - 1) / 2;
    if (n > this.limits.maxValueBytes || n > this.bytes.length - this.pos) throw new Malformed(`value of ${n} characters exceeds the limit or the bytes left`);
    const text = this.chars(n);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Malformed(`value is not JSON: ${describeValue(text)}`);
    }
  }
}

class Malformed {
  constructor(readonly reason: string) {}
}

type Kind = 'dot' | 'json' | 'flag' | { readonly map: Kind };

/** The store layout of a causal type. */
function kindOf(spec: CausalSpec): Kind {
  switch (spec) {
    case 'ewflag':
      return 'dot';
    case 'mvregister':
      return 'json';
    case 'aworset':
      return { map: 'dot' };
    case 'rworset':
      return { map: 'flag' };
    default:
      return { map: kindOf(spec.ormap) };
  }
}

function internReplicas(c: Causal<DotStore>, dots: readonly Dot[]): Map<string, number> {
  const ids = new Map<string, number>();
  const see = (r: string) => {
    if (!ids.has(r)) ids.set(r, ids.size);
  };
  for (const r of Object.keys(c.cc.vv)) see(r);
  for (const d of c.cc.cloud) see(d[0]);
  for (const d of dots) see(d[0]);
  return ids;
}

function writeStore(w: Writer, store: DotStore, kind: Kind, ids: Map<string, number>): void {
  if (typeof kind !== 'string') {
    const map = store as DotMap<DotStore>;
    const buckets = Object.keys(map);
    w.uint(buckets.reduce((n, b) => n + map[b]!.length, 0));
    for (const b of buckets) {
      for (const [k, v] of map[b]!) {
        w.string(k);
        writeStore(w, v, kind.map, ids);
      }
    }
    return;
  }
  const entries = store as readonly DotEntry[];
  w.uint(entries.length);
  for (const e of entries) {
    w.uint(ids.get(e[0])!);
    w.uint(e[1]);
    if (kind === 'flag') w.uint(e[2] === true ? 1 : 0);
    else if (kind === 'json') w.value(e[2]);
  }
}

/** The context less the dots of the store: the receiver joins them back. */
function residualContext(cc: CausalContext, dots: readonly Dot[]): CausalContext {
  if (dots.length === 0) return cc;
  const inStore = new Set(dots.map((d) => `${d[1]}:${d[0]}`));
  const vv: Record<string, number> = {};
  for (const r of Object.keys(cc.vv)) {
    let m = cc.vv[r]!;
    while (m > 0 && inStore.has(`${m}:${r}`)) m--;
    if (m > 0) Object.defineProperty(vv, r, { value: m, enumerable: true, writable: true, configurable: true });
  }
  return { vv, cloud: cc.cloud.filter((d) => !inStore.has(`${d[1]}:${d[0]}`)) };
}

function encodeCausal(w: Writer, spec: CausalSpec, c: Causal<DotStore>): void {
  const dots = dotsOf(c.store);
  const ids = internReplicas(c, dots);
  w.uint(ids.size);
  for (const r of ids.keys()) w.string(r);
  const cc = residualContext(c.cc, dots);
  const vv = Object.keys(cc.vv);
  w.uint(vv.length * 2 + (cc.cloud.length > 0 ? 1 : 0));
  for (const r of vv) {
    w.uint(ids.get(r)!);
    w.uint(cc.vv[r]!);
  }
  if (cc.cloud.length > 0) {
    w.uint(cc.cloud.length);
    for (const d of cc.cloud) {
      w.uint(ids.get(d[0])!);
      w.uint(d[1]);
    }
  }
  writeStore(w, c.store, kindOf(spec), ids);
}

function readDot(r: Reader, ids: readonly string[]): [string, number] {
  const i = r.uint();
  if (i >= ids.length) throw new Malformed(`replica index ${i} out of range`);
  return [ids[i]!, r.uint()];
}

function readStore(r: Reader, kind: Kind, ids: readonly string[], dots: Dot[]): unknown {
  const n = r.count();
  if (typeof kind !== 'string') {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = r.string();
      Object.defineProperty(out, k, { value: readStore(r, kind.map, ids, dots), enumerable: true, writable: true, configurable: true });
    }
    return DotMap.from(out);
  }
  const entries: unknown[][] = [];
  for (let i = 0; i < n; i++) {
    const d = readDot(r, ids);
    dots.push(d);
    if (kind === 'dot') entries.push(d);
    else if (kind === 'flag') entries.push([d[0], d[1], r.uint() === 1]);
    else entries.push([d[0], d[1], r.value()]);
  }
  return entries;
}

function decodeCausal(r: Reader, spec: CausalSpec): unknown {
  const ids: string[] = [];
  for (let i = r.count(); i > 0; i--) ids.push(r.string());
  const head = r.uint();
  const vv: Record<string, number> = {};
  for (let i = 0; i < Math.floor(head / 2); i++) {
    const [id, n] = readDot(r, ids);
    Object.defineProperty(vv, id, { value: n, enumerable: true, writable: true, configurable: true });
  }
  const cloud: Dot[] = [];
  if (head % 2 === 1) for (let i = r.count(); i > 0; i--) cloud.push(readDot(r, ids));
  const dots: Dot[] = [];
  const store = readStore(r, kindOf(spec), ids, dots);
  // The residual context is checked as a context first: a peer cannot slip a malformed one past the join.
  const residual = parseCrdt('ewflag', { store: [], cc: { vv, cloud } }, r.limits);
  if (!residual.ok) throw new Malformed(residual.problem);
  return { store, cc: CausalContext.join((residual.value as Causal<DotStore>).cc, CausalContext.fromDots(dots)) };
}

/**
 * The binary form of a state or delta of type `spec` (see {@link decodeCrdt}). Causal types send
 * their replica ids once, then dots as index/counter pairs, and leave out of the context the dots
 * the store already holds; the other types (counters, LWW register, G-set, 2P-set) send their
 * JSON text, one varint per UTF-16 code unit.
 *
 * @example
 * ```ts
 * import { AWORSet, decodeCrdt, encodeCrdt } from 'distkit/replication';
 * const delta = AWORSet.add(AWORSet.empty(), 'a', 'milk');
 * const bytes = encodeCrdt('aworset', delta);
 * bytes.length;                 //=> 13
 * JSON.stringify(delta).length; //=> 68
 * decodeCrdt('aworset', bytes); //=> { ok: true, value: { store: { 26: [['milk', [['a', 1]]]] }, cc: { vv: { a: 1 }, cloud: [] } } }
 * ```
 */
export function encodeCrdt(spec: CrdtSpec, value: unknown): Uint8Array {
  const w = new Writer();
  if (isCausalSpec(spec)) encodeCausal(w, spec, value as Causal<DotStore>);
  else {
    const text = JSON.stringify(value);
    w.uint(text.length);
    for (let i = 0; i < text.length; i++) w.uint(text.charCodeAt(i));
  }
  return Uint8Array.from(w.bytes);
}

/**
 * Reads a state or delta of type `spec` from untrusted bytes: never throws; a truncated,
 * oversized or malformed message, or one whose content {@link parseCrdt} refuses, gives
 * `{ ok: false, problem }`. The value returned is what `parseCrdt` returns for it.
 *
 * @example
 * ```ts
 * import { decodeCrdt } from 'distkit/replication';
 * decodeCrdt('aworset', Uint8Array.of(1, 1)); //=> { ok: false, problem: 'bytes: count 1 exceeds the 0 bytes left' }
 * ```
 */
export function decodeCrdt(spec: CrdtSpec, bytes: Uint8Array, limits: CrdtLimits = CRDT_LIMITS): Parsed<unknown> {
  const r = new Reader(bytes, limits);
  let raw: unknown;
  try {
    if (isCausalSpec(spec)) raw = decodeCausal(r, spec);
    else {
      const n = r.count();
      raw = JSON.parse(r.chars(n)) as unknown;
    }
    if (r.pos !== bytes.length) throw new Malformed(`${bytes.length - r.pos} bytes left over`);
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, problem: `bytes: ${e.reason}` };
    if (e instanceof SyntaxError) return { ok: false, problem: 'bytes: not JSON' };
    throw e;
  }
  return parseCrdt(spec, raw, limits);
}
