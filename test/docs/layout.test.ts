// docs/layout.md is the picture of src/: it names every source file, and only files that exist.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../support/doc-check.js';

const doc = readFileSync(join(root, 'docs/layout.md'), 'utf8');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : n.endsWith('.ts') ? [relative(src, p)] : [];
  });
}

describe('docs/layout.md', () => {
  const sources = files(src).filter((f) => f.includes('/'));
  const named = [...doc.matchAll(/^([a-z0-9-]+(?:\/[a-z0-9-]+)*\.ts)\b/gm)].map((m) => m[1]!);

  it('names every file under src/', () => {
    expect(sources.filter((f) => !named.includes(f))).toEqual([]);
  });

  it('names only files that exist, once each', () => {
    expect(named.filter((f) => !sources.includes(f))).toEqual([]);
    expect(named.filter((f, i) => named.indexOf(f) !== i)).toEqual([]);
  });

  it('lists every folder of src/ in the layers table', () => {
    const table = doc.slice(doc.indexOf('## Layers'), doc.indexOf('## core'));
    const folders = readdirSync(src).filter((n) => statSync(join(src, n)).isDirectory());
    expect(folders.filter((f) => !table.includes(`\`${f}\``))).toEqual([]);
  });
});
