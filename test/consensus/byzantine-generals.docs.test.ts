// docs/byzantine.md shows a diagram generated from a simulator trace (test/docs/examples.test.ts
// type-checks its code).
import { describe, expect, it } from 'vitest';
import { guideBlocks } from '../support/doc-check.js';
import { omDiagram } from './byzantine-generals-diagram.js';

describe('docs/byzantine.md, section OM(m)', () => {
  it('shows exactly the Mermaid diagram the simulator produces for OM(1), n = 4', () => {
    const diagram = omDiagram();
    expect(diagram.split('\n').filter((l) => l.includes('->>'))).toHaveLength(9);
    expect(guideBlocks('docs/byzantine.md', 'mermaid')).toContain(diagram);
  });
});
