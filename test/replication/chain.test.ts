// Chain replication (van Renesse & Schneider, OSDI 2004) and CRAQ reads (Terrace & Freedman 2009),
// replica and master stepped by hand: one describe per section of the papers.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deepFreeze } from '../../src/core/index.js';
import { chainReplica } from '../../src/replication/index.js';
import { Cluster } from './chain-cluster.js';

describe('§2: writes at the head, down the chain, acknowledged by the tail; reads at the tail', () => {
  it('a write reaches every replica in order and the tail answers it; acks make it clean everywhere', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.run(50);
    c.client('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    c.client('a', { type: 'write', id: 'w2', key: 'x', value: 2 });
    expect(c.outputs('written').map((e) => [e.node, (e.out as { id: string }).id])).toEqual([['c', 'w1'], ['c', 'w2']]);
    for (const id of ['a', 'b', 'c']) {
      expect(c.replica(id).held).toBe(2);
      expect(c.replica(id).committed).toBe(2);
      expect(c.replica(id).store['x']).toEqual([{ seq: 2, value: 2 }]);
    }
    c.client('c', { type: 'read', id: 'r1', key: 'x' });
    expect(c.answer('r1')).toEqual({ type: 'value', id: 'r1', key: 'x', value: 2, seq: 2 });
  });

  it('a write at a replica that is not the head is redirected, and nothing is applied', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.run(50);
    c.client('b', { type: 'write', id: 'w1', key: 'x', value: 1 });
    expect(c.answer('w1')).toEqual({ type: 'redirect', id: 'w1', to: 'a', reason: 'not the head' });
    expect(c.replica('b').held).toBe(0);
  });

  it('without CRAQ a read at a middle replica is sent to the tail', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.states.set('b', chainReplica.init({ id: 'b', master: 'm', heartbeatMs: 10, craq: false }));
    c.run(50);
    c.client('b', { type: 'read', id: 'r1', key: 'x' });
    expect(c.answer('r1')).toMatchObject({ type: 'redirect', to: 'c', reason: 'not the tail' });
  });
});

describe('CRAQ §2.3: clean reads anywhere, dirty reads ask the tail for the committed version', () => {
  it('a middle replica holding an uncommitted version answers with the committed one', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.run(50);
    c.client('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    // The second write reaches b but not c: x is dirty at b.
    c.step('a', { type: 'write', id: 'w2', key: 'x', value: 2 });
    const held = c.queue.splice(0);
    for (const m of held) c.step(m.to, { type: 'message', from: m.from, message: m.message });
    c.queue = c.queue.filter((m) => !(m.to === 'c' && (m.message as { type: string }).type === 'entries'));
    expect(c.replica('b').store['x']).toEqual([{ seq: 1, value: 1 }, { seq: 2, value: 2 }]);
    c.queue = [];
    c.client('b', { type: 'read', id: 'r1', key: 'x' });
    expect(c.answer('r1')).toEqual({ type: 'value', id: 'r1', key: 'x', value: 1, seq: 1 });
    expect(c.replica('b').store['x']).toEqual([{ seq: 1, value: 1 }, { seq: 2, value: 2 }]);
    // A clean key is answered without asking anyone.
    const before = c.queue.length;
    c.step('b', { type: 'read', id: 'r2', key: 'z' });
    expect(c.queue.length).toBe(before);
    expect(c.answer('r2')).toEqual({ type: 'value', id: 'r2', key: 'z', value: null, seq: 0 });
  });
});

describe('§3: failures, epochs and fencing', () => {
  it('failure of the head: the master removes it and the second replica becomes the head', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.run(50);
    c.client('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    c.down.add('a');
    c.run(400);
    expect(c.view().chain.map((m) => m.id)).toEqual(['b', 'c']);
    c.client('b', { type: 'write', id: 'w2', key: 'x', value: 2 });
    expect(c.answer('w2')).toMatchObject({ type: 'written', id: 'w2', seq: 2 });
  });

  it('failure of a middle replica: its predecessor resends what the successor lacks (the Sent set)', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.run(50);
    // b dies holding nothing; a's write to b is lost with it.
    c.down.add('b');
    c.client('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    expect(c.answer('w1')).toBeUndefined();
    c.run(400);
    expect(c.view().chain.map((m) => m.id)).toEqual(['a', 'c']);
    expect(c.answer('w1')).toMatchObject({ type: 'written', id: 'w1', seq: 1 });
    expect(c.replica('c').held).toBe(1);
  });

  it('failure of the tail: its predecessor becomes the tail and commits what it holds', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.run(50);
    c.down.add('c');
    c.client('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    expect(c.replica('b').held).toBe(1);
    expect(c.answer('w1')).toBeUndefined();
    c.run(400);
    expect(c.view().chain.map((m) => m.id)).toEqual(['a', 'b']);
    expect(c.answer('w1')).toMatchObject({ type: 'written', id: 'w1', seq: 1 });
  });

  it('epoch fencing: a replica drops messages of another epoch', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.run(50);
    const b = c.replica('b');
    const t = chainReplica.step(deepFreeze(b), { type: 'message', from: 'a', message: { type: 'entries', epoch: b.view.epoch - 1, held: 1, committed: 0, entries: [{ seq: 1, key: 'x', value: 'old', id: 'z' }] }, now: c.now });
    expect(t.state).toBe(b);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'a', reason: `epoch ${b.view.epoch - 1}, this replica is in ${b.view.epoch}` }]);
  });

  it('an old head cut off from the master stops taking writes when its lease ends, before the master replaces it', () => {
    const c = new Cluster(['a', 'b', 'c'], 3, 200, 300);
    c.run(50);
    const cut = (m: { from: string; to: string }) => !((m.from === 'a' && m.to === 'm') || (m.from === 'm' && m.to === 'a'));
    c.run(230, cut);
    expect(c.view().chain.map((m) => m.id)).toEqual(['a', 'b', 'c']); // not removed yet
    c.client('a', { type: 'write', id: 'late', key: 'x', value: 'stale' });
    expect(c.answer('late')).toMatchObject({ type: 'redirect', reason: 'no lease from the master' });
    c.run(200, cut);
    expect(c.view().chain.map((m) => m.id)).toEqual(['b', 'c']);
    for (const id of ['b', 'c']) expect(JSON.stringify(c.replica(id).store)).not.toContain('stale');
  });

  it('a restarted replica (new incarnation, empty store) is removed and rejoins at the tail by state transfer', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.run(50);
    for (let i = 1; i <= 3; i++) c.client('a', { type: 'write', id: `w${i}`, key: `k${i}`, value: i });
    const d = chainReplica.durable(c.replica('b'));
    c.states.set('b', chainReplica.recover({ id: 'b', master: 'm', heartbeatMs: 10 }, d));
    c.run(100);
    const reasons = c.outputs('reconfigured').map((e) => (e.out as { reason: string }).reason);
    expect(reasons).toEqual(['b restarted', 'b joins at the tail', 'b holds the state and becomes the tail']);
    expect(c.view().chain.map((m) => m.id)).toEqual(['a', 'c', 'b']);
    expect(c.replica('b').store).toEqual(c.replica('a').store);
    c.client('b', { type: 'read', id: 'r', key: 'k3' });
    expect(c.answer('r')).toMatchObject({ type: 'value', value: 3 });
  });

  it('a new replica joins at the tail (§3 extending a chain): the old tail answers until the transfer is done', () => {
    const c = new Cluster(['a', 'b', 'c'], 2);
    c.down.add('c');
    c.run(50);
    c.client('a', { type: 'write', id: 'w1', key: 'x', value: 1 });
    expect(c.answer('w1')).toMatchObject({ type: 'written' });
    c.down.delete('c');
    c.run(100);
    expect(c.view()).toMatchObject({ joining: null });
    expect(c.view().chain.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    c.client('c', { type: 'read', id: 'r', key: 'x' });
    expect(c.answer('r')).toMatchObject({ type: 'value', value: 1 });
  });

  it('while a replica joins, the tail commits only what the joining replica holds: the master may make it the tail as soon as it reports holding the state', () => {
    const member = (id: string, since: number) => ({ id, incarnation: 0, since });
    const view = (epoch: number, joining: boolean) => ({ epoch, chain: [member('a', 1), member('b', 1), ...(joining ? [member('c', 2)] : [])], joining: joining ? 'c' : null });
    const step = (s: ReturnType<typeof chainReplica.init>, from: string, message: unknown, now: number) => chainReplica.step(deepFreeze(s), { type: 'message', from, message, now });
    let b = chainReplica.init({ id: 'b', master: 'm', heartbeatMs: 10 });
    b = step(b, 'm', { type: 'config', view: view(1, false), sentAt: null }, 1).state;
    b = step(b, 'm', { type: 'config', view: view(2, true), sentAt: null }, 2).state;
    const t = step(b, 'a', { type: 'entries', epoch: 2, held: 1, committed: 0, entries: [{ seq: 1, key: 'x', value: 1, id: 'w1' }] }, 3);
    // The old tail holds the write and passes it on, but does not answer it yet.
    expect(t.outputs.filter((o) => o.type === 'written')).toEqual([]);
    expect(t.outputs).toContainEqual({ type: 'send', to: 'c', message: expect.objectContaining({ type: 'entries', epoch: 2 }) });
    expect(t.state.committed).toBe(0);
    const acked = step(t.state, 'c', { type: 'ack', epoch: 2, held: 1, committed: 0, synced: true }, 4);
    expect(acked.outputs).toContainEqual({ type: 'written', id: 'w1', key: 'x', seq: 1 });
    expect(acked.state.committed).toBe(1);
  });

  it('the master never removes the last replica holding the state', () => {
    const c = new Cluster(['a', 'b']);
    c.run(50);
    c.down.add('a');
    c.down.add('b');
    c.run(1000);
    expect(c.view().chain.length).toBe(1);
  });
});

describe('replica properties', () => {
  it('any interleaving of writes and lost messages: every replica holds a prefix of the head, and the tail only commits what all hold', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 40 }), (ops) => {
        const c = new Cluster(['a', 'b', 'c']);
        c.run(30);
        let n = 0;
        for (const [kind, drop] of ops) {
          if (kind === 0) c.step('a', { type: 'write', id: `w${n++}`, key: `k${n % 3}`, value: n });
          else if (kind === 1) c.run(10);
          const m = c.queue.shift();
          if (m !== undefined && !drop && !c.down.has(m.to)) c.step(m.to, { type: 'message', from: m.from, message: m.message });
        }
        c.run(100);
        const [a, b, t] = ['a', 'b', 'c'].map((id) => c.replica(id));
        expect(a!.held).toBeGreaterThanOrEqual(b!.held);
        expect(b!.held).toBeGreaterThanOrEqual(t!.held);
        expect(t!.held).toBe(n);
        expect(new Set(c.outputs('written').map((e) => (e.out as { id: string }).id)).size).toBe(n);
        expect(a!.store).toEqual(t!.store);
      }),
      { numRuns: 60 },
    );
  });
});
