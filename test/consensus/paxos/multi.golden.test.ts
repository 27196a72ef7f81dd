// Golden transcripts for Multi-Paxos (test/consensus/testdata/multi-paxos/*.txt), in the style of
// etcd-io/raft's datadriven tests. `UPDATE_GOLDEN=1 npx vitest run test/consensus/paxos/multi.golden.test.ts`
// rewrites them; read the result before committing it: it must show the protocol doing the right thing.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { multiPaxos } from 'distkit/consensus';
import { runGolden } from '../../support/golden.js';

const dir = fileURLToPath(new URL('../testdata/multi-paxos/', import.meta.url));
const ids = ['a', 'b', 'c'];
const nodes = ids.map((id) => ({ id, machine: multiPaxos, config: { id, acceptors: ids, seed: 1, heartbeatIntervalMs: 50, electionTimeoutMs: 300 } }));

describe('multi-paxos golden transcripts', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    it(file, () => runGolden(join(dir, file), nodes));
  }
});
