import { describe, expect, it } from 'vitest';
import { runScriptOn, scriptPath } from '../support/run-script.js';

const runOn = (files: Record<string, string>, ...args: string[]) => runScriptOn('check-purity.mjs', files, ...args);

describe('check:purity', () => {
  it('passes clean code, system.ts and the node/redis/cli folders', () => {
    const r = runOn({
      'src/clocks/a.ts': 'export const f = (now: number) => now + 1;\n',
      'src/core/system.ts': 'export const t = () => Date.now();\n',
      'src/node/fs.ts': "import { readFile } from 'node:fs/promises';\nexport const x = Math.random();\n",
      'src/redis/t.ts': "import { setTimeout } from 'node:timers';\nexport const n = Date.now();\n",
      'src/cli/bin.ts': 'console.log(Date.now());\n',
    });
    expect(r.status).toBe(0);
  });

  it.each([
    ['Date.now()', 'export const t = Date.now();'],
    ['Math.random()', 'export const r = Math.random();'],
    ['performance.now()', 'export const p = performance.now();'],
    ['new Date()', 'export const d = new Date();'],
    ['a Node module import', "import { readFileSync } from 'node:fs';"],
    ['a Node module import', "import * as os from 'os';"],
  ])('fails on %s in the isomorphic code', (what, code) => {
    const r = runOn({ 'src/hashing/bad.ts': `${code}\n` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`src/hashing/bad.ts:1: ${what}`);
  });
});
