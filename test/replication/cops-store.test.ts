import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../../src/core/index.js';
import { CausalStore, CausalStoreError, copsConvergence, copsInvariants, type CopsState } from '../../src/replication/index.js';

const states = (store: CausalStore) => Object.fromEntries(store.replicas.map((r) => [r, store.state(r) as CopsState]));

describe('CausalStore: COPS replicas as a class', () => {
  it('a write is visible at once where it was made, elsewhere after the latency', () => {
    const store = new CausalStore({ replicas: ['east', 'west'], latencyMs: 100 });
    const alice = store.session('east');
    const bob = store.session('west');
    expect(alice.put('x', 1)).toEqual({ time: 1, node: 'east' });
    expect(alice.get('x')).toBe(1);
    expect(bob.get('x')).toBeNull();
    store.advance(99);
    expect(bob.get('x')).toBeNull();
    store.advance(1);
    expect(bob.get('x')).toBe(1);
  });

  it('COPS §4.3: asia never shows the album before the photo, while the east-asia link is down', () => {
    const store = new CausalStore({ replicas: ['east', 'west', 'asia'], latencyMs: 50 });
    const alice = store.session('east');
    const bob = store.session('west');
    const carol = store.session('asia');
    // The east-asia link is down: the photo reaches the west only.
    store.partition([['east', 'west'], ['west', 'asia']]);
    alice.put('photo', 'p.jpg');
    store.advance(60);
    expect(bob.get('photo')).toBe('p.jpg');
    bob.put('album', ['photo']);
    store.advance(60);
    expect(store.state('asia')?.pending).toHaveLength(1);
    expect(carol.get('album')).toBeNull();
    expect(carol.get('photo')).toBeNull();
    store.heal();
    expect(store.settle()).toBe(true);
    expect(carol.get('album')).toEqual(['photo']);
    expect(carol.get('photo')).toBe('p.jpg');
    expect(checkInvariants([...copsInvariants(), copsConvergence()], states(store))).toBeUndefined();
  });

  it('writes succeed on both sides of a partition and converge by last-writer-wins after healing', () => {
    const store = new CausalStore({ replicas: ['a', 'b'] });
    store.partition([['a'], ['b']]);
    store.session('a').put('k', 'from a');
    store.session('b').put('k', 'from b');
    expect(store.settle(1000)).toBe(false);
    store.heal();
    expect(store.settle()).toBe(true);
    expect(store.session('a').get('k')).toBe('from b');
    expect(store.session('b').get('k')).toBe('from b');
  });

  it('rejects an unknown replica', () => {
    expect(() => new CausalStore().session('zz')).toThrow(CausalStoreError);
  });
});
