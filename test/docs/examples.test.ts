// Every `@example` in src/ and every TypeScript block of the guides in docs/ type-checks against the
// library as a user would write it, so neither the API reference nor a guide can drift from the API.
// The isomorphic modules are checked without Node's types; distkit/node, distkit/redis and their guides with them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplesOf, root, sourcesIn, typeErrors } from '../support/doc-check.js';

const nodeOnly = new Set(['node', 'redis', 'cli']);
const modules = readdirSync(join(root, 'src'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
// Guides whose blocks run on Node (they import distkit/node or distkit/redis): checked with Node's types.
const nodeGuides = new Set(['node.md', 'raft.md', 'redis.md', 'messaging.md', 'event-sourcing.md']);
// Every block of every guide type-checks on its own.
const guides = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
// Type-checking every example is one TypeScript program of a thousand files: give it time.
const TIMEOUT_MS = 300_000;

describe('documentation examples type-check', () => {
  it('in the isomorphic modules and their guides', () => {
    const all = examplesOf(
      ['src/index.ts', ...modules.filter((m) => !nodeOnly.has(m)).flatMap((m) => sourcesIn(`src/${m}`))],
      guides.filter((g) => !nodeGuides.has(g)).map((g) => `docs/${g}`),
    );
    expect(all.length).toBeGreaterThan(800);
    expect(typeErrors(all)).toEqual([]);
  }, TIMEOUT_MS);

  it('in distkit/node, distkit/redis and their guides', () => {
    const all = examplesOf([...sourcesIn('src/node'), ...sourcesIn('src/redis')], [...nodeGuides].map((g) => `docs/${g}`));
    expect(all.length).toBeGreaterThan(3);
    expect(typeErrors(all, { node: true })).toEqual([]);
  }, TIMEOUT_MS);
});
