import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seqAbove, seqDrop, seqGet, seqPut } from '../../../src/consensus/pbft/seq-list.js';

interface Entry {
  readonly seq: number;
  readonly v: number;
}
const seqOf = (e: Entry): number => e.seq;

const op = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), seq: fc.integer({ min: 1, max: 40 }), v: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), seq: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('above' as const), seq: fc.integer({ min: 0, max: 40 }) }),
);

describe('tables keyed by sequence number (sorted arrays)', () => {
  it('behave as a map from sequence number to entry, stay sorted, and never change the list they are given (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 41 }), (ops, probe) => {
        let list: readonly Entry[] = Object.freeze([]);
        const model = new Map<number, number>();
        for (const o of ops) {
          const before = list;
          const copy = [...before];
          if (o.kind === 'put') {
            list = Object.freeze(seqPut(list, { seq: o.seq, v: o.v }, seqOf));
            model.set(o.seq, o.v);
          } else if (o.kind === 'drop') {
            const had = model.delete(o.seq);
            list = Object.freeze(seqDrop(list, o.seq, seqOf));
            if (!had) expect(list).toBe(before);
          } else {
            for (const k of [...model.keys()]) if (k <= o.seq) model.delete(k);
            list = Object.freeze(seqAbove(list, o.seq, seqOf));
          }
          expect(before).toEqual(copy);
          const want = [...model].sort((a, b) => a[0] - b[0]).map(([seq, v]) => ({ seq, v }));
          expect(list).toEqual(want);
        }
        expect(seqGet(list, probe, seqOf)?.v).toBe(model.get(probe));
      }),
      { numRuns: 300 },
    );
  });
});
