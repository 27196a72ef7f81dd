// Runs one of the repository's check scripts (scripts/*.mjs) on a throwaway tree of files.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The path of `scripts/<name>`. */
export function scriptPath(name: string): string {
  return fileURLToPath(new URL(`../../scripts/${name}`, import.meta.url));
}

/** Writes `files` (path → text) under a temporary root, runs the script on that root with `args`, and removes the root. */
export function runScriptOn(name: string, files: Record<string, string>, ...args: string[]): SpawnSyncReturns<string> {
  const dir = mkdtempSync(join(tmpdir(), 'script-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return spawnSync(process.execPath, [scriptPath(name), dir, ...args], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
