// The message diagrams of docs/byzantine.md, generated from short seeded simulator runs.
import { simulate, toMermaid, type SimNode } from 'distkit/sim';
import { clientMachine, ids, replicaMachine } from './harness.js';

// A fixed 2 ms delay keeps the diagrams readable (whole-millisecond times).
const LAN = { delay: { type: 'fixed', ms: 2 } } as const;

function nodes(): SimNode[] {
  const replicas = ids(4);
  const everyone = [...replicas, 'c0'];
  return [
    ...replicas.map((id): SimNode => ({ id, machine: replicaMachine(id, everyone), config: { id, replicas, viewChangeTimeoutMs: 100 } })),
    { id: 'c0', machine: clientMachine('c0', everyone), config: { id: 'c0', replicas, retransmitMs: 60 } },
  ];
}

/** One request, f = 1, no faults: request, pre-prepare, prepare, commit, reply. */
export function normalCaseDiagram(): string {
  const r = simulate({ seed: 1, nodes: nodes(), network: LAN, commands: [{ at: 0, node: 'c0', input: { type: 'request', operation: 'x' } }] });
  return toMermaid(r.trace);
}

/** One request while the primary r0 is crashed: the client broadcasts, the backups change view. */
export function viewChangeDiagram(): string {
  const r = simulate({
    seed: 1,
    nodes: nodes(),
    network: LAN,
    faults: [{ at: 0, fault: { type: 'crash', node: 'r0' } }],
    commands: [{ at: 1, node: 'c0', input: { type: 'request', operation: 'x' } }],
  });
  return toMermaid(r.trace, { drops: false });
}
