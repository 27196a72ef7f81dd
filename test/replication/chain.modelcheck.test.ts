// The model checker over a small chain failover: the master, a head and a tail, two writes, the
// master's failure detector firing, one lost message and one crash, every interleaving up to the
// depth bound.
import { describe, expect, it } from 'vitest';
import type { Invariant } from '../../src/core/index.js';
import { formatModelCheckPath, modelCheck } from '../../src/check/index.js';
import { chainMaster, chainReplica, type ChainReplicaState } from '../../src/replication/index.js';
import { Cluster } from './chain-cluster.js';

type S = ChainReplicaState;
const replicas = (states: Readonly<Record<string, unknown>>): S[] => Object.values(states).filter((s): s is S => typeof s === 'object' && s !== null && 'craq' in s);

/** A write known committed (the tail answered it) is held by every synced replica of a later epoch. */
const committedSurvive: Invariant<unknown> = {
  name: 'committed writes survive reconfiguration',
  check(states) {
    const rs = replicas(states);
    for (const x of rs) {
      if (!x.member || x.committed === 0) continue;
      for (const y of rs) {
        if (y.member && y.synced && y.view.epoch > x.view.epoch && y.held < x.committed) return `${y.id} (epoch ${y.view.epoch}) holds ${y.held}, ${x.id} knew ${x.committed} committed in epoch ${x.view.epoch}`;
      }
    }
    return undefined;
  },
};

/** Synced members of one epoch never hold different values under one sequence number. */
const oneValuePerSeq: Invariant<unknown> = {
  name: 'one value per sequence number in an epoch',
  check(states) {
    const seen = new Map<string, string>();
    for (const r of replicas(states)) {
      if (!r.member || !r.synced) continue;
      for (const [key, versions] of Object.entries(r.store)) {
        for (const v of versions) {
          const at = `${r.view.epoch}/${v.seq}`;
          const what = JSON.stringify([key, v.value]);
          const prior = seen.get(at);
          if (prior !== undefined && prior !== what) return `epoch ${r.view.epoch} seq ${v.seq}: ${prior} and ${what}`;
          seen.set(at, what);
        }
      }
    }
    return undefined;
  },
};

/** Violated on purpose: shows the search reaches the failover in which b heads the chain holding a write. */
const neverFailsOver: Invariant<unknown> = {
  name: 'b never heads the chain with a write',
  check: (states) => (replicas(states).some((r) => r.id === 'b' && r.member && r.view.chain[0]?.id === 'b' && r.held > 0) ? 'b is the head and holds a write' : undefined),
};

function check(invariants: Invariant<unknown>[], maxDepth: number) {
  const c = new Cluster(['a', 'b'], 2, 1000, 30);
  c.run(40);
  const config = (id: string) => ({ id, master: 'm', heartbeatMs: 10, leaseMs: 1000 });
  return modelCheck<unknown>({
    nodes: [
      { id: 'm', machine: chainMaster, config: { id: 'm', replicas: ['a', 'b'], failureTimeoutMs: 30, checkMs: 10 }, initialState: c.states.get('m') },
      { id: 'a', machine: chainReplica, config: config('a'), initialState: c.states.get('a') },
      { id: 'b', machine: chainReplica, config: config('b'), initialState: c.states.get('b') },
    ],
    commands: [
      { node: 'a', input: { type: 'write', id: 'w1', key: 'x', value: 1 } },
      { node: 'a', input: { type: 'write', id: 'w2', key: 'x', value: 2 } },
    ],
    timeouts: ['m'],
    faults: { loss: 1, crashes: 1 },
    invariants,
    maxDepth,
    maxStates: 400_000,
  });
}

describe('chain failover, model-checked', () => {
  it('no interleaving of two writes, the failure detector, a lost message and a crash loses a committed write or forks a sequence number', () => {
    const r = check([committedSurvive, oneValuePerSeq], 13);
    if (r.violation) throw new Error(`${r.violation.invariant}: ${r.violation.description}\n${formatModelCheckPath(r.violation.path)}`);
    expect(r.status).toBe('bounded');
    expect(r.bound).toBe('depth');
    expect(r.states).toBeGreaterThan(5_000);
  }, 300_000);

  it('the search does reach the failover (a deliberately false invariant is refuted)', () => {
    const r = check([neverFailsOver], 13);
    expect(r.status).toBe('violation');
  }, 300_000);
});
