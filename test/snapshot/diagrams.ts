// The runs behind the sequence diagrams in docs/snapshot.md and docs/byzantine.md; a test
// regenerates each one and checks that the guide shows exactly that diagram.
import { simulate, toMermaid } from 'distkit/sim';
import { bankNodes } from './bank.js';

/** Three bank nodes; b starts snapshot s1 while deposits a→b and c→a are under way. */
export function snapshotDiagram(): string {
  const nodes = ['a', 'b', 'c'];
  const r = simulate({
    seed: 3,
    nodes: bankNodes(nodes, 100),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 10 }, fifo: true },
    commands: [
      { at: 0, node: 'a', input: { type: 'transfer', to: 'b', amount: 20 } },
      { at: 1, node: 'b', input: { type: 'initiateSnapshot', snapshotId: 's1' } },
      { at: 2, node: 'c', input: { type: 'transfer', to: 'a', amount: 5 } },
    ],
  });
  return toMermaid(r.trace);
}
