// The run behind the sequence diagram in docs/byzantine.md: OM(1) with n = 4, a loyal commander
// ordering "attack" and a traitorous lieutenant l3 relaying "retreat" (LSP Fig. 3).
import { simulate, toMermaid } from 'distkit/sim';
import { omNodes } from './byzantine-generals-traitors.js';

export function omDiagram(): string {
  const r = simulate({
    seed: 1,
    nodes: omNodes({ generals: ['c', 'l1', 'l2', 'l3'], commander: 'c', m: 1, order: 'attack', traitors: { l3: { kind: 'constant', value: 'retreat' } }, roundTimeoutMs: 20 }),
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 5 } },
  });
  return toMermaid(r.trace);
}
