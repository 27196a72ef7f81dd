import { describe, expect, it } from 'vitest';
import { checkedStep, ConfigError, InvalidCommandError } from 'distkit/core';
import {
  PBFT_NULL_DIGEST,
  pbftClient,
  pbftHmacAuthenticator,
  pbftReplica,
  type PbftPrePrepare,
  type PbftSha256,
  type PbftReplicaState,
  type PbftRequest,
  type PbftViewChange,
} from 'distkit/consensus';
import { planNewView, requestDigest, signed } from '../../../src/consensus/pbft/messages.js';
import { portableSha256 } from '../../../src/consensus/pbft/crypto.js';
import { Cluster, rings, replicaMachine } from './harness.js';

const primaryOf = (c: Cluster, id: string): PbftReplicaState => c.states.get(id)!;

describe('§4.2 normal case: pre-prepare, prepare, commit', () => {
  it('one request: 3f pre-prepares, 3f·3f prepares, (3f+1)·3f commits, 3f+1 replies; every replica executes it at seq 1', () => {
    const c = new Cluster(4);
    c.request('c0', 'op');
    c.run();
    expect(c.sent).toEqual({ request: 1, 'pre-prepare': 3, prepare: 9, commit: 12, reply: 4 });
    for (const r of c.replicas) expect(c.executed(r)).toEqual([{ seq: 1, client: 'c0', timestamp: 1 }]);
    expect(c.results('c0')).toHaveLength(1);
    expect(c.rejected()).toEqual([]);
  });

  it('requests execute in sequence order with consecutive sequence numbers', () => {
    const c = new Cluster(4, ['c0', 'c1']);
    for (let i = 0; i < 5; i++) {
      c.request('c0', `a${i}`);
      c.request('c1', `b${i}`);
    }
    c.run();
    const order = c.executed('r0');
    expect(order.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    for (const r of c.replicas) expect(c.executed(r)).toEqual(order);
    expect(c.results('c0')).toHaveLength(5);
    expect(c.results('c1')).toHaveLength(5);
  });

  it('a single replica (f = 0) decides alone', () => {
    const c = new Cluster(1);
    c.request('c0', 'op');
    c.run();
    expect(c.executed('r0')).toHaveLength(1);
    expect(c.results('c0')).toHaveLength(1);
  });

  it('a backup rejects a second, different pre-prepare for the same view and sequence number', () => {
    const c = new Cluster(4);
    c.request('c0', 'op');
    c.deliver(c.queue.shift()!); // the request reaches the primary
    c.deliver(c.queue.find((e) => e.to === 'r1')!); // its pre-prepare reaches r1
    expect(c.states.get('r1')!.log.find((x) => x.seq === 1)?.prePrepare?.request?.operation).toBe('op');
    const auth = pbftHmacAuthenticator({ id: 'r0', keys: rings([...c.replicas, 'c0']).r0! });
    const request = signed<PbftRequest>(auth, { type: 'request', client: 'r0', timestamp: 9, operation: 'other' });
    const other = signed<PbftPrePrepare>(auth, { type: 'pre-prepare', view: 0, seq: 1, digest: requestDigest(request, portableSha256), replica: 'r0', request });
    const before = c.states.get('r1')!;
    c.deliver({ from: 'r0', to: 'r1', message: other });
    expect(c.states.get('r1')).toBe(before);
    expect(c.rejected().at(-1)?.reason).toMatch(/different digest.*equivocates/);
  });

  it('a prepare claimed by another replica, signed by a third, is rejected', () => {
    const c = new Cluster(4);
    const auth = pbftHmacAuthenticator({ id: 'r3', keys: rings([...c.replicas, 'c0']).r3! });
    const m = { ...signed(auth, { type: 'prepare', view: 0, seq: 1, digest: 'a'.repeat(64), replica: 'r3' } as never), replica: 'r2' };
    c.deliver({ from: 'r3', to: 'r1', message: m });
    expect(c.rejected().at(-1)?.reason).toBe('prepare of r2: bad signature');
  });
});

describe('§4.1 client: f+1 matching replies, timestamps, reply cache', () => {
  it('a wrong reply from one faulty replica is not accepted; f+1 matching ones are', () => {
    const c = new Cluster(4);
    c.request('c0', 'op');
    c.runFiltered((e) => e.message !== null && (e.message as { type: string }).type !== 'reply');
    const auth = pbftHmacAuthenticator({ id: 'r3', keys: rings([...c.replicas, 'c0']).r3! });
    const lie = signed(auth, { type: 'reply', view: 0, timestamp: 1, client: 'c0', replica: 'r3', result: 'forged' } as never);
    c.deliver({ from: 'r3', to: 'c0', message: lie });
    expect(c.results('c0')).toEqual([]);
    // The genuine replies of r1 and r2 (resent from the cache on retransmission) settle it.
    c.advance(400);
    expect(c.results('c0')).toHaveLength(1);
    expect(c.results('c0')[0]).not.toBe('forged');
  });

  it('a retransmitted request is answered from the cache, not executed again; older timestamps are refused', () => {
    const c = new Cluster(4);
    c.request('c0', 'op1');
    c.run();
    c.request('c0', 'op2');
    c.run();
    const first = c.events.find((e) => e.node === 'r1' && e.output.type === 'execute')!;
    expect(c.executed('r1')).toHaveLength(2);
    // Replay the client's first request to every replica.
    const auth = pbftHmacAuthenticator({ id: 'c0', keys: rings([...c.replicas, 'c0']).c0! });
    const old = signed<PbftRequest>(auth, { type: 'request', client: 'c0', timestamp: 1, operation: 'op1' });
    const again = signed<PbftRequest>(auth, { type: 'request', client: 'c0', timestamp: 2, operation: 'op2' });
    for (const r of c.replicas) {
      c.deliver({ from: 'c0', to: r, message: again });
      c.deliver({ from: 'c0', to: r, message: old });
    }
    c.run();
    for (const r of c.replicas) expect(c.executed(r)).toHaveLength(2);
    expect(c.rejected().filter((x) => /older than the last executed/.test(x.reason))).toHaveLength(4);
    expect(first.output.type).toBe('execute');
  });
});

describe('§4.3 checkpoints, watermarks, garbage collection', () => {
  it('a checkpoint every K requests becomes stable with 2f+1 matching checkpoint messages and the log below it is discarded', () => {
    const c = new Cluster(4, ['c0'], { checkpointInterval: 2 });
    for (let i = 0; i < 5; i++) c.request('c0', `op${i}`);
    c.run();
    for (const r of c.replicas) {
      const s = c.states.get(r)!;
      expect(s.lastExecuted).toBe(5);
      expect(s.stable.seq).toBe(4);
      expect(s.stable.proof.length).toBeGreaterThanOrEqual(3);
      expect(s.log).toEqual([]); // 5 executed, the rest discarded
      expect(s.certificates.map((x) => x.prePrepare.seq)).toEqual([5]);
      expect(Object.keys(s.checkpoints).map(Number).every((n) => n > 4)).toBe(true);
    }
  });

  it('the primary assigns no sequence number above h + L until a checkpoint is stable', () => {
    const c = new Cluster(4, ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'], { checkpointInterval: 2, logSize: 4 });
    // Hold every checkpoint message back: h stays 0, so only seq 1..4 may be assigned.
    for (const cl of c.clients) c.request(cl, 'op');
    c.runFiltered((e) => (e.message as { type: string }).type !== 'checkpoint');
    expect(primaryOf(c, 'r0').seq).toBe(4);
    expect(c.executed('r1')).toHaveLength(4);
    expect(Object.keys(primaryOf(c, 'r0').waiting)).toHaveLength(3);
  });

  it('a pre-prepare outside the watermarks is rejected and names them', () => {
    const c = new Cluster(4, ['c0'], { checkpointInterval: 2, logSize: 4 });
    const auth = pbftHmacAuthenticator({ id: 'r0', keys: rings([...c.replicas, 'c0']).r0! });
    const p = signed<PbftPrePrepare>(auth, { type: 'pre-prepare', view: 0, seq: 5, digest: PBFT_NULL_DIGEST, replica: 'r0', request: null });
    c.deliver({ from: 'r0', to: 'r1', message: p });
    expect(c.rejected().at(-1)?.reason).toBe('pre-prepare: sequence number 5 is outside the watermarks (0, 4]');
  });

  it('a replica that missed requests catches up by state transfer of the stable checkpoint', () => {
    const c = new Cluster(4, ['c0'], { checkpointInterval: 2, logSize: 4 });
    c.silent.add('r3');
    for (let i = 0; i < 6; i++) c.request('c0', `op${i}`);
    c.run();
    expect(c.states.get('r3')!.lastExecuted).toBe(0);
    c.silent.delete('r3');
    for (let i = 6; i < 8; i++) c.request('c0', `op${i}`);
    c.run();
    const r3 = c.states.get('r3')!;
    const r1 = c.states.get('r1')!;
    expect(c.events.some((e) => e.node === 'r3' && e.output.type === 'state-transfer')).toBe(true);
    expect(r3.lastExecuted).toBe(r1.lastExecuted);
    expect(r3.service).toEqual(r1.service);
    expect(r3.replies).toEqual(r1.replies);
  });
});

describe('§4.4 view changes', () => {
  it('a request committed at one replica in view 0 keeps its sequence number in view 1 (prepared certificates)', () => {
    const c = new Cluster(4, ['c0'], { viewChangeTimeoutMs: 200 });
    c.request('c0', 'op');
    // Everyone prepares; only r1 collects commits; then the primary r0 falls silent.
    c.runFiltered((e) => (e.message as { type: string }).type !== 'commit' || e.to === 'r1');
    expect(c.executed('r1')).toEqual([{ seq: 1, client: 'c0', timestamp: 1 }]);
    expect(c.executed('r2')).toEqual([]);
    c.silent.add('r0');
    c.advance(3000);
    for (const r of ['r1', 'r2', 'r3']) {
      expect(c.states.get(r)!.view).toBe(1);
      expect(c.executed(r)).toEqual([{ seq: 1, client: 'c0', timestamp: 1 }]);
    }
    expect(c.results('c0')).toHaveLength(1);
  });

  it('progress resumes after a silent primary is replaced', () => {
    const c = new Cluster(4, ['c0'], { viewChangeTimeoutMs: 200 });
    c.silent.add('r0');
    c.request('c0', 'op0');
    c.advance(3000);
    c.request('c0', 'op1');
    c.advance(4000);
    expect(c.results('c0')).toHaveLength(2);
    for (const r of ['r1', 'r2', 'r3']) expect(c.states.get(r)!.view).toBe(1);
    expect(c.events.filter((e) => e.output.type === 'view').map((e) => e.node).sort()).toEqual(['r1', 'r2', 'r3']);
  });

  it('§4.5.2: one faulty replica cannot start a view change; f+1 view-changes make a replica join', () => {
    const c = new Cluster(4, ['c0'], { viewChangeTimeoutMs: 200 });
    const vc = (id: string) =>
      signed<PbftViewChange>(pbftHmacAuthenticator({ id, keys: rings([...c.replicas, 'c0'])[id]! }), {
        type: 'view-change',
        view: 6, // its primary is r2, so r1 waits for the NEW-VIEW
        stable: 0,
        proof: [],
        prepared: [],
        replica: id,
      });
    c.deliver({ from: 'r3', to: 'r1', message: vc('r3') });
    expect(c.states.get('r1')!.status).toBe('normal');
    expect(c.states.get('r1')!.view).toBe(0);
    c.deliver({ from: 'r2', to: 'r1', message: vc('r2') });
    expect(c.rejected()).toEqual([]);
    expect(c.states.get('r1')!.status).toBe('view-change');
    expect(c.states.get('r1')!.view).toBe(6);
  });

  it('new-view O: the highest-view certificate per sequence number, null requests in the gaps (planNewView)', () => {
    const cert = (view: number, seq: number, digest: string) => ({
      prePrepare: { type: 'pre-prepare' as const, view, seq, digest, replica: 'r0', sig: '', request: null },
      prepares: [],
    });
    const vc = (replica: string, stable: number, prepared: ReturnType<typeof cert>[]): PbftViewChange => ({
      type: 'view-change',
      view: 3,
      stable,
      proof: [],
      prepared,
      replica,
      sig: '',
    });
    const plan = planNewView([vc('r1', 2, [cert(0, 3, 'a'), cert(1, 6, 'b')]), vc('r2', 2, [cert(2, 3, 'c')]), vc('r3', 0, [cert(0, 1, 'z')])]);
    expect(plan.minS).toBe(2);
    expect(plan.maxS).toBe(6);
    expect(plan.entries.map((e) => [e.seq, e.digest])).toEqual([
      [3, 'c'],
      [4, PBFT_NULL_DIGEST],
      [5, PBFT_NULL_DIGEST],
      [6, 'b'],
    ]);
  });

  it('a new-view whose O differs from what V gives is rejected', () => {
    const c = new Cluster(4, ['c0'], { viewChangeTimeoutMs: 200 });
    c.silent.add('r0');
    c.request('c0', 'op0');
    c.advance(3000);
    const newView = c.history.find((e) => (e.message as { type: string }).type === 'new-view' && e.to === 'r2')?.message;
    expect(newView).toBeDefined();
    const auth = pbftHmacAuthenticator({ id: 'r1', keys: rings([...c.replicas, 'c0']).r1! });
    const nv = newView as { prePrepares: PbftPrePrepare[] };
    const extra = signed<PbftPrePrepare>(auth, { type: 'pre-prepare', view: 1, seq: 1, digest: PBFT_NULL_DIGEST, replica: 'r1', request: null });
    const tampered = signed(auth, { ...(newView as object), prePrepares: [...nv.prePrepares, extra] } as never);
    // A fresh r2, still changing views, receives the tampered NEW-VIEW instead of the real one.
    const fresh = new Cluster(4, ['c0'], { viewChangeTimeoutMs: 200 });
    for (const e of c.history) if (e.to === 'r2' && (e.message as { type: string }).type === 'view-change') fresh.deliver(e);
    fresh.input('r2', { type: 'tick', now: 0 });
    const before = fresh.states.get('r2')!;
    const t = checkedStep(fresh.machines.get('r2')!, before, { type: 'message', from: 'r1', message: tampered, now: 10 });
    expect(t.state).toBe(before);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'r1', reason: expect.stringMatching(/new-view: \d+ pre-prepares, V gives \d+/) }]);
    // The genuine one is accepted by the same replica in the same state.
    const ok = checkedStep(fresh.machines.get('r2')!, before, { type: 'message', from: 'r1', message: newView, now: 10 });
    expect(ok.state.view).toBe(1);
    expect(ok.state.status).toBe('normal');
  });
});

describe('digests: the sha256 option (§4.2 D(m), §4.3 checkpoint digests)', () => {
  const nodes = ['r0', 'r1', 'r2', 'r3', 'c0'];
  const auth = (id: string) => pbftHmacAuthenticator({ id, keys: rings(nodes)[id]! });
  // SHA-256 of the text squeezed to 7 bits instead of its UTF-8: right on ASCII, wrong beyond it.
  const sevenBit: PbftSha256 = (t) => portableSha256(Array.from(t, (ch) => String.fromCharCode(ch.charCodeAt(0) & 0x7f)).join(''));

  it.each([
    ['upper-case hex', ((t: string) => portableSha256(t).toUpperCase()) as PbftSha256],
    ['another hash', ((t: string) => portableSha256(`salt${t}`)) as PbftSha256],
    ['a wrong text encoding', sevenBit],
    ['a throwing function', (() => {
      throw new Error('no hash');
    }) as PbftSha256],
    ['not a function', 'sha256' as unknown as PbftSha256],
  ])('%s is a ConfigError on sha256, for replicas and clients alike', (_, sha256) => {
    for (const build of [() => pbftReplica({ authenticator: auth('r0'), sha256 }), () => pbftClient({ authenticator: auth('c0'), sha256 })]) {
      expect(build).toThrow(ConfigError);
      try {
        build();
      } catch (e) {
        expect((e as ConfigError).field).toBe('sha256');
      }
    }
  });

  /** A cluster whose `odd` replica hashes requests differently from its peers (past the probes). */
  function withOddHash(odd: string): Cluster {
    const c = new Cluster(4, ['c0'], { viewChangeTimeoutMs: 200 });
    const sha256: PbftSha256 = (t) => portableSha256(t.includes('"operation":') ? `odd${t}` : t);
    c.machines.set(odd, pbftReplica({ authenticator: auth(odd), sha256 }));
    for (let i = 0; i < 3; i++) {
      c.request('c0', `op${i}`);
      c.advance(c.now + 3000);
    }
    return c;
  }

  it('a primary with a different digest function is refused by every backup and replaced; the others decide', () => {
    const c = withOddHash('r0');
    expect(c.rejected().filter((r) => r.node !== 'r0').map((r) => r.reason)).toContain('pre-prepare 1: digest does not match the request');
    expect(c.results('c0')).toHaveLength(3);
    for (const r of ['r1', 'r2', 'r3']) {
      expect(c.states.get(r)!.view).toBeGreaterThan(0);
      expect(c.executed(r).map((e) => e.timestamp)).toEqual([1, 2, 3]);
    }
  });

  it('a backup with a different digest function decides nothing; the other 2f+1 decide without it', () => {
    const c = withOddHash('r3');
    expect(c.results('c0')).toHaveLength(3);
    expect(c.executed('r3')).toEqual([]);
    for (const r of ['r0', 'r1', 'r2']) expect(c.executed(r).map((e) => e.timestamp)).toEqual([1, 2, 3]);
    expect(c.states.get('r0')!.view).toBe(0);
  });
});

describe('config and deadlines', () => {
  const m = replicaMachine('r0', ['r0', 'r1', 'r2', 'r3']);
  it.each([
    [{ id: 'r0', replicas: [] }, 'replicas'],
    [{ id: 'r0', replicas: ['r0', 'r0'] }, 'replicas[1]'],
    [{ id: 'rx', replicas: ['r0'] }, 'id'],
    [{ id: 'r0', replicas: ['r0'], checkpointInterval: 0 }, 'checkpointInterval'],
    [{ id: 'r0', replicas: ['r0'], checkpointInterval: 4, logSize: 3 }, 'logSize'],
    [{ id: 'r0', replicas: ['r0'], viewChangeTimeoutMs: -1 }, 'viewChangeTimeoutMs'],
  ])('%j is a ConfigError on %s', (config, field) => {
    expect(() => m.init(config as never)).toThrow(ConfigError);
    try {
      m.init(config as never);
    } catch (e) {
      expect((e as ConfigError).field).toBe(field);
    }
  });

  it('a client request whose operation is not JSON data is an InvalidCommandError', () => {
    const c = new Cluster(4);
    expect(() => c.request('c0', new Map())).toThrow(InvalidCommandError);
    expect(() => c.request('c0', undefined)).toThrow(/operation: missing/);
  });

  it('an authenticator for another node is a ConfigError', () => {
    const other = pbftReplica({ authenticator: pbftHmacAuthenticator({ id: 'r1', keys: rings(['r0', 'r1']).r1! }) });
    expect(() => other.init({ id: 'r0', replicas: ['r0', 'r1'] })).toThrow(/authenticator/);
  });

  it('the view-change timer starts from the time the request arrived and fires T later (no tick needed to arm it)', () => {
    const c = new Cluster(4, ['c0'], { viewChangeTimeoutMs: 250 });
    const auth = pbftHmacAuthenticator({ id: 'c0', keys: rings([...c.replicas, 'c0']).c0! });
    expect(m.nextDeadline(c.states.get('r1')!)).toBeUndefined();
    c.now = 1010;
    c.deliver({ from: 'c0', to: 'r1', message: signed<PbftRequest>(auth, { type: 'request', client: 'c0', timestamp: 1, operation: 'x' }) });
    expect(m.nextDeadline(c.states.get('r1')!)).toBe(1260);
    c.input('r1', { type: 'tick', now: 1259 });
    expect(c.states.get('r1')!.status).toBe('normal');
    c.input('r1', { type: 'tick', now: 1260 });
    expect(c.states.get('r1')!.status).toBe('view-change');
    expect(c.states.get('r1')!.view).toBe(1);
  });
});
