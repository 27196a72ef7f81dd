import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fieldLines } from '../../src/sim/trace-text.js';

describe('fieldLines (tooltip fields)', () => {
  it('lists fields as key: value, the type left out, nested values written the way a reader would', () => {
    expect(fieldLines({ type: 'append', term: 2, leader: 'a', entries: [{ index: 7, term: 1, data: { id: 27, op: { f: 'cas' } } }], ok: true, hint: null })).toEqual([
      'term: 2',
      'leader: a',
      'entries: [{index: 7, term: 1, data: {id: 27, op: {…}}}] (1)',
      'ok: true',
      'hint: null',
    ]);
    expect(fieldLines({ entries: [] })).toEqual(['entries: [] (empty)']);
    expect(fieldLines({ 'odd key': 1, nested: { 'x-y': 2 } })).toEqual(['odd key: 1', 'nested: {"x-y": 2}']);
  });

  it('a non-object is one line of short JSON', () => {
    expect(fieldLines('ping')).toEqual(['"ping"']);
    expect(fieldLines([1, 2])).toEqual(['[1,2]']);
  });

  it('caps the number of fields and the length of each line, whatever the value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 40 }), (o) => {
        const lines = fieldLines(o);
        expect(lines.length).toBeLessThanOrEqual(13);
        for (const line of lines) expect(line.length).toBeLessThanOrEqual(20 + 2 + 72 + 12);
      }),
    );
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, i]));
    expect(fieldLines(wide).at(-1)).toBe('… 8 more fields');
    expect(fieldLines({ s: 'x'.repeat(500) })[0]!.length).toBe(3 + 72);
  });
});
