// Golden transcripts in the style of etcd-io/raft's datadriven testdata: each script under
// testdata/raft/ drives a 3-node cluster through the shared test runtime, and its transcript (every
// input, persist, send and event) is compared with the one checked in. Regenerate with
// `UPDATE_GOLDEN=1 npx vitest run test/consensus/raft/machine.golden.test.ts`, then read the diff.
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { raft, raftEntries, type RaftConfig, type RaftState } from 'distkit/consensus';
import { runGolden, type ExtraCommands } from '../../support/golden.js';

const IDS = ['a', 'b', 'c'];
const nodes = IDS.map((id) => ({
  id,
  machine: raft,
  config: { id, voters: IDS, seed: 1, electionTimeoutMs: 100, heartbeatIntervalMs: 10 } satisfies RaftConfig,
}));

const extra: ExtraCommands = {
  // `log <node>`: the node's role, term, commit index and log, one entry per `index@term data`.
  log: ({ cluster, args }) => {
    const s = cluster.state(args[0]!) as RaftState;
    const entries = raftEntries(s.log).map((e) => `${e.index}@${e.term} ${e.kind ?? JSON.stringify(e.data)}`);
    return [`${args[0]}: ${s.role} term ${s.term} commit ${s.commit} leader ${s.leader ?? '-'}`, ...entries.map((e) => `  ${e}`)];
  },
};

const file = (name: string): string => fileURLToPath(new URL(`../testdata/raft/${name}.txt`, import.meta.url));

describe('raft golden transcripts', () => {
  it.each(['election', 'leader-crash', 'transfer'])('%s', (name) => runGolden(file(name), nodes, extra));
});
