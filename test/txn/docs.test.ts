// docs/txn.md cannot drift from the code: its sequence diagrams are exactly what the simulator's
// Mermaid export gives for the seeded runs in ./diagrams.ts, and every `ts` block of the guide and
// every `@example` of src/txn type-checks against the library.
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGRAMS, diagram } from './diagrams.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const guide = readFileSync(join(root, 'docs/txn.md'), 'utf8');

describe('docs/txn.md diagrams are generated from simulator traces', () => {
  const blocks = [...guide.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
  it('the guide holds one mermaid block per diagram, in order', () => {
    expect(blocks).toHaveLength(Object.keys(DIAGRAMS).length);
  });
  Object.keys(DIAGRAMS).forEach((name, i) => {
    it(`${name}: the block is exactly the regenerated diagram`, () => {
      expect(blocks[i]).toBe(diagram(name));
    });
  });
  it('the runs behind them show what the text says', () => {
    const decided = (name: string) =>
      DIAGRAMS[name]!()
        .trace.filter((e) => e.kind === 'output' && (e.output as { type: string }).type === 'decided')
        .map((e) => `${e.kind === 'output' ? e.node : ''}:${(e as { output: { decision: string } }).output.decision}`);
    expect(decided('2PC commit')).toEqual(['coord:commit', 'a:commit', 'b:commit']);
    // Blocked: nobody decides before the coordinator restarts at 800 ms; then all abort.
    const blocking = DIAGRAMS['2PC blocking']!().trace.filter((e) => e.kind === 'output' && (e.output as { type: string }).type === 'decided');
    expect(blocking.every((e) => e.time >= 800)).toBe(true);
    expect(decided('2PC blocking')).toEqual(['coord:abort', 'a:abort', 'b:abort']);
    expect(decided('3PC commit')).toEqual(['coord:commit', 'a:commit', 'b:commit']);
    // Not blocked: the participants decide long before the coordinator restarts at 1500 ms.
    const termination = DIAGRAMS['3PC termination']!().trace.filter((e) => e.kind === 'output' && (e.output as { type: string }).type === 'decided');
    expect(termination.filter((e) => e.kind === 'output' && e.node !== 'coord').every((e) => e.time < 1500)).toBe(true);
    expect(decided('3PC termination')).toEqual(['a:abort', 'b:abort', 'coord:abort']);
  });
});

function examples(): { name: string; code: string }[] {
  const out: { name: string; code: string }[] = [];
  [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((m, i) => out.push({ name: `docs/txn.md block ${i + 1}`, code: m[1]! }));
  for (const file of readdirSync(join(root, 'src/txn')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(root, 'src/txn', file), 'utf8');
    [...text.matchAll(/@example\n \* ```ts\n([\s\S]*?) \* ```/g)].forEach((m, i) =>
      out.push({
        name: `src/txn/${file} example ${i + 1}`,
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
    expect(all.length).toBeGreaterThan(100);
    const dir = mkdtempSync(join(tmpdir(), 'distkit-txn-docs-'));
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
