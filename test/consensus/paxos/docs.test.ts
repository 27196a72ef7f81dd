// docs/paxos.md cannot rot: its Mermaid diagrams are regenerated from the seeded simulator runs
// they were drawn from, and every TypeScript block there and every @example in
// src/consensus/paxos type-checks against the library. After an intended change to the machines
// or the simulator, `UPDATE_PAXOS_DOCS=1 npx vitest run test/consensus/paxos/docs.test.ts`
// rewrites the diagrams in the guide.
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { basicDiagram, fastDiagram, multiDiagram } from './diagrams.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const guidePath = join(root, 'docs/paxos.md');
if (process.env.UPDATE_PAXOS_DOCS === '1') {
  const fresh = [basicDiagram(), multiDiagram(), fastDiagram()];
  let i = 0;
  writeFileSync(guidePath, readFileSync(guidePath, 'utf8').replace(/```mermaid\n[\s\S]*?```/g, () => `\`\`\`mermaid\n${fresh[i++] ?? ''}\`\`\``));
}
const guide = readFileSync(guidePath, 'utf8');

describe('docs/paxos.md', () => {
  it('holds exactly the Mermaid diagrams the seeded simulator runs produce, in order', () => {
    const blocks = [...guide.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual([basicDiagram(), multiDiagram(), fastDiagram()]);
    // The diagrams show what the text claims: a decision, deliveries, a collision.
    expect(blocks[0]).toMatch(/decided/);
    expect(blocks[1]).toMatch(/deliver/);
    expect(blocks[2]).toMatch(/collision/);
  });

  it('TypeScript blocks and @examples type-check', () => {
    const all: { name: string; code: string }[] = [];
    [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((m, i) => all.push({ name: `docs/paxos.md block ${i + 1}`, code: m[1]! }));
    const dir0 = join(root, 'src/consensus/paxos');
    for (const file of readdirSync(dir0).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(dir0, file), 'utf8');
      [...text.matchAll(/@example\n \* ```ts\n([\s\S]*?) \* ```/g)].forEach((m, i) =>
        all.push({ name: `src/consensus/paxos/${file} example ${i + 1}`, code: m[1]!.split('\n').map((l) => l.replace(/^ \* ?/, '')).join('\n') }),
      );
    }
    expect(all.length).toBeGreaterThan(60);
    const dir = mkdtempSync(join(tmpdir(), 'distkit-paxos-docs-'));
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
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
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
