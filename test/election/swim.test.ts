import { describe, expect, it } from 'vitest';
import { checkedStep, MAX_COUNTER } from 'distkit/core';
import { retransmitLimit, suspicionTimeoutMs, swim, type SwimState } from 'distkit/election';
import { simulate } from 'distkit/sim';
import { runSwim } from './swim-run.js';

const msg = (from: string, message: unknown, now = 10) => ({ type: 'message' as const, from, message, now });
const members = ['a', 'b', 'c', 'd', 'e'];

function started(id = 'a'): SwimState {
  return checkedStep(swim, swim.init({ id, nodes: members, seed: 1, protocolPeriodMs: 1000, pingTimeoutMs: 200 }), { type: 'tick', now: 0 }).state;
}

/** Steps to the first protocol period and returns the state and the ping sent. */
function firstProbe(): { s: SwimState; target: string; seq: number } {
  const s0 = started();
  const t = checkedStep(swim, s0, { type: 'tick', now: swim.nextDeadline!(s0)! });
  const ping = t.outputs.find((o) => o.type === 'send') as { to: string; message: { seq: number } };
  return { s: t.state, target: ping.to, seq: ping.message.seq };
}

describe('SWIM §3: ping, ping-req, ack', () => {
  it('each period pings one member; an ack answers a ping with the same number', () => {
    const { s, target, seq } = firstProbe();
    expect(members).toContain(target);
    const t = checkedStep(swim, started('b'), msg('a', { type: 'ping', seq: 4, updates: [] }));
    expect(t.outputs).toEqual([{ type: 'send', to: 'a', message: { type: 'ack', seq: 4, updates: [] } }]);
    const acked = checkedStep(swim, s, msg(target, { type: 'ack', seq, updates: [] }));
    expect(acked.state.probe?.phase).toBe('acked');
  });

  it('no direct ack within pingTimeoutMs: ping-req to k = 3 other members', () => {
    const { s, target } = firstProbe();
    const t = checkedStep(swim, s, { type: 'tick', now: s.probe!.timer.at! });
    const reqs = t.outputs.filter((o) => o.type === 'send') as { to: string; message: { type: string; target: string } }[];
    expect(reqs).toHaveLength(3);
    for (const r of reqs) {
      expect(r.message.type).toBe('ping-req');
      expect(r.message.target).toBe(target);
      expect(r.to).not.toBe(target);
    }
  });

  it('a helper pings the target for the requester and relays the ack', () => {
    let b = started('b');
    const t1 = checkedStep(swim, b, msg('a', { type: 'ping-req', seq: 9, target: 'c', updates: [] }));
    const ping = t1.outputs[0] as { to: string; message: { type: string; seq: number } };
    expect(ping.to).toBe('c');
    b = t1.state;
    const t2 = checkedStep(swim, b, msg('c', { type: 'ack', seq: ping.message.seq, updates: [] }));
    expect(t2.outputs).toEqual([{ type: 'send', to: 'a', message: { type: 'ack', seq: 9, updates: [] } }]);
  });
});

describe('SWIM §4.2: suspicion, incarnation numbers, refutation', () => {
  it('a target silent for a whole period becomes suspect, and the suspicion is piggybacked', () => {
    const { s, target } = firstProbe();
    const t = checkedStep(swim, s, { type: 'tick', now: 2000 + 1000 });
    expect(t.outputs).toContainEqual({ type: 'member', node: target, status: 'suspect', incarnation: 0 });
    const sends = t.outputs.filter((o) => o.type === 'send') as unknown as { message: { updates: unknown[] } }[];
    expect(sends.at(-1)!.message.updates).toContainEqual({ node: target, status: 'suspect', incarnation: 0, by: 'a' });
  });

  it('a member told it is suspected refutes with a higher incarnation; alive(i+1) clears the suspicion elsewhere', () => {
    const b = started('b');
    const t = checkedStep(swim, b, msg('a', { type: 'ping', seq: 1, updates: [{ node: 'b', status: 'suspect', incarnation: 0, by: 'a' }] }));
    expect(t.outputs).toContainEqual({ type: 'refuted', incarnation: 1 });
    expect(t.state.incarnation).toBe(1);
    const ack = t.outputs.find((o) => o.type === 'send') as unknown as { message: { updates: unknown[] } };
    expect(ack.message.updates).toContainEqual({ node: 'b', status: 'alive', incarnation: 1 });
    // At c: b suspect(0), then alive(1) wins; a stale suspect(0) afterwards is ignored.
    let c = started('c');
    c = checkedStep(swim, c, msg('a', { type: 'ping', seq: 1, updates: [{ node: 'b', status: 'suspect', incarnation: 0, by: 'a' }] })).state;
    expect(c.members.b?.status).toBe('suspect');
    c = checkedStep(swim, c, msg('b', { type: 'ping', seq: 2, updates: [{ node: 'b', status: 'alive', incarnation: 1 }] })).state;
    expect(c.members.b?.status).toBe('alive');
    c = checkedStep(swim, c, msg('d', { type: 'ping', seq: 3, updates: [{ node: 'b', status: 'suspect', incarnation: 0, by: 'd' }] })).state;
    expect(c.members.b?.status).toBe('alive');
  });

  it('Lifeguard: the suspicion timeout shrinks from β·min to min as independent confirmations arrive', () => {
    const min = 4 * Math.log10(16) * 1000;
    expect(suspicionTimeoutMs(0, 16, 1000, 4, 6)).toBe(Math.floor(6 * min));
    expect(suspicionTimeoutMs(1, 16, 1000, 4, 6)).toBeLessThan(6 * min);
    expect(suspicionTimeoutMs(2, 16, 1000, 4, 6)).toBe(Math.floor(min));
    expect(suspicionTimeoutMs(10, 16, 1000, 4, 6)).toBe(Math.floor(min));
    for (let c = 0; c < 4; c++) expect(suspicionTimeoutMs(c + 1, 16, 1000, 4, 6)).toBeLessThanOrEqual(suspicionTimeoutMs(c, 16, 1000, 4, 6));
  });

  it('hostile: unknown members, forged acks for pings never sent, updates about strangers, negative incarnations', () => {
    const s = started();
    for (const [from, m, why] of [
      ['zz', { type: 'ping', seq: 1, updates: [] }, /unknown member/],
      ['b', { type: 'ack', seq: 999, updates: [] }, /never sent/],
      ['b', { type: 'ping', seq: 1, updates: [{ node: 'zz', status: 'dead', incarnation: 0 }] }, /unknown member/],
      ['b', { type: 'ping', seq: 1, updates: [{ node: 'c', status: 'dead', incarnation: -1 }] }, /incarnation/],
      ['b', { type: 'ping-req', seq: 1, target: 'a', updates: [] }, /unknown target/],
      ['b', { type: 'ping', seq: 1, updates: new Array(65).fill({ node: 'c', status: 'alive', incarnation: 0 }) }, /items/],
    ] as const) {
      const t = checkedStep(swim, s, msg(from, m));
      expect(t.state).toBe(s);
      expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(why) });
    }
  });
});

describe('v2 regressions: time on every input, own-key membership, bounded incarnations, memberlist formulas', () => {
  it('a relayed ping-req lives one period from its arrival: a ping-req just before the next period still forwards the ack', () => {
    // b's next period starts at P; the ping-req arrives 1 ms before it. Before, the relay's
    // deadline counted from b's last tick (P − 1000), so the period start at P dropped it.
    let b = started('b');
    b = checkedStep(swim, b, { type: 'tick', now: swim.nextDeadline!(b)! }).state; // b's first period
    const p = b.periodTimer.at!;
    const t1 = checkedStep(swim, b, msg('a', { type: 'ping-req', seq: 9, target: 'c', updates: [] }, p - 1));
    const ping = t1.outputs[0] as { to: string; message: { seq: number } };
    b = checkedStep(swim, t1.state, { type: 'tick', now: p }).state; // b's next period begins
    const t2 = checkedStep(swim, b, msg('c', { type: 'ack', seq: ping.message.seq, updates: [] }, p + 5));
    expect(t2.outputs).toContainEqual({ type: 'send', to: 'a', message: expect.objectContaining({ type: 'ack', seq: 9 }) });
  });

  it('a suspicion learned by gossip counts from the message that brought it, not from the last tick', () => {
    const c = started('c');
    const t = checkedStep(swim, c, msg('a', { type: 'ping', seq: 1, updates: [{ node: 'b', status: 'suspect', incarnation: 0, by: 'a' }] }, 50_000));
    expect(t.state.members.b).toMatchObject({ status: 'suspect', suspectSince: 50_000 });
    // The suspect is not declared dead at the next tick: its timeout runs from 50 s.
    const later = checkedStep(swim, t.state, { type: 'tick', now: 50_000 + 5000 });
    expect(later.outputs).not.toContainEqual(expect.objectContaining({ type: 'member', node: 'b', status: 'dead' }));
  });

  it('senders named like Object.prototype members are not members: no ack, no relay, no state growth', () => {
    let s = started('a');
    const before = JSON.stringify(s).length;
    for (let i = 0; i < 5000; i++) {
      const from = i % 2 === 0 ? 'constructor' : 'toString';
      const m = i % 3 === 0 ? { type: 'ping-req', seq: i, target: 'b', updates: [] } : { type: 'ping', seq: i, updates: [] };
      const t = checkedStep(swim, s, msg(from, m, 10 + i));
      expect(t.state).toBe(s);
      expect(t.outputs).toEqual([{ type: 'rejected', from, reason: 'unknown member' }]);
      s = t.state;
    }
    expect(JSON.stringify(s).length).toBe(before);
  });

  it('incarnations are bounded: suspect(self, 2^53 − 1) and dead(x, 2^53 − 1) are rejected; at MAX_COUNTER they are ignored, so a member can always refute', () => {
    const a = started('a');
    for (const u of [
      { node: 'a', status: 'suspect', incarnation: 2 ** 53 - 1, by: 'b' },
      { node: 'c', status: 'dead', incarnation: 2 ** 53 - 1 },
    ]) {
      const t = checkedStep(swim, a, msg('b', { type: 'ping', seq: 1, updates: [u] }));
      expect(t.state).toBe(a);
      expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(/incarnation/) });
    }
    // At MAX_COUNTER a suspicion could never be refuted: it is ignored, and so is such a death.
    const t = checkedStep(swim, a, msg('b', { type: 'ping', seq: 1, updates: [{ node: 'a', status: 'suspect', incarnation: MAX_COUNTER, by: 'b' }, { node: 'c', status: 'dead', incarnation: MAX_COUNTER }] }));
    expect(t.state.incarnation).toBe(0);
    expect(t.state.members.c?.status).toBe('alive');
    // Just below, the member refutes with MAX_COUNTER, which peers still accept.
    const r = checkedStep(swim, a, msg('b', { type: 'ping', seq: 1, updates: [{ node: 'a', status: 'suspect', incarnation: MAX_COUNTER - 1, by: 'b' }] }));
    expect(r.outputs).toContainEqual({ type: 'refuted', incarnation: MAX_COUNTER });
    const c = checkedStep(swim, started('c'), msg('a', { type: 'ping', seq: 1, updates: [{ node: 'a', status: 'alive', incarnation: MAX_COUNTER }] }));
    expect(c.state.members.a?.incarnation).toBe(MAX_COUNTER);
  });

  it('a member declared dead comes back with a higher incarnation (memberlist aliveNode)', () => {
    let c = started('c');
    c = checkedStep(swim, c, msg('a', { type: 'ping', seq: 1, updates: [{ node: 'b', status: 'dead', incarnation: 3 }] })).state;
    expect(c.members.b?.status).toBe('dead');
    c = checkedStep(swim, c, msg('b', { type: 'ping', seq: 2, updates: [{ node: 'b', status: 'alive', incarnation: 4 }] })).state;
    expect(c.members.b).toMatchObject({ status: 'alive', incarnation: 4 });
  });

  it('memberlist retransmitLimit: λ·⌈log10(N + 1)⌉, so 9 members piggyback an update 4 times, not 8', () => {
    expect(retransmitLimit(4, 9)).toBe(4);
    expect(retransmitLimit(4, 10)).toBe(8);
    const nine = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    let s = checkedStep(swim, swim.init({ id: 'a', nodes: nine, seed: 1 }), { type: 'tick', now: 0 }).state;
    // A suspicion of a arrives: a refutes, and its alive update rides on the next acks.
    s = checkedStep(swim, s, msg('b', { type: 'ping', seq: 1, updates: [{ node: 'a', status: 'suspect', incarnation: 0, by: 'b' }] })).state;
    let carried = 1; // the ack to that ping carried it once
    for (let i = 0; i < 10; i++) {
      const t = checkedStep(swim, s, msg('c', { type: 'ping', seq: 10 + i, updates: [] }));
      const ack = t.outputs[0] as unknown as { message: { updates: { node: string }[] } };
      if (ack.message.updates.some((u) => u.node === 'a')) carried++;
      s = t.state;
    }
    expect(carried).toBe(4);
  });

  it('memberlist suspicion timeout: with fewer members than the expected confirmations need, k = 0 and the timeout is min', () => {
    expect(suspicionTimeoutMs(0, 3, 1000, 4, 6)).toBe(4000);
    expect(suspicionTimeoutMs(5, 3, 1000, 4, 6)).toBe(4000);
    expect(suspicionTimeoutMs(0, 4, 1000, 4, 6)).toBe(24_000); // 4 members can give k = 2 confirmations
  });

  it('a fresh member asks for a tick at once: under simulate it probes without any command (0 messages in 10 s before)', () => {
    const ids = ['m1', 'm2', 'm3'];
    const r = simulate({ seed: 1, nodes: ids.map((id) => ({ id, machine: swim, config: { id, nodes: ids, seed: 7, protocolPeriodMs: 1000 } })), maxTimeMs: 10_000 });
    expect(r.stats.messages.sent).toBeGreaterThan(3 * 2 * 8);
  });
});

describe('SWIM in the simulator', () => {
  it('a crashed member is detected by all others (N = 16, 10 seeds)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = runSwim({ n: 16, seed, periods: 80, crash: { node: 'm5', atMs: 5000 }, checked: seed === 1 });
      expect(Object.keys(r.deadAt).sort()).toEqual(r.nodes.filter((x) => x !== 'm5').sort());
      expect(r.falsePositives).toEqual([]);
    }
  });

  it('first detection takes about e/(e−1) ≈ 1.58 protocol periods (synchronous periods as in the paper; N = 32, 100 seeds)', () => {
    let total = 0;
    const seeds = 100;
    for (let seed = 1; seed <= seeds; seed++) {
      const at = 5000 - 0.5; // just before a period boundary
      const r = runSwim({ n: 32, seed, periods: 12, crash: { node: 'm7', atMs: at }, config: { randomStart: false } });
      total += (r.firstDetectionMs! - at) / 1000;
    }
    const mean = total / seeds;
    // Round-robin probing (§4.3) does slightly better than the paper's uniform random choice;
    // still within 10% of e/(e−1).
    const paper = Math.E / (Math.E - 1);
    expect(Math.abs(mean - paper) / paper).toBeLessThan(0.1);
  });

  it('with members at random phases, first detection is within about two periods of the crash (N = 32, 30 seeds)', () => {
    let total = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const at = 5000 + ((seed * 137) % 1000);
      const r = runSwim({ n: 32, seed, periods: 12, crash: { node: 'm7', atMs: at } });
      total += (r.firstDetectionMs! - at) / 1000;
    }
    expect(total / 30).toBeLessThan(2.5);
  });

  it('per-member message load is constant as N grows (N = 8, 32, 128): about 2 messages per period', () => {
    const load = [8, 32, 128].map((n) => {
      const periods = 20;
      const r = runSwim({ n, seed: 3, periods });
      return r.sim.sentTotal / n / periods;
    });
    for (const l of load) {
      expect(l).toBeGreaterThan(1.8);
      expect(l).toBeLessThan(2.3);
    }
    expect(Math.max(...load) / Math.min(...load)).toBeLessThan(1.15);
  });

  it('no false positives under 5% message loss with suspicion on (N = 16, 100 periods, 10 seeds); without suspicion there are', () => {
    let refutations = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = runSwim({ n: 16, seed, periods: 100, lossRate: 0.05 });
      expect(r.falsePositives, `seed ${seed}`).toEqual([]);
      refutations += r.refutations;
    }
    let withoutSuspicion = 0;
    for (let seed = 1; seed <= 10; seed++) {
      withoutSuspicion += runSwim({ n: 16, seed, periods: 100, lossRate: 0.05, config: { suspicion: false, indirectChecks: 1 } }).falsePositives.length;
    }
    expect(withoutSuspicion).toBeGreaterThan(0);
    // Suspicions of live members did happen under loss, and were all refuted in time.
    expect(refutations).toBeGreaterThan(0);
  });
});
