import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import { Network, type Route } from '../../src/sim/network.js';

const ids = ['a', 'b', 'c'];
const arrival = (r: Route): number => {
  if ('dropped' in r) throw new Error(`dropped: ${r.dropped}`);
  return r.at;
};

describe('network model', () => {
  it('delays by the link delay; per-link overrides win, field by field', () => {
    const net = new Network({ seed: 1, ids, network: { delay: { type: 'fixed', ms: 5 } }, links: [{ from: 'a', to: 'b', delay: { type: 'fixed', ms: 50 } }] });
    expect(arrival(net.route(0, 1, {}, 10))).toBe(60);
    expect(arrival(net.route(1, 0, {}, 10))).toBe(15);
  });

  it('drops across partitions and one-way cuts until healed', () => {
    const net = new Network({ seed: 1, ids, network: { delay: { type: 'fixed', ms: 1 } } });
    net.partition([[0], [1, 2]]);
    expect(net.route(0, 1, {}, 0)).toEqual({ dropped: 'partition' });
    expect(net.isCut(1, 2)).toBe(false);
    net.heal();
    net.cutOneWay(1, 2);
    expect(net.isCut(1, 2)).toBe(true);
    expect(net.isCut(2, 1)).toBe(false);
    net.heal();
    expect(arrival(net.route(1, 2, {}, 0))).toBe(1);
  });

  it('loses, duplicates and corrupts at the link rates', () => {
    const lossy = new Network({ seed: 1, ids, network: { loss: 1 } });
    expect(lossy.route(0, 1, {}, 0)).toEqual({ dropped: 'loss' });
    const dup = new Network({ seed: 1, ids, network: { duplicate: 1 } });
    expect(dup.copies(0, 1)).toBe(2);
    const bad = new Network({ seed: 1, ids, network: { corrupt: 1 } });
    const r = bad.route(0, 1, { type: 'ping', n: 1 }, 0);
    expect('corrupted' in r && r.corrupted).toBe(true);
  });

  it('keeps FIFO links in send order', () => {
    const net = new Network({ seed: 3, ids, network: { fifo: true, delay: { type: 'uniform', minMs: 0, maxMs: 100 } } });
    const times = Array.from({ length: 50 }, (_, k) => arrival(net.route(0, 1, {}, k)));
    expect(times).toEqual(times.slice().sort((x, y) => x - y));
  });

  it('overrides links during a run and resets them to the configured ones', () => {
    const net = new Network({ seed: 1, ids, network: { delay: { type: 'fixed', ms: 2 } } });
    net.override(-1, 2, { delay: { type: 'fixed', ms: 100 } });
    expect(arrival(net.route(0, 2, {}, 0))).toBe(100);
    expect(arrival(net.route(0, 1, {}, 0))).toBe(2);
    net.reset();
    expect(arrival(net.route(0, 2, {}, 0))).toBe(2);
  });

  it('rejects a link that ends up both FIFO and reordering', () => {
    expect(() => new Network({ seed: 1, ids, network: { fifo: true }, links: [{ to: 'b', reorder: 0.5 }] })).toThrow(ConfigError);
  });

  it('draws the same fates from the same seed', () => {
    const fates = (seed: number) => {
      const net = new Network({ seed, ids, network: { loss: 0.3, duplicate: 0.3, reorder: 0.3, corrupt: 0.3 } });
      return Array.from({ length: 100 }, (_, k) => [net.copies(0, 1), net.route(0, 1, { type: 'x', k }, k)]);
    };
    expect(fates(7)).toEqual(fates(7));
    expect(fates(7)).not.toEqual(fates(8));
  });
});
