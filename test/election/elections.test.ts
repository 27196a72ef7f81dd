import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkInvariants, checkedStep, compareNodeIds, ConfigError, InvalidCommandError } from 'distkit/core';
import { bully, bullySettled, highestId, ringElection, type BullyState, type RingElectionState } from 'distkit/election';
import { simulate } from 'distkit/sim';
import { ids, Sim } from '../support/event-sim.js';
import { runBully, runRing, type ElectionRun } from './elect.js';

const msg = (from: string, message: unknown, now = 0) => ({ type: 'message' as const, from, message, now });

function expectAgreement(r: ElectionRun, label: string): void {
  for (const [node, leader] of Object.entries(r.leaders)) expect(leader, `${label}: ${node}`).toBe(r.highestLive);
}

/** distkit/election's settled outcome for the bully algorithm, over the live nodes' states. */
function expectBullySettled(r: ElectionRun, label: string): void {
  const live = Object.fromEntries(Object.keys(r.leaders).map((x) => [x, r.sim.states[x] as BullyState]));
  expect(checkInvariants([bullySettled()], live)?.description, label).toBeUndefined();
}

/** A random set of crashed nodes that leaves at least one alive. */
function crashSet(n: number, seed: number): string[] {
  const nodes = ids(n);
  return nodes.filter((_, i) => ((seed * 7919 + i * 104729) % 5) === 0 && i !== seed % n);
}

describe('bully (Garcia-Molina 1982)', () => {
  it('the lowest node starts, synchronous network: N² + N − 3 messages (textbook worst case N² − 1, plus the winner re-announcing to N − 2 late ELECTIONs)', () => {
    for (const n of [3, 5, 9, 16]) {
      const r = runBully({ n, seed: 1, initiators: ['n1'], fixedDelayMs: 5, checked: n <= 5 });
      expectBullySettled(r, `n=${n}`);
      expect(r.messages).toBe(n * n + n - 3);
    }
  });

  it('the lowest node starts, random delays: still O(N²), at most 5N² (50 seeds per N)', () => {
    for (const n of [3, 5, 9, 16]) {
      for (let seed = 1; seed <= 50; seed++) {
        const r = runBully({ n, seed, initiators: ['n1'] });
        expectBullySettled(r, `n=${n} seed ${seed}`);
        // Late ELECTIONs reach nodes that already accepted the winner; each holds a new election.
        expect(r.messages).toBeGreaterThanOrEqual(n * n + n - 3);
        expect(r.messages).toBeLessThanOrEqual(5 * n * n);
      }
    }
  });

  it('the highest node starts: N − 1 messages (just COORDINATOR)', () => {
    const r = runBully({ n: 9, seed: 1, initiators: ['n9'] });
    expectBullySettled(r, 'n9');
    expect(r.messages).toBe(8);
  });

  it('exactly one leader, the highest live id, known by all live nodes — random crashes, initiators and delays (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const n = 3 + (seed % 8);
      const crashed = crashSet(n, seed);
      const live = ids(n).filter((x) => !crashed.includes(x));
      const initiators = live.filter((_, i) => (seed + i) % 3 === 0);
      const r = runBully({ n, seed, initiators: initiators.length > 0 ? initiators : [live[0]!], crashed, spreadMs: 30, checked: seed <= 10 });
      expectBullySettled(r, `seed ${seed}`);
    }
  });

  it('a recovering higher node takes over', () => {
    const nodes = ids(5);
    const sim = new Sim({ seed: 2 });
    for (const id of nodes) sim.add(id, bully, bully.init({ id, nodes, okTimeoutMs: 50 }));
    sim.crash('n5');
    sim.input('n2', { type: 'elect' });
    sim.run(5_000);
    for (const x of ids(4)) expect((sim.states[x] as BullyState).leader).toBe('n4');
    sim.add('n5', bully, bully.init({ id: 'n5', nodes, okTimeoutMs: 50 })); // restart
    sim.input('n5', { type: 'elect' });
    sim.run(10_000);
    for (const x of nodes) expect((sim.states[x] as BullyState).leader).toBe('n5');
  });

  it('leader heartbeats: followers notice a dead leader and elect the next one', () => {
    const nodes = ids(5);
    const sim = new Sim({ seed: 5 });
    for (const id of nodes) sim.add(id, bully, bully.init({ id, nodes, okTimeoutMs: 50, heartbeatIntervalMs: 100 }));
    sim.input('n1', { type: 'elect' });
    sim.run(1_000);
    for (const x of nodes) expect((sim.states[x] as BullyState).leader).toBe('n5');
    sim.crash('n5');
    sim.run(3_000);
    for (const x of ids(4)) expect((sim.states[x] as BullyState).leader).toBe('n4');
  });

  it('a host that ticks only at deadlines: heartbeats between ticks keep a live leader (regression: CLI bully seed 12)', () => {
    // Before, a heartbeat arriving between ticks recorded the contact at the last tick's time, so a
    // follower timed out on a leader that had spoken moments ago and re-elected.
    const cfg = { id: 'a', nodes: ['a', 'b'], heartbeatIntervalMs: 50, leaderTimeoutMs: 150 };
    let s: BullyState = bully.init(cfg);
    const outputs: string[] = [];
    const feed = (input: Parameters<typeof bully.step>[1]) => {
      const t = checkedStep(bully, s, input);
      s = t.state;
      for (const o of t.outputs) outputs.push(o.type === 'send' ? `send ${(o.message as { type: string }).type}` : o.type);
    };
    // The host's one timer: tick at each deadline that falls due by `now`, and no other ticks.
    let clock = 0;
    const runTimersUntil = (now: number) => {
      for (let due = bully.nextDeadline!(s); due !== undefined && due <= now; due = bully.nextDeadline!(s)) {
        clock = Math.max(clock, due);
        feed({ type: 'tick', now: clock });
      }
    };
    const deliverAt = (now: number) => {
      runTimersUntil(now);
      clock = now;
      feed({ type: 'message', from: 'b', message: { type: 'heartbeat' }, now });
    };
    feed({ type: 'tick', now: 0 });
    for (let now = 40; now <= 2000; now += 40) deliverAt(now);
    expect(s.leader).toBe('b');
    expect(outputs).not.toContain('send election');
    // Once b falls silent, a calls an election one leader timeout after b's last heartbeat, and
    // wins when no OK comes within okTimeoutMs (1000 by default).
    runTimersUntil(2000 + 149);
    expect(outputs).not.toContain('send election');
    runTimersUntil(2000 + 150);
    expect(outputs.at(-1)).toBe('send election');
    runTimersUntil(2000 + 150 + 1000);
    expect(s.leader).toBe('a');
  });

  it('hostile: unknown senders, ELECTION from a higher node, OK from a lower one, malformed messages', () => {
    const s = bully.init({ id: 'n3', nodes: ids(5) });
    for (const [from, m, why] of [
      ['evil', { type: 'election' }, /unknown sender/],
      ['n5', { type: 'election' }, /higher/],
      ['n1', { type: 'ok' }, /lower/],
      ['n1', { type: 'nonsense' }, /type/],
      ['n1', 'x', /object/],
    ] as const) {
      const t = checkedStep(bully, s, msg(from, m));
      expect(t.state).toBe(s);
      expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(why) });
    }
    expect(() => bully.init({ id: 'x', nodes: ['a'] })).toThrow(ConfigError);
  });
});

describe('ring election', () => {
  it('Chang–Roberts: one initiator costs between 2N and 3N − 1 messages, for every initiator position (N = 3, 5, 9, 16)', () => {
    for (const n of [3, 5, 9, 16]) {
      const counts: number[] = [];
      for (const init of ids(n)) {
        const r = runRing({ n, seed: 1, initiators: [init], variant: 'chang-roberts' });
        expectAgreement(r, `n=${n} ${init}`);
        counts.push(r.messages);
      }
      expect(Math.min(...counts)).toBe(2 * n); // the highest starts
      expect(Math.max(...counts)).toBe(3 * n - 1); // the node after the highest starts
    }
  });

  it('candidate-list variant: one initiator costs exactly 2N messages', () => {
    for (const n of [3, 5, 9, 16]) {
      const r = runRing({ n, seed: 1, initiators: ['n2'], variant: 'candidate-list' });
      expectAgreement(r, `n=${n}`);
      expect(r.messages).toBe(2 * n);
    }
  });

  for (const variant of ['chang-roberts', 'candidate-list'] as const) {
    it(`${variant}: crashed successors are skipped; exactly one leader, the highest live id (300 seeds)`, () => {
      for (let seed = 1; seed <= 300; seed++) {
        const n = 3 + (seed % 8);
        const crashed = crashSet(n, seed);
        const live = ids(n).filter((x) => !crashed.includes(x));
        const initiators = live.filter((_, i) => (seed + i) % 4 === 0);
        const r = runRing({ n, seed, initiators: initiators.length > 0 ? initiators : [live[0]!], crashed, spreadMs: 20, variant, checked: seed <= 10 });
        expectAgreement(r, `seed ${seed}`);
      }
    });
  }

  it('hostile: unknown senders, candidates from outside the ring, acks for messages never sent', () => {
    const s = ringElection.init({ id: 'b', nodes: ['a', 'b', 'c'] });
    for (const [from, m, why] of [
      ['z', { type: 'election', mid: 0, candidate: 'a' }, /unknown sender/],
      ['a', { type: 'election', mid: 0, candidate: 'zz' }, /not in the ring/],
      ['a', { type: 'ack', mid: 3 }, /unknown message/],
      ['a', { type: 'election-list', mid: 0, candidates: ['a', 'a'] }, /duplicate/],
      ['a', { type: 'election', mid: -1, candidate: 'a' }, /mid/],
    ] as const) {
      const t = checkedStep(ringElection, s, msg(from, m));
      expect(t.state).toBe(s);
      expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(why) });
    }
  });
});

describe('ring election: v2 regressions', () => {
  it('Chang–Roberts with one crashed node goes quiet under simulate, with a bounded message count (10 seeds; before, 8 of 10 hit the step limit)', () => {
    const ring = ids(5);
    for (let seed = 1; seed <= 10; seed++) {
      const r = simulate({
        seed,
        nodes: ring.map((id) => ({ id, machine: ringElection, config: { id, nodes: ring, ackTimeoutMs: 50 } })),
        faults: [{ at: 0, fault: { type: 'crash', node: 'n3' } }],
        commands: [{ at: 5, node: 'n1', input: { type: 'elect' } }],
        maxTimeMs: 60_000,
        maxSteps: 100_000,
      });
      expect(r.stopReason, `seed ${seed}`).toBe('quiescent');
      expect(r.stats.messages.sent, `seed ${seed}`).toBeLessThan(60);
      for (const id of ring.filter((x) => x !== 'n3')) expect((r.states[id] as RingElectionState).leader, `seed ${seed} ${id}`).toBe('n5');
    }
  });

  it('only validated fields are stored and forwarded: a 100 kB junk field stays out of the state and the resend', () => {
    const s = ringElection.init({ id: 'b', nodes: ['a', 'b', 'c'] });
    const t = checkedStep(ringElection, s, msg('a', { type: 'elected', mid: 0, leader: 'c', junk: 'x'.repeat(100_000) }));
    expect(JSON.stringify(t.state).length).toBeLessThan(1000);
    expect(t.state.unacked[0]?.payload).toEqual({ type: 'elected', leader: 'c' });
    const resend = checkedStep(ringElection, t.state, { type: 'tick', now: 10_000 });
    expect(JSON.stringify(resend.outputs).length).toBeLessThan(1000);
  });

  it('the table of unacknowledged messages is bounded (maxUnacked): a flood is rejected, naming the limit', () => {
    let s = ringElection.init({ id: 'b', nodes: ['a', 'b', 'c'], maxUnacked: 4 });
    for (let i = 0; i < 4; i++) s = checkedStep(ringElection, s, msg('a', { type: 'election', mid: i, candidate: 'c' })).state;
    const t = checkedStep(ringElection, s, msg('a', { type: 'election', mid: 9, candidate: 'c' }));
    expect(t.state).toBe(s);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(/maxUnacked/) });
  });

  it('unknown local commands throw InvalidCommandError (they returned undefined)', () => {
    expect(() => ringElection.step(ringElection.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'nope', now: 0 } as never)).toThrow(InvalidCommandError);
    expect(() => bully.step(bully.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'nope', now: 0 } as never)).toThrow(InvalidCommandError);
  });
});

describe('highestId / compareNodeIds', () => {
  it('highestId is the maximum under compareNodeIds (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { minLength: 1 }), (xs) => {
        const h = highestId(xs)!;
        for (const x of xs) expect(compareNodeIds(x, h)).toBeLessThanOrEqual(0);
      }),
    );
  });
});
