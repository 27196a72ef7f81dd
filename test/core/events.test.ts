import { describe, expect, it } from 'vitest';
import { Emitter } from 'distkit/core';

describe('Emitter', () => {
  it('calls listeners in subscription order and stops calling an unsubscribed one', () => {
    const e = new Emitter<number>();
    const seen: string[] = [];
    const offA = e.on((x) => seen.push(`a${x}`));
    e.on((x) => seen.push(`b${x}`));
    expect(e.size).toBe(2);
    e.emit(1);
    offA();
    offA();
    e.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(e.size).toBe(1);
  });

  it('isolates a throwing listener: the others run and the emitter does not throw', () => {
    const errors: unknown[] = [];
    const e = new Emitter<string>((err) => errors.push(err));
    const seen: string[] = [];
    e.on(() => {
      throw new Error('boom');
    });
    e.on((x) => seen.push(x));
    expect(() => e.emit('x')).not.toThrow();
    expect(seen).toEqual(['x']);
    expect(errors).toHaveLength(1);
  });

  it('a listener added or removed during an emit takes effect from the next emit', () => {
    const e = new Emitter<number>();
    const seen: number[] = [];
    let off = (): void => {};
    off = e.on((x) => {
      seen.push(x);
      off();
      e.on((y) => seen.push(10 * y));
    });
    e.emit(1);
    e.emit(2);
    expect(seen).toEqual([1, 20]);
  });

  it('the same function subscribed twice is called twice and unsubscribed one at a time', () => {
    const e = new Emitter<number>();
    let n = 0;
    const f = (): void => {
      n++;
    };
    const off1 = e.on(f);
    e.on(f);
    e.emit(0);
    off1();
    e.emit(0);
    expect(n).toBe(3);
  });
});
