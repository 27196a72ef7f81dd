// The exact counter on Raft: client sessions (Ongaro's thesis §6.3) make a retried increment count once.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deepFreeze } from '../../src/core/index.js';
import { raftCounter, type RaftCounterApp, type RaftCounterOutput, type RaftCounterState } from '../../src/replication/index.js';
import { applyCounterCommand } from '../../src/replication/raft-counter.js';

const limits = { maxSessions: 3, maxOpenPerSession: 4 };
const inc = (session: string, seq: number, acked = 0, by?: number) => ({ type: 'increment', rid: `i${seq}`, session, seq, acked, ...(by === undefined ? {} : { by }) }) as const;

function single(): RaftCounterState {
  let s = raftCounter.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
  s = raftCounter.step(s, { type: 'campaign', now: 0 }).state;
  return s;
}
const replies = (outputs: readonly RaftCounterOutput[]) => outputs.filter((o) => !['send', 'persist', 'role', 'rejected'].includes(o.type));

describe('thesis §6.3: client sessions', () => {
  it('a retried increment counts once and the retry gets the original answer', () => {
    let app: RaftCounterApp = { value: 0, sessions: {} };
    app = applyCounterCommand(app, 1, { type: 'register', rid: 'r' }, limits).app;
    const first = applyCounterCommand(app, 2, inc('1', 1), limits);
    const retry = applyCounterCommand(first.app, 3, inc('1', 1), limits);
    expect(first.reply).toMatchObject({ type: 'incremented', value: 1, duplicate: false });
    expect(retry.reply).toMatchObject({ type: 'incremented', value: 1, duplicate: true });
    expect(retry.app.value).toBe(1);
  });

  it('answers above the acked mark are kept, those below dropped; a late copy below it is refused, not counted', () => {
    let app: RaftCounterApp = applyCounterCommand({ value: 0, sessions: {} }, 1, { type: 'register', rid: 'r' }, limits).app;
    for (let i = 1; i <= 3; i++) app = applyCounterCommand(app, 1 + i, inc('1', i), limits).app;
    app = applyCounterCommand(app, 5, inc('1', 4, 3), limits).app;
    expect(app.sessions['1']!.results).toEqual({ '4': 4 });
    const late = applyCounterCommand(app, 6, inc('1', 2), limits);
    expect(late.reply).toMatchObject({ type: 'refused' });
    expect(late.app.value).toBe(4);
  });

  it('a session holds at most maxOpenPerSession unacknowledged answers (refused beyond, not counted)', () => {
    let app: RaftCounterApp = applyCounterCommand({ value: 0, sessions: {} }, 1, { type: 'register', rid: 'r' }, limits).app;
    for (let i = 1; i <= 4; i++) app = applyCounterCommand(app, 1 + i, inc('1', i), limits).app;
    const full = applyCounterCommand(app, 9, inc('1', 5), limits);
    expect(full.reply).toMatchObject({ type: 'refused', reason: '4 increments unacknowledged in this session' });
    expect(full.app.value).toBe(4);
  });

  it('registering past maxSessions evicts the least recently used; its client is told the outcome is unknown', () => {
    let app: RaftCounterApp = { value: 0, sessions: {} };
    for (let i = 1; i <= 3; i++) app = applyCounterCommand(app, i, { type: 'register', rid: `r${i}` }, limits).app;
    app = applyCounterCommand(app, 4, inc('1', 1), limits).app; // session 1 is now the most recent
    app = applyCounterCommand(app, 5, { type: 'register', rid: 'r5' }, limits).app;
    expect(Object.keys(app.sessions).sort()).toEqual(['1', '3', '5']);
    expect(applyCounterCommand(app, 6, inc('2', 1), limits).reply).toEqual({ type: 'expired', rid: 'i1', session: '2' });
  });

  it('property: any sequence of increments with retries and duplicates counts each (session, seq) once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 6 })), { maxLength: 60 }), (ops) => {
        let app: RaftCounterApp = { value: 0, sessions: {} };
        let index = 0;
        for (let c = 0; c < 3; c++) app = applyCounterCommand(app, ++index, { type: 'register', rid: `r${c}` }, { maxSessions: 3, maxOpenPerSession: 6 }).app;
        const distinct = new Set<string>();
        for (const [client, seq] of ops) {
          const r = applyCounterCommand(deepFreeze(app), ++index, inc(String(client + 1), seq), { maxSessions: 3, maxOpenPerSession: 6 });
          app = r.app;
          if (r.reply.type === 'incremented') distinct.add(`${client}/${seq}`);
        }
        expect(app.value).toBe(distinct.size);
      }),
    );
  });
});

describe('the machine', () => {
  it('a single-node counter: register, increment, a retried increment, and a linearizable get', () => {
    let s = single();
    const reg = raftCounter.step(s, { type: 'register', rid: 'r', now: 1 });
    const session = (replies(reg.outputs)[0] as { session: string }).session;
    s = reg.state;
    s = raftCounter.step(s, { ...inc(session, 1), now: 2 }).state;
    const retry = raftCounter.step(s, { ...inc(session, 1), now: 3 });
    expect(replies(retry.outputs)).toEqual([{ type: 'incremented', rid: 'i1', session, seq: 1, value: 1, duplicate: true }]);
    const get = raftCounter.step(retry.state, { type: 'get', rid: 'g', now: 4 });
    expect(replies(get.outputs)).toEqual([{ type: 'value', rid: 'g', value: 1 }]);
  });

  it('a client request over the network is answered by message; a follower says who leads', () => {
    const s = single();
    const t = raftCounter.step(s, { type: 'message', from: 'client', message: { type: 'register', rid: 'r' }, now: 1 });
    expect(t.outputs.filter((o) => o.type === 'send' && o.to === 'client')).toEqual([{ type: 'send', to: 'client', message: { type: 'registered', rid: 'r', session: '2' } }]);
    const f = raftCounter.init({ raft: { id: 'b', voters: ['a', 'b', 'c'], seed: 1 } });
    expect(raftCounter.step(f, { type: 'message', from: 'client', message: inc('2', 1), now: 1 }).outputs).toEqual([{ type: 'send', to: 'client', message: { type: 'notLeader', rid: 'i1', leader: null } }]);
  });

  it('a malformed client message is rejected with the state unchanged', () => {
    const s = single();
    const t = raftCounter.step(s, { type: 'message', from: 'client', message: { type: 'increment', rid: 'x', session: '1', seq: 0, acked: 0 }, now: 1 });
    expect(t.state).toBe(s);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', from: 'client' });
  });
});
