import { describe, expect, it } from 'vitest';
import { checkInvariants, checkedStep, ConfigError } from 'distkit/core';
import { bully, bullySettled, type BullyState } from 'distkit/election';
import { ids, Sim } from '../support/event-sim.js';
import { crashSet, msg, runBully, type ElectionRun } from './elect.js';

/** distkit/election's settled outcome for the bully algorithm, over the live nodes' states. */
function expectBullySettled(r: ElectionRun, label: string): void {
  const live = Object.fromEntries(Object.keys(r.leaders).map((x) => [x, r.sim.states[x] as BullyState]));
  expect(checkInvariants([bullySettled()], live)?.description, label).toBeUndefined();
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

