// The hashing module's config helpers: node lists are normalized and checked, and a failed check
// becomes a ConfigError naming the offending field.
import { describe, expect, it } from 'vitest';
import { ConfigError, v } from '../../src/core/index.js';
import { checkNodes, normalizeNodes, parseOrThrow, weightedNodeJson } from '../../src/hashing/json.js';

function fieldOf(make: () => unknown): string {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).field;
  }
  throw new Error('expected a ConfigError');
}

describe('normalizeNodes', () => {
  it('turns bare ids into weight-1 nodes and keeps given weights', () => {
    expect(normalizeNodes(['a', { id: 'b', weight: 3 }, { id: 'c' }])).toEqual([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 3 },
      { id: 'c', weight: 1 },
    ]);
  });

  it('names the offending entry: empty id, bad weight, duplicate, not an array', () => {
    expect(fieldOf(() => normalizeNodes(['a', '']))).toBe('nodes[1].id');
    expect(fieldOf(() => normalizeNodes([{ id: 'a', weight: 0 }], 'servers'))).toBe('servers[0].weight');
    expect(fieldOf(() => normalizeNodes([{ id: 'a', weight: Infinity }]))).toBe('nodes[0].weight');
    expect(fieldOf(() => normalizeNodes(['a', 'b', 'a']))).toBe('nodes[2].id');
    expect(fieldOf(() => normalizeNodes('a' as never))).toBe('nodes');
  });

  it('checkNodes accepts a valid list', () => {
    expect(() => checkNodes([{ id: 'a', weight: 0.5 }], 'nodes')).not.toThrow();
  });
});

describe('parseOrThrow', () => {
  it('returns valid data as is', () => {
    const data = { id: 'a', weight: 2 };
    expect(parseOrThrow(weightedNodeJson, data)).toBe(data);
  });

  it('throws a ConfigError whose field is the path the check named', () => {
    expect(fieldOf(() => parseOrThrow(weightedNodeJson, { id: 'a', weight: -1 }))).toBe('weight');
    expect(fieldOf(() => parseOrThrow(v.object({ nodes: v.array(weightedNodeJson) }), { nodes: [{ id: '', weight: 1 }] }))).toBe('nodes[0].id');
  });
});
