// MemoryStore: the in-memory Store keeps copies of plain JSON data and refuses anything else.
import { describe, expect, it } from 'vitest';
import { MemoryStore, StoreError, type Store } from '../../src/core/index.js';

describe('MemoryStore', () => {
  it('returns what was put, and undefined for a missing or deleted key', async () => {
    const s: Store = new MemoryStore();
    expect(await s.get('term')).toBeUndefined();
    await s.put('term', { term: 3, votedFor: 'b' });
    expect(await s.get('term')).toEqual({ term: 3, votedFor: 'b' });
    await s.delete('term');
    expect(await s.get('term')).toBeUndefined();
  });

  it('stores a copy: changing the object after put or after get does not change the store', async () => {
    const s = new MemoryStore();
    const v = { log: [1, 2] };
    await s.put('k', v);
    v.log.push(3);
    const got = (await s.get('k')) as { log: number[] };
    got.log.push(4);
    expect(await s.get('k')).toEqual({ log: [1, 2] });
  });

  it('refuses values that are not plain JSON data with a StoreError naming the key', async () => {
    const s = new MemoryStore();
    await expect(s.put('k', { at: new Date(0) })).rejects.toBeInstanceOf(StoreError);
    await expect(s.put('k', { n: NaN })).rejects.toThrow(/^put\("k"\): /);
    await expect(s.put('k', new Map())).rejects.toBeInstanceOf(StoreError);
    expect(await s.get('k')).toBeUndefined();
  });

  it('keys() lists the stored keys, a key named __proto__ included', async () => {
    const s = new MemoryStore();
    await s.put('__proto__', 1);
    await s.put('b', 2);
    expect(s.keys().sort()).toEqual(['__proto__', 'b']);
    expect(await s.get('__proto__')).toBe(1);
  });
});
