// The `distkit` command's entry point (built to dist/cli/bin.js).
import { main, nodeIo } from './main.js';

main(globalThis.process.argv.slice(2), nodeIo()).then(
  (code) => {
    globalThis.process.exitCode = code;
  },
  (error: unknown) => {
    globalThis.process.stderr.write(`distkit: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    globalThis.process.exitCode = 2;
  },
);
