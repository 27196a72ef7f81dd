// Every `@example` in src/ and every TypeScript block of the guides in docs/ type-checks against the
// library as a user would write it, so neither the API reference nor a guide can drift from the API.
// The isomorphic modules are checked without Node's types; distkit/node and its guide with them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplesOf, root, sourcesIn, typeErrors } from '../support/doc-check.js';

const nodeOnly = new Set(['node', 'cli']);
const modules = readdirSync(join(root, 'src'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
// These guides build one program across several blocks (later blocks use earlier declarations),
// so their blocks do not type-check one by one; their @examples in src/ are still checked.
const continuedGuides = new Set(['checking.md', 'core.md', 'simulation.md']);
// Guides whose blocks run on Node (they import distkit/node): checked with Node's types.
const nodeGuides = new Set(['node.md', 'raft.md']);
const guides = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md') && !continuedGuides.has(f));

describe('documentation examples type-check', () => {
  it('in the isomorphic modules and their guides', () => {
    const all = examplesOf(
      ['src/index.ts', ...modules.filter((m) => !nodeOnly.has(m)).flatMap((m) => sourcesIn(`src/${m}`))],
      guides.filter((g) => !nodeGuides.has(g)).map((g) => `docs/${g}`),
    );
    expect(all.length).toBeGreaterThan(800);
    expect(typeErrors(all)).toEqual([]);
  });

  it('in distkit/node and its guide', () => {
    const all = examplesOf(sourcesIn('src/node'), [...nodeGuides].map((g) => `docs/${g}`));
    expect(all.length).toBeGreaterThan(3);
    expect(typeErrors(all, { node: true })).toEqual([]);
  });
});
