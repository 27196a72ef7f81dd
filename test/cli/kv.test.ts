import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kvServeOptions, KvUsageError } from '../../src/cli/kv.js';
import { b64, freePort, post, unb64 } from '../support/kv-cluster.js';

describe('distkit kv serve: flags', () => {
  it("reads etcd's flag names, as --flag value or --flag=value", () => {
    expect(
      kvServeOptions([
        '--name',
        'n1',
        '--data-dir=/tmp/x',
        '--listen-client-urls',
        'http://127.0.0.1:2379',
        '--listen-peer-urls',
        'tcp://127.0.0.1:2380',
        '--initial-cluster',
        'n1=tcp://127.0.0.1:2380',
        '--snapshot-count',
        '50',
        '--advertise-client-urls',
        'http://ignored',
      ]),
    ).toEqual({
      name: 'n1',
      dataDir: '/tmp/x',
      listenClientUrls: 'http://127.0.0.1:2379',
      listenPeerUrls: 'tcp://127.0.0.1:2380',
      initialCluster: 'n1=tcp://127.0.0.1:2380',
      initialClusterState: 'new',
      snapshotEvery: 50,
    });
  });

  it('names a missing, unknown or malformed flag', () => {
    expect(() => kvServeOptions(['--name', 'n1'])).toThrow(/needs --data-dir/);
    expect(() => kvServeOptions(['--bogus', '1'])).toThrow(/unknown option --bogus/);
    expect(() => kvServeOptions(['--snapshot-count', '-1'])).toThrow(KvUsageError);
    expect(() => kvServeOptions(['--initial-cluster-state', 'maybe'])).toThrow(/new or existing/);
  });

  it('reads the peer authentication flags: an HMAC secret file or the three TLS files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-flags-'));
    try {
      const base = ['--name', 'n1', '--data-dir', dir, '--listen-client-urls', 'http://10.0.0.1:2379', '--listen-peer-urls', 'tcp://10.0.0.1:2380', '--initial-cluster', 'n1=tcp://10.0.0.1:2380'];
      writeFileSync(join(dir, 'secret'), 'a-long-cluster-secret\n');
      expect(kvServeOptions([...base, '--peer-secret-file', join(dir, 'secret')]).peerAuth).toEqual({ mode: 'hmac', secret: 'a-long-cluster-secret' });
      for (const f of ['cert', 'key', 'ca']) writeFileSync(join(dir, f), `${f} pem`);
      const tls = ['--peer-cert-file', join(dir, 'cert'), '--peer-key-file', join(dir, 'key'), '--peer-trusted-ca-file', join(dir, 'ca')];
      expect(kvServeOptions([...base, ...tls]).peerAuth).toEqual({ mode: 'tls', cert: 'cert pem', key: 'key pem', ca: 'ca pem' });
      expect(kvServeOptions(base).peerAuth).toBeUndefined();
      writeFileSync(join(dir, 'short'), 'short');
      expect(() => kvServeOptions([...base, '--peer-secret-file', join(dir, 'short')])).toThrow(/at least 16 characters/);
      expect(() => kvServeOptions([...base, '--peer-secret-file', join(dir, 'missing')])).toThrow(/cannot read/);
      expect(() => kvServeOptions([...base, '--peer-cert-file', join(dir, 'cert')])).toThrow(/needs --peer-cert-file, --peer-key-file and --peer-trusted-ca-file/);
      expect(() => kvServeOptions([...base, '--peer-secret-file', join(dir, 'secret'), ...tls])).toThrow(/not both/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Starts `distkit kv serve` as a process and resolves once it serves. */
function serve(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'kv', 'serve', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('serving clients')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`kv serve exited with ${code}: ${err}`)));
  });
}

async function untilLeader(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const s = await post(url, '/v3/maintenance/status', {}).catch(() => undefined);
    if (s?.json?.leader !== undefined) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no leader');
}

describe('distkit kv serve: a real process', () => {
  it('serves puts and ranges, and what it acknowledged survives SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distkit-kv-cli-'));
    const [client, peer] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${client}`;
    const args = ['--name', 'solo', '--data-dir', dir, '--listen-client-urls', url, '--listen-peer-urls', `tcp://127.0.0.1:${peer}`];
    args.push('--initial-cluster', `solo=tcp://127.0.0.1:${peer}`, '--election-timeout', '200', '--snapshot-count', '5');
    let child = await serve(args);
    try {
      await untilLeader(url);
      for (let i = 0; i < 12; i++) expect((await post(url, '/v3/kv/put', { key: b64(`k${i}`), value: b64(`v${i}`) })).status).toBe(200);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      child = await serve(args);
      await untilLeader(url);
      const r = await post(url, '/v3/kv/range', { key: b64('k'), range_end: b64('l') });
      expect(r.json.count).toBe('12');
      expect(r.json.header.revision).toBe('13');
      expect(r.json.kvs.map((e: { value: string }) => unb64(e.value)).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`).sort());
      const stopped = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await stopped).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
