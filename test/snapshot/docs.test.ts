// docs/snapshot.md shows a diagram generated from a simulator trace, checked here so the guide
// cannot drift from the library (test/docs/examples.test.ts type-checks its code).
import { describe, expect, it } from 'vitest';
import { guideBlocks } from '../support/doc-check.js';
import { snapshotDiagram } from './diagrams.js';

describe('docs/snapshot.md', () => {
  it('shows exactly the Mermaid diagram the simulator produces for the documented run', () => {
    const diagram = snapshotDiagram();
    expect(diagram.split('\n')).toContain('  n0->>n1: app (6.136 ms)');
    expect(guideBlocks('docs/snapshot.md', 'mermaid')).toEqual([diagram]);
  });
});
