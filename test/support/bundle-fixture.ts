// Crash tests run a fixture program in a child process that is killed with SIGKILL: bundle it into
// one ES module a plain `node` can run.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** Bundles the TypeScript program at `entry` into the ES module `outfile`. */
export async function bundleFixture(entry: URL, outfile: string): Promise<void> {
  await build({ entryPoints: [fileURLToPath(entry)], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'silent' });
}
