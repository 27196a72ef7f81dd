// Forgetting decided transactions (TIME_WAIT-style retention, docs/txn.md "Forgetting decided
// transactions"): memory stays bounded over long runs, a late duplicate inside the window is still
// recognised, forgotten transactions leave the durable image, and the assumption is load-bearing.
import { describe, expect, it } from 'vitest';
import { ConfigError, checkedStep } from 'distkit/core';
import {
  DEFAULT_RETAIN_DECIDED_MS,
  applyParticipantRecord,
  applyThreePhaseCoordinatorRecord,
  participantPhase,
  retainedDecidedCount,
  threePhaseCoordinator,
  threePhaseCoordinatorDecision,
  twoPhaseCoordinator,
  twoPhaseParticipant,
  type ParticipantDurable,
  type ParticipantLogRecord,
  type ThreePhaseCoordinatorDurable,
  type ThreePhaseCoordinatorRecord,
  type ThreePhaseCoordinatorState,
  type TwoPhaseParticipantOutput,
  type TwoPhaseParticipantState,
} from 'distkit/txn';
import { decisions } from './two-phase-helpers.js';
import { World } from './world.js';

const P = twoPhaseParticipant;
const C3 = threePhaseCoordinator;
const msg = (from: string, message: unknown, now = 0) => ({ type: 'message' as const, from, message, now });
const tick = (now: number) => ({ type: 'tick' as const, now });
const types = (outputs: readonly { type: string }[]) => outputs.map((o) => o.type);

/** Steps a participant, folding its persist records into a log image as a host would. */
class Host {
  log: ParticipantDurable = { txs: {} };
  forgotten = 0;
  /** The host's clock: a tick moves it, every other input is stamped with it. */
  now = 0;
  // checkedStep deep-freezes and compares the whole state: long runs step without it.
  constructor(
    public s: TwoPhaseParticipantState,
    private readonly checked = true,
  ) {}
  step(input: Parameters<typeof P.step>[1]): readonly TwoPhaseParticipantOutput[] {
    if (input.type === 'tick') this.now = Math.max(this.now, input.now);
    const stamped = { ...input, now: this.now };
    const t = this.checked ? checkedStep(P, this.s, stamped) : P.step(this.s, stamped);
    this.s = t.state;
    for (const o of t.outputs) {
      if (o.type !== 'persist') continue;
      for (const r of o.record) {
        if (r.kind === 'forgotten') this.forgotten++;
        this.log = applyParticipantRecord(this.log, r);
      }
    }
    return t.outputs;
  }
  /** Ticks whenever the machine asks for it, up to `now`, as a host arming one timer would. */
  advance(now: number): void {
    for (let d = P.nextDeadline!(this.s); d !== undefined && d <= now; d = P.nextDeadline!(this.s)) this.step(tick(Math.max(d, this.now)));
    this.step(tick(now));
  }
}

/** One transaction at a participant: prepare from c, YES (auto), then c's decision. */
function commitOne(h: Host, txId: string, decision: 'commit' | 'abort' = 'commit'): void {
  h.step(msg('c', { type: 'prepare', txId, participants: ['a', 'b'], payload: null }));
  h.step(msg('c', { type: 'decision', txId, decision, ack: true }));
}

describe('config: retainDecidedMs', () => {
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
    it(`${String(bad)} is refused with a ConfigError naming retainDecidedMs`, () => {
      for (const init of [() => P.init({ id: 'a', retainDecidedMs: bad }), () => C3.init({ id: 'c', retainDecidedMs: bad })]) {
        expect(init).toThrow(ConfigError);
        try {
          init();
        } catch (e) {
          expect((e as ConfigError).field).toBe('retainDecidedMs');
        }
      }
    });
  }
  it('defaults to DEFAULT_RETAIN_DECIDED_MS; 0 and null (forever) are accepted', () => {
    expect(P.init({ id: 'a' }).retainDecidedMs).toBe(DEFAULT_RETAIN_DECIDED_MS);
    expect(C3.init({ id: 'c' }).retainDecidedMs).toBe(DEFAULT_RETAIN_DECIDED_MS);
    expect(P.init({ id: 'a', retainDecidedMs: 0 }).retainDecidedMs).toBe(0);
    expect(P.init({ id: 'a', retainDecidedMs: null }).retainDecidedMs).toBeNull();
  });
});

describe('2PC participant: bounded memory over a long run', () => {
  it('20,000 transactions, 100 ms retention: retained tombstones and live transactions stay bounded', () => {
    const retain = 100;
    const h = new Host(P.init({ id: 'a', autoVote: 'yes', retainDecidedMs: retain }), false);
    let maxRetained = 0;
    let maxLive = 0;
    let maxBuckets = 0;
    for (let i = 0; i < 20_000; i++) {
      commitOne(h, `t${i}`, i % 5 === 0 ? 'abort' : 'commit');
      h.advance(i + 1); // one decision per millisecond
      maxRetained = Math.max(maxRetained, retainedDecidedCount(h.s));
      maxLive = Math.max(maxLive, Object.keys(h.s.txs).length);
      maxBuckets = Math.max(maxBuckets, h.s.decided.buckets.length);
      // The window is honoured: t_k was decided at k, so at now = i + 1 it is known while
      // i + 1 < k + retain; long ago it is gone.
      if (i >= retain) expect(participantPhase(h.s, `t${i + 2 - retain}`), `t${i + 2 - retain}`).toBeDefined();
      if (i >= 3 * retain) expect(participantPhase(h.s, `t${i - 3 * retain}`)).toBeUndefined();
    }
    // One decision per ms for 100 ms, plus at most 1/16 of a window of bucket slack.
    expect(maxRetained).toBeGreaterThanOrEqual(retain);
    expect(maxRetained).toBeLessThanOrEqual(retain + retain / 16 + 2);
    expect(maxLive).toBeLessThanOrEqual(1);
    expect(maxBuckets).toBeLessThanOrEqual(18);
    // Every committed/aborted transaction that left the window was announced as forgotten, and the
    // host's log holds only the retained ones.
    expect(h.forgotten).toBe(20_000 - retainedDecidedCount(h.s));
    expect(Object.keys(h.log.txs).length).toBe(retainedDecidedCount(h.s));
    expect(h.log).toEqual(P.durable(h.s));
  });

  it('nextDeadline is exactly the expiry of the oldest tombstones: nothing goes a millisecond early', () => {
    const h = new Host(P.init({ id: 'a', autoVote: 'yes', retainDecidedMs: 50 }));
    h.step(tick(1000));
    commitOne(h, 't1'); // decided at 1000: retention runs from the decision's time
    expect(P.nextDeadline!(h.s)).toBe(1050);
    h.step(tick(1049));
    expect(participantPhase(h.s, 't1')).toBe('committed');
    const out = h.step(tick(1050));
    expect(participantPhase(h.s, 't1')).toBeUndefined();
    expect(out).toEqual([{ type: 'persist', record: [{ kind: 'forgotten', txId: 't1' }] }]);
    expect(P.nextDeadline!(h.s)).toBeUndefined();
  });

  it('null keeps every decided transaction, and asks for no timer to do so', () => {
    const h = new Host(P.init({ id: 'a', autoVote: 'yes', retainDecidedMs: null }), false);
    for (let i = 0; i < 600; i++) {
      commitOne(h, `t${i}`);
      h.advance(i * 1000);
    }
    expect(retainedDecidedCount(h.s)).toBe(600);
    expect(P.nextDeadline!(h.s)).toBeUndefined();
    expect(h.forgotten).toBe(0);
  });
});

describe('2PC participant: inside the window, duplicates are recognised', () => {
  it('a late duplicate prepare of a committed, an aborted and a read-only transaction repeats the vote', () => {
    const h = new Host(P.init({ id: 'a', retainDecidedMs: 1000 }));
    // committed
    h.step(msg('c', { type: 'prepare', txId: 'tc', participants: ['a', 'b'], payload: null }));
    h.step({ type: 'vote', txId: 'tc', vote: 'yes', now: 0 });
    h.step(msg('c', { type: 'decision', txId: 'tc', decision: 'commit', ack: true }));
    // voted NO
    h.step(msg('c', { type: 'prepare', txId: 'tn', participants: ['a', 'b'], payload: null }));
    h.step({ type: 'vote', txId: 'tn', vote: 'no', now: 0 });
    // read-only
    h.step(msg('c', { type: 'prepare', txId: 'tr', participants: ['a', 'b'], payload: null }));
    h.step({ type: 'vote', txId: 'tr', vote: 'readonly', now: 0 });
    h.advance(10);
    h.advance(999); // 989 ms after the retention clock started: still inside the window
    expect(Object.keys(h.s.txs)).toEqual([]);
    const late = (txId: string) => h.step(msg('c', { type: 'prepare', txId, participants: ['a', 'b'], payload: null }));
    expect(late('tc')).toEqual([]);
    expect(late('tn')).toEqual([{ type: 'send', to: 'c', message: { type: 'vote', txId: 'tn', vote: 'no' } }]);
    expect(late('tr')).toEqual([{ type: 'send', to: 'c', message: { type: 'vote', txId: 'tr', vote: 'readonly' } }]);
    // A late duplicate decision is acknowledged again; a conflicting one is refused.
    expect(h.step(msg('c', { type: 'decision', txId: 'tc', decision: 'commit', ack: true }))).toEqual([
      { type: 'send', to: 'c', message: { type: 'ack', txId: 'tc' } },
    ]);
    expect(types(h.step(msg('c', { type: 'decision', txId: 'tc', decision: 'abort', ack: true })))).toEqual(['rejected']);
    // A peer still in doubt learns the outcome (cooperative termination).
    expect(h.step(msg('b', { type: 'query', txId: 'tc' }))).toEqual([
      { type: 'send', to: 'b', message: { type: 'decision', txId: 'tc', decision: 'commit', ack: false } },
    ]);
    // A stranger does not, and a prepare from a node that is not the coordinator is refused.
    expect(types(h.step(msg('x', { type: 'query', txId: 'tc' })))).toEqual(['rejected']);
    expect(types(h.step(msg('x', { type: 'prepare', txId: 'tc', participants: ['a'], payload: null })))).toEqual(['rejected']);
    expect(participantPhase(h.s, 'tc')).toBe('committed');
  });

  it('the hazard the assumption rules out: past the window, a duplicate prepare is a new transaction', () => {
    const h = new Host(P.init({ id: 'a', autoVote: 'yes', retainDecidedMs: 100 }));
    commitOne(h, 't1');
    h.advance(1);
    h.advance(200);
    expect(participantPhase(h.s, 't1')).toBeUndefined();
    // A prepare older than the window (the network broke the stated bound) is voted on again.
    expect(types(h.step(msg('c', { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null })))).toEqual(['persist', 'send']);
    expect(participantPhase(h.s, 't1')).toBe('prepared');
  });

  it('R* §3: a commit with an ack request for a forgotten transaction is acknowledged, changing nothing', () => {
    const h = new Host(P.init({ id: 'a', autoVote: 'yes', retainDecidedMs: 100 }));
    commitOne(h, 't1');
    h.advance(1);
    h.advance(500);
    const before = h.s;
    // The coordinator was cut off for longer than the window and still re-sends COMMIT.
    const t = checkedStep(P, before, msg('c', { type: 'decision', txId: 't1', decision: 'commit', ack: true }));
    expect(t.state).toBe(before);
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'ack', txId: 't1' } }]);
    // Without an ack request, a commit for an unknown transaction is still refused.
    expect(types(checkedStep(P, before, msg('c', { type: 'decision', txId: 't1', decision: 'commit', ack: false })).outputs)).toEqual(['rejected']);
  });
});

describe('2PC participant: durability of tombstones', () => {
  it('a recovered participant still answers for transactions decided inside the window, then forgets them', () => {
    const h = new Host(P.init({ id: 'a', autoVote: 'yes', retainDecidedMs: 100 }));
    commitOne(h, 't1');
    commitOne(h, 't2', 'abort');
    h.step(msg('c', { type: 'prepare', txId: 't3', participants: ['a', 'b'], payload: null })); // in doubt
    h.advance(50);
    expect(h.log).toEqual(P.durable(h.s));
    // Crash; restart from the log image (a JSON round trip, as a store would give it).
    const r = new Host(P.recover({ id: 'a', autoVote: 'yes', retainDecidedMs: 100 }, JSON.parse(JSON.stringify(h.log)) as ParticipantDurable));
    r.log = h.log;
    expect(participantPhase(r.s, 't1')).toBe('committed');
    expect(participantPhase(r.s, 't2')).toBe('aborted');
    expect(participantPhase(r.s, 't3')).toBe('prepared');
    expect(r.step(msg('b', { type: 'query', txId: 't1' }))).toEqual([
      { type: 'send', to: 'b', message: { type: 'decision', txId: 't1', decision: 'commit', ack: false } },
    ]);
    expect(r.step(msg('c', { type: 'prepare', txId: 't2', participants: ['a', 'b'], payload: null }))).toEqual([
      { type: 'send', to: 'c', message: { type: 'vote', txId: 't2', vote: 'no' } },
    ]);
    // The downtime is unknown, so the window restarts at the first tick after recovery.
    r.step(tick(5000));
    expect(participantPhase(r.s, 't1')).toBe('committed');
    r.advance(5099);
    expect(participantPhase(r.s, 't1')).toBe('committed');
    r.advance(5100);
    expect(participantPhase(r.s, 't1')).toBeUndefined();
    expect(participantPhase(r.s, 't2')).toBeUndefined();
    // Forgotten records dropped the decided transactions from the log; the in-doubt one stays.
    expect(Object.keys(r.log.txs)).toEqual(['t3']);
    expect(r.log).toEqual(P.durable(r.s));
  });

  it('a read-only vote is never logged, so forgetting it writes nothing', () => {
    const h = new Host(P.init({ id: 'a', autoVote: 'readonly', retainDecidedMs: 10 }));
    h.step(msg('c', { type: 'prepare', txId: 't1', participants: ['a'], payload: null }));
    h.advance(1);
    h.advance(100);
    expect(participantPhase(h.s, 't1')).toBeUndefined();
    expect(h.forgotten).toBe(0);
  });
});

describe('3PC coordinator: decided transactions are forgotten too', () => {
  function run3(n: number, retain: number, checked = true) {
    let s: ThreePhaseCoordinatorState = C3.init({ id: 'c', retainDecidedMs: retain });
    let log: ThreePhaseCoordinatorDurable = { txs: {} };
    let max = 0;
    let now = 0;
    const step = (input: Parameters<typeof C3.step>[1]) => {
      if (input.type === 'tick') now = Math.max(now, input.now);
      const stamped = { ...input, now };
      const t = checked ? checkedStep(C3, s, stamped) : C3.step(s, stamped);
      s = t.state;
      for (const o of t.outputs) if (o.type === 'persist') for (const r of o.record as readonly ThreePhaseCoordinatorRecord[]) log = applyThreePhaseCoordinatorRecord(log, r);
      return t.outputs;
    };
    for (let i = 0; i < n; i++) {
      const txId = `t${i}`;
      step({ type: 'begin', txId, participants: ['a', 'b'], now: 0 });
      for (const p of ['a', 'b']) step(msg(p, { type: 'vote', txId, vote: 'yes' }));
      for (const p of ['a', 'b']) step(msg(p, { type: 'preCommitAck', txId, round: 0 }));
      for (let d = C3.nextDeadline!(s); d !== undefined && d <= i + 1; d = C3.nextDeadline!(s)) step(tick(Math.max(d, now)));
      step(tick(i + 1));
      max = Math.max(max, Object.keys(s.txs).length + s.decided.buckets.reduce((k, b) => k + b.size, 0));
    }
    return { s, log, max, step };
  }
  it('20,000 transactions with 100 ms retention: the coordinator keeps a bounded number', () => {
    const { s, log, max } = run3(20_000, 100, false);
    expect(max).toBeLessThanOrEqual(100 + 100 / 16 + 2);
    expect(threePhaseCoordinatorDecision(s, 't19999')).toBe('commit');
    expect(threePhaseCoordinatorDecision(s, 't0')).toBeUndefined();
    expect(log).toEqual(C3.durable(s));
  });
  it('inside the window it answers queries and refuses late votes and a reused id; afterwards it forgets', () => {
    const { s, step } = run3(1, 100);
    expect(step(msg('a', { type: 'query', txId: 't0' }))).toEqual([{ type: 'send', to: 'a', message: { type: 'decision', txId: 't0', decision: 'commit' } }]);
    expect(types(step(msg('a', { type: 'vote', txId: 't0', vote: 'yes' })))).toEqual(['rejected']);
    expect(() => step({ type: 'begin', txId: 't0', participants: ['a'], now: 0 })).toThrow();
    // Recovery inside the window re-sends the decision, then keeps it as a tombstone.
    const r = C3.recover({ id: 'c', retainDecidedMs: 100 }, JSON.parse(JSON.stringify(C3.durable(s))) as ThreePhaseCoordinatorDurable);
    const t = C3.step(r, tick(10));
    expect(types(t.outputs)).toEqual(['send', 'send']);
    expect(threePhaseCoordinatorDecision(t.state, 't0')).toBe('commit');
    expect(step(tick(1000))).toEqual([{ type: 'persist', record: [{ txId: 't0', forgotten: true }] }]);
  });
});

describe('2PC with forgetting under loss, duplication and crashes (retention above the stated bound)', () => {
  // Messages live at most maxDelayMs = 10; the coordinator re-sends prepare for at most its
  // voteTimeoutMs = 300. A 400 ms window covers both (docs/txn.md states the rule).
  function world(seed: number, retainDecidedMs: number, duplicate: number): World {
    const node = ['c', 'a', 'b'][seed % 3]!;
    const mode = (['beforePersist', 'afterPersist', 'afterSend'] as const)[seed % 3]!;
    const crashes = [{ node, step: 20 + (seed % 50), mode, downMs: 100 + (seed % 4) * 300 }];
    const w = new World({ seed, loss: 0.1, duplicate, minDelayMs: 1, maxDelayMs: 10, crashes });
    w.add('c', twoPhaseCoordinator, { id: 'c', voteTimeoutMs: 300, resendIntervalMs: 100, presumedAbort: seed % 2 === 0 });
    for (const p of ['a', 'b', 'n']) {
      w.add(p, twoPhaseParticipant, { id: p, decisionTimeoutMs: 150, autoVote: p === 'n' ? 'no' : 'yes', retainDecidedMs });
    }
    for (let i = 0; i < 60; i++) w.schedule(i * 25, 'c', { type: 'begin', txId: `t${i}`, participants: i % 7 === 0 ? ['a', 'b', 'n'] : ['a', 'b'] });
    return w;
  }
  const conflicting = (w: World) => [...decisions(w)].filter(([, set]) => set.size > 1).map(([txId]) => txId);

  it('150 seeds, a crash each: no transaction is both committed and aborted, and the participants end up holding nothing', () => {
    let forgotten = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const w = world(seed, 400, 0.2);
      if (seed % 3 === 0) w.schedule(600 + seed, 'a', { type: 'tick', now: 600 + seed }); // extra ticks change nothing
      w.run(5_000);
      expect(conflicting(w), `seed ${seed}`).toEqual([]);
      for (const p of ['a', 'b', 'n']) {
        const st = w.state<TwoPhaseParticipantState>(p);
        expect(retainedDecidedCount(st) + Object.keys(st.txs).length, `seed ${seed} ${p}`).toBe(0);
        forgotten += (w.node(p).records as ParticipantLogRecord[]).filter((r) => r.kind === 'forgotten').length;
      }
    }
    expect(forgotten).toBeGreaterThan(150 * 100);
  });

  it('has teeth: a window shorter than the time duplicates linger lets a duplicate prepare commit-then-abort', () => {
    let found: string | undefined;
    for (let seed = 1; seed <= 200 && found === undefined; seed++) {
      const w = world(seed, 1, 0.5);
      w.run(5_000);
      const bad = conflicting(w);
      if (bad.length > 0) found = `seed ${seed}: ${bad[0]}`;
    }
    expect(found).toBeDefined();
  });
});
