// Evidence for the replicated pub/sub log: three Raft replicas in the simulator with crashes,
// partitions, message loss and duplication; idempotent producers retrying publishes whose answers
// were lost; a consumer group whose members fetch, commit and heartbeat, one of which goes silent
// past its session and comes back. Each run is judged by checkPubSub over the final logs, by the
// group's coverage and fencing, and by Raft's and the log's invariants after every step.
import { describe, expect, it } from 'vitest';
import { pubSub } from 'distkit/messaging';
import { replicatedStateMachine } from 'distkit/consensus';
import { judge, runPubSub } from './pubsub-workload.js';

const FAULTS = { crashRate: 1, partitionRate: 0.7 };
const FLAKY = { loss: 0.03, duplicate: 0.05 };

describe('the replicated pub/sub log under faults (3 nodes, simulated)', () => {
  it('no faults: every publish stored once in offset order, the group consumes everything, the silent member is fenced and resumes', () => {
    const r = runPubSub(1, {});
    expect(r.ok, `${r.violation?.invariant}: ${r.violation?.message}`).toBe(true);
    const v = judge(r);
    expect(v.publishes.problems).toEqual([]);
    expect(v.publishes.acknowledgedCount).toBe(80);
    expect(v.publishes.storedCount).toBe(80);
    expect(v.gaps).toEqual([]);
    expect(v.twoOwners).toEqual([]);
    // Everything published was consumed and committed: the committed offsets reached the log ends.
    expect(v.committed).toEqual(v.logEnds);
    // c2 came back after its session expired: its first commit was refused, it joined again and
    // went on from the group's committed offsets.
    expect(v.fencedCommits).toBeGreaterThan(0);
    expect(v.resumedFetches).toBeGreaterThan(0);
  }, 60_000);

  it('crashes, partitions, 3% loss, 5% duplication, seeds 1-6: no acknowledged publish lost, none stored twice, no gap below a committed offset, one owner per partition per generation', () => {
    let faults = 0;
    let retries = 0;
    let fenced = 0;
    let acknowledged = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const r = runPubSub(seed, FAULTS, FLAKY);
      expect(r.ok, `seed ${seed}: ${r.violation?.invariant}: ${r.violation?.message}`).toBe(true);
      const v = judge(r);
      expect(v.publishes.problems, `seed ${seed}`).toEqual([]);
      expect(v.publishes.valid).toBe(true);
      expect(v.gaps, `seed ${seed}`).toEqual([]);
      expect(v.twoOwners, `seed ${seed}`).toEqual([]);
      expect(v.publishes.acknowledgedCount, `seed ${seed}`).toBeGreaterThan(40);
      faults += r.faults.length;
      retries += v.retries;
      fenced += v.fencedCommits;
      acknowledged += v.publishes.acknowledgedCount;
    }
    // The sweep exercised what it claims to: faults happened, producers retried, commits were fenced.
    expect(faults).toBeGreaterThan(10);
    expect(retries).toBeGreaterThan(0);
    expect(fenced).toBeGreaterThan(0);
    expect(acknowledged).toBeGreaterThan(300);
  }, 300_000);

  it('control: without the producer sequence check, retried publishes are stored twice, and checkPubSub sees it', () => {
    const forgetful = replicatedStateMachine({
      ...pubSub,
      name: 'forgetful',
      apply(state, command) {
        const c = command as { type?: string; producerId?: string; sequence?: number };
        if (c === null || typeof c !== 'object' || c.type !== 'publish') return pubSub.apply(state, command);
        const { producerId: _p, sequence: _s, ...plain } = c;
        return pubSub.apply(state, plain);
      },
    });
    let duplicated = 0;
    for (let seed = 1; seed <= 3; seed++) duplicated += judge(runPubSub(seed, FAULTS, FLAKY, forgetful)).publishes.duplicatedCount;
    expect(duplicated).toBeGreaterThan(0);
  }, 120_000);
});
