import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { b64, freePort, post, startTestCluster, unb64, type TestCluster } from '../support/kv-cluster.js';
import { createTcpTransport, parseInitialCluster, startKvServer } from '../../src/node/index.js';
import { openRaftStorage } from '../../src/node/raft-wal-storage.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const url = (name: string) => cluster!.servers[name]!.clientUrl;
const put = (name: string, key: string, value: string) => post(url(name), '/v3/kv/put', { key: b64(key), value: b64(value) });
const get = (name: string, key: string, extra: object = {}) => post(url(name), '/v3/kv/range', { key: b64(key), ...extra });
const followers = (leader: string) => cluster!.names.filter((n) => n !== leader && cluster!.servers[n] !== undefined);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a 3-member KV cluster on loopback (real sockets, etcd v3 JSON API)', () => {
  it('put on the leader, linearizable get on a follower, revisions as etcd counts them', async () => {
    cluster = await startTestCluster(3);
    const leader = await cluster.leader();
    const [f1] = followers(leader);
    const p = await put(leader, 'greeting', 'hello');
    expect(p.status).toBe(200);
    expect(p.json.header).toMatchObject({ revision: '2', member_id: cluster.servers[leader]!.memberId });
    const g = await get(f1!, 'greeting');
    expect(g.json.kvs).toEqual([{ key: b64('greeting'), value: b64('hello'), create_revision: '2', mod_revision: '2', version: '1' }]);
    expect(g.json.count).toBe('1');
    expect(g.json.header.member_id).toBe(cluster.servers[f1!]!.memberId);
  });

  it('a follower forwards writes to the leader; every member reaches the same store', async () => {
    cluster = await startTestCluster(3);
    const leader = await cluster.leader();
    const [f1, f2] = followers(leader);
    const writes = await Promise.all(Array.from({ length: 20 }, (_, i) => put(i % 2 ? f1! : f2!, `k${i}`, `v${i}`)));
    expect(writes.map((w) => w.status)).toEqual(Array(20).fill(200));
    // Each write raised the revision by one: 20 distinct revisions 2..21.
    expect(new Set(writes.map((w) => w.json.header.revision)).size).toBe(20);
    const all = await post(url(leader), '/v3/kv/range', { key: b64('k'), range_end: b64('l') });
    expect(all.json.count).toBe('20');
    for (const n of cluster.names) {
      const r = await post(url(n), '/v3/kv/range', { key: b64('k'), range_end: b64('l'), count_only: true });
      expect(r.json).toMatchObject({ count: '20', header: { revision: '21' } });
    }
  });

  it('txn compare-and-swap: of concurrent swaps from the same revision exactly one succeeds', async () => {
    cluster = await startTestCluster(3);
    const leader = await cluster.leader();
    const first = await put(leader, 'lock', 'free');
    const rev = first.json.header.revision;
    const swaps = await Promise.all(
      cluster.names.map((n) =>
        post(url(n), '/v3/kv/txn', {
          compare: [{ key: b64('lock'), target: 'MOD', result: 'EQUAL', mod_revision: rev }],
          success: [{ request_put: { key: b64('lock'), value: b64(n) } }],
          failure: [{ request_range: { key: b64('lock') } }],
        }),
      ),
    );
    expect(swaps.filter((s) => s.json.succeeded === true)).toHaveLength(1);
    const winner = cluster.names[swaps.findIndex((s) => s.json.succeeded === true)]!;
    const g = await get(leader, 'lock');
    expect(unb64(g.json.kvs[0].value)).toBe(winner);
    for (const s of swaps.filter((x) => x.json.succeeded !== true)) {
      // A loser's swap ran after the winner's: its failure branch read the winner's value.
      expect(unb64(s.json.responses[0].response_range.kvs[0].value)).toBe(winner);
    }
  });

  it('a stopped leader restarts from its storage with nothing lost', async () => {
    cluster = await startTestCluster(3);
    const leader = await cluster.leader();
    for (let i = 0; i < 10; i++) expect((await put(leader, `a${i}`, `${i}`)).status).toBe(200);
    await cluster.stop(leader);
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    for (let i = 0; i < 10; i++) expect((await put(next, `b${i}`, `${i}`)).status).toBe(200);
    const back = await cluster.start(leader);
    // Its own log held the a-keys: the store is rebuilt from storage, then catches up on the b-keys.
    await until('the restarted member has applied every write', async () => {
      const r = await post(back.clientUrl, '/v3/kv/range', { key: b64('\0'), range_end: b64('\0'), count_only: true, serializable: true });
      return r.json.count === '20';
    });
    const r = await post(back.clientUrl, '/v3/kv/range', { key: b64('a'), range_end: b64('c') });
    expect(r.json.kvs.map((e: { key: string }) => unb64(e.key))).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)]);
    expect(r.json.header.revision).toBe('21');
  });

  it('a compacted member restarts with the snapshot loaded into the store before later entries', async () => {
    cluster = await startTestCluster(3, { snapshotEvery: 8 });
    const leader = await cluster.leader();
    const [f1] = followers(leader);
    for (let i = 0; i < 30; i++) expect((await put(leader, `k${String(i).padStart(2, '0')}`, `${i}`)).status).toBe(200);
    await until('the follower has compacted', () => cluster!.servers[f1!]!.status().snapshotIndex >= 24);
    await until('the follower has applied everything', () => cluster!.servers[f1!]!.status().revision === 31);
    await cluster.stop(f1!);
    // Restarted alone (its peers stopped), it can learn nothing new: what it serves comes from its disk.
    await cluster.stop(leader);
    await cluster.stop(followers(leader).find((n) => n !== f1)!);
    const back = await cluster.start(f1!);
    const s = back.status();
    expect(s.snapshotIndex).toBeGreaterThanOrEqual(24);
    expect(s.raftAppliedIndex).toBe(s.snapshotIndex);
    const r = await post(back.clientUrl, '/v3/kv/range', { key: b64('k'), range_end: b64('l'), serializable: true });
    // The snapshot covers at least the keys written before its index (index 1 is the leader's noop).
    expect(Number(r.json.count)).toBe(s.revision - 1);
    expect(Number(r.json.count)).toBeGreaterThanOrEqual(22);
    expect(r.json.kvs[0]).toEqual({ key: b64('k00'), value: b64('0'), create_revision: '2', mod_revision: '2', version: '1' });
    // With its peers back, it applies the entries after the snapshot and holds all 30 keys.
    for (const n of cluster.names) if (cluster.servers[n] === undefined) await cluster.start(n);
    await cluster.leader();
    await until('the restarted member caught up', () => back.status().revision === 31);
  });

  it('answers bad requests with etcd-style errors and a 4xx, and keeps serving', async () => {
    cluster = await startTestCluster(1);
    await cluster.leader();
    const u = url('n1');
    const cases: [string, unknown, number, RegExp][] = [
      ['/v3/kv/put', '{not json', 400, /./],
      ['/v3/kv/put', { key: '!!!', value: 'MQ==' }, 400, /illegal base64/],
      ['/v3/kv/put', { key: '', value: 'MQ==' }, 400, /key is not provided/],
      ['/v3/kv/put', { key: 'YQ==', value: 7 }, 400, /base64/],
      ['/v3/kv/put', { key: 'YQ==', lease: '5' }, 404, /lease not found/],
      ['/v3/kv/range', { key: 'YQ==', limit: 'x' }, 400, /integer/],
      ['/v3/kv/range', [], 400, /object/],
      ['/v3/kv/txn', { compare: [{ key: 'YQ==', target: 'BOGUS' }] }, 400, /unknown value "BOGUS"/],
      ['/v3/kv/txn', { success: [{ request_put: { key: 'YQ==' } }, { request_put: { key: 'YQ==' } }] }, 400, /duplicate key/],
      ['/v3/kv/txn', { success: 'x' }, 400, /array/],
      ['/v3/kv/range', { key: 'YQ==', revision: 99 }, 400, /future revision/],
      ['/v3/kv/put', { key: 'YQ==', value: b64('x'.repeat(2 * 1024 * 1024)) }, 400, /too large/],
      ['/v3/kv/put', { ['__proto__']: 'x', key: 'YQ==', value: { nested: 1 } }, 400, /base64/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await post(u, path, body);
      expect(r.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(status);
      expect(r.json.message).toMatch(message);
      expect(r.json.error).toBe(r.json.message);
      expect(typeof r.json.code).toBe('number');
    }
    expect((await fetch(u + '/v3/kv/nowhere', { method: 'POST' })).status).toBe(404);
    expect((await fetch(u + '/v3/kv/range')).status).toBe(405);
    expect((await put('n1', 'still', 'alive')).status).toBe(200);
  });

  it('reports status like etcd: leader, raft term and indexes', async () => {
    cluster = await startTestCluster(3);
    const leader = await cluster.leader();
    await put(leader, 'x', '1');
    for (const n of cluster.names) {
      const s = await post(url(n), '/v3/maintenance/status', {});
      expect(s.json).toMatchObject({ leader: cluster.servers[leader]!.memberId, raftTerm: expect.any(String), raftIndex: expect.any(String) });
    }
  });

  it('adds a member through the API (any member forwards it) and the new member gets the data', async () => {
    cluster = await startTestCluster(3);
    const leader = await cluster.leader();
    await put(leader, 'before', 'join');
    const [f1] = followers(leader);
    const peerPort = await freePort();
    const add = await post(url(f1!), '/v3/cluster/member/add', { name: 'n4', peerURLs: [`tcp://127.0.0.1:${peerPort}`] });
    expect(add.status).toBe(200);
    expect(add.json.members.map((m: { name: string }) => m.name).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    const clientPort = await freePort();
    const list = await post(url(leader), '/v3/cluster/member/list', {});
    const peerList = list.json.members.map((m: { name: string; peerURLs: string[] }) => `${m.name}=${m.peerURLs[0]}`).join(',');
    expect(Object.keys(parseInitialCluster(peerList)).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    const n4 = await startKvServer({
      name: 'n4',
      dataDir: `${cluster.dirs['n1']}-n4`,
      listenClientUrls: `http://127.0.0.1:${clientPort}`,
      listenPeerUrls: `tcp://127.0.0.1:${peerPort}`,
      initialCluster: peerList,
      initialClusterState: 'existing',
      electionTimeoutMs: 300,
      openStorage: (dir) => openRaftStorage(dir, { fsync: false, preallocate: false }),
    });
    cluster.servers['n4'] = n4;
    await until('n4 has the data', async () => (await post(n4.clientUrl, '/v3/kv/range', { key: b64('before'), serializable: true })).json.count === '1');
    const g = await post(n4.clientUrl, '/v3/kv/range', { key: b64('before') });
    expect(unb64(g.json.kvs[0].value)).toBe('join');
    const removed = await post(url(leader), '/v3/cluster/member/remove', { ID: n4.memberId });
    expect(removed.status).toBe(200);
    expect(removed.json.members.map((m: { name: string }) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('survives hostile peer messages: malformed calls, results and read requests change nothing', async () => {
    cluster = await startTestCluster(1);
    await cluster.leader();
    await put('n1', 'k', 'v');
    const peerUrl = parseInitialCluster(`x=${cluster.servers['n1']!.members()[0]!.peerUrl}`)['x']!;
    const port = Number(new URL(peerUrl).port);
    const problems: string[] = [];
    const evil = createTcpTransport({ id: 'evil', listen: { host: '127.0.0.1', port: 0 }, peers: { n1: { host: '127.0.0.1', port } }, auth: { mode: 'none' }, onError: (p) => problems.push(p) });
    const junk: unknown[] = [
      { type: 'kv.call', id: 'a', call: null },
      { type: 'kv.call', id: 'b', call: { call: 'kv', endpoint: 'put', body: 'garbage' } },
      { type: 'kv.call', id: 'c', call: { call: 'kv', endpoint: '__proto__', body: {} } },
      { type: 'kv.call', id: 'd', call: { call: 'memberAdd', name: 7 } },
      { type: 'kv.result', id: 'n1.x.1', result: { op: 'put', revision: 99 } },
      { type: 'kv.readIndex' },
      { type: 'kv.readIndex', id: 'x'.repeat(10_000) },
      { type: 'kv.readIndexReply', id: 'nope', index: 'NaN' },
      { type: 'kv.unknown', id: 'e' },
      { type: 'append', term: 'huge' },
      null,
      [1, 2, 3],
    ];
    for (const m of junk) evil.send('n1', m);
    await new Promise((r) => setTimeout(r, 300));
    await evil.close();
    const g = await get('n1', 'k');
    expect(g.json).toMatchObject({ count: '1', header: { revision: '2' } });
    expect(cluster.servers['n1']!.status()).toMatchObject({ role: 'leader', revision: 2, keys: 1 });
    expect((await put('n1', 'k2', 'v2')).json.header.revision).toBe('3');
  });

  // Found by the nemesis (`npm run nemesis -- --seed 1`, when a member's client port had been
  // taken): the start failed, but the half-started member kept its peer port and its Raft node, a
  // voter no client could reach, and the `kv serve` process never exited.
  it('a start that fails (client port taken) releases the peer port and stops the Raft node', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const clientPort = (taken.address() as { port: number }).port;
    const peerPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'distkit-kv-fail-'));
    try {
      await expect(
        startKvServer({
          name: 'n1',
          dataDir: dir,
          listenClientUrls: `http://127.0.0.1:${clientPort}`,
          listenPeerUrls: `tcp://127.0.0.1:${peerPort}`,
          initialCluster: `n1=tcp://127.0.0.1:${peerPort},n2=tcp://127.0.0.1:${await freePort()}`,
          electionTimeoutMs: 50,
          openStorage: (d) => openRaftStorage(d, { fsync: false, preallocate: false }),
        }),
      ).rejects.toThrow(/EADDRINUSE/);
      const again = createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(peerPort, '127.0.0.1', resolve);
      });
      await new Promise((r) => again.close(r));
      // The storage was closed and no node runs: the data dir opens again.
      const storage = await openRaftStorage(dir, { fsync: false, preallocate: false });
      await storage.close();
    } finally {
      await new Promise((r) => taken.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
