// Every isomorphic subpath must bundle for the browser without pulling a Node module.
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const isomorphic = ['core', 'clocks', 'hashing', 'consensus', 'mutex', 'election', 'txn', 'snapshot', 'resilience', 'replication', 'dataflow', 'messaging', 'sim', 'check'];

describe('browser bundles', () => {
  it.each(isomorphic)('distkit/%s bundles for the browser with no Node module', async (name) => {
    const result = await build({
      stdin: { contents: `export * from './src/${name}/index.ts';`, resolveDir: root, loader: 'ts' },
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.includes('src/node/') || p.includes('src/cli/') || p.startsWith('node:'))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:/);
  });
});

describe('distkit/redis', () => {
  it('bundles without a Redis client library: the application passes its own client', async () => {
    const result = await build({
      stdin: { contents: "export * from './src/redis/index.ts';", resolveDir: root, loader: 'ts' },
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
    expect(result.outputFiles[0]!.text).not.toMatch(/from\s*["']ioredis|require\(["']ioredis|import\(["']ioredis/);
  });
});
