// The short seeded runs whose Mermaid diagrams appear in docs/paxos.md.
import { simulate, toMermaid } from 'distkit/sim';
import { basicPaxos, fastPaxos, multiPaxos, type FastPaxosState } from 'distkit/consensus';

const network = { delay: { type: 'uniform' as const, minMs: 1, maxMs: 5 } };

export function basicDiagram(): string {
  const ids = ['a', 'b', 'c'];
  const r = simulate({
    seed: 1,
    nodes: ids.map((id) => ({ id, machine: basicPaxos, config: { id, acceptors: ids, proposers: ['a'], learners: ['a'], seed: 1 } })),
    network,
    commands: [{ at: 0, node: 'a', input: { type: 'propose', value: 'x' } }],
    maxTimeMs: 50,
  });
  return toMermaid(r.trace);
}

export function multiDiagram(): string {
  const ids = ['a', 'b', 'c'];
  const r = simulate({
    seed: 2,
    nodes: ids.map((id) => ({ id, machine: multiPaxos, config: { id, acceptors: ids, seed: 1, heartbeatIntervalMs: 1000, electionTimeoutMs: 5000 } })),
    network,
    commands: [
      { at: 0, node: 'a', input: { type: 'campaign' } },
      { at: 20, node: 'a', input: { type: 'propose', value: 'put x 1' } },
      { at: 40, node: 'a', input: { type: 'propose', value: 'put y 2' } },
    ],
    maxTimeMs: 60,
  });
  return toMermaid(r.trace);
}

export function fastDiagram(): string {
  const acceptors = ['a1', 'a2', 'a3', 'a4'];
  const all = [...acceptors, 'p1', 'p2'];
  const r = simulate({
    seed: 1,
    nodes: all.map((id) => ({ id, machine: fastPaxos, config: { id, acceptors, coordinators: ['a1'], proposers: ['p1', 'p2'], learners: ['a1', 'p1', 'p2'], seed: 1 } })),
    network,
    commands: [
      { at: 20, node: 'p1', input: { type: 'propose', value: 'x' } },
      { at: 20, node: 'p2', input: { type: 'propose', value: 'y' } },
    ],
    maxTimeMs: 80,
    stopWhen: (view) => ['p1', 'p2'].every((id) => (view.states[id] as FastPaxosState).learner?.decided != null),
  });
  return toMermaid(r.trace);
}
