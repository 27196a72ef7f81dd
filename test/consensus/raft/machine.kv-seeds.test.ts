import { describe, expect, it } from 'vitest';
import { checkLinearizability, kvModel } from 'distkit/check';
import { KV_ELECTION_TIMEOUT_MS, runKvSeed } from '../../../examples/raft-kv/simulation.js';

// KV seeds from the soak that once failed, kept as regressions.
describe('raft-kv regression seeds', () => {
  it.each([15791, 19781])('seed %i: a write commits within 10 T of the heal under 20 percent loss, and the history is linearizable', (seed) => {
    // Lost vote requests and grants cost an election timeout each: under lasting loss the cluster
    // went leaderless past 10 T until candidates retried unanswered voters (§5.1).
    const { result, recoveryMs } = runKvSeed(seed);
    expect(result.ok).toBe(true);
    expect(recoveryMs).toBeGreaterThanOrEqual(0);
    expect(recoveryMs).toBeLessThanOrEqual(10 * KV_ELECTION_TIMEOUT_MS);
    expect(checkLinearizability(kvModel<string>(), result.history).verdict).toBe('linearizable');
  });
});
