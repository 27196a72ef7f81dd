/**
 * A consistency-level checker for key-value histories: which of linearizability, the four session
 * guarantees, consistent prefix, causal consistency, bounded staleness and eventual convergence a
 * history satisfies, each verdict with a counterexample naming operations.
 *
 * @packageDocumentation
 */
import { ConfigError, canonicalJson, v } from '../core/index.js';
import type { History, Operation } from './history.js';
import { assertHistory, checkLinearizability, type LinearizabilityOptions } from './linearizability.js';
import { kvModel, type KvInput, type RegisterOutput } from './models.js';

/**
 * An operation on a key-value store as the consistency checker reads it: a write of one key, a
 * read of one key, or a read of several keys from one snapshot (`keys`).
 *
 * @example
 * ```ts
 * import { checkConsistency, type StoreOpInput } from 'distkit/check';
 * // A write, a read of one key, and a read of several keys at once (a snapshot read).
 * const inputs: StoreOpInput[] = [{ f: 'write', key: 'x', value: 1 }, { f: 'read', key: 'x' }, { f: 'read', keys: ['x', 'y'] }];
 * const outputs = [null, 1, { x: 1, y: null }];
 * const r = checkConsistency(inputs.map((input, id) => ({ id, client: 's', input, output: outputs[id], call: id * 2, ret: id * 2 + 1 })), { writeOrder: [{ key: 'x', value: 1 }] });
 * [r.linearizable.ok, r.readYourWrites.ok]; //=> [true, true]
 * ```
 */
export type StoreOpInput =
  | { readonly f: 'write'; readonly key: string; readonly value: unknown }
  | { readonly f: 'read'; readonly key: string }
  | { readonly f: 'read'; readonly keys: readonly string[] };

/**
 * What a store operation observed: a single-key read returns the value (`null` when the key was
 * never written), a multi-key read a record of them, a write anything (ignored).
 *
 * @example
 * ```ts
 * import { checkConsistency, type StoreOpOutput } from 'distkit/check';
 * // A multi-key read answers with each key's value (null: not written yet).
 * const out: StoreOpOutput = { x: 1, y: 2 };
 * // y=2 was written after x=2, so a read seeing y=2 with the old x=1 breaks consistent prefix.
 * const r = checkConsistency([
 *   { id: 0, client: 'w', input: { f: 'write', key: 'x', value: 1 }, output: null, call: 0, ret: 1 },
 *   { id: 1, client: 'w', input: { f: 'write', key: 'x', value: 2 }, output: null, call: 2, ret: 3 },
 *   { id: 2, client: 'w', input: { f: 'write', key: 'y', value: 2 }, output: null, call: 4, ret: 5 },
 *   { id: 3, client: 'r', input: { f: 'read', keys: ['x', 'y'] }, output: out, call: 6, ret: 7 },
 * ], { writeOrder: [{ key: 'x', value: 1 }, { key: 'x', value: 2 }, { key: 'y', value: 2 }] });
 * [r.consistentPrefix.ok, r.consistentPrefix.counterexample?.operations]; //=> [false, [3, 2, 1]]
 * ```
 */
export type StoreOpOutput = unknown;

/**
 * Options of {@link checkConsistency}.
 *
 * @example
 * ```ts
 * import { checkConsistency } from 'distkit/check';
 * const op = (id: number, client: string, input: { f: 'write'; key: string; value: number } | { f: 'read'; key: string }, output: unknown, call: number, ret: number) => ({ id, client, input, output, call, ret });
 * import type { ConsistencyCheckOptions } from 'distkit/check';
 * // Two writes of x; a reader 50 ms later still sees the first: one version behind.
 * const history = [op(0, 'w', { f: 'write', key: 'x', value: 1 }, null, 0, 1), op(1, 'w', { f: 'write', key: 'x', value: 2 }, null, 2, 3), op(2, 'r', { f: 'read', key: 'x' }, 1, 53, 54)];
 * const within = (staleness: NonNullable<ConsistencyCheckOptions['staleness']>) => checkConsistency(history, { writeOrder: [{ key: 'x', value: 1 }, { key: 'x', value: 2 }], staleness }).boundedStaleness.ok;
 * [within({ versions: 1 }), within({ ms: 100 }), within({ ms: 10 })]; //=> [true, true, false]
 * ```
 */
export interface ConsistencyCheckOptions {
  /**
   * The order in which writes took effect (a leader's log order, a primary's commit order): every
   * write that took effect, once. Values are unique per key, so a read names the write it saw.
   */
  readonly writeOrder: readonly { readonly key: string; readonly value: unknown }[];
  /** Bounded staleness: at most `versions` newer versions of the key, none older than `ms`, missed by a read. Default unbounded. */
  readonly staleness?: { readonly versions?: number; readonly ms?: number };
  /** Eventual: reads invoked at least this long after the last write was invoked or answered must see the last value. Default 0. */
  readonly settleMs?: number;
  /** The session of an operation. Default its `client`. */
  readonly session?: (op: Operation<StoreOpInput, StoreOpOutput>) => string;
  /** Passed to the linearizability search. */
  readonly linearizability?: LinearizabilityOptions;
}

/**
 * One guarantee's verdict: whether it holds, how many violations were found among how many
 * checked cases, and the first violation with the operations (ids) that show it.
 *
 * @example
 * ```ts
 * import { checkConsistency } from 'distkit/check';
 * const op = (id: number, client: string, input: { f: 'write'; key: string; value: number } | { f: 'read'; key: string }, output: unknown, call: number, ret: number) => ({ id, client, input, output, call, ret });
 * import type { GuaranteeVerdict } from 'distkit/check';
 * // Monotonic reads: one client reads x=2, then the older x=1.
 * const r = checkConsistency([op(0, 'w', { f: 'write', key: 'x', value: 1 }, null, 0, 1), op(1, 'w', { f: 'write', key: 'x', value: 2 }, null, 2, 3), op(2, 'c', { f: 'read', key: 'x' }, 2, 4, 5), op(3, 'c', { f: 'read', key: 'x' }, 1, 6, 7)], { writeOrder: [{ key: 'x', value: 1 }, { key: 'x', value: 2 }] });
 * const v: GuaranteeVerdict = r.monotonicReads;
 * v; //=> { ok: false, checked: 1, violations: 1, counterexample: { operations: [2, 3], reason: 'read 3 of "x" returned 1, older than what the session\'s earlier read 2 saw' } }
 * ```
 */
export interface GuaranteeVerdict {
  /** True when no violation was found (for linearizability: when the search decided it). */
  readonly ok: boolean;
  /** Cases examined (reads, pairs, ...). */
  readonly checked: number;
  /** Violations found. */
  readonly violations: number;
  /** The first violation. */
  readonly counterexample?: { readonly operations: readonly number[]; readonly reason: string };
}

/**
 * The verdicts of {@link checkConsistency}, one per guarantee.
 *
 * @example
 * ```ts
 * import { checkConsistency } from 'distkit/check';
 * const op = (id: number, client: string, input: { f: 'write'; key: string; value: number } | { f: 'read'; key: string }, output: unknown, call: number, ret: number) => ({ id, client, input, output, call, ret });
 * import type { ConsistencyReport } from 'distkit/check';
 * const r: ConsistencyReport = checkConsistency([op(0, 'a', { f: 'write', key: 'x', value: 1 }, null, 0, 1), op(1, 'b', { f: 'read', key: 'x' }, 1, 2, 3)], { writeOrder: [{ key: 'x', value: 1 }] });
 * // Which guarantees hold, by name.
 * (Object.keys(r) as (keyof ConsistencyReport)[]).filter((k) => r[k].ok); //=> ['validValues', 'linearizable', 'readYourWrites', 'monotonicReads', 'monotonicWrites', 'writesFollowReads', 'consistentPrefix', 'causal', 'boundedStaleness', 'eventual']
 * ```
 */
export interface ConsistencyReport {
  /** Every value a read returned was written (or is the initial `null`), and every acknowledged write took effect. */
  readonly validValues: GuaranteeVerdict;
  /** Herlihy & Wing 1990 (single-key reads and writes; multi-key reads are left out). */
  readonly linearizable: GuaranteeVerdict;
  /** Terry et al. 1994 read your writes: a read sees the session's earlier acknowledged writes of its key. */
  readonly readYourWrites: GuaranteeVerdict;
  /** Terry et al. 1994 monotonic reads: a read of a key sees no older version than the session's earlier reads of it. */
  readonly monotonicReads: GuaranteeVerdict;
  /** Terry et al. 1994 monotonic writes: a session's writes take effect in the order it issued them. */
  readonly monotonicWrites: GuaranteeVerdict;
  /** Terry et al. 1994 writes follow reads: a write takes effect after the writes the session had read. */
  readonly writesFollowReads: GuaranteeVerdict;
  /** Terry 2013 consistent prefix: a (multi-key) read sees one prefix of the write order. */
  readonly consistentPrefix: GuaranteeVerdict;
  /** Causal (Ahamad et al. 1995; COPS, SOSP 2011): no read misses a write in its causal past; causally ordered writes take effect in that order. */
  readonly causal: GuaranteeVerdict;
  /** Bounded staleness (Cosmos DB): at most K newer versions missed, none acknowledged more than T ms before the read. */
  readonly boundedStaleness: GuaranteeVerdict;
  /** Eventual consistency: reads after the last write (and `settleMs`) return each key's last value. */
  readonly eventual: GuaranteeVerdict;
}

/**
 * The consistency levels the checker can judge a history against (Cosmos DB's five, plus causal).
 *
 * @example
 * ```ts
 * import { checkConsistency } from 'distkit/check';
 * const op = (id: number, client: string, input: { f: 'write'; key: string; value: number } | { f: 'read'; key: string }, output: unknown, call: number, ret: number) => ({ id, client, input, output, call, ret });
 * import { levelViolations, type ConsistencyLevelName } from 'distkit/check';
 * // A stale read by another client: fine for session consistency, not for strong.
 * const r = checkConsistency([op(0, 'a', { f: 'write', key: 'x', value: 1 }, null, 0, 1), op(1, 'b', { f: 'read', key: 'x' }, null, 2, 3)], { writeOrder: [{ key: 'x', value: 1 }] });
 * const levels: ConsistencyLevelName[] = ['strong', 'session', 'consistent-prefix'];
 * levels.map((level) => [level, levelViolations(r, level)]); //=> [['strong', ['linearizable']], ['session', []], ['consistent-prefix', []]]
 * ```
 */
export type ConsistencyLevelName = 'strong' | 'bounded-staleness' | 'session' | 'consistent-prefix' | 'eventual' | 'causal';

/**
 * The guarantees each level promises (Cosmos DB's level definitions; Terry et al. 1994; COPS §2):
 * what {@link levelViolations} checks a report against.
 *
 * @example
 * ```ts
 * import { LEVEL_GUARANTEES } from 'distkit/check';
 * LEVEL_GUARANTEES['consistent-prefix']; //=> ['validValues', 'consistentPrefix']
 * ```
 */
export const LEVEL_GUARANTEES: Readonly<Record<ConsistencyLevelName, readonly (keyof ConsistencyReport)[]>> = {
  strong: ['validValues', 'linearizable'],
  'bounded-staleness': ['validValues', 'boundedStaleness', 'consistentPrefix'],
  session: ['validValues', 'readYourWrites', 'monotonicReads', 'monotonicWrites', 'writesFollowReads', 'consistentPrefix'],
  causal: ['validValues', 'causal', 'readYourWrites', 'monotonicReads', 'monotonicWrites', 'writesFollowReads'],
  'consistent-prefix': ['validValues', 'consistentPrefix'],
  eventual: ['validValues', 'eventual'],
};

/**
 * The guarantees of `level` that a report shows violated (empty: the history satisfies the level).
 *
 * @example
 * ```ts
 * import { checkConsistency, levelViolations } from 'distkit/check';
 * const report = checkConsistency([
 *   { id: 0, client: 's', input: { f: 'write', key: 'x', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 's', input: { f: 'read', key: 'x' }, call: 2, output: null, ret: 3 },
 * ], { writeOrder: [{ key: 'x', value: 1 }] });
 * levelViolations(report, 'session'); //=> ['readYourWrites']
 * levelViolations(report, 'consistent-prefix'); //=> []
 * ```
 */
export function levelViolations(report: ConsistencyReport, level: ConsistencyLevelName): (keyof ConsistencyReport)[] {
  return LEVEL_GUARANTEES[level].filter((g) => !report[g].ok);
}

type Op = Operation<StoreOpInput, StoreOpOutput>;

/** A read's observation of one key: the value and its position in the key's order (0 = initial). */
interface Seen {
  readonly key: string;
  readonly value: unknown;
  readonly pos: number;
  /** Position in the global write order (0 = initial, -1 = never written). */
  readonly gpos: number;
}

/** Indexes built once: positions of values per key, the global order, ops by session. */
interface Ctx {
  readonly ops: readonly Op[];
  /** key → canonical value → position in the key's order (from 1). */
  readonly pos: Map<string, Map<string, number>>;
  /** key → positions in the global order of its writes, by key position - 1. */
  readonly gposByKey: Map<string, number[]>;
  /** op id → the write op of (key, value). */
  readonly writer: Map<string, Op>;
  readonly sessions: Map<string, Op[]>;
  readonly options: ConsistencyCheckOptions;
}

const slot = (key: string, value: unknown): string => `${key.length}:${key}${canonicalJson(value)}`;
const isWrite = (op: Op): op is Op & { input: { f: 'write'; key: string; value: unknown } } => op.input.f === 'write';
const isRead = (op: Op): boolean => op.input.f === 'read';
const done = (op: Op): boolean => op.ret !== undefined;

function buildContext(history: History<StoreOpInput, StoreOpOutput>, options: ConsistencyCheckOptions): Ctx {
  const pos = new Map<string, Map<string, number>>();
  const gposByKey = new Map<string, number[]>();
  options.writeOrder.forEach(({ key, value }, i) => {
    let m = pos.get(key);
    if (m === undefined) pos.set(key, (m = new Map()));
    const c = canonicalJson(value);
    if (m.has(c)) throw new ConfigError('writeOrder', `value ${c} of key ${JSON.stringify(key)} appears twice: values must be unique per key`);
    m.set(c, m.size + 1);
    let g = gposByKey.get(key);
    if (g === undefined) gposByKey.set(key, (g = []));
    g.push(i + 1);
  });
  const ops = [...history].sort((a, b) => a.call - b.call || a.id - b.id);
  const writer = new Map<string, Op>();
  const sessions = new Map<string, Op[]>();
  const sessionOf = options.session ?? ((op: Op) => op.client);
  for (const op of ops) {
    if (isWrite(op)) writer.set(slot(op.input.key, op.input.value), op);
    const s = sessionOf(op);
    let list = sessions.get(s);
    if (list === undefined) sessions.set(s, (list = []));
    list.push(op);
  }
  return { ops, pos, gposByKey, writer, sessions, options };
}

/** Position of (key, value) in the key's order: 0 for the initial null, -1 for a value never written. */
function keyPos(ctx: Ctx, key: string, value: unknown): number {
  const p = ctx.pos.get(key)?.get(canonicalJson(value));
  if (p !== undefined) return p;
  return value === null ? 0 : -1;
}

function globalPos(ctx: Ctx, key: string, p: number): number {
  return p <= 0 ? p : (ctx.gposByKey.get(key)?.[p - 1] ?? -1);
}

/** What a completed read observed, key by key (empty for a read without an outcome). */
function observed(ctx: Ctx, op: Op): Seen[] {
  if (!isRead(op) || !done(op)) return [];
  const input = op.input as { key?: string; keys?: readonly string[] };
  const single = typeof input.key === 'string';
  const keys = single ? [input.key as string] : Array.isArray(input.keys) ? input.keys : [];
  const out = op.output;
  return keys.map((key) => {
    const value = single ? out : out !== null && typeof out === 'object' && Object.hasOwn(out, key) ? (out as Record<string, unknown>)[key] : null;
    const p = keyPos(ctx, key, value ?? null);
    return { key, value: value ?? null, pos: p, gpos: globalPos(ctx, key, p) };
  });
}

/** Position of a write op in its key's order, or -1 when it never took effect. */
function writePos(ctx: Ctx, op: Op): number {
  return isWrite(op) ? keyPos(ctx, op.input.key, op.input.value) : -1;
}

class Tally {
  checked = 0;
  violations = 0;
  counterexample: GuaranteeVerdict['counterexample'];
  case(ok: boolean, operations: () => readonly number[], reason: () => string): void {
    this.checked++;
    if (ok) return;
    this.violations++;
    this.counterexample ??= { operations: operations(), reason: reason() };
  }
  verdict(): GuaranteeVerdict {
    const v = { ok: this.violations === 0, checked: this.checked, violations: this.violations };
    return this.counterexample === undefined ? v : { ...v, counterexample: this.counterexample };
  }
}

const show = (v: unknown): string => canonicalJson(v);

function validValues(ctx: Ctx): GuaranteeVerdict {
  const t = new Tally();
  for (const op of ctx.ops) {
    for (const s of observed(ctx, op)) {
      t.case(s.pos >= 0, () => [op.id], () => `read ${op.id} returned ${show(s.value)} for ${show(s.key)}, a value no write in the write order put there`);
    }
    if (isWrite(op) && done(op)) {
      t.case(writePos(ctx, op) > 0, () => [op.id], () => `write ${op.id} of ${show(op.input.value)} to ${show(op.input.key)} was acknowledged but never took effect`);
    }
  }
  return t.verdict();
}

function linearizable(ctx: Ctx): GuaranteeVerdict {
  const single = ctx.ops.filter((op) => isWrite(op) || typeof (op.input as { key?: unknown }).key === 'string') as unknown as Operation<KvInput<unknown>, RegisterOutput<unknown>>[];
  const result = checkLinearizability(kvModel<unknown>(), single, ctx.options.linearizability);
  const t = new Tally();
  const stuck = result.failedPartition === undefined ? undefined : result.partitions[result.failedPartition]?.stuck;
  t.case(result.verdict === 'linearizable', () => (stuck === undefined ? [] : [stuck.id]), () =>
    result.verdict === 'unknown' ? `the search stopped (${result.stoppedBy ?? 'budget'}) before deciding` : `operation ${stuck?.id ?? '?'} cannot be placed in any legal order`);
  return { ...t.verdict(), checked: single.length };
}

/** RYW and MR: per session, per key, the highest position the session's earlier operations require. */
function sessionReads(ctx: Ctx, fromWrites: boolean): GuaranteeVerdict {
  const t = new Tally();
  for (const ops of ctx.sessions.values()) {
    const floor = new Map<string, { pos: number; id: number }>();
    for (const op of ops) {
      for (const s of observed(ctx, op)) {
        const need = floor.get(s.key);
        if (need === undefined || s.pos < 0) continue;
        t.case(s.pos >= need.pos, () => [need.id, op.id], () =>
          fromWrites ? `read ${op.id} of ${show(s.key)} returned ${show(s.value)}, missing the session's earlier write ${need.id}` : `read ${op.id} of ${show(s.key)} returned ${show(s.value)}, older than what the session's earlier read ${need.id} saw`);
      }
      // Only completed operations bind the session's later reads.
      if (fromWrites && isWrite(op) && done(op)) raise(floor, op.input.key, writePos(ctx, op) < 0 ? Infinity : writePos(ctx, op), op.id);
      if (!fromWrites) for (const s of observed(ctx, op)) if (s.pos >= 0) raise(floor, s.key, s.pos, op.id);
    }
  }
  return t.verdict();
}

function raise(floor: Map<string, { pos: number; id: number }>, key: string, pos: number, id: number): void {
  const cur = floor.get(key);
  if (cur === undefined || pos > cur.pos) floor.set(key, { pos, id });
}

/** MW and WFR: a session's write must come after (in the write order) its earlier writes / the writes it read. */
function sessionWrites(ctx: Ctx, afterReads: boolean): GuaranteeVerdict {
  const t = new Tally();
  for (const ops of ctx.sessions.values()) {
    let before: { gpos: number; id: number; lost: boolean } | undefined;
    for (const op of ops) {
      if (isWrite(op)) {
        const g = globalPos(ctx, op.input.key, writePos(ctx, op));
        if (before !== undefined && g > 0) {
          const b = before;
          t.case(!b.lost && b.gpos < g, () => [b.id, op.id], () =>
            b.lost ? `write ${op.id} took effect but the session's earlier acknowledged ${afterReads ? 'read-from write' : 'write'} ${b.id} did not` : `write ${op.id} took effect before ${afterReads ? 'the write the session had read, ' : 'the session\'s earlier write '}${b.id}`);
        }
        if (!afterReads && done(op)) before = later(before, { gpos: g > 0 ? g : Infinity, id: op.id, lost: g <= 0 });
      } else if (afterReads) {
        for (const s of observed(ctx, op)) {
          if (s.gpos <= 0) continue;
          const w = ctx.writer.get(slot(s.key, s.value));
          before = later(before, { gpos: s.gpos, id: w?.id ?? op.id, lost: false });
        }
      }
    }
  }
  return t.verdict();
}

function later<T extends { gpos: number }>(a: T | undefined, b: T): T {
  return a === undefined || b.gpos > a.gpos ? b : a;
}

function consistentPrefix(ctx: Ctx): GuaranteeVerdict {
  const t = new Tally();
  for (const op of ctx.ops) {
    const seen = observed(ctx, op).filter((s) => s.pos >= 0);
    if (seen.length === 0) continue;
    // The prefix must reach the newest write seen and stop before the next write of every key read.
    let newest = seen[0] as Seen;
    let cut: { key: string; gpos: number } = { key: '', gpos: Infinity };
    for (const s of seen) {
      if (s.gpos > newest.gpos) newest = s;
      const next = ctx.gposByKey.get(s.key)?.[s.pos];
      if (next !== undefined && next < cut.gpos) cut = { key: s.key, gpos: next };
    }
    t.case(newest.gpos < cut.gpos, () => [op.id, ...idsAt(ctx, [newest.key, newest.gpos], [cut.key, cut.gpos])], () =>
      `read ${op.id} saw ${show(newest.value)} of ${show(newest.key)} (write #${newest.gpos}) but not write #${cut.gpos} of ${show(cut.key)} that came before it`);
  }
  return t.verdict();
}

function idsAt(ctx: Ctx, ...places: [string, number][]): number[] {
  const ids: number[] = [];
  for (const [, g] of places) {
    const w = ctx.options.writeOrder[g - 1];
    const op = w === undefined ? undefined : ctx.writer.get(slot(w.key, w.value));
    if (op !== undefined) ids.push(op.id);
  }
  return ids;
}

function boundedStaleness(ctx: Ctx): GuaranteeVerdict {
  const t = new Tally();
  const k = ctx.options.staleness?.versions ?? Infinity;
  const ms = ctx.options.staleness?.ms ?? Infinity;
  const byKey = writesByKeyPos(ctx);
  for (const op of ctx.ops) {
    for (const s of observed(ctx, op)) {
      if (s.pos < 0) continue;
      const newer = (byKey.get(s.key) ?? []).slice(s.pos).filter((w) => w !== undefined && w.ret !== undefined && w.ret < op.call) as Op[];
      const tooOld = newer.find((w) => (w.ret as number) < op.call - ms);
      t.case(newer.length <= k && tooOld === undefined, () => [...(tooOld === undefined ? newer.slice(0, k + 1) : [tooOld]).map((w) => w.id), op.id], () =>
        tooOld === undefined ? `read ${op.id} of ${show(s.key)} missed ${newer.length} acknowledged newer versions (bound ${k})` : `read ${op.id} of ${show(s.key)} missed write ${tooOld.id}, acknowledged ${op.call - (tooOld.ret as number)} ms before the read (bound ${ms} ms)`);
    }
  }
  return t.verdict();
}

/** key → write ops by position - 1 (undefined where the writer is not in the history). */
function writesByKeyPos(ctx: Ctx): Map<string, (Op | undefined)[]> {
  const out = new Map<string, (Op | undefined)[]>();
  for (const { key, value } of ctx.options.writeOrder) {
    let list = out.get(key);
    if (list === undefined) out.set(key, (list = []));
    list.push(ctx.writer.get(slot(key, value)));
  }
  return out;
}

function eventual(ctx: Ctx): GuaranteeVerdict {
  const t = new Tally();
  const writes = ctx.ops.filter(isWrite);
  const lastWrite = writes.reduce((m, w) => Math.max(m, w.ret ?? w.call), -Infinity);
  const settled = lastWrite + (ctx.options.settleMs ?? 0);
  for (const op of ctx.ops) {
    if (op.call < settled) continue;
    for (const s of observed(ctx, op)) {
      const order = ctx.pos.get(s.key);
      const last = order === undefined ? 0 : order.size;
      t.case(s.pos === last, () => [op.id], () => `read ${op.id} after the writes settled returned ${show(s.value)} for ${show(s.key)}, not its last value (version ${last})`);
    }
  }
  for (const w of writes) {
    if (done(w)) t.case(writePos(ctx, w) > 0, () => [w.id], () => `acknowledged write ${w.id} never took effect, so replicas cannot converge on it`);
  }
  return t.verdict();
}

/**
 * Causal order: session order plus reads-from (a write precedes every read that returned it),
 * closed transitively (Ahamad et al. 1995; COPS §2.1 "potential causality"). Ancestor sets hold
 * write indexes only, as bitsets.
 */
function causalVerdict(ctx: Ctx): GuaranteeVerdict {
  const t = new Tally();
  const writes = ctx.ops.filter(isWrite);
  const index = new Map(writes.map((w, i) => [w.id, i]));
  const words = Math.ceil(writes.length / 32);
  const past = new Map<number, Uint32Array>();
  const preds = causalPredecessors(ctx);
  const order = topological(ctx.ops, preds);
  if (order.cycle !== undefined) {
    const c = order.cycle;
    t.case(false, () => c, () => `operations ${c.join(', ')} depend on each other causally (a read returned a write that followed it)`);
  }
  for (const op of order.ops) {
    const set = new Uint32Array(words);
    for (const p of preds.get(op.id) ?? []) {
      const ps = past.get(p.id);
      if (ps !== undefined) for (let i = 0; i < words; i++) set[i] = (set[i] as number) | (ps[i] as number);
      const wi = index.get(p.id);
      if (wi !== undefined) set[wi >>> 5] = (set[wi >>> 5] as number) | (1 << (wi & 31));
    }
    past.set(op.id, set);
    causalCases(ctx, t, op, set, writes);
  }
  return t.verdict();
}

function causalCases(ctx: Ctx, t: Tally, op: Op, set: Uint32Array, writes: readonly Op[]): void {
  const seen = observed(ctx, op);
  const mine = isWrite(op) ? globalPos(ctx, op.input.key, writePos(ctx, op)) : -1;
  for (let i = 0; i < writes.length; i++) {
    if ((((set[i >>> 5] as number) >>> (i & 31)) & 1) === 0) continue;
    const w = writes[i] as Op & { input: { key: string; value: unknown } };
    const wp = writePos(ctx, w);
    for (const s of seen) {
      if (s.key !== w.input.key || s.pos < 0) continue;
      t.case(wp <= s.pos, () => [w.id, op.id], () => `read ${op.id} of ${show(s.key)} returned ${show(s.value)}, missing write ${w.id} in its causal past`);
    }
    if (mine > 0) {
      const g = globalPos(ctx, w.input.key, wp);
      t.case(g > 0 && g < mine, () => [w.id, op.id], () => `write ${op.id} took effect ${g > 0 ? 'before' : 'while'} write ${w.id} in its causal past ${g > 0 ? 'did' : 'never did'}`);
    }
  }
}

/** Each op's immediate causal predecessors: the previous completed op of its session, and the writes it read. */
function causalPredecessors(ctx: Ctx): Map<number, Op[]> {
  const preds = new Map<number, Op[]>();
  const add = (to: Op, from: Op) => {
    let list = preds.get(to.id);
    if (list === undefined) preds.set(to.id, (list = []));
    list.push(from);
  };
  // Session order, from each session's last completed operation: one whose outcome is unknown binds nothing by itself
  // (it may never take effect), only through a read that returned it.
  for (const ops of ctx.sessions.values()) {
    let last: Op | undefined;
    for (const op of ops) {
      if (last !== undefined) add(op, last);
      if (done(op)) last = op;
    }
  }
  for (const op of ctx.ops) {
    for (const s of observed(ctx, op)) {
      const w = s.pos > 0 ? ctx.writer.get(slot(s.key, s.value)) : undefined;
      if (w !== undefined && w !== op) add(op, w);
    }
  }
  return preds;
}

/** Kahn's algorithm; operations on a cycle are reported and left out. */
function topological(ops: readonly Op[], preds: Map<number, Op[]>): { ops: Op[]; cycle?: number[] } {
  const succ = new Map<number, Op[]>();
  const indegree = new Map<number, number>(ops.map((o) => [o.id, 0]));
  for (const op of ops) {
    for (const p of preds.get(op.id) ?? []) {
      let list = succ.get(p.id);
      if (list === undefined) succ.set(p.id, (list = []));
      list.push(op);
      indegree.set(op.id, (indegree.get(op.id) ?? 0) + 1);
    }
  }
  const ready = ops.filter((o) => indegree.get(o.id) === 0);
  const out: Op[] = [];
  while (ready.length > 0) {
    const op = ready.pop() as Op;
    out.push(op);
    for (const s of succ.get(op.id) ?? []) {
      const d = (indegree.get(s.id) ?? 0) - 1;
      indegree.set(s.id, d);
      if (d === 0) ready.push(s);
    }
  }
  if (out.length === ops.length) return { ops: out };
  return { ops: out, cycle: ops.filter((o) => (indegree.get(o.id) ?? 0) > 0).map((o) => o.id).slice(0, 8) };
}

/**
 * Judges a key-value history against every guarantee at once: which of linearizability, read
 * your writes, monotonic reads, monotonic writes, writes follow reads (Terry et al., "Session
 * Guarantees for Weakly Consistent Replicated Data", PDIS 1994), consistent prefix (Terry,
 * "Replicated Data Consistency Explained Through Baseball", CACM 2013), causal consistency
 * (COPS, SOSP 2011), bounded staleness and eventual convergence (Cosmos DB's levels) it
 * satisfies. `writeOrder` says in which order writes took effect; values are unique per key, so
 * each read names the write it saw. {@link levelViolations} maps the report onto a level.
 *
 * @example
 * ```ts
 * import { checkConsistency } from 'distkit/check';
 * // Terry et al. §3's read-your-writes failure: the session writes x=1, then reads the old x.
 * const r = checkConsistency([
 *   { id: 0, client: 's', input: { f: 'write', key: 'x', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 's', input: { f: 'read', key: 'x' }, call: 2, output: null, ret: 3 },
 * ], { writeOrder: [{ key: 'x', value: 1 }] });
 * r.readYourWrites.counterexample?.operations; //=> [0, 1]
 * r.monotonicReads.ok; //=> true
 * ```
 */
export function checkConsistency(history: History<StoreOpInput, StoreOpOutput>, options: ConsistencyCheckOptions): ConsistencyReport {
  assertHistory(history, (op) => storeInput(op.input, 'input'));
  if (options === null || typeof options !== 'object' || !Array.isArray(options.writeOrder)) throw new ConfigError('writeOrder', 'must be an array of { key, value }');
  options.writeOrder.forEach((w, i) => {
    const problem = v.object({ key: v.string() })(w, `writeOrder[${i}]`);
    if (problem !== undefined) throw new ConfigError(`writeOrder[${i}]`, problem);
  });
  const ctx = buildContext(history, options);
  return {
    validValues: validValues(ctx),
    linearizable: linearizable(ctx),
    readYourWrites: sessionReads(ctx, true),
    monotonicReads: sessionReads(ctx, false),
    monotonicWrites: sessionWrites(ctx, false),
    writesFollowReads: sessionWrites(ctx, true),
    consistentPrefix: consistentPrefix(ctx),
    causal: causalVerdict(ctx),
    boundedStaleness: boundedStaleness(ctx),
    eventual: eventual(ctx),
  };
}

const storeInput = v.union(
  v.object({ f: v.literal('write'), key: v.string() }),
  v.object({ f: v.literal('read'), key: v.string() }),
  v.object({ f: v.literal('read'), keys: v.array(v.string()) }),
);
