// The site lists the guides as a learning path: every guide in docs/ is in typedoc.config.mjs's
// ordered list, once, starting with getting started.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../support/doc-check.js';

describe('the guides', () => {
  it('are all in the learning path, once each, starting with getting started', async () => {
    const { guides } = (await import(join(root, 'typedoc.config.mjs'))) as { guides: string[] };
    const files = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3));
    expect([...guides].sort()).toEqual(files.sort());
    expect(new Set(guides).size).toBe(guides.length);
    expect(guides[0]).toBe('getting-started');
  });
});
