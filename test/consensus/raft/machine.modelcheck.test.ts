import { describe, expect, it } from 'vitest';
import { modelCheck } from 'distkit/check';
import { raft, raftStateInvariants, type RaftConfig, type RaftState } from 'distkit/consensus';

const IDS = ['a', 'b', 'c'];
const node = (id: string, extra: Partial<RaftConfig> = {}) => ({
  id,
  machine: raft,
  config: { id, voters: IDS, seed: 1, electionTimeoutMs: 100, heartbeatIntervalMs: 10, preVote: false, checkQuorum: false, ...extra } satisfies RaftConfig,
});

describe('model checking: a 3-node cluster explored exhaustively to a bounded depth', () => {
  it('two competing candidates and a proposal: every interleaving up to the bound is safe', () => {
    const r = modelCheck<RaftState>({
      nodes: IDS.map((id) => node(id)),
      commands: [
        { node: 'a', input: { type: 'tick', now: 0 } },
        { node: 'a', input: { type: 'campaign' } },
        { node: 'b', input: { type: 'tick', now: 0 } },
        { node: 'b', input: { type: 'campaign' } },
        { node: 'a', input: { type: 'propose', data: 'x' } },
      ],
      invariants: raftStateInvariants(),
      maxDepth: 11,
      maxStates: 150_000,
    });
    expect(r.violation).toBeUndefined();
    // The search is exhaustive: it ends because the depth bound was reached, not a state cap.
    expect(r.bound).toBe('depth');
    expect(r.states).toBeGreaterThan(1000);
  });
  it('with one message loss, one duplication and one crash-restart', () => {
    const r = modelCheck<RaftState>({
      nodes: IDS.map((id) => node(id)),
      commands: [
        { node: 'a', input: { type: 'tick', now: 0 } },
        { node: 'a', input: { type: 'campaign' } },
        { node: 'a', input: { type: 'propose', data: 'x' } },
        { node: 'c', input: { type: 'tick', now: 0 } },
        { node: 'c', input: { type: 'campaign' } },
      ],
      faults: { loss: 1, duplication: 1, crashes: 1 },
      invariants: raftStateInvariants(),
      maxDepth: 7,
      maxStates: 100_000,
    });
    expect(r.violation).toBeUndefined();
    // Exhaustive to the depth bound, not cut short by the state cap.
    expect(r.bound).toBe('depth');
    expect(r.states).toBeGreaterThan(10_000);
  });
  it('parallelAppend (thesis §10.2.1) with a crash: every interleaving up to the bound is safe', () => {
    const r = modelCheck<RaftState>({
      nodes: IDS.map((id) => node(id, { parallelAppend: true })),
      commands: [
        { node: 'a', input: { type: 'tick', now: 0 } },
        { node: 'a', input: { type: 'campaign' } },
        { node: 'a', input: { type: 'propose', data: 'x' } },
        { node: 'c', input: { type: 'tick', now: 0 } },
        { node: 'c', input: { type: 'campaign' } },
      ],
      faults: { crashes: 1 },
      invariants: raftStateInvariants(),
      maxDepth: 7,
      maxStates: 100_000,
    });
    expect(r.violation).toBeUndefined();
    expect(r.bound).toBe('depth');
    expect(r.states).toBeGreaterThan(1000);
  });
  it('pre-vote, check-quorum and a leadership transfer: every interleaving up to the bound is safe', () => {
    // A witness, not a check: proves the bound is deep enough for the transfer to complete.
    let transferred = false;
    const witness = {
      name: 'witness: b leads term 2',
      check: (states: Readonly<Record<string, RaftState>>) => {
        if (states.b?.role === 'leader' && states.b.term === 2) transferred = true;
        return undefined;
      },
    };
    const r = modelCheck<RaftState>({
      nodes: IDS.map((id) => node(id, { preVote: true, checkQuorum: true })),
      commands: [
        { node: 'a', input: { type: 'tick', now: 0 } },
        { node: 'a', input: { type: 'campaign' } },
        { node: 'a', input: { type: 'transferLeadership', to: 'b' } },
        { node: 'b', input: { type: 'propose', data: 'y' } },
      ],
      invariants: [...raftStateInvariants(), witness],
      maxDepth: 15,
      maxStates: 100_000,
    });
    expect(r.violation).toBeUndefined();
    expect(r.bound).toBe('depth');
    expect(transferred).toBe(true);
  });
});
