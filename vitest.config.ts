import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^distkit$/, replacement: `${src}index.ts` },
      { find: /^distkit\/(.*)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    onConsoleLog: (log, type) => {
      // Tests fail on stray console output: a test that wants to print captures it itself.
      throw new Error(`unexpected console.${type} output in a test: ${log.slice(0, 200)}`);
    },
  },
});
