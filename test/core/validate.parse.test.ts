import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_ID_LENGTH, PAYLOAD_LIMITS, getOwn, parse, plainDataProblem, v } from 'distkit/core';

function nest(depth: number, obj = false): unknown {
  let x: unknown = 1;
  for (let i = 0; i < depth; i++) x = obj ? { v: x } : [x];
  return x;
}

describe('plainDataProblem is iterative and bounded', () => {
  it('walks 200,000 levels without overflowing the stack', () => {
    expect(() => plainDataProblem(nest(200_000))).not.toThrow();
    expect(plainDataProblem(nest(200_000))).toMatch(/nested deeper than 1000/);
    expect(plainDataProblem(nest(200_000, true), '', { maxDepth: 300_000 })).toBeUndefined();
  });

  it('bounds depth and size', () => {
    expect(plainDataProblem(nest(64), '', PAYLOAD_LIMITS)).toBeUndefined();
    expect(plainDataProblem(nest(65), '', PAYLOAD_LIMITS)).toMatch(/nested deeper than 64/);
    expect(plainDataProblem('x'.repeat(2_000_000), '', PAYLOAD_LIMITS)).toMatch(/larger than/);
    expect(plainDataProblem(new Array(5_000_000).fill(0), '', PAYLOAD_LIMITS)).toMatch(/larger than/);
  });

  it('tells a cycle from a shared subtree', () => {
    const shared = { a: 1 };
    expect(plainDataProblem({ x: shared, y: shared, z: [shared, shared] })).toBeUndefined();
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = { back: cyc };
    expect(plainDataProblem(cyc)).toBe('self.back: cycle');
  });

  it('reports holes, NaN, bigint and class instances with their paths', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(plainDataProblem({ a: [1, , 3] })).toBe('a[1]: hole in array');
    expect(plainDataProblem({ a: { b: NaN } })).toBe('a.b: non-finite number NaN');
    expect(plainDataProblem([2n])).toBe('[0]: bigint is not JSON data');
    expect(plainDataProblem({ d: new Date(0) })).toBe('d: not a plain object or array (Date)');
  });

  it('agrees with JSON round-tripping on random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (x) => {
        expect(plainDataProblem(x)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('parse keeps only what it checked', () => {
  const ping = v.object({ type: v.literal('ping'), seq: v.int({ min: 0 }), hint: v.optional(v.string()), body: v.optional(v.json()) });

  it('drops undeclared fields, at every level', () => {
    const entry = v.object({ term: v.int(), data: v.json() });
    const append = v.object({ type: v.literal('append'), entries: v.array(entry) });
    const r = parse(append, { type: 'append', junk: 'x'.repeat(100_000), entries: [{ term: 1, data: { a: 1 }, extra: [1, 2, 3] }] });
    expect(r).toEqual({ ok: true, value: { type: 'append', entries: [{ term: 1, data: { a: 1 } }] } });
  });

  it('returns copies, not the peer object', () => {
    const body = { deep: { x: 1 } };
    const input = { type: 'ping', seq: 1, body };
    const r = parse(ping, input);
    if (!r.ok) throw new Error(r.problem);
    expect(r.value).not.toBe(input);
    expect(r.value.body).toEqual(body);
    expect(r.value.body).not.toBe(body);
  });

  it('keeps prototype-named keys of records and payloads as own keys', () => {
    const table = v.record(v.int());
    const raw = JSON.parse('{"__proto__": 1, "constructor": 2}') as unknown;
    const r = parse(table, raw);
    if (!r.ok) throw new Error(r.problem);
    expect(getOwn(r.value, '__proto__')).toBe(1);
    expect(getOwn(r.value, 'constructor')).toBe(2);
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    const j = parse(ping, { type: 'ping', seq: 0, body: raw });
    if (!j.ok) throw new Error(j.problem);
    expect(Object.getPrototypeOf(j.value.body)).toBe(Object.prototype);
    expect(Object.keys(j.value.body as object)).toEqual(['__proto__', 'constructor']);
  });

  it('drops optional fields that are present but undefined (not JSON)', () => {
    const r = parse(ping, { type: 'ping', seq: 1, hint: undefined });
    expect(r).toEqual({ ok: true, value: { type: 'ping', seq: 1 } });
    expect(Object.keys((r as { value: object }).value)).toEqual(['type', 'seq']);
  });

  it('copies the chosen alternative of unions and tagged unions', () => {
    const msg = v.tagged({ a: v.object({ type: v.literal('a'), n: v.int() }), b: v.object({ type: v.literal('b'), s: v.string() }) });
    expect(parse(msg, { type: 'b', s: 'x', n: 3 })).toEqual({ ok: true, value: { type: 'b', s: 'x' } });
    const either = v.union(v.object({ n: v.int() }), v.string());
    expect(parse(either, { n: 1, m: 2 })).toEqual({ ok: true, value: { n: 1 } });
    expect(parse(v.nullable(v.object({ n: v.int() })), null)).toEqual({ ok: true, value: null });
  });

  it('refuses deep or huge opaque payloads with a reason instead of throwing', () => {
    const deep = parse(ping, { type: 'ping', seq: 1, body: nest(6000) });
    expect(deep.ok).toBe(false);
    expect(deep.ok ? '' : deep.problem).toMatch(/^body: (\[0\]){64}: nested deeper than 64$/);
    const r = parse(v.object({ body: v.json({ maxBytes: 100 }) }), { body: 'x'.repeat(200) });
    expect(r.ok).toBe(false);
    expect(parse(v.json(), nest(6000, true)).ok).toBe(false);
  });

  it('never throws, and every accepted value is plain data that round-trips', () => {
    const shape = v.object({ type: v.literal('x'), ids: v.array(v.id(), { maxLength: 8 }), table: v.record(v.json()), body: v.json() });
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withNullPrototype: true, withObjectString: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }), fc.anything(), (junk, body) => {
        for (const candidate of [junk, { type: 'x', ids: ['a'], table: { k: junk }, body }, { type: 'x', ids: [junk], table: {}, body: junk }]) {
          const r = parse(shape, candidate);
          if (r.ok) {
            expect(plainDataProblem(r.value)).toBeUndefined();
            expect(JSON.parse(JSON.stringify(r.value))).toEqual(r.value);
          } else expect(typeof r.problem).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('v.id bounds node ids', () => {
    expect(v.id()('a')).toBeUndefined();
    expect(v.id()('')).toBeDefined();
    expect(v.id()('x'.repeat(MAX_ID_LENGTH + 1))).toBeDefined();
    expect(v.id()(3)).toBeDefined();
  });
});
