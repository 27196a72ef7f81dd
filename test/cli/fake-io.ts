// An in-memory CliIo for the command's tests.
import type { CliIo } from '../../src/cli/main.js';
import { echoMachine } from '../../src/cli/demo.js';

const echoFactory = ({ nodes }: { nodes: number }) => {
  const peers = Array.from({ length: nodes }, (_, i) => `p${i}`);
  return { nodes: peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds: 1 } })) };
};

export interface FakeIo extends CliIo {
  out: string;
  err: string;
  files: Map<string, string>;
}

export function fakeIo(isTTY = false, files = new Map<string, string>()): FakeIo {
  let clock = 0;
  const io: FakeIo = {
    out: '',
    err: '',
    files,
    isTTY,
    stdout: (t) => void (io.out += t),
    stderr: (t) => void (io.err += t),
    writeFile: (p, t) => void files.set(p, t),
    readFile: (p) => {
      const t = files.get(p);
      if (t === undefined) throw new Error(`ENOENT ${p}`);
      return t;
    },
    importModule: async () => ({
      importedTarget: { name: 'imported-echo', build: echoFactory },
      exportedTarget: { name: 'exported-echo', description: 'from an export', defaultNodes: 2, build: echoFactory },
      other: 42,
    }),
    now: () => (clock += 50),
  };
  return io;
}
