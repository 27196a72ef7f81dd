import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { runScriptOn, scriptPath } from '../support/run-script.js';

const script = scriptPath('check-layers.mjs');
const runOn = (files: Record<string, string>, ...args: string[]) => runScriptOn('check-layers.mjs', files, ...args);

describe('check:layers', () => {
  it('passes downward imports, imports within a folder and the root index', () => {
    const r = runOn({
      'src/core/a.ts': 'export const a = 1;\n',
      'src/clocks/b.ts': "import { a } from '../core/a.js';\nimport { c } from './c.js';\nexport const b = a + c;\n",
      'src/clocks/c.ts': 'export const c = 2;\n',
      'src/resilience/r.ts': "export { ring } from '../hashing/ring.js';\n",
      'src/sim/s.ts': "import type { X } from '../check/x.js';\n",
      'src/cli/main.ts': "import '../node/tcp.js';\nexport * from '../sim/s.js';\n",
      'src/index.ts': "export * from './clocks/b.js';\n",
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([
    ['an upward import', 'src/core/a.ts', "import { simulate } from '../sim/simulate.js';", 'core may not import sim'],
    ['a sideways import between algorithms', 'src/mutex/m.ts', "import { bully } from '../election/bully.js';", 'mutex may not import election'],
    ['a type-only sideways import', 'src/txn/t.ts', "import type { RaftState } from '../consensus/raft/types.js';", 'txn may not import consensus'],
    ['a dynamic import of node/', 'src/check/c.ts', "const m = await import('../node/wal.js');", 'check may not import node'],
    ['a re-export from cli', 'src/sim/s.ts', "export { main } from '../cli/main.js';", 'sim may not import cli'],
    ['the root index', 'src/hashing/h.ts', "import { x } from '../index.js';", 'imports the root index'],
    ['an unknown folder', 'src/extra/e.ts', "import { a } from '../core/a.js';", 'has no place in the layers'],
  ])('fails %s', (_what, path, line, message) => {
    const r = runOn({ 'src/core/a.ts': 'export const a = 1;\n', [path]: `${line}\n` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('ignores imports in comments and TSDoc examples', () => {
    const r = runOn({ 'src/core/a.ts': "/**\n * import { simulate } from '../sim/simulate.js';\n */\n// import '../cli/main.js';\nexport const a = 1;\n" });
    expect(r.status).toBe(0);
  });

  it('passes on this repository', () => {
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
