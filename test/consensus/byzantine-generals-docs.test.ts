// docs/byzantine.md shows a diagram generated from a simulator trace and code that must compile.
import { describe, expect, it } from 'vitest';
import { examplesOf, guideBlocks, typeErrors } from '../snapshot/doc-check.js';
import { omDiagram } from './byzantine-generals-diagram.js';

describe('docs/byzantine.md, section OM(m)', () => {
  it('shows exactly the Mermaid diagram the simulator produces for OM(1), n = 4', () => {
    const diagram = omDiagram();
    expect(diagram.split('\n').filter((l) => l.includes('->>'))).toHaveLength(9);
    expect(guideBlocks('docs/byzantine.md', 'mermaid')).toContain(diagram);
  });

  it('every @example of byzantine-generals.ts and every code block of the guide type-checks', () => {
    const all = examplesOf(['src/consensus/byzantine-generals.ts'], 'docs/byzantine.md');
    expect(all.length).toBeGreaterThan(12);
    expect(typeErrors(all)).toEqual([]);
  });
});
