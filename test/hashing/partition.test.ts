import { describe, expect, it } from 'vitest';
import { DataDistributor, DataPartitioner } from 'distkit/hashing';
import { names, keys } from './keys.js';

describe('DataPartitioner and DataDistributor (hash mod N)', () => {
  it('mod N reshuffles almost everything on resize: about N/(N+1) of keys move from 10 to 11 nodes', () => {
    const p = DataPartitioner.create(names(10));
    const q = p.add('node-10');
    const ks = keys(20000);
    const moved = ks.filter((k) => p.lookup(k) !== q.lookup(k)).length / ks.length;
    expect(moved).toBeGreaterThan(0.85);
  });
  it('distributor returns replicationFactor successive distinct nodes', () => {
    const d = DataDistributor.create(names(5), 3);
    for (const k of keys(200)) {
      const list = d.lookup(k);
      expect(list).toHaveLength(3);
      const i = d.nodes.indexOf(list[0]!);
      expect(list).toEqual([0, 1, 2].map((j) => d.nodes[(i + j) % 5]));
      expect(list[0]).toBe(DataPartitioner.create(names(5)).lookup(k));
    }
    expect(DataDistributor.create(['a', 'b'], 3).lookup('k')).toHaveLength(2);
  });
  it('round-trip and hostile JSON', () => {
    const d = DataDistributor.create(names(4), 2, 5);
    expect(DataDistributor.fromJSON(JSON.parse(JSON.stringify(d))).toJSON()).toEqual(d.toJSON());
    const p = DataPartitioner.create(names(4));
    expect(DataPartitioner.fromJSON(JSON.parse(JSON.stringify(p))).toJSON()).toEqual(p.toJSON());
    expect(() => DataDistributor.fromJSON({ ...d.toJSON(), replicationFactor: 0 })).toThrow(/replicationFactor/);
    expect(() => DataPartitioner.fromJSON({ ...p.toJSON(), nodes: [] })).toThrow(/nodes/);
    expect(() => DataPartitioner.fromJSON({ ...p.toJSON(), nodes: ['a', 'a'] })).toThrow(/nodes\[1\]/);
  });
});

describe('DataDistributor: the notes\' distribute_data and get_node_for_key', () => {
  it('puts every key on each of its replicas, and on no other node', () => {
    const d = DataDistributor.create(['a', 'b', 'c', 'd'], 3);
    const data: Record<string, number> = {};
    for (let i = 0; i < 200; i++) data[`k${i}`] = i;
    data['__proto__'] = -1; // an own key like any other (JSON.parse can produce it)
    const parsed = JSON.parse(JSON.stringify(data).replace('"k0"', '"__proto__"')) as Record<string, number>;
    const byNode = d.distributeData(parsed);
    expect(Object.keys(byNode)).toEqual(['a', 'b', 'c', 'd']);
    for (const key of Object.keys(parsed)) {
      const holders = Object.keys(byNode).filter((n) => Object.prototype.hasOwnProperty.call(byNode[n], key));
      expect(holders.sort()).toEqual(d.getNodeForKey(key).sort());
      expect(holders).toHaveLength(3);
    }
    expect(Object.getPrototypeOf(byNode['a'])).toBe(Object.prototype);
  });

  it('names the fix when node ids are numbers, as the notes write them', () => {
    expect(() => DataDistributor.create([1, 2, 3] as never, 2)).toThrow("nodes[0]: node ids are strings, got the number 1: pass '1' (String(id)) instead");
  });
});
