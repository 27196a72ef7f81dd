import { describe, expect, it } from 'vitest';
import { maekawa, ricartAgrawala, lamportMutex } from 'distkit/mutex';
import { explore } from './explore.js';

const nodes = ['a', 'b', 'c'];
// Larger bounds (minutes of CPU) run with DISTKIT_LONG=1 npx vitest run test/mutex/invariants.explore.
const long = process.env.DISTKIT_LONG === '1';

describe('exhaustive exploration, 3 nodes, every delivery order (bounded by requests per node)', () => {
  it('Ricart–Agrawala: mutual exclusion in every reachable state, no deadlock (1 request per node)', () => {
    const r = explore(ricartAgrawala, nodes.map((id) => ricartAgrawala.init({ id, nodes })), nodes, 1);
    expect(r.rejected).toEqual([]);
    expect(r).toMatchSnapshot();
  });

  if (long) {
    it('Ricart–Agrawala, 2 requests per node (long)', () => {
      const r = explore(ricartAgrawala, nodes.map((id) => ricartAgrawala.init({ id, nodes })), nodes, 2);
      expect(r.states).toBe(600878);
    }, 600_000);
  }

  it('Maekawa (grid quorums, INQUIRE/RELINQUISH/FAILED): mutual exclusion in every reachable state, no deadlock (1 request per node)', () => {
    const r = explore(maekawa, nodes.map((id) => maekawa.init({ id, nodes })), nodes, 1);
    expect(r.states).toBeGreaterThan(100);
    expect(r).toMatchSnapshot();
  });

  if (long) {
    it('Maekawa with full voting sets: every node votes on every request (long)', () => {
      const quorums = { a: nodes, b: nodes, c: nodes };
      const r = explore(maekawa, nodes.map((id) => maekawa.init({ id, nodes, quorums })), nodes, 1);
      expect(r.states).toBe(170041);
    }, 600_000);

    it('Lamport, 1 request per node (long)', () => {
      const r = explore(lamportMutex, nodes.map((id) => lamportMutex.init({ id, nodes })), nodes, 1);
      expect(r.states).toBe(1462417);
    }, 600_000);
  }

  it('Lamport, 2 nodes, 2 requests each: mutual exclusion and no deadlock', () => {
    const two = ['a', 'b'];
    const r = explore(lamportMutex, two.map((id) => lamportMutex.init({ id, nodes: two })), two, 2);
    expect(r).toMatchSnapshot();
  });
});
