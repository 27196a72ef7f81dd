import { describe, expect, it } from 'vitest';
import { modelCheck, type CheckableMachine } from 'distkit/check';
import { basicPaxos, basicPaxosInvariants, type BasicPaxosConfig, type BasicPaxosState } from 'distkit/consensus';
import { Net } from './net.js';

const ACCEPTORS = ['a', 'b', 'c'];
const PROPOSERS = ['p', 'q'];
const config = (id: string): BasicPaxosConfig => ({ id, acceptors: ACCEPTORS, proposers: PROPOSERS, learners: [], seed: 1, phaseTimeoutMs: 50, backoffMinMs: 5, backoffMaxMs: 20 });
const nodes = (machine: CheckableMachine<BasicPaxosState> = basicPaxos, initial: Record<string, BasicPaxosState> = {}) =>
  [...ACCEPTORS, ...PROPOSERS].map((id) => ({ id, machine, config: config(id), ...(initial[id] ? { initialState: initial[id] } : {}) }));
const commands = [
  { node: 'p', input: { type: 'propose', value: 'x' } },
  { node: 'q', input: { type: 'propose', value: 'y' } },
];
const invariants = () => basicPaxosInvariants({ proposed: ['x', 'y'] });

// The acceptors' votes go to the proposers only (no separate learners): a proposer that sees a
// majority accept its value counts as having learned it. Breadth-first exploration of every interleaving of deliveries, commands and (where enabled)
// timeouts, to a depth bound: every state up to that depth is visited (status 'bounded' with
// bound 'depth' means the state cap was never hit).

describe('model checking Basic Paxos: 3 acceptors, 2 duelling proposers', () => {
  it('every interleaving to depth 13: agreement and validity', () => {
    const r = modelCheck<BasicPaxosState>({ nodes: nodes(), commands, invariants: invariants(), maxDepth: 13, maxStates: 200_000 });
    expect(r.violation).toBeUndefined();
    expect(r.bound).toBe('depth');
    expect(r.depth).toBe(13);
    expect(r.states).toBeGreaterThan(30_000);
  });

  it('with retries: proposer p times out and retries with higher ballots, to depth 10', () => {
    const r = modelCheck<BasicPaxosState>({ nodes: nodes(), commands, timeouts: ['p'], invariants: invariants(), maxDepth: 10, maxStates: 200_000 });
    expect(r.violation).toBeUndefined();
    expect(r.bound).toBe('depth');
    expect(r.states).toBeGreaterThan(15_000);
  });

  it('with one message loss, one duplication and one crash-restart (recovery from durable state), to depth 7', () => {
    const r = modelCheck<BasicPaxosState>({ nodes: nodes(), commands, faults: { loss: 1, duplication: 1, crashes: 1 }, invariants: invariants(), maxDepth: 7, maxStates: 200_000 });
    expect(r.violation).toBeUndefined();
    expect(r.bound).toBe('depth');
    expect(r.states).toBeGreaterThan(20_000);
  });

  it('finds the classic bug: a proposer that ignores the accepted values reported in promises (PMS §2.2 P2c)', () => {
    const forgetful: CheckableMachine<BasicPaxosState> = {
      ...basicPaxos,
      step(state, input) {
        const i = input as { type: string; message?: { type?: string } };
        if (i.type === 'message' && i.message?.type === 'promise') return basicPaxos.step(state, { ...(input as object), message: { ...i.message, accepted: null } } as never);
        return basicPaxos.step(state, input as never);
      },
    };
    const r = modelCheck<BasicPaxosState>({ nodes: nodes(forgetful), commands, invariants: invariants(), maxDepth: 14, maxStates: 200_000 });
    expect(r.status).toBe('violation');
    expect(r.violation!.invariant).toMatch(/agreement/);
  });

  it('finds an acceptor that forgets its promise and vote in a crash (PMS §2.5: acceptors need stable storage)', () => {
    // Start where x is chosen: a and b accepted x in p's ballot and p learned it (q has not heard).
    const net = new Net(basicPaxos, Object.fromEntries([...ACCEPTORS, ...PROPOSERS].map((id) => [id, config(id)])));
    net.input('p', { type: 'propose', value: 'x' });
    net.run((e) => e.to !== 'c' && e.to !== 'q');
    expect(net.states.p!.proposer).toMatchObject({ phase: 'done', proposal: { value: 'x' } });
    const amnesiac: CheckableMachine<BasicPaxosState> = { ...basicPaxos, recover: (c: BasicPaxosConfig) => basicPaxos.init(c) };
    const initial = net.states;
    const ok = modelCheck<BasicPaxosState>({ nodes: nodes(basicPaxos, initial), commands: [commands[1]!], faults: { crashes: 1 }, invariants: invariants(), maxDepth: 10, maxStates: 200_000 });
    expect(ok.violation).toBeUndefined();
    const bad = modelCheck<BasicPaxosState>({ nodes: nodes(amnesiac, initial), commands: [commands[1]!], faults: { crashes: 1 }, invariants: invariants(), maxDepth: 10, maxStates: 200_000 });
    expect(bad.status).toBe('violation');
  });
});
