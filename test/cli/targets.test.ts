// The command's target registry: built-in targets plus imported ones, checked by name, build and
// node count.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/index.js';
import { builtInTargets, echoTarget, sortedTargets, targetRegistry } from '../../src/cli/targets.js';
import type { SimTarget } from '../../src/sim/index.js';

const mine: SimTarget = { name: 'mine', description: 'x', defaultNodes: 2, build: () => ({ nodes: [] }) };

describe('targetRegistry', () => {
  it('holds every built-in target by name, plus the extra ones', () => {
    const r = targetRegistry([mine]);
    for (const t of builtInTargets) expect(r.get(t.name)?.build).toBe(t.build);
    expect(r.get('mine')?.defaultNodes).toBe(2);
    expect(sortedTargets(r).map((t) => t.name)).toEqual([...r.keys()].sort());
  });

  it('defaults a missing node count to 3 and description to empty', () => {
    const r = targetRegistry([{ name: 'bare', build: mine.build } as unknown as SimTarget]);
    expect(r.get('bare')).toMatchObject({ defaultNodes: 3, description: '' });
  });

  it('refuses bad names, missing builds, bad node counts and taken names, naming the field', () => {
    const field = (extra: unknown): string => {
      try {
        targetRegistry([extra as SimTarget]);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).field;
      }
      return '(accepted)';
    };
    expect(field({ ...mine, name: 'has space' })).toBe('name');
    expect(field({ ...mine, build: 5 })).toBe('build');
    expect(field({ ...mine, defaultNodes: 0 })).toBe('defaultNodes');
    expect(field({ ...mine, name: 'echo' })).toBe('name');
    expect(field(echoTarget)).toBe('(accepted)');
  });

  it('the echo demo target builds its scenario for any node count', () => {
    const s = echoTarget.build({ nodes: 4, seed: 1 });
    expect(s.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(s.invariants?.length).toBe(1);
  });
});
