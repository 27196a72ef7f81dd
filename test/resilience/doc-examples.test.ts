// Every `@example` in src/resilience, src/hashing, src/mutex and src/election, and every code block
// of their guides in docs/, type-checks against the library, so the documentation cannot drift
// from the API.
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const modules = ['resilience', 'hashing', 'mutex', 'election'];

function examples(): { name: string; code: string }[] {
  const out: { name: string; code: string }[] = [];
  for (const mod of modules) {
    const guide = readFileSync(join(root, 'docs', `${mod}.md`), 'utf8');
    [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((m, i) => out.push({ name: `docs/${mod}.md block ${i + 1}`, code: m[1]! }));
    for (const file of readdirSync(join(root, 'src', mod)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(root, 'src', mod, file), 'utf8');
      [...text.matchAll(/@example\n\s*\* ```ts\n([\s\S]*?)\s*\* ```/g)].forEach((m, i) =>
        out.push({
          name: `src/${mod}/${file} example ${i + 1}`,
          code: m[1]!
            .split('\n')
            .map((l) => l.replace(/^\s*\* ?/, ''))
            .join('\n'),
        }),
      );
    }
  }
  return out;
}

describe('API reference and guide examples', () => {
  it('type-check', () => {
    const all = examples();
    expect(all.length).toBeGreaterThan(250);
    const dir = mkdtempSync(join(tmpdir(), 'distkit-doc-examples-'));
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
        .map((d) => {
          const i = Number(/example(\d+)\.ts$/.exec(d.file!.fileName)![1]);
          return `${all[i]!.name}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
