// The sequential specifications the linearizability checker searches against: each step says
// whether an output is legal in a state, and what the state becomes.
import { describe, expect, it } from 'vitest';
import { checkLinearizability, kvModel, queueModel, registerModel, setModel, type History, type QueueInput, type QueueOutput } from '../../src/check/index.js';

describe('registerModel', () => {
  const m = registerModel<number>();
  it('read must return the current value; write always succeeds', () => {
    expect(m.init()).toBeNull();
    expect(m.step(null, { f: 'write', value: 3 }, null)).toEqual([true, 3]);
    expect(m.step(3, { f: 'read' }, 3)).toEqual([true, 3]);
    expect(m.step(3, { f: 'read' }, 4)[0]).toBe(false);
    expect(m.step(3, { f: 'read' }, undefined)[0]).toBe(true);
  });

  it('cas succeeds exactly when the value matches; an unknown outcome may go either way', () => {
    expect(m.step(1, { f: 'cas', from: 1, to: 2 }, true)).toEqual([true, 2]);
    expect(m.step(1, { f: 'cas', from: 5, to: 2 }, true)).toEqual([false, 1]);
    expect(m.step(1, { f: 'cas', from: 5, to: 2 }, false)).toEqual([true, 1]);
    expect(m.step(1, { f: 'cas', from: 1, to: 2 }, false)[0]).toBe(false);
    expect(m.step(1, { f: 'cas', from: 1, to: 2 }, undefined)).toEqual([true, 2]);
  });

  it('an initial value can be given, and hostile inputs are never legal', () => {
    expect(registerModel({ initial: 7 }).init()).toBe(7);
    expect(m.step(1, { f: 'bogus' } as never, null)[0]).toBe(false);
  });
});

describe('kvModel', () => {
  const m = kvModel<number>();
  // Regression: a write to key __proto__ used to set the copy's prototype instead of storing the key,
  // so a correct history writing and reading __proto__ was judged not linearizable.
  it('keeps one register per key, own keys only (a key may be named __proto__)', () => {
    const [, s1] = m.step(m.init(), { f: 'write', key: '__proto__', value: 1 }, null);
    expect(Object.prototype.hasOwnProperty.call(s1, '__proto__')).toBe(true);
    expect(m.step(s1, { f: 'read', key: '__proto__' }, 1)[0]).toBe(true);
    expect(m.step(s1, { f: 'read', key: 'constructor' }, null)[0]).toBe(true);
  });

  it('partitions a history by key (P-compositionality)', () => {
    const h: History<{ f: 'read'; key: string }, number | null> = [
      { id: 0, client: 'a', input: { f: 'read', key: 'x' }, call: 0, output: null, ret: 1 },
      { id: 1, client: 'b', input: { f: 'read', key: 'y' }, call: 0, output: null, ret: 1 },
      { id: 2, client: 'a', input: { f: 'read', key: 'x' }, call: 2, output: null, ret: 3 },
    ];
    expect(m.partition!(h as never).map((p) => p.map((o) => o.id))).toEqual([[0, 2], [1]]);
  });
});

describe('setModel', () => {
  const m = setModel<number>();
  it('a read must return exactly the members, in any order, without duplicates', () => {
    let s = m.init();
    for (const v of [3, 1, 3]) s = m.step(s, { f: 'add', value: v }, null)[1];
    expect(m.step(s, { f: 'read' }, [1, 3])[0]).toBe(true);
    expect(m.step(s, { f: 'read' }, [3, 1])[0]).toBe(true);
    expect(m.step(s, { f: 'read' }, [1])[0]).toBe(false);
    expect(m.step(s, { f: 'read' }, [1, 3, 3])[0]).toBe(false);
    s = m.step(s, { f: 'remove', value: 3 }, null)[1];
    expect(m.step(s, { f: 'read' }, [1])[0]).toBe(true);
  });
});

describe('queueModel', () => {
  const m = queueModel<string>();
  it('dequeue returns the oldest element, or null on an empty queue', () => {
    let s = m.init();
    expect(m.step(s, { f: 'dequeue' }, null)).toEqual([true, s]);
    s = m.step(s, { f: 'enqueue', value: 'a' }, null)[1];
    s = m.step(s, { f: 'enqueue', value: 'b' }, null)[1];
    expect(m.step(s, { f: 'dequeue' }, 'b')[0]).toBe(false);
    expect(m.step(s, { f: 'dequeue' }, null)[0]).toBe(false);
    const [ok, rest] = m.step(s, { f: 'dequeue' }, 'a');
    expect(ok).toBe(true);
    expect(m.step(rest, { f: 'dequeue' }, 'b')[0]).toBe(true);
  });

  it('with the checker: FIFO order violated by overlapping-free operations is not linearizable', () => {
    const op = (id: number, input: QueueInput<string>, output: QueueOutput<string>, call: number) => ({ id, client: `c${id}`, input, call, output, ret: call + 1 });
    const fifo = [op(0, { f: 'enqueue', value: 'a' }, null, 0), op(1, { f: 'enqueue', value: 'b' }, null, 2), op(2, { f: 'dequeue' }, 'a', 4)];
    const lifo = [op(0, { f: 'enqueue', value: 'a' }, null, 0), op(1, { f: 'enqueue', value: 'b' }, null, 2), op(2, { f: 'dequeue' }, 'b', 4)];
    expect(checkLinearizability(m, fifo).verdict).toBe('linearizable');
    expect(checkLinearizability(m, lifo).verdict).toBe('not-linearizable');
  });
});
