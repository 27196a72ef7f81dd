// startReplica on one process: a group of one and a group of three on loopback TCP, a group of
// three over a caller's transport, each with its Raft state in a write-ahead log, restarted from
// that log.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replicatedEventStore, replicatedQueue, type EventStoreResult, type QueueResult } from '../../src/messaging/index.js';
import { createMemoryNetwork } from '../../src/core/index.js';
import { startReplica, type Replica, type ReplicaAnswer } from '../../src/node/index.js';
import { freePort } from '../support/kv-cluster.js';
import { waitFor } from '../support/wait.js';

const dirs: string[] = [];
const open: Replica<unknown, unknown>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'distkit-replica-'));
  dirs.push(d);
  return d;
};
const track = <S, R>(r: Replica<S, R>): Replica<S, R> => (open.push(r as Replica<unknown, unknown>), r);
const result = <R>(a: ReplicaAnswer<R>): R => {
  if (a.type !== 'result') throw new Error(`expected a result, got ${JSON.stringify(a)}`);
  return a.result;
};

describe('startReplica', () => {
  it('a group of one: enqueue, receive, ack; after a restart the idempotency key and the acked state are still there', async () => {
    const dir = tempDir();
    const start = () => startReplica(replicatedQueue, { id: 'q1', dataDir: dir, listen: { host: '127.0.0.1', port: 0 }, peers: {}, auth: { mode: 'none' }, raft: { electionTimeoutMs: 100 } });
    let r = track(await start());
    await r.campaign();
    const first = result(await r.submit({ type: 'enqueue', body: 'a', key: 'k-a' })) as QueueResult;
    expect(first).toMatchObject({ type: 'enqueued', id: 'm1', duplicate: false });
    // The default clock is anchored at the wall clock, so leaders in different processes agree on the queue's time.
    expect(Math.abs((first as { at: number }).at - Date.now())).toBeLessThan(1000);
    result(await r.submit({ type: 'enqueue', body: 'b', key: 'k-b' }));
    const got = result(await r.submit({ type: 'receive', consumer: 'c' })) as QueueResult;
    if (got.type !== 'received') throw new Error(JSON.stringify(got));
    expect(result(await r.submit({ type: 'ack', id: got.message.id, token: got.message.token }))).toMatchObject({ type: 'acked' });
    await r.close();
    open.length = 0;

    r = track(await start());
    await waitFor(() => r.status().role === 'leader', 5000);
    expect(result(await r.submit({ type: 'enqueue', body: 'a', key: 'k-a' }))).toMatchObject({ type: 'enqueued', id: 'm1', duplicate: true });
    const next = result(await r.submit({ type: 'receive', consumer: 'c' })) as QueueResult;
    expect(next).toMatchObject({ type: 'received', message: { body: 'b' } });
  });

  it('a group of three on loopback TCP with HMAC: a follower answers notLeader with the leader, the leader appends', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const ids = ['e1', 'e2', 'e3'];
    const auth = { mode: 'hmac' as const, secret: 'replica-test-secret-0123456789' };
    const replicas = await Promise.all(ids.map((id, i) => startReplica(replicatedEventStore, {
      id,
      dataDir: tempDir(),
      listen: { host: '127.0.0.1', port: ports[i]! },
      peers: Object.fromEntries(ids.flatMap((o, j) => (o === id ? [] : [[o, { host: '127.0.0.1', port: ports[j]! }]]))),
      auth,
      raft: { electionTimeoutMs: 300 },
    })));
    replicas.forEach(track);
    await replicas[0]!.campaign();
    await waitFor(() => replicas.every((r) => r.status().leader === 'e1'), 10_000);
    const refused = await replicas[1]!.submit({ type: 'append', stream: 's', expected: 'no_stream', events: [{ type: 'E', data: 1 }] });
    expect(refused).toEqual({ type: 'notLeader', leader: 'e1' });
    const won = result(await replicas[0]!.submit({ type: 'append', stream: 's', expected: 'no_stream', events: [{ type: 'E', data: 1 }] })) as EventStoreResult;
    expect(won).toMatchObject({ type: 'appended', revision: 0 });
    const lost = result(await replicas[0]!.submit({ type: 'append', stream: 's', expected: 'no_stream', events: [{ type: 'E', data: 2 }] })) as EventStoreResult;
    expect(lost).toMatchObject({ type: 'WrongExpectedVersion', actual: 0 });
    await waitFor(() => replicas.every((r) => r.status().appliedIndex === replicas[0]!.status().appliedIndex), 5000);
    expect(replicas.map((r) => r.appState())).toEqual([replicas[0]!.appState(), replicas[0]!.appState(), replicas[0]!.appState()]);
  });

  it('a group of three over a caller\'s transport, with parallelAppend: enqueue, receive and ack commit; a replica restarted on its log catches up', async () => {
    const net = createMemoryNetwork();
    const ids = ['q1', 'q2', 'q3'];
    const dataDirs = ids.map(() => tempDir());
    const start = (i: number) => startReplica(replicatedQueue, {
      id: ids[i]!,
      dataDir: dataDirs[i]!,
      transport: net.transport(ids[i]!),
      peers: ids.filter((o) => o !== ids[i]),
      raft: { electionTimeoutMs: 300, parallelAppend: true },
    }).then(track);
    const replicas = await Promise.all(ids.map((_id, i) => start(i)));
    await replicas[0]!.campaign();
    await waitFor(() => replicas.every((r) => r.status().leader === 'q1'), 10_000);
    await expect(replicas[0]!.address()).rejects.toThrow(/caller's transport/);
    const enq = result(await replicas[0]!.submit({ type: 'enqueue', body: 'job', key: 'k' })) as QueueResult;
    expect(enq).toMatchObject({ type: 'enqueued', id: 'm1' });
    const got = result(await replicas[0]!.submit({ type: 'receive', consumer: 'c' })) as QueueResult;
    if (got.type !== 'received') throw new Error(JSON.stringify(got));
    expect(result(await replicas[0]!.submit({ type: 'ack', id: got.message.id, token: got.message.token }))).toMatchObject({ type: 'acked' });
    // A follower closed and started again on its data directory (a fresh endpoint on the network).
    await replicas[2]!.close();
    const again = await start(2);
    await waitFor(() => again.status().appliedIndex === replicas[0]!.status().appliedIndex, 10_000);
    expect(again.appState()).toEqual(replicas[0]!.appState());
  });

  it('refuses a caller\'s transport that is another node\'s endpoint, naming both ids', async () => {
    const net = createMemoryNetwork();
    await expect(startReplica(replicatedQueue, { id: 'q1', dataDir: tempDir(), transport: net.transport('q2'), peers: ['q2'] })).rejects.toThrow(/transport.*"q2".*"q1"/);
  });
});
