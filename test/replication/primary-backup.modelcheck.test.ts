// The model checker over a small primary-backup failover: the master, a primary and one backup,
// two writes, the master's failure detector firing, one lost message and one crash, every
// interleaving up to the depth bound.
import { describe, expect, it } from 'vitest';
import type { Invariant } from '../../src/core/index.js';
import { formatModelCheckPath, modelCheck } from '../../src/check/index.js';
import { chainMaster, primaryBackup, type PrimaryBackupState } from '../../src/replication/index.js';
import { Cluster } from './chain-cluster.js';

type S = PrimaryBackupState;
const replicas = (states: Readonly<Record<string, unknown>>): S[] => Object.values(states).filter((s): s is S => typeof s === 'object' && s !== null && 'mode' in s);

/** Every write a primary answered is held by every synced replica of any later epoch. */
const answeredSurvive: Invariant<unknown> = {
  name: 'answered writes survive failover',
  check(states) {
    const rs = replicas(states);
    for (const x of rs) {
      if (!x.member || x.view.chain[0]?.id !== x.id || x.committed === 0) continue;
      for (const y of rs) {
        if (y.member && y.synced && y.view.epoch > x.view.epoch && y.held < x.committed) return `${y.id} (epoch ${y.view.epoch}) holds ${y.held}, ${x.id} answered up to ${x.committed} in epoch ${x.view.epoch}`;
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

const masterConfig = { id: 'm', replicas: ['a', 'b'], failureTimeoutMs: 30, checkMs: 10 };

/** A running pair (views installed, leases granted) handed to the checker. */
function check(mode: 'sync' | 'async', maxDepth: number) {
  const c = new Cluster(['a', 'b'], 2, 1000, 30, primaryBackup, { mode });
  c.run(40);
  const config = (id: string) => ({ id, master: 'm', heartbeatMs: 10, leaseMs: 1000, mode });
  return modelCheck<unknown>({
    nodes: [
      { id: 'm', machine: chainMaster, config: masterConfig, initialState: c.states.get('m') },
      { id: 'a', machine: primaryBackup, config: config('a'), initialState: c.states.get('a') },
      { id: 'b', machine: primaryBackup, config: config('b'), initialState: c.states.get('b') },
    ],
    commands: [
      { node: 'a', input: { type: 'write', id: 'w1', key: 'x', value: 1 } },
      { node: 'a', input: { type: 'write', id: 'w2', key: 'x', value: 2 } },
    ],
    timeouts: ['m'],
    faults: { loss: 1, crashes: 1 },
    invariants: [answeredSurvive, oneValuePerSeq],
    maxDepth,
    maxStates: 400_000,
  });
}

describe('primary-backup failover, model-checked', () => {
  it('sync: no interleaving of two writes, the failure detector, a lost message and a crash loses an answered write', () => {
    const r = check('sync', 13);
    if (r.violation) throw new Error(`${r.violation.invariant}: ${r.violation.description}\n${formatModelCheckPath(r.violation.path)}`);
    expect(r.status).toBe('bounded');
    expect(r.bound).toBe('depth');
    expect(r.states).toBeGreaterThan(10_000);
  }, 300_000);

  it('async: the checker finds the failover that loses an answered write', () => {
    const r = check('async', 13);
    expect(r.status).toBe('violation');
    expect(r.violation?.invariant).toBe('answered writes survive failover');
  }, 300_000);
});
