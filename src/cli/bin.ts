// The `distkit` command.
const args = globalThis.process.argv.slice(2);
if (args.length === 0 || args[0] === '--help' || args[0] === 'help') {
  globalThis.process.stdout.write('usage: distkit <command>\n\ncommands:\n  help    show this help\n');
} else {
  globalThis.process.stderr.write(`distkit: unknown command ${JSON.stringify(args[0])}; run 'distkit help'\n`);
  globalThis.process.exitCode = 2;
}
