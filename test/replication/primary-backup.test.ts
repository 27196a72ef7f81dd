// Primary-backup (Alsberg & Day 1976; Budhiraja et al. 1993) with epochs from the chain master:
// sync and async acknowledgement, failover, state transfer, epoch fencing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deepFreeze } from '../../src/core/index.js';
import { primaryBackup, type PrimaryBackupState } from '../../src/replication/index.js';
import { Cluster } from './chain-cluster.js';

const pb = (mode: 'sync' | 'async', replicas = ['a', 'b', 'c'], initial = replicas.length) => new Cluster(replicas, initial, 200, 300, primaryBackup, { mode });
const state = (c: Cluster, id: string) => c.states.get(id) as PrimaryBackupState;

describe('sync acknowledgement: the primary answers once every backup holds the write', () => {
  it('a write is answered only after both backups acknowledged it', () => {
    const c = pb('sync');
    c.run(50);
    c.step('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    expect(c.answer('w1')).toBeUndefined();
    // One backup's ack is not enough.
    const toB = c.queue.filter((m) => m.to === 'b');
    c.queue = [];
    for (const m of toB) c.step('b', { type: 'message', from: m.from, message: m.message });
    c.deliver((m) => m.to === 'a');
    expect(c.answer('w1')).toBeUndefined();
    c.run(20);
    expect(c.answer('w1')).toEqual({ type: 'written', id: 'w1', key: 'x', seq: 1 });
    for (const id of ['a', 'b', 'c']) expect(state(c, id).store['x']).toEqual([{ seq: 1, value: 1 }]);
  });

  it('a read at the primary never shows a write not yet on every backup', () => {
    const c = pb('sync');
    c.run(50);
    c.client('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    c.step('a', { type: 'write', id: 'w2', key: 'x', value: 2 });
    c.queue = []; // the backups never get w2
    c.client('a', { type: 'read', id: 'r', key: 'x' });
    expect(c.answer('r')).toMatchObject({ type: 'value', value: 1 });
  });

  it('reads and writes elsewhere are redirected to the primary', () => {
    const c = pb('sync');
    c.run(50);
    c.client('b', { type: 'write', id: 'w', key: 'x', value: 1 });
    c.client('b', { type: 'read', id: 'r', key: 'x' });
    expect(c.answer('w')).toMatchObject({ type: 'redirect', to: 'a', reason: 'not the primary' });
    expect(c.answer('r')).toMatchObject({ type: 'redirect', to: 'a' });
  });
});

describe('failover: the failure detector, the new primary, state transfer', () => {
  it('sync: the primary fails, the next backup takes over with every answered write', () => {
    const c = pb('sync');
    c.run(50);
    for (let i = 1; i <= 3; i++) c.client('a', { type: 'write', id: `w${i}`, key: 'x', value: i });
    c.down.add('a');
    c.run(400);
    expect(c.view().chain.map((m) => m.id)).toEqual(['b', 'c']);
    c.client('b', { type: 'read', id: 'r', key: 'x' });
    expect(c.answer('r')).toMatchObject({ type: 'value', value: 3 });
  });

  it('a backup that holds a write the new primary lacks is brought back to the new primary\'s state', () => {
    const c = pb('sync');
    c.run(50);
    c.client('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    c.step('a', { type: 'write', id: 'w2', key: 'x', value: 2 });
    // w2 reaches c only; then a fails: b becomes primary without w2, which was never answered.
    c.queue = c.queue.filter((m) => m.to === 'c');
    c.deliver((m) => m.to === 'c');
    c.queue = [];
    expect(state(c, 'c').held).toBe(2);
    c.down.add('a');
    c.run(400);
    expect(c.answer('w2')).toBeUndefined();
    c.client('b', { type: 'write', id: 'w3', key: 'y', value: 3 });
    c.run(30);
    expect(c.answer('w3')).toMatchObject({ type: 'written', seq: 2 });
    expect(state(c, 'c').store).toEqual(state(c, 'b').store);
    expect(JSON.stringify(state(c, 'c').store)).not.toContain('"value":2');
  });

  it('async: the primary answers at once, and a failover loses what no backup had (the documented window)', () => {
    const c = pb('async');
    c.run(50);
    c.step('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    expect(c.answer('w1')).toEqual({ type: 'written', id: 'w1', key: 'x', seq: 1 });
    c.queue = [];
    c.down.add('a');
    c.run(400);
    c.client('b', { type: 'read', id: 'r', key: 'x' });
    expect(c.answer('r')).toMatchObject({ type: 'value', value: null }); // w1 is lost
  });

  it('a restarted replica rejoins as a backup and gets the primary\'s store', () => {
    const c = pb('sync');
    c.run(50);
    c.client('a', { type: 'write', id: 'w1', key: 'k', value: 'v' });
    c.states.set('c', primaryBackup.recover({ id: 'c', master: 'm', heartbeatMs: 10, mode: 'sync' }, primaryBackup.durable(state(c, 'c'))));
    c.run(150);
    expect(c.view()).toMatchObject({ joining: null });
    expect(c.view().chain.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(state(c, 'c').store).toEqual(state(c, 'a').store);
  });
});

describe('epoch fencing', () => {
  it('a backup drops a write from a primary of another epoch', () => {
    const c = pb('sync');
    c.run(50);
    const b = state(c, 'b');
    const old = { type: 'entries', epoch: b.view.epoch - 1, held: 1, committed: 0, entries: [{ seq: 1, key: 'x', value: 'old', id: 'z' }] };
    const t = primaryBackup.step(deepFreeze(b), { type: 'message', from: 'a', message: old, now: c.now });
    expect(t.state).toBe(b);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', from: 'a' });
  });

  it('an old primary cut off from the master refuses writes once its lease ends, before it is replaced', () => {
    const c = pb('sync');
    c.run(50);
    const cut = (m: { from: string; to: string }) => !((m.from === 'a' && m.to === 'm') || (m.from === 'm' && m.to === 'a'));
    c.run(230, cut);
    expect(c.view().chain[0]!.id).toBe('a');
    c.client('a', { type: 'write', id: 'late', key: 'x', value: 'stale' });
    expect(c.answer('late')).toMatchObject({ type: 'redirect', reason: 'no lease from the master' });
    c.run(200, cut);
    expect(c.view().chain[0]!.id).toBe('b');
  });
});

describe('primary-backup properties', () => {
  it('sync, any interleaving of writes and lost messages: each write answered once, only when every backup holds it, and the stores converge', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 40 }), (ops) => {
        const c = pb('sync');
        c.run(30);
        let n = 0;
        for (const [kind, drop] of ops) {
          if (kind === 0) c.step('a', { type: 'write', id: `w${n++}`, key: `k${n % 3}`, value: n });
          else if (kind === 1) c.run(10);
          const m = c.queue.shift();
          if (m !== undefined && !drop) c.step(m.to, { type: 'message', from: m.from, message: m.message });
          // Whenever the primary has answered up to some write, both backups hold it.
          const answered = c.outputs('written').length;
          expect(Math.min(state(c, 'b').held, state(c, 'c').held)).toBeGreaterThanOrEqual(answered);
        }
        c.run(100);
        const ids = c.outputs('written').map((e) => (e.out as { id: string }).id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(n);
        expect(state(c, 'b').store).toEqual(state(c, 'a').store);
        expect(state(c, 'c').store).toEqual(state(c, 'a').store);
      }),
      { numRuns: 60 },
    );
  });
});
