import { describe, expect, it } from 'vitest';
import { createMemoryNetwork, createMessagePortTransport, TransportError, type MessagePortLike } from 'distkit/core';

// Waits until `cond` holds, yielding to the event loop (MessagePort delivery is a macrotask).
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A Node-style port pair (`on`/`off`, no `addEventListener`), delivering synchronously. */
function nodeStylePair(): [MessagePortLike, MessagePortLike] {
  const listeners: [Set<(d: unknown) => void>, Set<(d: unknown) => void>] = [new Set(), new Set()];
  const closed = [false, false];
  const port = (me: 0 | 1): MessagePortLike => ({
    postMessage: (m) => {
      if (closed[me] || closed[1 - me]) return;
      for (const l of listeners[1 - me]!) l(structuredClone(m));
    },
    on: (_t, l) => void listeners[me]!.add(l),
    off: (_t, l) => void listeners[me]!.delete(l),
    close: () => void (closed[me] = true),
  });
  return [port(0), port(1)];
}

describe('createMessagePortTransport', () => {
  it('carries messages both ways over a real MessageChannel, tagged with the sender', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = createMessagePortTransport<{ n: number }>('a', { b: port1 });
    const b = createMessagePortTransport<{ n: number }>('b', { a: port2 });
    const atB: [string, unknown][] = [];
    const atA: [string, unknown][] = [];
    b.onMessage((from, m) => atB.push([from, m]));
    a.onMessage((from, m) => atA.push([from, m]));
    a.send('b', { n: 1 });
    a.send('b', { n: 2 });
    b.send('a', { n: 3 });
    await until(() => atB.length === 2 && atA.length === 1);
    expect(atB).toEqual([['a', { n: 1 }], ['a', { n: 2 }]]);
    expect(atA).toEqual([['b', { n: 3 }]]);
    a.close();
    b.close();
  });

  it('works with Node-style ports (on/off) and detaches on close', () => {
    const [p1, p2] = nodeStylePair();
    const a = createMessagePortTransport('a', { b: p1 });
    const b = createMessagePortTransport('b', { a: p2 });
    const got: unknown[] = [];
    const off = b.onMessage((_from, m) => got.push(m));
    a.send('b', 'x');
    expect(got).toEqual(['x']);
    off();
    a.send('b', 'y');
    expect(got).toEqual(['x']);
    b.onMessage((_from, m) => got.push(m));
    b.close();
    a.send('b', 'z');
    expect(got).toEqual(['x']);
  });

  it('never throws when sending to an unknown peer, including names of Object.prototype', () => {
    const [p1] = nodeStylePair();
    const a = createMessagePortTransport('a', { b: p1 });
    for (const to of ['zz', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) expect(() => a.send(to, 1)).not.toThrow();
  });

  it('drops and reports frames that are not envelopes from the port\'s peer', () => {
    const [p1, p2] = nodeStylePair();
    const errors: string[] = [];
    const b = createMessagePortTransport('b', { a: p2 }, { onError: (r) => errors.push(r) });
    const got: unknown[] = [];
    b.onMessage((from, m) => got.push([from, m]));
    for (const frame of [null, 42, 'x', {}, { from: 'a' }, { from: 'mallory', message: 1 }]) p1.postMessage(frame);
    p1.postMessage({ from: 'a', message: 'ok' });
    expect(got).toEqual([['a', 'ok']]);
    expect(errors).toHaveLength(6);
    expect(errors[0]).toMatch(/malformed frame from port of a/);
  });

  it('a throwing handler neither escapes into the port nor starves the other handlers', () => {
    const [p1, p2] = nodeStylePair();
    const errors: string[] = [];
    const a = createMessagePortTransport('a', { b: p1 });
    const b = createMessagePortTransport('b', { a: p2 }, { onError: (r) => errors.push(r) });
    const got: unknown[] = [];
    b.onMessage(() => {
      throw new Error('boom');
    });
    b.onMessage((_from, m) => got.push(m));
    expect(() => a.send('b', 1)).not.toThrow();
    expect(got).toEqual([1]);
    expect(errors).toEqual(['handler for a message from a threw: boom']);
  });

  it('refuses a port it cannot listen on', () => {
    const port = { postMessage: () => {}, close: () => {} } as MessagePortLike;
    expect(() => createMessagePortTransport('a', { b: port })).toThrow(TransportError);
  });
});

describe('createMemoryNetwork', () => {
  it('copies messages, keeps FIFO order per link, and counts drops to unknown or closed endpoints', async () => {
    const net = createMemoryNetwork<{ n: number }>();
    const a = net.transport('a');
    const b = net.transport('b');
    expect(net.transport('a')).toBe(a);
    const got: number[] = [];
    b.onMessage((_from, m) => {
      got.push(m.n);
      m.n = -1; // a receiver cannot change what the sender holds
    });
    const msg = { n: 1 };
    a.send('b', msg);
    a.send('b', { n: 2 });
    a.send('nobody', { n: 3 });
    await net.settle();
    expect(got).toEqual([1, 2]);
    expect(msg.n).toBe(1);
    b.close();
    a.send('b', { n: 4 });
    await net.settle();
    expect(net.stats).toEqual({ sent: 4, delivered: 2, dropped: 2 });
  });
});
