import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import { createTcpTransport, type TcpAuth, type TcpRejection, type TcpTransport, type TcpTransportOptions } from 'distkit/node';
import { makeTestPki, type TestPki } from './fixtures/tls-certs.js';
import { sleep, waitFor } from '../support/wait.js';

const HOST = '127.0.0.1';
const SECRET = 'cluster secret for the tests';
const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.dispose());


interface Node {
  t: TcpTransport;
  port: number;
  got: [string, unknown][];
  errors: string[];
  rejections: TcpRejection[];
}

const hmac: TcpAuth = { mode: 'hmac', secret: SECRET };
const tls = (id: string, issuer: 'cluster' | 'rogue' = 'cluster'): TcpAuth => ({ mode: 'tls', ca: pki.ca, ...pki.identity(id, issuer) });

async function node(id: string, auth: TcpAuth, peers: Record<string, number> = {}, extra: Partial<TcpTransportOptions> = {}): Promise<Node> {
  const n: Node = { t: undefined as never, port: 0, got: [], errors: [], rejections: [] };
  n.t = createTcpTransport({
    id,
    listen: { host: HOST, port: 0 },
    peers: Object.fromEntries(Object.entries(peers).map(([p, port]) => [p, { host: HOST, port }])),
    auth,
    reconnectDelayMs: 10,
    reconnectMaxDelayMs: 100,
    onError: (p) => n.errors.push(p),
    onReject: (r) => n.rejections.push(r),
    ...extra,
  });
  open.push(n.t);
  n.t.onMessage((from, m) => n.got.push([from, m]));
  n.port = (await n.t.address()).port;
  return n;
}

function rawFrame(value: unknown): Buffer {
  const body = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

function rawSocket(port: number): Socket {
  const s = connect(port, HOST);
  s.on('error', () => undefined);
  open.push({ close: () => s.destroy() });
  return s;
}

const modes: [string, (id: string) => TcpAuth][] = [
  ['none (loopback)', () => ({ mode: 'none' })],
  ['hmac', () => hmac],
  ['mutual TLS', (id) => tls(id)],
];

describe.each(modes)('TCP transport, auth %s', (_name, auth) => {
  it('delivers messages in order, attributed to the authenticated sender', async () => {
    const a = await node('a', auth('a'));
    const b = await node('b', auth('b'), { a: a.port });
    for (let i = 0; i < 100; i++) b.t.send('a', { i, text: 'é😀' });
    await waitFor(() => a.got.length === 100);
    expect(a.got.map(([, m]) => (m as { i: number }).i)).toEqual([...Array(100).keys()]);
    expect(a.got.every(([from]) => from === 'b')).toBe(true);
    expect((a.got[0]![1] as { text: string }).text).toBe('é😀');
    expect(a.rejections).toEqual([]);
    expect(b.t.stats().links.a).toMatchObject({ connected: true, sent: 100, dropped: 0, queued: 0 });
  });

  it('a client that is not in the peer map gets its reply over the connection it opened', async () => {
    const server = await node('server', auth('server'));
    server.t.onMessage((from, m) => server.t.send(from, { reply: m }));
    const client = await node('client', auth('client'), { server: server.port });
    client.t.send('server', 'ping');
    await waitFor(() => client.got.length === 1);
    expect(client.got).toEqual([['server', { reply: 'ping' }]]);
    expect(server.t.stats().links.client?.sent).toBe(1);
    // Once the client is gone, the server has no route to it: reported and counted, not thrown.
    await client.t.close();
    await waitFor(() => server.t.stats().links.client === undefined);
    server.t.send('client', 'late');
    expect(server.t.stats().unroutable).toBe(1);
  });

  it('reconnects after the peer restarts on the same port', async () => {
    const a1 = await node('a', auth('a'));
    const port = a1.port;
    const b = await node('b', auth('b'), { a: port });
    b.t.send('a', 1);
    await waitFor(() => a1.got.length === 1);
    await a1.t.close();
    await waitFor(() => b.t.stats().links.a?.connected === false);
    const a2 = await node('a', auth('a'), {}, { listen: { host: HOST, port } });
    b.t.send('a', 2);
    await waitFor(() => a2.got.length === 1);
    expect(a2.got).toEqual([['b', 2]]);
  });
});

describe('HMAC handshake', () => {
  it('refuses a peer with the wrong secret, on both sides, and delivers nothing', async () => {
    const a = await node('a', hmac);
    const b = await node('b', { mode: 'hmac', secret: 'another secret, same length!' }, { a: a.port });
    b.t.send('a', 'hi');
    await waitFor(() => a.rejections.length > 0 && b.rejections.length > 0);
    expect(a.got).toEqual([]);
    // The listener proves itself first, so the dialer with the wrong secret is the first to notice.
    expect(b.rejections[0]!.reason).toMatch(/listener's proof does not match/);
    expect(b.rejections[0]!.remote).toBe(`${HOST}:${a.port}`);
    expect(a.rejections[0]).toMatchObject({ claimedId: 'b', reason: expect.stringMatching(/closed the connection before finishing/) });
    expect(b.t.stats().links.a?.connected).toBe(false);
  });

  it('refuses a forged id: a socket that claims to be b but cannot prove it', async () => {
    const a = await node('a', hmac);
    const s = rawSocket(a.port);
    const replies: Buffer[] = [];
    s.on('data', (d: Buffer) => replies.push(d));
    s.write(rawFrame({ distkit: 'hello', id: 'b', nonce: 'ab'.repeat(32) }));
    await waitFor(() => replies.length > 0); // the challenge
    s.write(rawFrame({ distkit: 'proof', proof: '00'.repeat(32) }));
    s.write(rawFrame({ op: 'forged' }));
    await waitFor(() => a.rejections.length === 1);
    expect(a.rejections[0]).toMatchObject({ claimedId: 'b', reason: expect.stringMatching(/proof does not match/) });
    expect(a.rejections[0]!.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    await sleep(50);
    expect(a.got).toEqual([]);
    expect(a.t.stats().rejected).toBe(1);
  });

  it('drops and reports frames sent without a handshake, naming the remote address', async () => {
    const a = await node('a', hmac);
    const s = rawSocket(a.port);
    await new Promise((r) => s.once('connect', r));
    const localPort = s.localPort;
    s.write(Buffer.concat([rawFrame({ op: 'no handshake' }), rawFrame({ op: 'more' })]));
    await waitFor(() => a.rejections.length === 1);
    expect(a.rejections[0]!.reason).toMatch(/unauthenticated connection are dropped/);
    expect(a.rejections[0]!.remote).toBe(`${HOST}:${localPort}`);
    await sleep(50);
    expect(a.got).toEqual([]);
  });

  it('refuses a replayed handshake: the recorded hello and proof of a real session do not open a new one', async () => {
    const a = await node('a', hmac);
    // A recording relay between b and a captures everything b sends.
    const recorded: Buffer[] = [];
    const relay: Server = createServer((inbound) => {
      const out = connect(a.port, HOST);
      inbound.on('data', (d: Buffer) => {
        recorded.push(d);
        out.write(d);
      });
      out.on('data', (d: Buffer) => inbound.write(d));
      inbound.on('error', () => out.destroy());
      out.on('error', () => inbound.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, HOST, () => r()));
    open.push({ close: () => new Promise((r) => relay.close(r)) });
    const relayPort = (relay.address() as { port: number }).port;
    const b = await node('b', hmac, { a: relayPort });
    b.t.send('a', { transfer: 100 });
    await waitFor(() => a.got.length === 1);
    await b.t.close();
    // Replay every byte b sent (hello, proof, the sealed message) on a fresh connection.
    const s = rawSocket(a.port);
    s.write(Buffer.concat(recorded));
    await waitFor(() => a.rejections.length === 1);
    expect(a.rejections[0]).toMatchObject({ claimedId: 'b', reason: expect.stringMatching(/replayed handshake/) });
    await sleep(50);
    expect(a.got).toEqual([['b', { transfer: 100 }]]);
  });

  it('closes a connection whose frame MAC does not verify (a frame altered in flight)', async () => {
    const a = await node('a', hmac);
    let flip = false;
    const relay: Server = createServer((inbound) => {
      const out = connect(a.port, HOST);
      inbound.on('data', (d: Buffer) => {
        if (flip) d = Buffer.from(d.map((x, i) => (i === d.length - 2 ? x ^ 1 : x)));
        out.write(d);
      });
      out.on('data', (d: Buffer) => inbound.write(d));
      inbound.on('error', () => out.destroy());
      out.on('error', () => inbound.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, HOST, () => r()));
    open.push({ close: () => new Promise((r) => relay.close(r)) });
    const b = await node('b', hmac, { a: (relay.address() as { port: number }).port });
    b.t.send('a', { n: 1 });
    await waitFor(() => a.got.length === 1);
    flip = true;
    b.t.send('a', { n: 2 });
    await waitFor(() => a.rejections.length === 1);
    expect(a.rejections[0]!.reason).toMatch(/frame MAC from b does not verify/);
    expect(a.got).toEqual([['b', { n: 1 }]]);
  });

  it('hostile bytes from an unauthenticated socket never reach the handlers and never break the listener', async () => {
    // Few pending handshakes allowed: a leaked slot per hostile socket would lock the genuine peer out.
    const a = await node('a', hmac, {}, { maxPendingHandshakes: 4 });
    const frames = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.jsonValue().map((v) => rawFrame(JSON.stringify(v) ?? 'null')),
      fc.record({ distkit: fc.constantFrom('hello', 'challenge', 'proof', 'x'), id: fc.oneof(fc.string(), fc.constant('b')), nonce: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef') }), fc.constant('ab'.repeat(32))), proof: fc.string({ unit: fc.constantFrom(...'0123456789abcdef') }) }, { requiredKeys: [] }).map(rawFrame),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frames, { minLength: 1, maxLength: 6 }), async (chunks) => {
        const s = rawSocket(a.port);
        s.write(Buffer.concat(chunks));
        await sleep(5);
        s.destroy();
      }),
      { numRuns: 40 },
    );
    await sleep(50);
    expect(a.got).toEqual([]);
    expect(a.t.stats().rejected).toBeGreaterThan(0);
    // The listener still serves a genuine peer afterwards.
    const b = await node('b', hmac, { a: a.port });
    b.t.send('a', 'still here');
    await waitFor(() => a.got.length === 1);
    expect(a.got).toEqual([['b', 'still here']]);
  });

  it('closes a connection that does not finish its handshake in time', async () => {
    const a = await node('a', hmac, {}, { handshakeTimeoutMs: 50 });
    rawSocket(a.port);
    await waitFor(() => a.rejections.length === 1);
    expect(a.rejections[0]!.reason).toMatch(/not finished within 50 ms/);
  });

  it('refuses a dialed node that turns out to have another id', async () => {
    const x = await node('x', hmac);
    const b = await node('b', hmac, { a: x.port });
    b.t.send('a', 'for a only');
    await waitFor(() => b.rejections.length > 0);
    expect(b.rejections[0]).toMatchObject({ claimedId: 'x', reason: expect.stringMatching(/is "x", not "a"/) });
    expect(x.got).toEqual([]);
  });
});

describe('mutual TLS', () => {
  it('refuses a certificate that names another node than the one claimed (forged id)', async () => {
    const a = await node('a', tls('a'));
    const mallory = await node('b', tls('mallory'), { a: a.port }); // claims b with mallory's certificate
    mallory.t.send('a', 'i am b');
    await waitFor(() => a.rejections.length > 0);
    expect(a.rejections[0]).toMatchObject({ claimedId: 'b', reason: expect.stringMatching(/certificate names \["mallory","mallory"\]/) });
    await sleep(50);
    expect(a.got).toEqual([]);
  });

  it('refuses a certificate from another CA, reporting the TLS error with the remote address', async () => {
    const a = await node('a', tls('a'));
    const b = await node('b', tls('b', 'rogue'), { a: a.port });
    b.t.send('a', 'hi');
    await waitFor(() => a.rejections.length > 0);
    expect(a.rejections[0]!.reason).toMatch(/^tls: client certificate not verified \(\w+/);
    expect(a.rejections[0]!.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(a.got).toEqual([]);
  });

  it('does not send to a server whose certificate names another node', async () => {
    const x = await node('x', tls('x'));
    const b = await node('b', tls('b'), { a: x.port });
    b.t.send('a', 'for a only');
    await waitFor(() => b.errors.some((e) => /server certificate names \["x","x"\], not "a"/.test(e)));
    expect(x.got).toEqual([]);
    expect(b.t.stats().links.a?.connected).toBe(false);
  });
});

describe('bounds', () => {
  it('drops and reports an oversized frame and keeps the connection (and, with HMAC, the frame sequence)', async () => {
    const a = await node('a', hmac, {}, { maxFrameBytes: 1000 });
    const b = await node('b', hmac, { a: a.port }, { maxFrameBytes: 100_000 });
    b.t.send('a', { n: 1 });
    b.t.send('a', { big: 'x'.repeat(50_000) });
    b.t.send('a', { n: 2 });
    await waitFor(() => a.got.length === 2);
    expect(a.got).toEqual([['b', { n: 1 }], ['b', { n: 2 }]]);
    expect(a.errors.some((e) => /frame of 50\d{3} bytes from b exceeds maxFrameBytes \(1000\); dropped/.test(e))).toBe(true);
    expect(a.t.stats().oversized).toBe(1);
    expect(a.rejections).toEqual([]);
    // The sender drops what exceeds its own limit before it is queued.
    b.t.send('a', { big: 'x'.repeat(200_000) });
    expect(b.t.stats().oversized).toBe(1);
  });

  it('closes an unauthenticated connection that announces a large frame, before buffering it', async () => {
    const a = await node('a', hmac);
    const s = rawSocket(a.port);
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0xffffffff);
    s.write(huge);
    await waitFor(() => a.rejections.length === 1);
    expect(a.rejections[0]!.reason).toMatch(/handshake frame of 4294967295 bytes/);
  });

  it('bounds the queue of an unreachable peer: the oldest messages are dropped, counted and reported', async () => {
    const gone = await node('a', hmac);
    const port = gone.port;
    await gone.t.close();
    const b = await node('b', hmac, { a: port }, { maxQueuedMessages: 5 });
    for (let i = 0; i < 20; i++) b.t.send('a', i);
    expect(b.t.stats().links.a).toMatchObject({ connected: false, queued: 5, dropped: 15, sent: 0 });
    expect(b.errors.filter((e) => e.includes('queue full')).length).toBe(15);
    const a = await node('a', hmac, {}, { listen: { host: HOST, port } });
    await waitFor(() => a.got.length === 5);
    expect(a.got.map(([, m]) => m)).toEqual([15, 16, 17, 18, 19]);
  });

  it('applies back-pressure: a peer that stops reading holds the socket at its high-water mark and the queue at its byte bound', async () => {
    let stalled: Socket | undefined;
    const sink = createServer((s) => {
      stalled = s;
      s.pause(); // reads nothing: the kernel buffers fill, then Node's, then ours
    });
    await new Promise<void>((r) => sink.listen(0, HOST, () => r()));
    open.push({ close: () => (stalled?.destroy(), new Promise((r) => sink.close(r))) });
    const port = (sink.address() as { port: number }).port;
    const maxQueuedBytes = 1_000_000;
    const b = await node('b', { mode: 'none' }, { a: port }, { maxQueuedBytes });
    const chunk = 'y'.repeat(64 * 1024);
    b.t.send('a', chunk);
    await waitFor(() => b.t.stats().links.a?.connected);
    for (let i = 0; i < 400; i++) {
      b.t.send('a', chunk); // 26 MB in all, far more than the buffers along the way hold
      if (i % 20 === 0) await sleep(1);
    }
    const s = b.t.stats().links.a!;
    expect(s.queuedBytes).toBeLessThanOrEqual(maxQueuedBytes);
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.sent + s.queued + s.dropped).toBe(401);
    expect(b.errors.some((e) => e.includes('queue full'))).toBe(true);
  });
});

describe('reconnection', () => {
  it('backs off exponentially with jitter while handshakes fail, even though TCP connects', async () => {
    const attempts: number[] = [];
    const slammer = createServer((s) => {
      attempts.push(performance.now());
      s.destroy(); // accepts TCP, then hangs up before any handshake
    });
    await new Promise<void>((r) => slammer.listen(0, HOST, () => r()));
    open.push({ close: () => new Promise((r) => slammer.close(r)) });
    const b = await node('b', hmac, { a: (slammer.address() as { port: number }).port }, { reconnectDelayMs: 20, reconnectMaxDelayMs: 320 });
    b.t.send('a', 'x');
    await sleep(1500);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // Waits are drawn from [d/2, d] with d = 20, 40, 80, 160, 320, 320, ...: about 9 attempts in 1.5 s, not hundreds.
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    expect(attempts.length).toBeLessThanOrEqual(14);
    expect(gaps[0]!).toBeGreaterThanOrEqual(9);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...gaps)).toBeLessThan(320 + 400); // the cap, with room for a loaded machine
    expect(b.t.stats().links.a).toMatchObject({ connected: false, queued: 1 });
  });
});

describe('configuration', () => {
  it("refuses auth 'none' off loopback, a missing auth, a short secret and bad limits", () => {
    const base = { id: 'a', listen: { host: HOST, port: 0 }, peers: {} };
    expect(() => createTcpTransport({ ...base, listen: { host: '0.0.0.0', port: 0 }, auth: { mode: 'none' } })).toThrow(/loopback only/);
    expect(() => createTcpTransport({ ...base, peers: { b: { host: '10.0.0.2', port: 1 } }, auth: { mode: 'none' } })).toThrow(ConfigError);
    expect(() => createTcpTransport({ ...base } as unknown as TcpTransportOptions)).toThrow(/auth/);
    expect(() => createTcpTransport({ ...base, auth: { mode: 'hmac', secret: 'short' } })).toThrow(/auth.secret/);
    expect(() => createTcpTransport({ ...base, auth: { mode: 'none' }, maxFrameBytes: -1 })).toThrow(ConfigError);
    expect(() => createTcpTransport({ ...base, auth: { mode: 'weird' } as unknown as TcpAuth })).toThrow(/auth.mode/);
  });

  it('reports unserializable messages and sends to unknown ids', async () => {
    const b = await node('b', hmac);
    b.t.send('nobody', 1);
    b.t.send('nobody', 1n as unknown);
    expect(b.errors.some((e) => e.includes('"nobody" is not a peer'))).toBe(true);
    expect(b.errors.some((e) => e.includes('not JSON-serializable'))).toBe(true);
    expect(b.t.stats().unroutable).toBe(1);
  });
});
