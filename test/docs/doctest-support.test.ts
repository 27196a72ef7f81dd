import { describe, expect, it } from 'vitest';
import { expectedValue, instrument, matches } from '../support/doctest.js';

describe('the doctest instrumentation', () => {
  it('records a same-line claim, a next-line claim and a multi-line statement', () => {
    const { program, claims } = instrument(['const a = [1, 2];', 'a.length; //=> 2', 'f(', '  1,', ');', '//=> 3', 'const b = a[0]; //=> 1'].join('\n'));
    expect(claims.map((c) => [c.expression, c.expected])).toEqual([
      ['a.length', '2'],
      ['f( 1, )', '3'],
      ['a[0]', '1'],
    ]);
    expect(program).toContain('globalThis.__claim(0, (a.length))');
    expect(program).toContain('const b = a[0];\ntry { globalThis.__claim(2, (b));');
  });

  it('reads values, allows a trailing remark, and refuses prose', () => {
    expect(expectedValue("{ a: [1, 'x'] }")).toEqual({ ok: true, value: { a: [1, 'x'] } });
    expect(expectedValue('3 (one per peer)')).toEqual({ ok: true, value: 3 });
    expect(expectedValue('a time in [300, 600)')).toEqual({ ok: false });
  });

  it('compares deeply and tells values apart', () => {
    expect(matches({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(matches({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(matches(1, '1')).toBe(false);
    expect(matches(undefined, null)).toBe(false);
  });
});
