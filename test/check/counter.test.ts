import { describe, expect, it } from 'vitest';
import { checkCounter, type CounterInput, type CounterOutput, type Operation } from '../../src/check/index.js';

type Op = Operation<CounterInput, CounterOutput>;
let nextId = 0;
const add = (value: number, call: number, ret?: number): Op =>
  ret === undefined ? { id: nextId++, client: `c${nextId}`, input: { f: 'add', value }, call } : { id: nextId++, client: `c${nextId}`, input: { f: 'add', value }, call, output: null, ret };
const read = (value: number, call: number, ret: number): Op => ({ id: nextId++, client: `r${nextId}`, input: { f: 'read' }, call, output: value, ret });

describe("checkCounter: Jepsen's counter checker", () => {
  it('a read may see an add that overlaps it, or not', () => {
    for (const v of [1, 2]) expect(checkCounter([add(1, 0, 1), add(1, 2, 6), read(v, 3, 5)]).valid).toBe(true);
  });

  it('a read below the acknowledged sum fails (a lost increment)', () => {
    const r = checkCounter([add(1, 0, 1), add(1, 2, 3), read(1, 4, 5)]);
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual([{ id: r.reads[0]!.id, value: 1, lower: 2, upper: 2 }]);
  });

  it('a read above every attempted add fails (an increment applied twice)', () => {
    const r = checkCounter([add(1, 0, 1), read(2, 4, 5)]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ lower: 1, upper: 1, value: 2 });
  });

  it('an add with no response counts in the upper bound forever, never in the lower', () => {
    expect(checkCounter([add(5, 0), read(0, 10, 11), read(5, 12, 13)]).valid).toBe(true);
    expect(checkCounter([add(5, 0), read(6, 10, 11)]).valid).toBe(false);
  });

  it('the upper bound counts adds invoked before the read returned', () => {
    expect(checkCounter([read(3, 0, 10), add(3, 5, 20)]).valid).toBe(true);
    expect(checkCounter([read(3, 0, 4), add(3, 5, 20)]).valid).toBe(false);
  });

  it('negative adds lower the bounds the other way', () => {
    expect(checkCounter([add(2, 0, 1), add(-1, 2), read(2, 3, 4), read(1, 5, 6)]).valid).toBe(true);
    expect(checkCounter([add(2, 0, 1), add(-1, 2, 3), read(2, 4, 5)]).valid).toBe(false);
  });
});
