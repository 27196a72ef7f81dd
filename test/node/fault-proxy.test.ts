import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ConfigError } from 'distkit/core';
import { createTcpTransport, startFaultProxy, type FaultProxy, type TcpTransport } from 'distkit/node';
import { FrameReader, frame } from '../../src/node/tcp-frames.js';
import { sleep, waitFor } from '../support/wait.js';

const HOST = '127.0.0.1';
const closers: (() => unknown)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});


/** A target that records every frame it receives (as text, with its arrival time) and echoes it. */
async function recorder(echo = true): Promise<{ port: number; frames: { text: string; at: number }[]; connections: () => number }> {
  const frames: { text: string; at: number }[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => undefined);
    const r = new FrameReader({ limit: () => 1 << 20, frame: (b) => (frames.push({ text: b.toString(), at: performance.now() }), echo && s.write(frame(b)), true), oversized: () => false });
    s.on('data', (d: Buffer) => r.push(d));
  });
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  closers.push(() => (sockets.forEach((s) => s.destroy()), new Promise((r) => server.close(r))));
  return { port: (server.address() as { port: number }).port, frames, connections: () => connections };
}

async function proxyTo(port: number, seed = 1): Promise<{ proxy: FaultProxy; port: number }> {
  const proxy = startFaultProxy({ listen: { host: HOST, port: 0 }, target: { host: HOST, port }, seed });
  closers.push(() => proxy.close());
  return { proxy, port: (await proxy.address()).port };
}

function client(port: number): { socket: Socket; echoes: string[]; closed: () => boolean } {
  const socket = connect(port, HOST);
  const echoes: string[] = [];
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  const r = new FrameReader({ limit: () => 1 << 20, frame: (b) => (echoes.push(b.toString()), true), oversized: () => false });
  socket.on('data', (d: Buffer) => r.push(d));
  closers.push(() => socket.destroy());
  return { socket, echoes, closed: () => closed };
}

describe('startFaultProxy', () => {
  it('forwards both ways, unchanged, with no faults set', async () => {
    const target = await recorder();
    const { port } = await proxyTo(target.port);
    const c = client(port);
    for (let i = 0; i < 50; i++) c.socket.write(frame(Buffer.from(`m${i}`)));
    await waitFor(() => c.echoes.length === 50);
    expect(c.echoes).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('drops whole frames with the given probability, the same ones for the same seed', async () => {
    const runs: string[][] = [];
    for (const seed of [11, 11, 12]) {
      const target = await recorder(false);
      const { proxy, port } = await proxyTo(target.port, seed);
      proxy.drop(0.3);
      const c = client(port);
      await new Promise((r) => c.socket.once('connect', r));
      for (let i = 0; i < 1000; i++) c.socket.write(frame(Buffer.from(`m${i}`)));
      await waitFor(() => target.frames.length + proxy.stats().dropped === 1000);
      await sleep(30);
      const s = proxy.stats();
      // 1000 Bernoulli(0.3) draws: 300 expected, sd ≈ 14.5; 5 sd either side.
      expect(s.dropped).toBeGreaterThan(227);
      expect(s.dropped).toBeLessThan(373);
      // What arrived is an in-order subsequence of what was sent.
      const idx = target.frames.map((f) => Number(f.text.slice(1)));
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
      runs.push(target.frames.map((f) => f.text));
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).not.toEqual(runs[0]);
  });

  it('delays each frame by delay plus jitter, keeping their order', async () => {
    const target = await recorder();
    const { proxy, port } = await proxyTo(target.port);
    const c = client(port);
    await new Promise((r) => c.socket.once('connect', r));
    await sleep(20);
    proxy.delay(80, 40);
    const sent = performance.now();
    for (let i = 0; i < 20; i++) c.socket.write(frame(Buffer.from(`m${i}`)));
    await waitFor(() => target.frames.length === 20);
    expect(target.frames.map((f) => f.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(Math.min(...target.frames.map((f) => f.at - sent))).toBeGreaterThanOrEqual(79);
    proxy.heal();
    const t0 = performance.now();
    c.socket.write(frame(Buffer.from('fast')));
    await waitFor(() => target.frames.length === 21);
    expect(target.frames[20]!.at - t0).toBeLessThan(70);
  });

  it("partition('refuse') resets open connections and refuses new ones until heal", async () => {
    const target = await recorder();
    const { proxy, port } = await proxyTo(target.port);
    const c1 = client(port);
    c1.socket.write(frame(Buffer.from('before')));
    await waitFor(() => c1.echoes.length === 1);
    proxy.partition('refuse');
    await waitFor(() => c1.closed());
    const c2 = client(port);
    await waitFor(() => c2.closed());
    expect(proxy.stats().refused).toBeGreaterThanOrEqual(2);
    proxy.heal();
    const c3 = client(port);
    c3.socket.write(frame(Buffer.from('after')));
    await waitFor(() => c3.echoes.length === 1);
    expect(target.frames.map((f) => f.text)).toEqual(['before', 'after']);
  });

  it("partition('blackhole') holds traffic both ways without loss, and heal releases it in order", async () => {
    const target = await recorder();
    const { proxy, port } = await proxyTo(target.port);
    const c = client(port);
    c.socket.write(frame(Buffer.from('m0')));
    await waitFor(() => c.echoes.length === 1);
    proxy.partition('blackhole');
    for (let i = 1; i <= 5; i++) c.socket.write(frame(Buffer.from(`m${i}`)));
    await sleep(150);
    expect(target.frames).toHaveLength(1);
    expect(c.echoes).toHaveLength(1);
    expect(c.closed()).toBe(false);
    // A connection opened during the black hole does not reach the target until heal.
    const late = client(port);
    late.socket.write(frame(Buffer.from('late')));
    await sleep(100);
    expect(target.connections()).toBe(1);
    expect(late.closed()).toBe(false);
    proxy.heal();
    await waitFor(() => c.echoes.length === 6 && late.echoes.length === 1);
    expect(c.echoes).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(late.echoes).toEqual(['late']);
    expect(target.connections()).toBe(2);
  });

  it('sits between two authenticated transports: a partition stops delivery, heal lets it resume', async () => {
    const auth = { mode: 'hmac', secret: 'cluster secret for the tests' } as const;
    const a: TcpTransport = createTcpTransport({ id: 'a', listen: { host: HOST, port: 0 }, peers: {}, auth });
    closers.push(() => a.close());
    const got: unknown[] = [];
    a.onMessage((_from, m) => got.push(m));
    const { proxy, port } = await proxyTo((await a.address()).port);
    const b = createTcpTransport({ id: 'b', listen: { host: HOST, port: 0 }, peers: { a: { host: HOST, port } }, auth, reconnectDelayMs: 10, reconnectMaxDelayMs: 50 });
    closers.push(() => b.close());
    b.send('a', 1);
    await waitFor(() => got.length === 1);
    proxy.partition('refuse');
    await waitFor(() => b.stats().links.a?.connected === false);
    b.send('a', 2);
    await sleep(100);
    expect(got).toEqual([1]);
    proxy.heal();
    await waitFor(() => got.length === 2);
    expect(got).toEqual([1, 2]);
  });

  it('frame loss behind an HMAC transport: the receiver detects the gap, the link resets, and delivery resumes in order', async () => {
    const auth = { mode: 'hmac', secret: 'cluster secret for the tests' } as const;
    const rejections: string[] = [];
    const a: TcpTransport = createTcpTransport({ id: 'a', listen: { host: HOST, port: 0 }, peers: {}, auth, handshakeTimeoutMs: 200, onReject: (r) => rejections.push(r.reason) });
    closers.push(() => a.close());
    const got: number[] = [];
    a.onMessage((_from, m) => got.push(m as number));
    const { proxy, port } = await proxyTo((await a.address()).port, 5);
    const b = createTcpTransport({ id: 'b', listen: { host: HOST, port: 0 }, peers: { a: { host: HOST, port } }, auth, handshakeTimeoutMs: 200, reconnectDelayMs: 5, reconnectMaxDelayMs: 20 });
    closers.push(() => b.close());
    b.send('a', 0);
    await waitFor(() => got.length === 1);
    proxy.drop(0.2);
    for (let i = 1; i <= 100; i++) {
      b.send('a', i);
      await sleep(2);
    }
    proxy.heal();
    // Delivery is best effort: a message written into a link that is being reset is lost, so keep
    // sending until one gets through.
    for (let i = 101; !got.some((n) => n > 100); i++) {
      expect(i).toBeLessThan(300);
      b.send('a', i);
      await sleep(10);
    }
    expect(rejections.some((r) => /frame MAC from b does not verify/.test(r))).toBe(true);
    expect(got).toEqual([...got].sort((x, y) => x - y)); // in order, no duplicates: a gap closes the link, nothing after it slips through
    expect(new Set(got).size).toBe(got.length);
    expect(got.filter((n) => n <= 100).length).toBeLessThan(101);
  });

  it('stops by itself when closed: connections reset, port released, controls validated', async () => {
    const target = await recorder();
    const { proxy, port } = await proxyTo(target.port);
    const c = client(port);
    c.socket.write(frame(Buffer.from('x')));
    await waitFor(() => c.echoes.length === 1);
    await proxy.close();
    await waitFor(() => c.closed());
    expect(proxy.stats().open).toBe(0);
    const after = client(port);
    await waitFor(() => after.closed());
    expect(() => proxy.drop(1.5)).toThrow(ConfigError);
    expect(() => proxy.delay(-1)).toThrow(ConfigError);
    expect(() => proxy.partition('sideways' as never)).toThrow(ConfigError);
    expect(() => startFaultProxy({ listen: { host: HOST, port: 0 }, target: { host: HOST, port: 1 }, unit: 'bytes' as never })).toThrow(ConfigError);
  });
});
