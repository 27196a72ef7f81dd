import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareNodeIds } from 'distkit/core';
import { highestId } from 'distkit/election';

describe('highestId / compareNodeIds', () => {
  it('highestId is the maximum under compareNodeIds (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { minLength: 1 }), (xs) => {
        const h = highestId(xs)!;
        for (const x of xs) expect(compareNodeIds(x, h)).toBeLessThanOrEqual(0);
      }),
    );
  });
});
