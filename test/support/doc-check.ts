// Shared by the documentation tests: collect the `@example` blocks of source files and the ```ts
// blocks of guides, type-check them against the library as a user would write them, and find a
// guide's ```mermaid blocks.
import ts from 'typescript';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Example {
  readonly name: string;
  readonly code: string;
}

/** The ```lang blocks of a guide (path relative to the repository root). */
export function guideBlocks(guide: string, lang: string): string[] {
  const text = readFileSync(join(root, guide), 'utf8');
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** Every .ts file below `dir` (relative to the repository root), as root-relative paths. */
export function sourcesIn(dir: string): string[] {
  const walk = (abs: string): string[] =>
    readdirSync(abs).flatMap((n) => {
      const p = join(abs, n);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [relative(root, p)] : [];
    });
  return walk(join(root, dir)).sort();
}

/** The `@example` blocks of `sources` and the ```ts blocks of `guides`. */
export function examplesOf(sources: readonly string[], guides: readonly string[] = []): Example[] {
  const out: Example[] = guides.flatMap((guide) => guideBlocks(guide, 'ts').map((code, i) => ({ name: `${guide} block ${i + 1}`, code })));
  for (const file of sources) {
    const text = readFileSync(join(root, file), 'utf8');
    [...text.matchAll(/@example\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)].forEach((m, i) =>
      out.push({ name: `${file} example ${i + 1}`, code: m[1]!.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n') }),
    );
  }
  return out;
}

/**
 * Type errors of the examples, as `name: message` lines, under the strictest settings a user may
 * have. `node` adds Node's types (for distkit/node); otherwise only ES2022 and the DOM's globals.
 */
export function typeErrors(examples: readonly Example[], options: { node?: boolean } = {}): string[] {
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
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: options.node === true ? ['node'] : [],
      typeRoots: [join(root, 'node_modules/@types')],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: true,
      noEmit: true,
      // ioredis is distkit/redis's optional peer: its examples import it from the repository's node_modules.
      paths: { 'distkit/*': [join(root, 'src/*/index.ts')], distkit: [join(root, 'src/index.ts')], ioredis: [join(root, 'node_modules/ioredis')] },
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
