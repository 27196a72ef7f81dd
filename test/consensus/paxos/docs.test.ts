// docs/paxos.md cannot rot: its Mermaid diagrams are regenerated from the seeded simulator runs
// they were drawn from (test/docs/examples.test.ts type-checks its code). After an intended change to the machines
// or the simulator, `UPDATE_PAXOS_DOCS=1 npx vitest run test/consensus/paxos/docs.test.ts`
// rewrites the diagrams in the guide.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { basicDiagram, fastDiagram, multiDiagram } from './diagrams.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const guidePath = join(root, 'docs/paxos.md');
if (process.env.UPDATE_PAXOS_DOCS === '1') {
  const fresh = [basicDiagram(), multiDiagram(), fastDiagram()];
  let i = 0;
  writeFileSync(guidePath, readFileSync(guidePath, 'utf8').replace(/```mermaid\n[\s\S]*?```/g, () => `\`\`\`mermaid\n${fresh[i++] ?? ''}\`\`\``));
}
const guide = readFileSync(guidePath, 'utf8');

describe('docs/paxos.md', () => {
  it('holds exactly the Mermaid diagrams the seeded simulator runs produce, in order', () => {
    const blocks = [...guide.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual([basicDiagram(), multiDiagram(), fastDiagram()]);
    // The diagrams show what the text claims: a decision, deliveries, a collision.
    expect(blocks[0]).toMatch(/decided/);
    expect(blocks[1]).toMatch(/deliver/);
    expect(blocks[2]).toMatch(/collision/);
  });
});
