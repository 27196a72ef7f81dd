// Stream entries as the transport writes and reads them: the round trip, and totality on whatever
// a writer to the stream may have put there.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { entryFields, parseEntry, replyEntries } from 'distkit/redis';

const nodeId = fc.string({ minLength: 1, maxLength: 256 });

describe('parseEntry', () => {
  it('reads back every JSON message an entry was written with', () => {
    fc.assert(
      fc.property(nodeId, fc.jsonValue(), (from, value) => {
        const json = JSON.stringify(value);
        const e = parseEntry(['1-0', entryFields(from, json)], 1 << 20);
        expect(e).toEqual({ id: '1-0', from, message: JSON.parse(json) });
      }),
    );
  });

  it('is total: any reply entry gives an id and either a message or a reason, never a throw', () => {
    const field = fc.oneof(fc.string(), fc.constantFrom('from', 'data'), fc.integer(), fc.constant(null));
    const entry = fc.oneof(fc.anything(), fc.tuple(fc.string(), fc.oneof(fc.constant(null), fc.array(field), fc.anything())));
    fc.assert(
      fc.property(entry, (raw) => {
        const e = parseEntry(raw, 64);
        expect(typeof e.id).toBe('string');
        expect('message' in e !== 'reason' in e).toBe(true);
      }),
    );
  });

  it('takes the first of repeated fields, and ignores unknown ones', () => {
    expect(parseEntry(['1-0', ['x', 'y', 'from', 'a', 'from', 'b', 'data', '1', 'data', '2']], 64)).toEqual({ id: '1-0', from: 'a', message: 1 });
  });

  it('counts the limit in UTF-8 bytes', () => {
    const json = JSON.stringify('é'.repeat(40)); // 42 characters, 82 bytes
    expect(parseEntry(['1-0', entryFields('a', json)], 81)).toMatchObject({ reason: 'message exceeds maxMessageBytes (81): at least 82 bytes' });
    expect(parseEntry(['1-0', entryFields('a', json)], 82)).toMatchObject({ message: 'é'.repeat(40) });
  });
});

describe('replyEntries', () => {
  it('flattens the entries of a reply and refuses other shapes', () => {
    expect(replyEntries([['k', [['1-0', []], ['2-0', []]]]])).toEqual([['1-0', []], ['2-0', []]]);
    expect(replyEntries([['k']])).toBeUndefined();
    expect(replyEntries(7)).toBeUndefined();
    fc.assert(fc.property(fc.anything(), (x) => void replyEntries(x)));
  });
});
