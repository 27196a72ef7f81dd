import { describe, expect, it } from 'vitest';
import { runScriptOn, scriptPath } from '../support/run-script.js';

const runOn = (files: Record<string, string>, ...args: string[]) => runScriptOn('check-functions.mjs', files, ...args);

const body = (n: number) => Array.from({ length: n }, (_, i) => `  const x${i} = ${i};`).join('\n');
const fn = (name: string, n: number) => `export function ${name}() {\n${body(n)}\n}\n`;
const flatSwitch = (cases: number) =>
  `export function dispatch(k: number) {\n  switch (k) {\n${Array.from({ length: cases }, (_, i) => `    case ${i}:\n      return ${i};`).join('\n')}\n  }\n  return -1;\n}\n`;

describe('check:functions', () => {
  it('passes functions of up to 80 lines', () => {
    const r = runOn({ 'src/a.ts': fn('short', 78) });
    expect(r.status).toBe(0);
  });

  it('fails a function of 81 lines and names it', () => {
    const r = runOn({ 'src/core/a.ts': fn('tooLong', 79) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('src/core/a.ts:1 tooLong: 81 lines');
  });

  it('counts closures inside their enclosing function, and arrow functions by their variable name', () => {
    const r = runOn({ 'src/b.ts': `export const outer = () => {\n  const inner = () => {\n${body(80)}\n  };\n  return inner;\n};\n` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('outer');
    expect(r.stderr).toContain('inner');
  });

  it('allows a long flat switch dispatch but not a switch whose cases hold logic', () => {
    expect(runOn({ 'src/d.ts': flatSwitch(60) }).status).toBe(0);
    const logic = `export function f(k: number) {\n  switch (k) {\n    case 0: {\n${body(90)}\n      return 0;\n    }\n  }\n  return 1;\n}\n`;
    expect(runOn({ 'src/e.ts': logic }).status).toBe(1);
  });

  it('lists the longest functions with --list', () => {
    const r = runOn({ 'src/a.ts': fn('small', 3) + fn('big', 10) }, '--list', '1');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^12 {2}src\/a\.ts:\d+ {2}big$/);
  });
});
