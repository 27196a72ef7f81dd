import { describe, expect, it } from 'vitest';
import { checkSet, type Operation, type SetInput, type SetOutput } from '../../src/check/index.js';

type Op = Operation<SetInput<number>, SetOutput<number>>;
let nextId = 0;
const add = (value: number, call: number, ret?: number): Op =>
  ret === undefined ? { id: nextId++, client: `c${nextId}`, input: { f: 'add', value }, call } : { id: nextId++, client: `c${nextId}`, input: { f: 'add', value }, call, output: null, ret };
const read = (values: number[], call: number, ret: number): Op => ({ id: nextId++, client: `r${nextId}`, input: { f: 'read' }, call, output: values, ret });

describe("checkSet: Jepsen's set checker", () => {
  it('passes when every acknowledged add is in the final read', () => {
    const r = checkSet([add(1, 0, 1), add(2, 1, 2), read([1, 2], 3, 4)]);
    expect(r).toMatchObject({ valid: true, attemptCount: 2, acknowledgedCount: 2, ok: [1, 2], lost: [], unexpected: [], recovered: [] });
  });

  it('fails with the lost elements counted', () => {
    const r = checkSet([add(1, 0, 1), add(2, 1, 2), add(3, 1, 2), read([2], 3, 4)]);
    expect(r.valid).toBe(false);
    expect(r.lost).toEqual([1, 3]);
  });

  it('fails on an element nobody added', () => {
    const r = checkSet([add(1, 0, 1), read([1, 9], 3, 4)]);
    expect(r).toMatchObject({ valid: false, unexpected: [9], lost: [] });
  });

  it('an add of unknown outcome may be absent, and is recovered when present', () => {
    expect(checkSet([add(1, 0), read([], 3, 4)])).toMatchObject({ valid: true, attemptCount: 1, acknowledgedCount: 0, recovered: [] });
    expect(checkSet([add(1, 0), read([1], 3, 4)])).toMatchObject({ valid: true, recovered: [1], ok: [1] });
  });

  it('judges the last read to complete, not the first', () => {
    const last = read([], 4, 5);
    const r = checkSet([add(1, 0, 1), last, read([1], 2, 3)]);
    expect(r).toMatchObject({ valid: false, lost: [1], finalRead: last.id });
  });

  it('is unknown without a final read, and refuses a malformed operation by name', () => {
    expect(checkSet([add(1, 0, 1)]).valid).toBe('unknown');
    expect(() => checkSet([null as unknown as Op, add(1, 0, 1), read([1], 2, 3)])).toThrow(/history\[0\]: expected an operation object/);
  });

  it('compares elements by value (canonical JSON)', () => {
    const ops: Operation<SetInput<{ a: number; b: number }>, SetOutput<{ a: number; b: number }>>[] = [
      { id: 0, client: 'x', input: { f: 'add', value: { a: 1, b: 2 } }, call: 0, output: null, ret: 1 },
      { id: 1, client: 'x', input: { f: 'read' }, call: 2, output: [{ b: 2, a: 1 }], ret: 3 },
    ];
    expect(checkSet(ops).valid).toBe(true);
  });
});
