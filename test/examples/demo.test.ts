import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demo } from '../../examples/demo.js';
import type { CliIo } from '../../src/cli/main.js';

describe('npm run demo', () => {
  it('runs the Raft showcase, the seed sweep and the clocks tour', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-'));
    try {
      const lines: string[] = [];
      let cliOut = '';
      const io: CliIo = {
        stdout: (t) => void (cliOut += t),
        stderr: (t) => void (cliOut += t),
        isTTY: false,
        writeFile: () => {
          throw new Error('the demo sweep writes no file');
        },
        readFile: () => '',
        importModule: (p) => import(p),
        now: () => 0,
      };
      const html = join(dir, 'demo.html');
      const result = await demo((l) => lines.push(l), io, html);
      const text = lines.join('\n');
      expect(result.linearizable).toBe(true);
      expect(text).toMatch(/FAULT crash n\d \(the leader\)/);
      expect(text).toMatch(/FAULT partition/);
      expect(text).toContain('linearizability: linearizable');
      expect(text).toContain('invariants: all held');
      expect(existsSync(html) && readFileSync(html, 'utf8').includes('<svg')).toBe(true);
      expect(result.cliExit).toBe(1);
      expect(cliOut).toMatch(/violations\s+\d+\s+\(at most one leader per term/);
      expect(text).toContain('Berkeley algorithm');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README quick start', () => {
  it('pasted as a script, replicates one command to all three Raft nodes, prints it and exits', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['a applied x=1', 'b applied x=1', 'c applied x=1']);
  });
});
