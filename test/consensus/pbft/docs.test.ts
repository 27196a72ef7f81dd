// docs/byzantine.md: its PBFT message diagrams are exactly what the simulator produces today
// (test/docs/examples.test.ts type-checks its code).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalCaseDiagram, viewChangeDiagram } from './diagram.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const guide = readFileSync(join(root, 'docs/byzantine.md'), 'utf8');

describe('docs/byzantine.md', () => {
  it('starts with the Byzantine heading and its PBFT section', () => {
    expect(guide.replace(/^---\n[\s\S]*?\n---\n\n/, '').startsWith('# Byzantine fault tolerance\n')).toBe(true);
    expect(guide).toContain('\n## PBFT\n');
  });

  it('its message diagrams are the ones generated from the seeded simulator runs', () => {
    const pbftSection = guide.slice(guide.indexOf('\n## PBFT\n'));
    const blocks = [...pbftSection.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual([normalCaseDiagram(), viewChangeDiagram()]);
  });
});
