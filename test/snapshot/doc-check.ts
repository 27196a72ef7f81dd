// Shared by the documentation tests: collect `@example` blocks of source files and ```ts blocks of
// a guide, and type-check them against the library; find a guide's ```mermaid blocks.
import ts from 'typescript';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Example {
  readonly name: string;
  readonly code: string;
}

export function guideBlocks(guide: string, lang: string): string[] {
  const text = readFileSync(join(root, guide), 'utf8');
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

export function examplesOf(sources: readonly string[], guide: string): Example[] {
  const out: Example[] = guideBlocks(guide, 'ts').map((code, i) => ({ name: `${guide} block ${i + 1}`, code }));
  for (const file of sources) {
    const text = readFileSync(join(root, file), 'utf8');
    [...text.matchAll(/@example\n \* ```ts\n([\s\S]*?) \* ```/g)].forEach((m, i) =>
      out.push({ name: `${file} example ${i + 1}`, code: m[1]!.split('\n').map((l) => l.replace(/^ \* ?/, '')).join('\n') }),
    );
  }
  return out;
}

/** Type errors of the examples, as `name: message` lines. */
export function typeErrors(examples: readonly Example[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'distkit-doc-examples-'));
  try {
    const files = examples.map((e, i) => {
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
    return ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && d.file.fileName.startsWith(dir))
      .map((d) => {
        const i = Number(/example(\d+)\.ts$/.exec(d.file!.fileName)![1]);
        return `${examples[i]!.name}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
