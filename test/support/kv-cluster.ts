// Starts KV server members on loopback with real sockets, and a tiny etcd v3 JSON client, for the
// KV server's tests and benchmark.
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKvServer, type KvServer, type KvServerOptions } from '../../src/node/index.js';
import { openRaftStorage } from '../../src/node/raft-wal-storage.js';

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = a !== null && typeof a === 'object' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');
export const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('latin1');

/**
 * POSTs `body` (JSON, or a raw string) to `url + path`; returns the status and the parsed JSON
 * answer. Gives up (rejects) after `timeoutMs`, like a client whose answer never came.
 */
export async function post(url: string, path: string, body: unknown, timeoutMs = 30_000): Promise<{ status: number; json: any }> {
  const res = await fetch(url + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

export interface TestCluster {
  readonly names: string[];
  readonly dirs: Record<string, string>;
  readonly servers: Record<string, KvServer | undefined>;
  /** Starts (or restarts, from its data dir) member `name`. */
  start(name: string, extra?: Partial<KvServerOptions>): Promise<KvServer>;
  /** Stops member `name`. */
  stop(name: string): Promise<void>;
  /** Resolves with the leader's name once one member leads and the others know it. */
  leader(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/** A cluster of `size` members `n1`..`nN`, started, with fast timeouts and unsynced storage. */
export async function startTestCluster(size: number, options: Partial<KvServerOptions> = {}): Promise<TestCluster> {
  const names = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const root = mkdtempSync(join(tmpdir(), 'distkit-kv-'));
  const peerPorts: Record<string, number> = {};
  const clientPorts: Record<string, number> = {};
  for (const n of names) {
    peerPorts[n] = await freePort();
    clientPorts[n] = await freePort();
  }
  const initialCluster = names.map((n) => `${n}=tcp://127.0.0.1:${peerPorts[n]}`).join(',');
  const dirs: Record<string, string> = Object.fromEntries(names.map((n) => [n, join(root, n)]));
  const servers: Record<string, KvServer | undefined> = {};
  const cluster: TestCluster = {
    names,
    dirs,
    servers,
    async start(name, extra = {}) {
      const server = await startKvServer({
        name,
        dataDir: dirs[name]!,
        listenClientUrls: `http://127.0.0.1:${clientPorts[name]}`,
        listenPeerUrls: `tcp://127.0.0.1:${peerPorts[name]}`,
        initialCluster,
        electionTimeoutMs: 300,
        openStorage: (dir) => openRaftStorage(dir, { fsync: false, preallocate: false }),
        ...options,
        ...extra,
      });
      servers[name] = server;
      return server;
    },
    async stop(name) {
      await servers[name]?.close();
      servers[name] = undefined;
    },
    async leader(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const live = Object.values(servers).filter((s): s is KvServer => s !== undefined);
        const leaders = live.filter((s) => s.status().role === 'leader');
        if (leaders.length === 1 && live.every((s) => s.status().leader === leaders[0]!.name)) return leaders[0]!.name;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no leader elected in time');
    },
    async close() {
      for (const n of Object.keys(servers)) await cluster.stop(n);
      rmSync(root, { recursive: true, force: true });
    },
  };
  for (const n of names) await cluster.start(n);
  return cluster;
}
