// The same request sequence against a real etcd member (3.4, from PATH) and against the KV server:
// the JSON answers must be equal, apart from the ids and the Raft term in the headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { b64, freePort, post, startTestCluster, type TestCluster } from '../support/kv-cluster.js';

const etcdFound = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).status === 0;
const onCi = process.env['CI'] === 'true';

/** A request, and whether only its status and gRPC code must match (Go's own parse messages differ). */
type Step = [path: string, body: unknown, codeOnly?: boolean];

const k = b64;
const SEQUENCE: Step[] = [
  ['/v3/kv/range', { key: k('a') }],
  ['/v3/kv/put', { key: k('a'), value: k('1') }],
  ['/v3/kv/put', { key: k('a'), value: k('2'), prev_kv: true }],
  ['/v3/kv/put', { key: k('ab'), value: k('x') }],
  ['/v3/kv/put', { key: k('b'), value: '' }],
  ['/v3/kv/put', { key: k('c\xff'), value: k('\x00\x01') }],
  ['/v3/kv/range', { key: k('a') }],
  ['/v3/kv/range', { key: k('a'), range_end: k('b') }],
  ['/v3/kv/range', { key: k('a'), range_end: k('\0') }],
  ['/v3/kv/range', { key: k('\0'), range_end: k('\0'), limit: 2 }],
  ['/v3/kv/range', { key: k('\0'), range_end: k('\0'), limit: '3', keys_only: true }],
  ['/v3/kv/range', { key: k('a'), range_end: k('z'), count_only: true }],
  ['/v3/kv/range', { key: k('b'), range_end: k('a') }],
  ['/v3/kv/range', { key: k('a'), revision: 0 }],
  ['/v3/kv/range', { key: k('a'), revision: 99 }],
  ['/v3/kv/range', { key: k('a'), serializable: true }],
  ['/v3/kv/deleterange', { key: k('zz') }],
  ['/v3/kv/deleterange', { key: k('ab'), prev_kv: true }],
  ['/v3/kv/put', { key: k('ab'), value: k('again') }],
  ['/v3/kv/range', { key: k('ab') }],
  [
    '/v3/kv/txn',
    {
      compare: [{ key: k('a'), target: 'VALUE', result: 'EQUAL', value: k('2') }],
      success: [{ request_range: { key: k('a') } }, { request_put: { key: k('a'), value: k('3'), prev_kv: true } }, { request_range: { key: k('a') } }, { request_delete_range: { key: k('nothing') } }],
      failure: [{ request_range: { key: k('a') } }],
    },
  ],
  [
    '/v3/kv/txn',
    {
      compare: [{ key: k('a'), target: 'MOD', result: 'LESS', mod_revision: '2' }],
      success: [{ request_put: { key: k('a'), value: k('4') } }],
      failure: [{ request_range: { key: k('a'), range_end: k('b') } }],
    },
  ],
  ['/v3/kv/txn', { compare: [{ key: k('missing'), target: 'CREATE', create_revision: '0' }], success: [{ request_put: { key: k('missing'), value: k('now') } }] }],
  ['/v3/kv/txn', { compare: [{ key: k('nope'), target: 'VALUE', result: 'NOT_EQUAL', value: k('v') }], success: [{ request_put: { key: k('nope'), value: k('1') } }] }],
  ['/v3/kv/txn', { compare: [{ key: k('a'), target: 'VERSION', result: 'GREATER', version: 1 }, { key: k('\0'), range_end: k('\0'), target: 'MOD', result: 'GREATER', mod_revision: 1 }] }],
  ['/v3/kv/txn', { compare: [{ key: k('a'), target: 1, result: 3, create_revision: 2 }] }],
  ['/v3/kv/txn', {}],
  ['/v3/kv/txn', { success: [{ request_put: { key: k('d'), value: k('1') } }, { request_delete_range: { key: k('d') } }] }],
  ['/v3/kv/txn', { success: [{ request_put: { key: k('d'), value: k('1') } }, { request_put: { key: k('d'), value: k('2') } }] }],
  ['/v3/kv/txn', { success: [{ request_put: { key: k('d'), value: k('1') } }, { request_delete_range: { key: k('e') } }, { request_put: { key: k('e'), value: k('2') } }] }, true],
  ['/v3/kv/deleterange', { key: k('a'), range_end: k('b'), prev_kv: true }],
  ['/v3/kv/put', { key: k('a'), value: k('reborn') }],
  ['/v3/kv/range', { key: k('a') }],
  ['/v3/kv/put', { key: k('a'), ignore_value: true }],
  ['/v3/kv/put', { key: k('zzz'), ignore_value: true }],
  ['/v3/kv/put', { key: k('a'), value: k('v'), ignore_value: true }],
  ['/v3/kv/put', { key: '', value: k('1') }],
  ['/v3/kv/put', { key: '%%%', value: k('1') }],
  ['/v3/kv/put', { key: k('a'), value: 5 }, true],
  ['/v3/kv/put', '{broken', true],
  ['/v3/kv/put', { key: k('a'), lease: '7' }],
  ['/v3/kv/range', { key: k('\0'), range_end: k('\0') }],
];

/** The answer without what differs by construction: ids and the Raft term. */
function comparable(json: unknown): unknown {
  if (json === null || typeof json !== 'object') return json;
  const o = { ...(json as Record<string, unknown>) };
  if (o['header'] !== undefined) {
    const h = { ...(o['header'] as Record<string, unknown>) };
    delete h['cluster_id'];
    delete h['member_id'];
    delete h['raft_term'];
    o['header'] = h;
  }
  return o;
}

async function startEtcd(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'distkit-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child: ChildProcess = spawn(
    'etcd',
    ['--name', 'e1', '--data-dir', join(dir, 'data'), '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `e1=${peerUrl}`, '--initial-cluster-state', 'new'],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const s = await post(url, '/v3/maintenance/status', {}).catch(() => undefined);
    if (s?.json?.leader !== undefined) return { url, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('etcd did not start within 20 s');
}

describe('the KV server answers like etcd 3.4', () => {
  if (!etcdFound && onCi) {
    it('needs etcd on PATH in CI', () => {
      throw new Error('etcd is not on PATH: install it (apt-get install -y etcd-server) so that the KV server can be compared with it');
    });
    return;
  }

  let etcd: { url: string; stop(): Promise<void> } | undefined;
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    if (!etcdFound) return;
    etcd = await startEtcd();
    cluster = await startTestCluster(1);
    await cluster.leader();
  });
  afterAll(async () => {
    await etcd?.stop();
    await cluster?.close();
  });

  it.skipIf(!etcdFound)('on a sequence of puts, ranges, deletes, txns and bad requests (etcd on PATH; skipped without it outside CI)', async () => {
    for (const [path, body, codeOnly] of SEQUENCE) {
      const want = await post(etcd!.url, path, body);
      const got = await post(cluster!.servers['n1']!.clientUrl, path, body);
      const what = `${path} ${typeof body === 'string' ? body : JSON.stringify(body)}`;
      expect(got.status, what).toBe(want.status);
      if (codeOnly === true) expect(got.json.code, what).toBe(want.json.code);
      else expect(comparable(got.json), what).toEqual(comparable(want.json));
    }
  });
});
