// The machine contract on hostile input (issue: total on hostile input): authentication before
// any table lookup, bounded payloads, bounded counters, named table limits, local input rules.
import { describe, expect, it } from 'vitest';
import { checkedStep, InvalidCommandError, MAX_COUNTER } from 'distkit/core';
import { pbftHmacAuthenticator, type PbftPrePrepare, type PbftReply, type PbftRequest, type PbftVote } from 'distkit/consensus';
import { requestDigest, signed } from '../../../src/consensus/pbft/messages.js';
import { portableSha256 } from '../../../src/consensus/pbft/crypto.js';
import { Cluster, clientMachine, replicaMachine, rings } from './harness.js';

const replicas = ['r0', 'r1', 'r2', 'r3'];
const everyone = [...replicas, 'c0', 'c1', 'c2'];
const keys = rings(everyone);
const auth = (id: string) => pbftHmacAuthenticator({ id, keys: keys[id]! });

function nested(depth: number): unknown {
  let x: unknown = 1;
  for (let i = 0; i < depth; i++) x = [x];
  return x;
}

describe('a view-change is authenticated before anything is looked up by its replica id', () => {
  const m = replicaMachine('r1', everyone);
  const s = m.init({ id: 'r1', replicas });
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('an unsigned view-change from replica %j is rejected, not thrown', (replica) => {
    const message = { type: 'view-change', view: 1, stable: 0, proof: [], prepared: [], replica, sig: '' };
    const t = checkedStep(m, s, { type: 'message', from: 'r2', message, now: 5 });
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'r2', reason: expect.stringMatching(/is not a replica/) }]);
  });

  it('an unsigned view-change of a real replica is rejected for its signature', () => {
    const message = { type: 'view-change', view: 1, stable: 0, proof: [], prepared: [], replica: 'r2', sig: '' };
    const t = checkedStep(m, s, { type: 'message', from: 'r2', message, now: 5 });
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'r2', reason: 'view-change of r2: bad signature' }]);
  });
});

describe('opaque payloads are bounded (payloadLimits) and only parsed copies are stored', () => {
  it('a request whose operation nests 6,000 deep is rejected; so is a reply whose result does', () => {
    const m = replicaMachine('r0', everyone);
    const s = m.init({ id: 'r0', replicas });
    const deep = { type: 'request', client: 'c0', timestamp: 1, operation: nested(6000), sig: '' };
    const t = checkedStep(m, s, { type: 'message', from: 'c0', message: deep, now: 1 });
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'c0', reason: expect.stringMatching(/operation.*deeper than 64/) }]);
    const client = clientMachine('c0', everyone);
    const cs = checkedStep(client, client.init({ id: 'c0', replicas }), { type: 'request', operation: 'x', now: 0 }).state;
    const reply = { type: 'reply', view: 0, timestamp: 1, client: 'c0', replica: 'r1', result: nested(6000), sig: '' };
    const r = checkedStep(client, cs, { type: 'message', from: 'r1', message: reply, now: 2 });
    expect(r.state).toBe(cs);
    expect(r.outputs).toEqual([{ type: 'rejected', from: 'r1', reason: expect.stringMatching(/result.*deeper than 64/) }]);
  });

  it('payloadLimits are configurable: maxDepth 2 refuses an operation 3 deep that the default takes', () => {
    const strict = replicaMachine('r0', everyone);
    const request = signed<PbftRequest>(auth('c0'), { type: 'request', client: 'c0', timestamp: 1, operation: nested(3) });
    const s = strict.init({ id: 'r0', replicas, payloadLimits: { maxDepth: 2 } });
    const t = checkedStep(strict, s, { type: 'message', from: 'c0', message: request, now: 1 });
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'c0', reason: expect.stringMatching(/deeper than 2/) }]);
    const lax = strict.init({ id: 'r0', replicas });
    expect(checkedStep(strict, lax, { type: 'message', from: 'c0', message: request, now: 1 }).outputs.some((o) => o.type === 'send')).toBe(true);
  });

  it('extra fields of a request are not stored', () => {
    const m = replicaMachine('r1', everyone);
    const s = m.init({ id: 'r1', replicas });
    const request = { ...signed<PbftRequest>(auth('c0'), { type: 'request', client: 'c0', timestamp: 1, operation: 'op' }), junk: 'x'.repeat(10_000) };
    const t = checkedStep(m, s, { type: 'message', from: 'c0', message: request, now: 1 });
    expect(JSON.stringify(t.state)).not.toContain('xxxx');
    expect(Object.keys(t.state.waiting.c0!)).toEqual(['type', 'client', 'timestamp', 'operation', 'sig']);
  });
});

describe('counters a peer can raise stay at or below MAX_COUNTER', () => {
  const m = replicaMachine('r1', everyone);
  const s = m.init({ id: 'r1', replicas });
  it.each([
    ['a prepare of view 2^53 − 1', { type: 'prepare', view: MAX_COUNTER + 1, seq: 1, digest: 'd', replica: 'r2' }],
    ['a prepare of seq 2^53 − 1', { type: 'prepare', view: 0, seq: MAX_COUNTER + 1, digest: 'd', replica: 'r2' }],
    ['a request with timestamp 2^53 − 1', { type: 'request', client: 'c0', timestamp: MAX_COUNTER + 1, operation: 'x' }],
  ])('%s is rejected', (_what, body) => {
    const message = signed(auth(body.type === 'request' ? 'c0' : 'r2'), body as never);
    const t = checkedStep(m, s, { type: 'message', from: 'r2', message, now: 1 });
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'r2', reason: expect.stringMatching(/9007199254740990\]/) }]);
  });

  it('a signed prepare of view MAX_COUNTER is buffered, not refused', () => {
    const message = signed<PbftVote>(auth('r2'), { type: 'prepare', view: MAX_COUNTER, seq: 1, digest: 'd', replica: 'r2' });
    const t = checkedStep(m, s, { type: 'message', from: 'r2', message, now: 1 });
    expect(t.state.early).toHaveLength(1);
  });
});

describe('tables a peer can grow have named limits', () => {
  it('maxClients: a backup with two clients waiting refuses a third', () => {
    const m = replicaMachine('r1', everyone);
    let s = m.init({ id: 'r1', replicas, maxClients: 2 });
    for (const c of ['c0', 'c1']) {
      s = checkedStep(m, s, { type: 'message', from: c, message: signed<PbftRequest>(auth(c), { type: 'request', client: c, timestamp: 1, operation: c }), now: 1 }).state;
    }
    const third = signed<PbftRequest>(auth('c2'), { type: 'request', client: 'c2', timestamp: 1, operation: 'c2' });
    const t = checkedStep(m, s, { type: 'message', from: 'c2', message: third, now: 2 });
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'c2', reason: expect.stringMatching(/\(maxClients\)/) }]);
  });

  it('maxEarlyPerReplica: messages of a later view are kept up to the limit per sender', () => {
    const m = replicaMachine('r1', everyone);
    let s = m.init({ id: 'r1', replicas, maxEarlyPerReplica: 2 });
    const vote = (seq: number) => signed<PbftVote>(auth('r2'), { type: 'prepare', view: 5, seq, digest: 'd', replica: 'r2' });
    s = checkedStep(m, s, { type: 'message', from: 'r2', message: vote(1), now: 1 }).state;
    s = checkedStep(m, s, { type: 'message', from: 'r2', message: vote(2), now: 2 }).state;
    const t = checkedStep(m, s, { type: 'message', from: 'r2', message: vote(3), now: 3 });
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'r2', reason: expect.stringMatching(/\(maxEarlyPerReplica\)/) }]);
  });
});

describe('time arrives with every input', () => {
  it('a backup starts its view-change timer from the time the pre-prepare arrived, without a tick', () => {
    const c = new Cluster(4, ['c0'], { viewChangeTimeoutMs: 100 });
    c.now = 5000;
    c.request('c0', 'op');
    c.deliver(c.queue.shift()!); // request to the primary
    const toR1 = c.queue.find((e) => e.to === 'r1' && (e.message as PbftPrePrepare).type === 'pre-prepare')!;
    c.now = 5007;
    c.deliver(toR1);
    // r1 never saw the request itself, only the pre-prepare: no timer; the primary has one from 5000.
    expect(c.machines.get('r0')!.nextDeadline(c.states.get('r0')!)).toBe(5100);
  });

  it('an unknown command, a tick without now and a message with NaN now throw InvalidCommandError', () => {
    const m = replicaMachine('r0', everyone);
    const s = m.init({ id: 'r0', replicas });
    expect(() => m.step(s, { type: 'nope', now: 1 } as never)).toThrow(InvalidCommandError);
    expect(() => m.step(s, { type: 'tick' } as never)).toThrow(InvalidCommandError);
    expect(() => m.step(s, { type: 'message', from: 'r1', message: {}, now: NaN })).toThrow(InvalidCommandError);
    const client = clientMachine('c0', everyone);
    const cs = client.init({ id: 'c0', replicas });
    expect(() => client.step(cs, { type: 'request', operation: 'x' } as never)).toThrow(InvalidCommandError);
    expect(() => client.step(cs, { type: 'nope', now: 1 } as never)).toThrow(InvalidCommandError);
  });

  it('a client operation beyond payloadLimits is an InvalidCommandError', () => {
    const client = clientMachine('c0', everyone);
    const cs = client.init({ id: 'c0', replicas, payloadLimits: { maxDepth: 2 } });
    expect(() => client.step(cs, { type: 'request', operation: nested(3), now: 0 })).toThrow(InvalidCommandError);
  });

  it('a reply from a stranger or with a forged signature is rejected', () => {
    const client = clientMachine('c0', everyone);
    const cs = checkedStep(client, client.init({ id: 'c0', replicas }), { type: 'request', operation: 'x', now: 0 }).state;
    const forged = signed<PbftReply>(auth('r2'), { type: 'reply', view: 0, timestamp: 1, client: 'c0', replica: 'r1', result: 1 });
    expect(checkedStep(client, cs, { type: 'message', from: 'r2', message: forged, now: 1 }).outputs[0]).toMatchObject({ type: 'rejected' });
    const digest = requestDigest(cs.current!.request, portableSha256);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });
});
