import { describe, expect, it } from 'vitest';
import { checkedStep } from 'distkit/core';
import { lamportMutex } from 'distkit/mutex';
import { msg, entered, expectRejected } from './inputs.js';

describe('Lamport mutual exclusion (CACM 1978)', () => {
  const nodes = ['a', 'b', 'c'];
  it('rules 1-5: enter when own request heads the queue and every other node sent a later message', () => {
    let a = lamportMutex.init({ id: 'a', nodes });
    a = checkedStep(lamportMutex, a, { type: 'request', now: 0 }).state;
    a = checkedStep(lamportMutex, a, msg('b', { type: 'ack', ts: 3, n: 0 })).state;
    expect(a.phase).toBe('wanting');
    const t = checkedStep(lamportMutex, a, msg('c', { type: 'ack', ts: 3, n: 0 }));
    expect(entered(t.outputs)).toBe(true);
  });

  it('an earlier request from another node keeps us out until its release', () => {
    let a = lamportMutex.init({ id: 'a', nodes: ['a', 'b'] });
    a = checkedStep(lamportMutex, a, msg('b', { type: 'request', ts: 1, n: 0 })).state; // b first
    a = checkedStep(lamportMutex, a, { type: 'request', now: 0 }).state;
    a = checkedStep(lamportMutex, a, msg('b', { type: 'ack', ts: 9, n: 1 })).state;
    expect(a.phase).toBe('wanting');
    const t = checkedStep(lamportMutex, a, msg('b', { type: 'release', ts: 10, n: 2 }));
    expect(entered(t.outputs)).toBe(true);
  });

  it('messages overtaking each other are put back in FIFO order', () => {
    let a = lamportMutex.init({ id: 'a', nodes: ['a', 'b'] });
    a = checkedStep(lamportMutex, a, { type: 'request', now: 0 }).state; // ts 1
    // b's request (ts 1 > ... tie: a < b so a has priority) then release overtakes nothing; here b's
    // release (n=1) arrives before b's request (n=0): it is buffered.
    a = checkedStep(lamportMutex, a, msg('b', { type: 'release', ts: 5, n: 1 })).state;
    expect(a.pending.b).toHaveLength(1);
    a = checkedStep(lamportMutex, a, msg('b', { type: 'request', ts: 2, n: 0 })).state;
    expect(a.pending.b).toHaveLength(0);
    expect(a.queue.map((q: { node: string }) => q.node)).toEqual(['a']);
    expect(a.phase).toBe('held');
  });

  it('hostile: unknown sender, duplicates, far-future sequence numbers, negative timestamps', () => {
    const a = lamportMutex.init({ id: 'a', nodes });
    expectRejected(lamportMutex, a, msg('z', { type: 'ack', ts: 1, n: 0 }), /unknown sender/);
    expectRejected(lamportMutex, a, msg('b', { type: 'ack', ts: -1, n: 0 }), /ts/);
    expectRejected(lamportMutex, a, msg('b', { type: 'ack', ts: 1, n: 1_000_000 }), /too far/);
    const b = checkedStep(lamportMutex, a, msg('b', { type: 'ack', ts: 1, n: 0 })).state;
    expectRejected(lamportMutex, b, msg('b', { type: 'ack', ts: 1, n: 0 }), /duplicate/);
    // A forged ack never lets an idle node in.
    expect(b.phase).toBe('idle');
  });
});
