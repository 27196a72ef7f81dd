import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { ConfigError } from 'distkit/core';
import { createTcpTransport, type TcpTransport } from 'distkit/node';

const open: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function waitFor<T>(f: () => T | undefined, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + ms;
    const poll = () => {
      const v = f();
      if (v !== undefined) resolve(v);
      else if (performance.now() > deadline) reject(new Error('timed out waiting'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

async function pair() {
  const errors: string[] = [];
  const a = createTcpTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, peers: {}, maxFrameBytes: 1024, onError: (p) => errors.push(p) });
  open.push(a);
  const { port } = await a.address();
  const b = createTcpTransport({ id: 'b', listen: { host: '127.0.0.1', port: 0 }, peers: { a: { host: '127.0.0.1', port } }, onError: (p) => errors.push(p) });
  open.push(b);
  await b.address();
  return { a, b, port, errors };
}

describe('TCP transport (loopback)', () => {
  it('delivers messages in order, attributed to the sender named in the handshake', async () => {
    const { a, b } = await pair();
    const got: [string, unknown][] = [];
    a.onMessage((from, m) => got.push([from, m]));
    for (let i = 0; i < 100; i++) b.send('a', { i, text: 'é😀' });
    await waitFor(() => (got.length === 100 ? true : undefined));
    expect(got.map(([, m]) => (m as { i: number }).i)).toEqual([...Array(100).keys()]);
    expect(got.every(([from]) => from === 'b')).toBe(true);
    expect((got[0]![1] as { text: string }).text).toBe('é😀');
  });

  it('drops and reports malformed frames, a missing handshake and oversized frames', async () => {
    const { a, port, errors } = await pair();
    const got: unknown[] = [];
    a.onMessage((_f, m) => got.push(m));
    const frame = (s: string) => {
      const body = Buffer.from(s, 'utf8');
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      return Buffer.concat([head, body]);
    };
    // A raw peer: bad JSON after a valid handshake, then a valid message.
    const s1 = connect(port, '127.0.0.1');
    s1.write(Buffer.concat([frame('{"hello":"evil"}'), frame('{not json'), frame('{"ok":1}')]));
    await waitFor(() => (got.length === 1 ? true : undefined));
    expect(got).toEqual([{ ok: 1 }]);
    expect(errors.some((e) => e.includes('malformed frame'))).toBe(true);
    // No handshake: closed.
    const s2 = connect(port, '127.0.0.1');
    s2.write(frame('[1,2,3]'));
    await waitFor(() => (errors.some((e) => e.startsWith('handshake')) ? true : undefined));
    // Oversized frame header: closed without allocating it.
    const s3 = connect(port, '127.0.0.1');
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0xffffffff);
    s3.write(huge);
    await waitFor(() => (errors.some((e) => e.includes('exceeds maxFrameBytes')) ? true : undefined));
    for (const s of [s1, s2, s3]) s.destroy();
    expect(got).toEqual([{ ok: 1 }]);
  });

  it('queues while the peer is down and reconnects with backoff', async () => {
    const errors: string[] = [];
    const first = createTcpTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, peers: {} });
    const { port } = await first.address();
    await first.close();
    const b = createTcpTransport({ id: 'b', listen: { host: '127.0.0.1', port: 0 }, peers: { a: { host: '127.0.0.1', port } }, reconnectDelayMs: 10, onError: (p) => errors.push(p) });
    open.push(b);
    b.send('a', { n: 1 });
    await waitFor(() => (errors.some((e) => e.includes('connection to a')) ? true : undefined));
    const a = createTcpTransport({ id: 'a', listen: { host: '127.0.0.1', port }, peers: {} });
    open.push(a);
    const got: unknown[] = [];
    a.onMessage((_f, m) => got.push(m));
    await waitFor(() => (got.length === 1 ? true : undefined));
    expect(got).toEqual([{ n: 1 }]);
  });

  it('reports sends to unknown peers and unserializable messages, and validates options', async () => {
    const { b, errors } = await pair();
    b.send('nobody', 1);
    b.send('a', 1n as unknown);
    expect(errors.some((e) => e.includes('unknown peer "nobody"'))).toBe(true);
    expect(errors.some((e) => e.includes('not JSON-serializable'))).toBe(true);
    expect(() => createTcpTransport({ id: 'x', listen: { host: '127.0.0.1', port: 0 }, peers: {}, maxFrameBytes: -1 })).toThrow(ConfigError);
  });
});
