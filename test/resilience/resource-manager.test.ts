import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, deepFreeze } from 'distkit/core';
import { InsufficientResourcesError, ResourceManager, resourceManagerCore as rm, type PlacementStrategy, type ResourceState } from 'distkit/resilience';

const nodes = [
  { id: 'small', capacity: { cpu: 2, memory: 4, disk: 100, network: 1 } },
  { id: 'big', capacity: { cpu: 16, memory: 64, disk: 1000, network: 10, gpu: 2 } },
  { id: 'mid', capacity: { cpu: 8, memory: 16, disk: 500, network: 5 } },
];

describe('ResourceManager', () => {
  it('first-fit, best-fit and spread place as named', () => {
    const req = { cpu: 1, memory: 2 };
    expect(new ResourceManager({ strategy: 'first-fit', nodes }).allocate('t', req)).toBe('small');
    expect(new ResourceManager({ strategy: 'best-fit', nodes }).allocate('t', req)).toBe('small');
    expect(new ResourceManager({ strategy: 'spread', nodes }).allocate('t', req)).toBe('big');
  });

  it('spread balances load across equal nodes', () => {
    const m = new ResourceManager({ strategy: 'spread', nodes: [{ id: 'a', capacity: { cpu: 4 } }, { id: 'b', capacity: { cpu: 4 } }] });
    expect([m.allocate('1', { cpu: 1 }), m.allocate('2', { cpu: 1 }), m.allocate('3', { cpu: 1 })].sort()).toEqual(['a', 'a', 'b']);
  });

  it('allocate and release are idempotent by task id', () => {
    const m = new ResourceManager({ nodes });
    const a = m.allocate('job', { cpu: 2 });
    const before = m.snapshot;
    expect(m.allocate('job', { cpu: 2 })).toBe(a);
    expect(m.snapshot).toBe(before);
    expect(() => m.allocate('job', { cpu: 3 })).toThrow(InvalidCommandError);
    m.release('job');
    const after = m.snapshot;
    m.release('job');
    expect(m.snapshot).toBe(after);
    expect(m.available()['small']!['cpu']).toBe(2);
  });

  it('user-defined resources: only nodes that have them can take the task', () => {
    const m = new ResourceManager({ nodes });
    expect(m.allocate('train', { gpu: 1, cpu: 1 })).toBe('big');
    expect(m.canAllocate({ gpu: 2 })).toBe(false);
  });

  it('a request that fits nowhere names the short resource', () => {
    const m = new ResourceManager({ nodes });
    let e: unknown;
    try {
      m.allocate('huge', { cpu: 4, memory: 128 });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(InsufficientResourcesError);
    expect((e as InsufficientResourcesError).resource).toBe('memory');
    expect((e as InsufficientResourcesError).largestFree).toBe(64);
    expect((e as Error).message).toContain('needs 128 memory, at most 64 free');
    // fragmentation: each resource fits somewhere, but not together
    const f = new ResourceManager({ nodes: [{ id: 'a', capacity: { cpu: 4, memory: 1 } }, { id: 'b', capacity: { cpu: 1, memory: 4 } }] });
    expect(() => f.allocate('t', { cpu: 2, memory: 2 })).toThrow(InsufficientResourcesError);
  });

  it('hostile config and requests throw ConfigError naming the option', () => {
    const cases: [string, () => unknown][] = [
      ['strategy', () => new ResourceManager({ strategy: 'worst-fit' as never, nodes })],
      ['nodes[0].capacity.cpu', () => new ResourceManager({ nodes: [{ id: 'a', capacity: { cpu: -1 } }] })],
      ['nodes[0].capacity.cpu', () => new ResourceManager({ nodes: [{ id: 'a', capacity: { cpu: Number.NaN } }] })],
      ['nodes[1].id', () => new ResourceManager({ nodes: [{ id: 'a', capacity: {} }, { id: 'a', capacity: {} }] })],
    ];
    expect(() => new ResourceManager({ nodes }).allocate('t', { memory: -5 })).toThrow(/allocate: request.memory/);
    expect(() => new ResourceManager({ nodes }).allocate('', { memory: 1 })).toThrow(InvalidCommandError);
    for (const [field, make] of cases) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
    }
  });
});

describe('ResourceManager: properties', () => {
  it('never over-allocates over random allocate/release sequences, and used equals the sum of allocations', () => {
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('alloc' as const), task: fc.integer({ min: 0, max: 15 }), cpu: fc.integer({ min: 0, max: 6 }), memory: fc.integer({ min: 0, max: 20 }), gpu: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ op: fc.constant('release' as const), task: fc.integer({ min: 0, max: 15 }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom<PlacementStrategy>('first-fit', 'best-fit', 'spread'), fc.array(opArb, { maxLength: 80 }), (strategy, ops) => {
        let s: ResourceState = rm.init({ strategy, nodes });
        for (const o of ops) {
          deepFreeze(s);
          if (o.op === 'release') s = rm.step(s, { type: 'release', now: 0, taskId: `t${o.task}` }).state;
          else {
            const req = { cpu: o.cpu, memory: o.memory, gpu: o.gpu };
            const held = s.allocations[`t${o.task}`];
            const could = rm.canAllocate(s, req);
            try {
              const t = rm.step(s, { type: 'allocate', now: 0, taskId: `t${o.task}`, request: req });
              s = t.state;
              if (held === undefined) expect(t.outputs[0]!.type).toBe(could ? 'allocated' : 'insufficient');
            } catch (e) {
              expect(held).toBeDefined();
              expect(e).toBeInstanceOf(InvalidCommandError);
            }
          }
          for (const n of s.nodes) {
            const sums: Record<string, number> = {};
            for (const a of Object.values(s.allocations)) if (a.node === n.id) for (const [r, x] of Object.entries(a.request)) sums[r] = (sums[r] ?? 0) + x;
            for (const r of new Set([...Object.keys(n.used), ...Object.keys(sums)])) {
              expect(n.used[r] ?? 0).toBe(sums[r] ?? 0);
              expect(sums[r] ?? 0).toBeLessThanOrEqual(n.capacity[r] ?? 0);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('ResourceManager: the caller picks the node, and the notes\' API', () => {
  const make = () => new ResourceManager({ nodes: [{ id: 'w1', capacity: { cpu: 4, memory: 8 } }, { id: 'w2', capacity: { cpu: 4, memory: 8 } }] });

  it('places a task on the node the caller names, even where the strategy would not', () => {
    const rm = make();
    expect(rm.allocate('t3', { cpu: 1 }, 'w2')).toBe('w2');
    expect(rm.available('w2')).toEqual({ cpu: 3, memory: 8 });
    expect(rm.available('w1')).toEqual({ cpu: 4, memory: 8 });
  });

  it('a task that does not fit on the named node fails there, though another node has room', () => {
    const rm = make();
    rm.allocate('big', { cpu: 4 }, 'w2');
    expect(rm.canAllocate({ cpu: 1 }, 'w2')).toBe(false);
    expect(rm.canAllocate({ cpu: 1 }, 'w1')).toBe(true);
    expect(rm.canAllocate({ cpu: 1 })).toBe(true);
    expect(rm.tryAllocate('t', { cpu: 1 }, 'w2')).toBeUndefined();
    expect(() => rm.allocate('t', { cpu: 1 }, 'w2')).toThrow(InsufficientResourcesError);
    expect(rm.snapshot.allocations).not.toHaveProperty('t');
  });

  it('an unknown node is named in the error; canAllocate says no', () => {
    const rm = make();
    expect(() => rm.allocate('t', { cpu: 1 }, 'w9')).toThrow(/unknown node "w9"/);
    expect(rm.canAllocate({ cpu: 1 }, 'w9')).toBe(false);
  });

  it('removes a node: refused while it holds tasks, evicting them on request', () => {
    const rm = make();
    rm.allocate('a', { cpu: 1 }, 'w1');
    rm.allocate('b', { cpu: 1 }, 'w1');
    expect(() => rm.removeNode('w1')).toThrow(/still holds tasks "a", "b"/);
    expect(rm.removeNode('w1', { evict: true })).toEqual(['a', 'b']);
    expect(Object.keys(rm.available())).toEqual(['w2']);
    expect(rm.snapshot.allocations).toEqual({});
    expect(rm.removeNode('w2')).toEqual([]);
    expect(rm.tryAllocate('c', { cpu: 1 })).toBeUndefined();
  });

  it('the notes\' register_node / allocate_resources / release_resources / get_available_resources', () => {
    const rm = new ResourceManager();
    rm.registerNode('n1', { cpu: 2, memory: 1024 });
    expect(rm.allocateResources('n1', 'task-1', { cpu: 2, memory: 512 })).toBe(true);
    expect(rm.allocateResources('n1', 'task-2', { cpu: 1 })).toBe(false);
    expect(rm.allocateResources('n2', 'task-2', { cpu: 1 })).toBe(false);
    expect(rm.getAvailableResources('n1')).toEqual({ cpu: 0, memory: 512 });
    rm.releaseResources('n1', 'task-1');
    expect(rm.getAvailableResources('n1')).toEqual({ cpu: 2, memory: 1024 });
  });
});
