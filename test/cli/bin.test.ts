import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

describe('the bin', () => {
  it('runs as a process: node --import tsx src/cli/bin.ts', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'distkit-cli-'));
    const trace = join(dir, 'trace.html');
    let status = 0;
    let stdout = '';
    try {
      stdout = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'sim', 'naive-leader', '--seeds', '1-20', '--loss', '0.3', '--trace', trace], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      status = err.status;
      stdout = err.stdout;
    }
    expect(status).toBe(1);
    expect(stdout).toMatch(/seeds run\s+20/);
    expect(existsSync(trace)).toBe(true);
    expect(readFileSync(trace, 'utf8')).toContain('</svg>');
  });
});
