/**
 * SWIM golden transcripts (etcd-io/raft's datadriven style): each script under testdata/ drives
 * three members by hand through the shared runtime and compares the transcript. Regenerate with
 * `UPDATE_GOLDEN=1 npx vitest run test/election/swim.golden.test.ts`, then read the diff: the
 * transcript must show the protocol doing the right thing.
 */
import { describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { swim } from '../../src/election/index.js';
import { runGolden } from '../support/golden.js';

const members = ['a', 'b', 'c'];
const nodes = members.map((id, i) => ({
  id,
  machine: swim,
  config: { id, nodes: members, seed: 11 + i, protocolPeriodMs: 1000, pingTimeoutMs: 200, indirectChecks: 1, randomStart: false },
}));

const file = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

describe('SWIM golden transcripts', () => {
  for (const name of ['swim-probe-ack.txt', 'swim-indirect-suspect-dead.txt', 'swim-suspect-refute.txt']) {
    it(name, () => runGolden(file(name), nodes));
  }
});
