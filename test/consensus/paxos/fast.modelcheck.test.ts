import { describe, expect, it } from 'vitest';
import { modelCheck } from 'distkit/check';
import { fastPaxos, fastPaxosInvariants, type FastPaxosConfig, type FastPaxosState } from 'distkit/consensus';
import { Net } from './net.js';

describe('model checking Fast Paxos: 4 acceptors (fast quorum 3), 2 proposers racing in an open fast round', () => {
  const ACC = ['a1', 'a2', 'a3', 'a4'];
  const all = [...ACC, 'p1', 'p2'];
  const fcfg = (id: string): FastPaxosConfig => ({ id, acceptors: ACC, coordinators: ['a1'], proposers: ['p1', 'p2'], learners: [], seed: 1 });
  // Start with fast round (1, a1) open: phase 1 done and "any" delivered to every acceptor.
  const net = new Net(fastPaxos, Object.fromEntries(all.map((id) => [id, fcfg(id)])));
  net.tick('a1', 0);
  net.run();
  const fnodes = all.map((id) => ({ id, machine: fastPaxos, config: fcfg(id), initialState: net.states[id]! }));
  const race = [
    { node: 'p1', input: { type: 'propose', value: 'x' } },
    { node: 'p2', input: { type: 'propose', value: 'y' } },
  ];

  it('the whole state space: agreement and validity everywhere, collisions recovered, and both proposers learn the value in every final state', () => {
    expect(net.states.a2!.acceptor!.anyBallot).not.toBeNull();
    const r = modelCheck<FastPaxosState>({
      nodes: fnodes,
      commands: race,
      invariants: fastPaxosInvariants({ proposed: ['x', 'y'] }),
      atTerminal: [{ name: 'both proposers learned the chosen value', check: (states) => (['p1', 'p2'].every((id) => states[id]!.client!.decided !== null) ? undefined : 'a proposer is still waiting') }],
      maxDepth: 60,
      maxStates: 200_000,
    });
    expect(r.violation).toBeUndefined();
    expect(r.status).toBe('complete');
    expect(r.states).toBeGreaterThan(10_000);
    expect(r.terminal).toBeGreaterThan(10);
  });

  it('with one crash-restart of any node, to depth 10', () => {
    const r = modelCheck<FastPaxosState>({ nodes: fnodes, commands: race, faults: { crashes: 1 }, invariants: fastPaxosInvariants({ proposed: ['x', 'y'] }), maxDepth: 10, maxStates: 200_000 });
    expect(r.violation).toBeUndefined();
    expect(r.bound).toBe('depth');
    expect(r.states).toBeGreaterThan(10_000);
  });
});
