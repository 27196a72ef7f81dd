// The model checker over small COPS configurations: every interleaving of the writes, deliveries,
// resends, a lost message and a crash (also between a persist and its sends), up to a depth bound
// (the resend timer makes the space infinite, so the search is bounded by depth, not complete).
import { describe, expect, it } from 'vitest';
import { formatModelCheckPath, modelCheck, type ModelCheckResult } from '../../src/check/index.js';
import type { Invariant } from '../../src/core/index.js';
import { copsConvergence, copsInvariants, copsReplica, type CopsState } from '../../src/replication/index.js';
import { copsMachine } from '../../src/replication/cops.js';

const put = (node: string, id: number, key: string, value: unknown, deps: unknown[] = []) => ({ node, input: { type: 'put', id, key, value, deps } });
const explain = (r: ModelCheckResult<unknown>) => (r.violation ? `${r.violation.invariant}: ${r.violation.description}\n${formatModelCheckPath(r.violation.path)}` : '');

describe('COPS, model-checked', () => {
  it('two replicas: concurrent writes of one key; under a lost message and a crash every settled run has converged and no invariant breaks', () => {
    const replicas = ['a', 'b'];
    const r = modelCheck<unknown>({
      nodes: replicas.map((id) => ({ id, machine: copsReplica, config: { id, replicas, replicateIntervalMs: 10 } })),
      commands: [put('a', 1, 'x', 'a1'), put('b', 2, 'x', 'b1')],
      timeouts: true,
      faults: { loss: 1, crashes: 1 },
      invariants: copsInvariants() as Invariant<unknown>[],
      atTerminal: [copsConvergence() as Invariant<unknown>],
      maxDepth: 9,
      maxStates: 200_000,
    });
    if (r.violation) throw new Error(explain(r));
    expect(r.status).toBe('bounded');
    expect(r.states).toBeGreaterThan(10_000);
    expect(r.terminal).toBeGreaterThan(0);
  }, 300_000);

  /** a writes the photo; b, once it sees it, writes the album depending on it; c hears both in any order. */
  const photoAlbum = (dependencyCheck: boolean) => {
    const replicas = ['a', 'b', 'c'];
    const machine = dependencyCheck ? copsReplica : copsMachine({ dependencyCheck: false });
    return modelCheck<unknown>({
      nodes: replicas.map((id) => ({ id, machine, config: { id, replicas, replicateIntervalMs: 10 } })),
      commands: [put('a', 1, 'photo', 'p.jpg'), put('b', 2, 'album', ['photo'], [{ key: 'photo', version: { time: 1, node: 'a' } }])],
      timeouts: true,
      faults: { loss: 1 },
      invariants: copsInvariants() as Invariant<unknown>[],
      atTerminal: [copsConvergence() as Invariant<unknown>],
      maxDepth: 10,
      maxStates: 200_000,
    });
  };

  it('three replicas (COPS §4.3): c never shows the album without the photo, in any order of arrival or with a lost message', () => {
    const r = photoAlbum(true);
    if (r.violation) throw new Error(explain(r));
    expect(r.status).toBe('bounded');
    expect(r.states).toBeGreaterThan(10_000);
    expect(r.terminal).toBeGreaterThan(0);
  }, 300_000);

  it('control: without dep_check the checker finds c showing the album before the photo', () => {
    const r = photoAlbum(false);
    expect(r.status).toBe('violation');
    expect(r.violation?.invariant).toBe('a visible write has its dependencies visible');
    const c = (r.violation?.states as Record<string, CopsState> | undefined)?.['c'];
    expect(c !== undefined && Object.hasOwn(c.store, 'album') && !Object.hasOwn(c.store, 'photo')).toBe(true);
  }, 300_000);
});
