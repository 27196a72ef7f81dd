// Every TypeScript code block in the README is also in examples/, where a test runs it.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
const examples = files(join(root, 'examples')).map((p) => ({ p, text: norm(readFileSync(p, 'utf8')) }));

describe('README', () => {
  it('has the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toMatch(/\nnpm test\n/);
  });

  it('has TypeScript examples', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((b, i) => [i, b] as const))('code block %i is whole TypeScript (parses without errors)', (_i, block) => {
    const { diagnostics = [] } = ts.transpileModule(block, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });

  it.each(blocks.map((b, i) => [i, b] as const))('code block %i appears verbatim in examples/', (_i, block) => {
    const found = examples.find((e) => e.text.includes(norm(block)));
    expect(found, `README block not found in examples/:\n${block}`).toBeDefined();
  });
});
