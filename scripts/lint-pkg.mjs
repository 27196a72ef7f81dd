// Packs the package and lints the tarball the way a consumer would receive it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'distkit-pack-'));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
try {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n');
  const tarball = join(dir, out[out.length - 1]);
  console.log(`lint:pkg: packed ${tarball}`);
  run('npx', ['--no-install', 'publint', '--strict', tarball]);
  run('npx', ['--no-install', 'attw', tarball, '--format', 'table-flipped']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
