// Every `@example` of src/clocks and every code block of docs/clocks.md type-checks against the
// library, so the documentation cannot drift from the API.
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function examples(): { name: string; code: string }[] {
  const out: { name: string; code: string }[] = [];
  const guide = readFileSync(join(root, 'docs/clocks.md'), 'utf8');
  [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((m, i) => out.push({ name: `docs/clocks.md block ${i + 1}`, code: m[1]! }));
  for (const file of readdirSync(join(root, 'src/clocks')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(root, 'src/clocks', file), 'utf8');
    [...text.matchAll(/@example\n \* ```ts\n([\s\S]*?) \* ```/g)].forEach((m, i) =>
      out.push({
        name: `src/clocks/${file} example ${i + 1}`,
        code: m[1]!
          .split('\n')
          .map((l) => l.replace(/^ \* ?/, ''))
          .join('\n'),
      }),
    );
  }
  return out;
}

describe('documentation examples', () => {
  it('type-check', () => {
    const all = examples();
    expect(all.length).toBeGreaterThan(90);
    const dir = mkdtempSync(join(tmpdir(), 'distkit-clocks-docs-'));
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
