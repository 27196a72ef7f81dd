// Crash tests run a fixture program in a child process that is killed with SIGKILL: bundle it into
// one ES module a plain `node` can run.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/**
 * Bundles the TypeScript program at `entry` into the ES module `outfile`. CommonJS packages in it
 * (ioredis) `require` Node's built-ins: the banner gives the module a `require` for them.
 */
export async function bundleFixture(entry: URL, outfile: string): Promise<void> {
  const banner = "import { createRequire as __distkitCreateRequire } from 'node:module'; const require = __distkitCreateRequire(import.meta.url);";
  await build({ entryPoints: [fileURLToPath(entry)], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'silent', banner: { js: banner } });
}
