import { describe, expect, it } from 'vitest';
import { modelCheck } from 'distkit/check';
import { transition, type Machine } from 'distkit/core';
import { maekawa, mutexInvariants, ricartAgrawala, type MutexInput } from 'distkit/mutex';

// The checker fires each node's commands in order at every possible point; a release that fires
// before the node entered (or a second request) is a no-op here, so every interleaving is legal.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function lenient<S extends { phase: string }>(m: Machine<any, S, MutexInput, unknown>): Machine<unknown, S, MutexInput, unknown> {
  return {
    name: `${m.name}-lenient`,
    init: (c) => m.init(c),
    step(s, input) {
      if (input.type === 'release' && s.phase !== 'held') return transition(s);
      if (input.type === 'request' && s.phase !== 'idle') return transition(s);
      return m.step(s, input);
    },
  };
}

const ids = ['a', 'b', 'c'];
const commands = ids.flatMap((node) => [
  { node, input: { type: 'request' } },
  { node, input: { type: 'release' } },
]);

describe('distkit/check: bounded model checking with 3 nodes, every interleaving', () => {
  it('Ricart–Agrawala: mutual exclusion holds in every reachable state (complete)', () => {
    const r = modelCheck<{ phase: string }>({
      nodes: ids.map((id) => ({ id, machine: lenient(ricartAgrawala), config: { id, nodes: ids } })),
      commands,
      invariants: mutexInvariants(),
      maxDepth: 40,
      maxStates: 500_000,
    });
    expect(r.violation).toBeUndefined();
    expect(r.status).toBe('complete');
    expect(r.states).toMatchSnapshot();
  });

  it('Maekawa with grid quorums and INQUIRE/RELINQUISH/FAILED: mutual exclusion holds in every reachable state (complete)', () => {
    const r = modelCheck<{ phase: string }>({
      nodes: ids.map((id) => ({ id, machine: lenient(maekawa), config: { id, nodes: ids } })),
      commands,
      invariants: mutexInvariants(),
      maxDepth: 60,
      maxStates: 500_000,
    });
    expect(r.violation).toBeUndefined();
    expect(r.status).toBe('complete');
    expect(r.states).toMatchSnapshot();
  });
});
