// `npm run demo`: the tour a newcomer sees first.
//  1. A 5-node Raft key-value cluster in the deterministic simulator survives a leader crash and a
//     partition; its client history is checked for linearizability; the run is drawn as HTML.
//  2. The `distkit sim` command sweeps 200 seeds of a deliberately buggy election protocol and
//     finds the seed that breaks it.
//  3. Three nodes exchange messages with Lamport and vector timestamps, then a Berkeley round.
import { resolve } from 'node:path';
import { raftDemo } from './raft-demo.js';
import { clocksDemo } from './clocks-demo.js';
import { main as distkit, nodeIo, type CliIo } from '../src/cli/main.js';

export async function demo(print: (line: string) => void, io: CliIo, htmlPath: string): Promise<{ linearizable: boolean; cliExit: number }> {
  const rule = (title: string) => {
    print('');
    print(`━━━ ${title} ${'━'.repeat(Math.max(0, 72 - title.length))}`);
    print('');
  };
  rule('1. Raft: a replicated key-value store under faults (distkit/consensus + distkit/sim)');
  const r = await raftDemo(print, htmlPath);
  print(`open ${htmlPath} in a browser to see every message of the run`);

  rule('2. Finding a bug by seed: npx distkit sim naive-leader --seeds 1-200 --no-trace');
  const cliExit = await distkit(['sim', 'naive-leader', '--seeds', '1-200', '--no-trace'], io);
  print(`(exit code ${cliExit}: non-zero because the buggy protocol broke its invariant; replay any seed with --trace-seed N)`);

  rule('3. Clocks: Lamport, vector clocks and a Berkeley round (distkit/clocks)');
  await clocksDemo(print);
  return { linearizable: r.linearizable, cliExit };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await demo((line) => console.log(line), nodeIo(), resolve('distkit-demo.html'));
  if (!result.linearizable) process.exitCode = 1;
}
