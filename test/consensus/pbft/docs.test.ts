// docs/byzantine.md: its PBFT message diagrams are exactly what the simulator produces today, and
// its code blocks, like every `@example` of src/consensus/pbft, type-check against the library.
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('code blocks and @examples type-check', () => {
    const all: { name: string; code: string }[] = [];
    [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((m, i) => all.push({ name: `docs/byzantine.md block ${i + 1}`, code: m[1]! }));
    const dirSrc = join(root, 'src/consensus/pbft');
    for (const file of readdirSync(dirSrc).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(dirSrc, file), 'utf8');
      [...text.matchAll(/@example\n \* ```ts\n([\s\S]*?) \* ```/g)].forEach((m, i) =>
        all.push({ name: `src/consensus/pbft/${file} example ${i + 1}`, code: m[1]!.split('\n').map((l) => l.replace(/^ \* ?/, '')).join('\n') }),
      );
    }
    expect(all.length).toBeGreaterThan(40);
    const dir = mkdtempSync(join(tmpdir(), 'distkit-pbft-docs-'));
    try {
      const files = all.map((e, i) => {
        const f = join(dir, `example${i}.ts`);
        writeFileSync(f, `${e.code}\nexport {};\n`);
        return f;
      });
      const program = ts.createProgram(files, {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2022.d.ts'],
        types: [],
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: true,
        noEmit: true,
        paths: { 'distkit/*': [join(root, 'src/*/index.ts')] },
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file !== undefined && d.file.fileName.startsWith(dir))
        .map((d) => `${all[Number(/example(\d+)\.ts$/.exec(d.file!.fileName)![1])]!.name}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
