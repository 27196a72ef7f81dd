// Every machine hosted on Raft passes Raft's durability acknowledgement through (thesis §10.2.1,
// `parallelAppend`): its log-append persist carries the `onDurable` input, the AppendEntries sent
// with it stay marked `beforePersist`, and the leader commits its own write only once the host has
// stepped that input back. A host that dropped it would leave a single-voter leader unable to
// commit anything, and a three-voter leader unable to commit with one follower down.
import { describe, expect, it } from 'vitest';
import { createNode, type DurableMachine } from 'distkit/core';
import { replicatedStateMachine, type RaftConfig } from 'distkit/consensus';
import { distributedQueue } from 'distkit/messaging';
import { distributedStore, raftChainMaster, raftCounter } from 'distkit/replication';

interface Hosted {
  readonly raft: { readonly commit: number; readonly role: string };
}
type AnyHost = DurableMachine<any, Hosted, any, any, any>;

const hosts: readonly [string, AnyHost, (raft: RaftConfig) => unknown][] = [
  ['replicatedStateMachine', replicatedStateMachine(distributedQueue) as unknown as AnyHost, (raft) => ({ raft })],
  ['raftCounter', raftCounter as unknown as AnyHost, (raft) => ({ raft })],
  ['raftChainMaster', raftChainMaster as unknown as AnyHost, (raft) => ({ raft, replicas: ['x', 'y'], failureTimeoutMs: 500 })],
  ['distributedStore', distributedStore as unknown as AnyHost, (raft) => ({ raft })],
];

describe.each(hosts)('%s with parallelAppend', (_name, machine, config) => {
  it('a single voter commits its election noop only after the host steps the persist output\'s onDurable input', () => {
    let s = machine.init(config({ id: 'a', voters: ['a'], seed: 1, parallelAppend: true }));
    const t = machine.step(s, { type: 'campaign', now: 0 });
    s = t.state;
    const persist = t.outputs.find((o: { type: string }) => o.type === 'persist') as { onDurable?: { type: string; index: number; term: number } } | undefined;
    expect(s.raft.role).toBe('leader');
    expect(persist?.onDurable).toEqual({ type: 'persisted', index: 1, term: 1 });
    expect(s.raft.commit).toBe(0);
    s = machine.step(s, { ...persist!.onDurable!, now: 1 }).state;
    expect(s.raft.commit).toBe(1);
  });

  it('under createNode, a single voter with parallelAppend answers: the host steps onDurable once the write is durable', async () => {
    const durable: unknown[] = [];
    const node = createNode(machine, config({ id: 'a', voters: ['a'], seed: 1, parallelAppend: true }), {
      send: () => undefined,
      persist: async (record) => {
        await new Promise((r) => setTimeout(r, 2));
        durable.push(record);
      },
    });
    try {
      await node.input({ type: 'campaign' });
      for (let i = 0; i < 100 && node.state.raft.commit < 1; i++) await new Promise((r) => setTimeout(r, 5));
      expect(durable.length).toBeGreaterThan(0);
      expect(node.state.raft.commit).toBeGreaterThanOrEqual(1);
    } finally {
      node.stop();
    }
  });
});

describe('replicatedStateMachine with parallelAppend: a leader of three', () => {
  const m = replicatedStateMachine(distributedQueue);
  const leader = (parallelAppend: boolean) => {
    let s = m.init({ raft: { id: 'a', voters: ['a', 'b', 'c'], seed: 1, preVote: false, parallelAppend } });
    s = m.step(s, { type: 'campaign', now: 0 }).state;
    s = m.step(s, { type: 'message', from: 'b', now: 1, message: { type: 'voteResponse', term: 1, granted: true, pre: false } }).state;
    expect(s.raft.role).toBe('leader');
    // Both followers take the election's noop entry, so the leader replicates the next one at once.
    for (const from of ['b', 'c']) s = m.step(s, { type: 'message', from, now: 1, message: { type: 'appendResponse', term: 1, success: true, index: 1, hintIndex: 0, hintTerm: 0 } }).state;
    return m.step(s, { type: 'submit', id: 'r1', command: { type: 'enqueue', body: 'job' }, now: 2 }).outputs;
  };

  it('replicates a submitted command before its own write is durable, and asks to hear when it is', () => {
    const outputs = leader(true);
    const persist = outputs.find((o) => o.type === 'persist') as { onDurable?: unknown } | undefined;
    const appends = outputs.filter((o) => o.type === 'send' && (o.message as { type: string }).type === 'append') as { beforePersist?: boolean }[];
    expect(persist?.onDurable).toEqual({ type: 'persisted', index: 2, term: 1 });
    expect(appends).toHaveLength(2);
    expect(appends.every((o) => o.beforePersist === true)).toBe(true);
  });

  it('without parallelAppend the sends wait for the write and no acknowledgement is asked for', () => {
    const outputs = leader(false);
    const persist = outputs.find((o) => o.type === 'persist') as { onDurable?: unknown } | undefined;
    expect(persist).toBeDefined();
    expect(persist!.onDurable).toBeUndefined();
    expect(outputs.filter((o) => o.type === 'send').every((o) => (o as { beforePersist?: boolean }).beforePersist !== true)).toBe(true);
  });
});
