import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { twoPhaseCoordinator, twoPhaseParticipant } from 'distkit/txn';
import { runGolden } from '../support/golden.js';

const testdata = (name: string): string => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

const nodes = (participants: readonly string[]) => [
  { id: 'c', machine: twoPhaseCoordinator, config: { id: 'c', voteTimeoutMs: 1000, resendIntervalMs: 200 } },
  ...participants.map((id) => ({ id, machine: twoPhaseParticipant, config: { id, decisionTimeoutMs: 250 } })),
];

// Scripted 2PC scenarios with their transcripts (`UPDATE_GOLDEN=1 npx vitest run test/txn/two-phase.golden.test.ts`
// rewrites them; read the diff before committing it).
describe('golden transcripts: two-phase commit (BHG §7.3–7.4)', () => {
  it('commit with three participants: begin, prepared and decision records before the messages they guard', () => {
    runGolden(testdata('commit-three.txt'), nodes(['a', 'b', 'd']));
  });
  it('abort on a NO vote; a coordinator crash after the decision record, then recovery and re-send', () => {
    runGolden(testdata('abort-and-recovery.txt'), nodes(['a', 'b']));
  });
});
