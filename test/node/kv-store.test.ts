import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyKv,
  createKvStore,
  kvPrefixEnd,
  kvSnapshot,
  restoreKvStore,
  type KvCompare,
  type KvRequest,
  type KvStore,
  type KvTxnOp,
} from '../../src/node/kv-store.js';

const put = (key: string, value: string, prevKv = false): KvTxnOp => ({ op: 'put', key, value, prevKv, ignoreValue: false });
const get = (key: string, rangeEnd = '', extra: Partial<Extract<KvTxnOp, { op: 'range' }>> = {}): KvTxnOp => ({
  op: 'range',
  key,
  rangeEnd,
  limit: 0,
  revision: 0,
  keysOnly: false,
  countOnly: false,
  serializable: false,
  ...extra,
});
const del = (key: string, rangeEnd = '', prevKv = false): KvTxnOp => ({ op: 'deleteRange', key, rangeEnd, prevKv });
const cmp = (key: string, target: KvCompare['target'], result: KvCompare['result'], value: number | string): KvCompare => ({
  key,
  rangeEnd: '',
  target,
  result,
  value,
});

// The scenarios read whichever fields the request's result has.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function run(s: KvStore, r: KvRequest): any {
  const out = applyKv(s, r);
  if (out.op === 'error') throw new Error(out.message);
  return out;
}

describe('MVCC revisions (etcd mvcc: revision, create_revision, mod_revision, version)', () => {
  it('starts at revision 1; each put raises it by one and the key records create, mod and version', () => {
    const s = createKvStore();
    expect(s.revision).toBe(1);
    expect(run(s, put('a', '1'))).toEqual({ op: 'put', revision: 2 });
    expect(run(s, put('a', '2', true))).toEqual({
      op: 'put',
      revision: 3,
      prevKv: { key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1 },
    });
    expect(run(s, get('a'))).toEqual({
      op: 'range',
      revision: 3,
      kvs: [{ key: 'a', value: '2', createRevision: 2, modRevision: 3, version: 2 }],
      more: false,
      count: 1,
    });
  });

  it('a delete removes the key; a later put starts at version 1 with a new create revision', () => {
    const s = createKvStore();
    run(s, put('a', '1'));
    run(s, put('a', '2'));
    expect(run(s, del('a', '', true))).toMatchObject({ revision: 4, deleted: 1, prevKvs: [{ key: 'a', version: 2 }] });
    expect(run(s, get('a'))).toMatchObject({ count: 0, kvs: [] });
    run(s, put('a', '3'));
    expect(run(s, get('a'))).toMatchObject({ kvs: [{ createRevision: 5, modRevision: 5, version: 1 }] });
  });

  it('a delete that deletes nothing leaves the revision alone', () => {
    const s = createKvStore();
    expect(run(s, del('nothing'))).toEqual({ op: 'deleteRange', revision: 1, deleted: 0, prevKvs: [] });
    expect(s.revision).toBe(1);
  });
});

describe('range (etcd RangeRequest)', () => {
  const s = createKvStore();
  for (const k of ['a', 'ab', 'b', 'c', '\xff']) run(s, put(k, k.toUpperCase()));

  it('range_end: [key, end), prefix via kvPrefixEnd, "\\0" for every key from key on', () => {
    expect(run(s, get('a', 'b')).kvs!.map((e: { key: string }) => e.key)).toEqual(['a', 'ab']);
    expect(run(s, get('a', kvPrefixEnd('a'))).kvs!.map((e: { key: string }) => e.key)).toEqual(['a', 'ab']);
    expect(run(s, get('b', '\0')).kvs!.map((e: { key: string }) => e.key)).toEqual(['b', 'c', '\xff']);
    expect(run(s, get('\0', '\0')).count).toBe(5);
    expect(run(s, get('c', 'a')).count).toBe(0);
    expect(kvPrefixEnd('a\xff')).toBe('b');
    expect(kvPrefixEnd('\xff\xff')).toBe('\0');
  });

  it('limit, more and count; keys_only; count_only', () => {
    expect(run(s, get('\0', '\0', { limit: 2 }))).toMatchObject({ more: true, count: 5 });
    expect(run(s, get('\0', '\0', { limit: 2 })).kvs).toHaveLength(2);
    expect(run(s, get('\0', '\0', { limit: 5 })).more).toBe(false);
    expect(run(s, get('a', '', { keysOnly: true })).kvs).toEqual([{ key: 'a', value: '', createRevision: 2, modRevision: 2, version: 1 }]);
    expect(run(s, get('\0', '\0', { countOnly: true }))).toEqual({ op: 'range', revision: 6, kvs: [], more: false, count: 5 });
  });

  it('only the current revision can be read: older ones are compacted, later ones in the future', () => {
    expect(applyKv(s, get('a', '', { revision: 6 })).op).toBe('range');
    expect(applyKv(s, get('a', '', { revision: 2 }))).toMatchObject({ op: 'error', code: 11, message: /compacted/ });
    expect(applyKv(s, get('a', '', { revision: 7 }))).toMatchObject({ op: 'error', code: 11, message: /future/ });
  });
});

describe('txn (etcd TxnRequest)', () => {
  it('compare-and-swap on mod revision: one of two racing writers wins', () => {
    const s = createKvStore();
    run(s, put('lock', 'free'));
    const cas = (who: string) =>
      run(s, { op: 'txn', compare: [cmp('lock', 'mod', 'equal', 2)], success: [put('lock', who)], failure: [get('lock')] });
    expect(cas('x')).toMatchObject({ succeeded: true, revision: 3 });
    const lost = cas('y');
    expect(lost).toMatchObject({ succeeded: false, revision: 3 });
    expect(lost.op === 'txn' && lost.responses[0]).toMatchObject({ op: 'range', kvs: [{ value: 'x' }] });
  });

  it('all writes of a txn share one revision; reads inside see earlier writes', () => {
    const s = createKvStore();
    const r = run(s, { op: 'txn', compare: [], success: [get('a'), put('a', '1'), put('b', '2'), get('a', 'c'), del('z')], failure: [] });
    expect(r).toMatchObject({ revision: 2, succeeded: true });
    expect(r.op === 'txn' && r.responses.map((x: { revision: number }) => x.revision)).toEqual([1, 2, 2, 2, 2]);
    expect(r.op === 'txn' && r.responses[3]).toMatchObject({ count: 2 });
    expect(run(s, get('b')).kvs![0]).toMatchObject({ createRevision: 2, modRevision: 2 });
  });

  it('a missing key reads version, create and mod 0; a value compare on it fails', () => {
    const s = createKvStore();
    const t = (c: KvCompare) => (run(s, { op: 'txn', compare: [c], success: [], failure: [] }) as { succeeded: boolean }).succeeded;
    expect(t(cmp('x', 'create', 'equal', 0))).toBe(true);
    expect(t(cmp('x', 'version', 'less', 1))).toBe(true);
    expect(t(cmp('x', 'value', 'notEqual', 'v'))).toBe(false);
    expect(t(cmp('x', 'value', 'equal', ''))).toBe(false);
    run(s, put('x', 'b'));
    expect(t(cmp('x', 'value', 'greater', 'a'))).toBe(true);
    expect(t(cmp('x', 'value', 'less', 'ba'))).toBe(true);
    expect(t({ ...cmp('\0', 'version', 'greater', 0), rangeEnd: '\0' })).toBe(true);
  });

  it('refuses duplicate puts and puts inside a deleted range in one branch, changing nothing', () => {
    const s = createKvStore();
    expect(applyKv(s, { op: 'txn', compare: [], success: [put('a', '1'), put('a', '2')], failure: [] })).toMatchObject({ op: 'error', code: 3 });
    expect(applyKv(s, { op: 'txn', compare: [], success: [put('ab', '1'), del('a', 'b')], failure: [] })).toMatchObject({ op: 'error' });
    expect(applyKv(s, { op: 'txn', compare: [], success: [put('a', '1')], failure: [put('a', '1'), put('a', '2')] })).toMatchObject({ op: 'error' });
    expect(s.revision).toBe(1);
  });

  it('a put with ignore_value keeps the value and needs the key', () => {
    const s = createKvStore();
    expect(applyKv(s, { op: 'put', key: 'a', value: '', prevKv: false, ignoreValue: true })).toMatchObject({ op: 'error', message: /key not found/ });
    run(s, put('a', 'v'));
    run(s, { op: 'put', key: 'a', value: '', prevKv: false, ignoreValue: true });
    expect(run(s, get('a')).kvs![0]).toMatchObject({ value: 'v', version: 2, modRevision: 3 });
  });
});

describe('snapshot and restore', () => {
  it('round-trips through JSON, and a restored store continues at the same revision', () => {
    const s = createKvStore();
    run(s, put('b', '\x00\xff'));
    run(s, put('a', '1'));
    run(s, del('b'));
    const copy = restoreKvStore(JSON.parse(JSON.stringify(kvSnapshot(s))));
    expect(kvSnapshot(copy)).toEqual(kvSnapshot(s));
    expect(run(copy, put('c', '1')).revision).toBe(5);
  });

  it('refuses malformed snapshots with a TypeError', () => {
    for (const bad of [null, {}, { revision: 0, kvs: [] }, { revision: 3, kvs: [['a', '1', 2, 4, 1]] }, { revision: 3, kvs: [['b', '1', 2, 2, 1], ['a', '1', 2, 2, 1]] }, { revision: 3, kvs: [['\u0100', '', 2, 2, 1]] }]) {
      expect(() => restoreKvStore(bad)).toThrow(TypeError);
    }
  });
});

// A reference model: a plain map from key to { value, create, mod, version } and a revision, with
// etcd's rules written as directly as possible; the store must agree with it on every result.
interface ModelEntry {
  value: string;
  create: number;
  mod: number;
  version: number;
}
class Model {
  rev = 1;
  kv = new Map<string, ModelEntry>();
  keysIn(key: string, end: string): string[] {
    return [...this.kv.keys()].filter((k) => (end === '' ? k === key : end === '\0' ? k >= key : k >= key && k < end)).sort();
  }
  apply(op: KvTxnOp, rev: number, wrote: { v: boolean }): unknown {
    if (op.op === 'put') {
      wrote.v = true;
      const p = this.kv.get(op.key);
      this.kv.set(op.key, p ? { value: op.value, create: p.create, mod: rev, version: p.version + 1 } : { value: op.value, create: rev, mod: rev, version: 1 });
      return { op: 'put', rev, prev: op.prevKv ? p?.value : undefined };
    }
    const keys = this.keysIn(op.key, op.rangeEnd);
    if (op.op === 'range') return { op: 'range', keys: keys.map((k) => [k, this.kv.get(k)!.value, this.kv.get(k)!.version, this.kv.get(k)!.mod]) };
    if (keys.length > 0) wrote.v = true;
    keys.forEach((k) => this.kv.delete(k));
    return { op: 'deleteRange', deleted: keys.length };
  }
}
function summary(r: ReturnType<typeof applyKv>, s: KvStore): unknown {
  if (r.op === 'put') return { op: 'put', rev: r.revision, prev: r.prevKv?.value };
  if (r.op === 'range') return { op: 'range', keys: r.kvs.map((e) => [e.key, e.value, e.version, e.modRevision]) };
  if (r.op === 'deleteRange') return { op: 'deleteRange', deleted: r.deleted };
  if (r.op === 'txn') return { succeeded: r.succeeded, responses: r.responses.map((x) => summary(x, s)) };
  return r;
}

const keyArb = fc.constantFrom('a', 'ab', 'b', 'c', '\xff');
const endArb = fc.constantFrom('', '', 'b', 'c', '\0');
const opArb: fc.Arbitrary<KvTxnOp> = fc.oneof(
  fc.record({ key: keyArb, value: fc.constantFrom('', '1', '2'), prevKv: fc.boolean() }).map((x) => put(x.key, x.value, x.prevKv)),
  fc.record({ key: keyArb, end: endArb }).map((x) => get(x.key, x.end)),
  fc.record({ key: keyArb, end: endArb }).map((x) => del(x.key, x.end)),
);
const cmpArb: fc.Arbitrary<KvCompare> = fc.record({
  key: keyArb,
  rangeEnd: endArb,
  target: fc.constantFrom('version', 'create', 'mod', 'value'),
  result: fc.constantFrom('equal', 'greater', 'less', 'notEqual'),
  n: fc.nat(8),
  v: fc.constantFrom('', '1', '2'),
}).map((c) => ({ key: c.key, rangeEnd: c.rangeEnd, target: c.target, result: c.result, value: c.target === 'value' ? c.v : c.n }));
const requestArb: fc.Arbitrary<KvRequest> = fc.oneof(
  { weight: 3, arbitrary: opArb },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('txn' as const), compare: fc.array(cmpArb, { maxLength: 2 }), success: fc.array(opArb, { maxLength: 3 }), failure: fc.array(opArb, { maxLength: 3 }) }) },
);

function modelCompare(m: Model, c: KvCompare): boolean {
  const keys = m.keysIn(c.key, c.rangeEnd);
  if (keys.length === 0 && c.target === 'value') return false;
  const entries = keys.length === 0 ? [{ value: '', create: 0, mod: 0, version: 0 }] : keys.map((k) => m.kv.get(k)!);
  return entries.every((e) => {
    const have = c.target === 'value' ? e.value : c.target === 'version' ? e.version : c.target === 'create' ? e.create : e.mod;
    const want = c.value;
    return c.result === 'equal' ? have === want : c.result === 'notEqual' ? have !== want : c.result === 'greater' ? have > want : have < want;
  });
}

function modelApply(m: Model, r: KvRequest): unknown {
  if (r.op !== 'txn') {
    const wrote = { v: false };
    const out = m.apply(r, m.rev + 1, wrote);
    if (wrote.v) m.rev += 1;
    return out;
  }
  const ok = r.compare.every((c) => modelCompare(m, c));
  const ops = ok ? r.success : r.failure;
  const branchBad = (b: readonly KvTxnOp[]) => {
    const p = b.filter((o) => o.op === 'put').map((o) => o.key);
    return new Set(p).size !== p.length || b.some((o) => o.op === 'deleteRange' && p.some((k) => (o.rangeEnd === '' ? k === o.key : o.rangeEnd === '\0' ? k >= o.key : k >= o.key && k < o.rangeEnd)));
  };
  if (branchBad(r.success) || branchBad(r.failure)) return 'error';
  const wrote = { v: false };
  const responses = ops.map((o) => m.apply(o, m.rev + 1, wrote));
  if (wrote.v) m.rev += 1;
  return { succeeded: ok, responses };
}

describe('model test: the store agrees with a direct reference model of etcd rules', () => {
  it('on random sequences of puts, ranges, deletes and txns', () => {
    fc.assert(
      fc.property(fc.array(requestArb, { maxLength: 40 }), (requests) => {
        const s = createKvStore();
        const m = new Model();
        for (const r of requests) {
          const got = applyKv(s, r);
          const want = modelApply(m, r);
          expect(got.op === 'error' ? 'error' : summary(got, s)).toEqual(want);
          expect(s.revision).toBe(m.rev);
        }
        const snap = kvSnapshot(s);
        expect(snap.kvs.map(([k, v, c, mod, ver]) => [k, { value: v, create: c, mod, version: ver }])).toEqual(
          [...m.kv.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
        );
        expect(kvSnapshot(restoreKvStore(snap))).toEqual(snap);
      }),
      { numRuns: 300 },
    );
  });
});
