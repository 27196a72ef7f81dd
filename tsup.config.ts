import { defineConfig } from 'tsup';

const subpaths = ['core', 'clocks', 'hashing', 'consensus', 'mutex', 'election', 'txn', 'snapshot', 'resilience', 'replication', 'dataflow', 'messaging', 'sim', 'check', 'node', 'redis'];

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      ...Object.fromEntries(subpaths.map((p) => [`${p}/index`, `src/${p}/index.ts`])),
    },
    format: ['esm', 'cjs'],
    dts: true,
    splitting: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^node:/],
    removeNodeProtocol: false,
    outDir: 'dist',
  },
  {
    entry: { 'cli/bin': 'src/cli/bin.ts', 'cli/wordcount-job': 'src/cli/wordcount-job.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'es2022',
    platform: 'node',
    external: [/^node:/],
    removeNodeProtocol: false,
    banner: { js: '#!/usr/bin/env node' },
    outDir: 'dist',
  },
]);
