// docs/snapshot.md shows a diagram generated from a simulator trace and code that must compile;
// both are checked here so the guide cannot drift from the library.
import { describe, expect, it } from 'vitest';
import { examplesOf, guideBlocks, typeErrors } from './doc-check.js';
import { snapshotDiagram } from './diagrams.js';

describe('docs/snapshot.md', () => {
  it('shows exactly the Mermaid diagram the simulator produces for the documented run', () => {
    const diagram = snapshotDiagram();
    expect(diagram.split('\n')).toContain('  n0->>n1: app (6.136 ms)');
    expect(guideBlocks('docs/snapshot.md', 'mermaid')).toEqual([diagram]);
  });

  it('every @example of src/snapshot and every code block of the guide type-checks', () => {
    const all = examplesOf(['src/snapshot/chandy-lamport.ts', 'src/snapshot/index.ts'], 'docs/snapshot.md');
    expect(all.length).toBeGreaterThan(15);
    expect(typeErrors(all)).toEqual([]);
  });
});
