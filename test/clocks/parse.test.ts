// The clocks module's validation helpers: peer node ids and counters are checked before use, and a
// refused value says why.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_ID_LENGTH } from '../../src/core/index.js';
import { counterProblem, fail, nodeIdProblem, ok, parseChecked } from '../../src/clocks/parse.js';

describe('nodeIdProblem', () => {
  it('accepts ordinary ids', () => {
    expect(nodeIdProblem('a')).toBeUndefined();
    expect(nodeIdProblem('x'.repeat(MAX_ID_LENGTH))).toBeUndefined();
  });

  it('refuses non-strings, empty and over-long ids, and Object.prototype names', () => {
    expect(nodeIdProblem(1)).toMatch(/^node id: expected a string/);
    expect(nodeIdProblem('')).toBe('node id: expected a non-empty string');
    expect(nodeIdProblem('x'.repeat(MAX_ID_LENGTH + 1))).toBe(`node id: longer than ${MAX_ID_LENGTH} characters`);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) expect(nodeIdProblem(name)).toContain('reserved');
  });
});

describe('counterProblem', () => {
  it('accepts safe integers >= 0 and names the path otherwise', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
      expect(counterProblem(n, "x")).toBeUndefined();
    }));
    expect(counterProblem(-1, 'time')).toBe('time: expected an integer >= 0, got -1');
    expect(counterProblem(1.5, 'c')).toMatch(/^c: /);
    expect(counterProblem(2 ** 53, 'c')).toMatch(/^c: /);
    expect(counterProblem('1', 'c')).toMatch(/^c: /);
  });
});

describe('parseChecked', () => {
  const problemOf = (v: unknown) => (typeof (v as { n?: unknown })?.n === 'number' ? undefined : 'n: expected a number');
  const copy = (v: { n: number }) => ({ n: v.n });

  it('returns a fresh copy of an accepted value, without undeclared fields', () => {
    const raw = { n: 3, extra: 'smuggled' };
    const r = parseChecked(raw, problemOf, copy);
    expect(r).toEqual({ ok: true, value: { n: 3 } });
    expect(r.ok && r.value).not.toBe(raw);
  });

  it('refuses with the problem found, never calling copy', () => {
    let copied = false;
    const r = parseChecked({ n: 'x' }, problemOf, (v: { n: number }) => ((copied = true), v));
    expect(r).toEqual(fail('n: expected a number'));
    expect(copied).toBe(false);
    expect(ok(1)).toEqual({ ok: true, value: 1 });
  });
});
