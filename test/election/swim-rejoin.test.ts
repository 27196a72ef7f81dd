/**
 * A member declared dead comes back when it restarts (memberlist's behaviour: the rejoining node
 * learns of its own death and refutes it with a higher incarnation, and `aliveNode` revives it).
 * Here the news comes back to it on the answers of the members that hold it dead.
 */
import { describe, expect, it } from 'vitest';
import { checkedStep, Random, type NodeId } from 'distkit/core';
import { swim, type SwimConfig, type SwimMessage, type SwimState, type SwimStatus } from 'distkit/election';
import { ids, Sim } from '../support/event-sim.js';

const PERIOD_MS = 1000;
const msg = (from: string, message: unknown, now: number) => ({ type: 'message' as const, from, message, now });

function started(id: string, nodes: readonly string[]): SwimState {
  return checkedStep(swim, swim.init({ id, nodes, seed: 1, protocolPeriodMs: PERIOD_MS, pingTimeoutMs: 200 }), { type: 'tick', now: 0 }).state;
}

interface Outage {
  readonly node: NodeId;
  readonly atMs: number;
  /** Restart with a fresh state at this time; absent: crashed for good. */
  readonly backMs?: number;
}

interface RejoinRun {
  readonly sim: Sim;
  readonly nodes: NodeId[];
  /** Per observer and member, the status it last reported (absent: never changed from alive). */
  readonly view: Map<string, SwimStatus>;
  /** Per observer and member, when it last reported a status. */
  readonly changedAt: Map<string, number>;
  /** Per member, the time it restarted and when each live observer last reported it alive since. */
  readonly aliveAgainAt: Map<string, number>;
  /** Highest incarnation any member refuted with. */
  maxIncarnation: number;
  /** `alive` events about members crashed for good, after their crash. */
  revivedDead: number;
  /** `dead` events about members that never crashed. */
  falseDeaths: number;
}

/** Answers `n` pings from `from`, so every update in the buffer has been piggybacked its λ·log N times. */
function drain(s: SwimState, from: string, now: number, n = 10): SwimState {
  for (let i = 0; i < n; i++) s = checkedStep(swim, s, msg(from, { type: 'ping', seq: 100 + i, updates: [] }, now + i)).state;
  expect(s.updates).toEqual([]);
  return s;
}

const key = (observer: NodeId, node: NodeId) => `${observer}>${node}`;

/**
 * Runs `n` members with crashes and fresh restarts. `replayLate`: every message a member sent in the
 * period before it crashed for good is delivered once more, much later (a delayed duplicate).
 */
function runRejoin(o: { n: number; seed: number; untilMs: number; outages: readonly Outage[]; lossRate?: number; config?: Partial<SwimConfig>; replayLate?: boolean; checked?: boolean; at?: readonly [number, (r: RejoinRun) => void] }): RejoinRun {
  const nodes = ids(o.n, 'm');
  const sim = new Sim({ seed: o.seed, checked: o.checked ?? false, minDelayMs: 1, maxDelayMs: 20, lossRate: o.lossRate ?? 0 });
  const run: RejoinRun = { sim, nodes, view: new Map(), changedAt: new Map(), aliveAgainAt: new Map(), maxIncarnation: 0, revivedDead: 0, falseDeaths: 0 };
  const doomed = new Set(o.outages.filter((x) => x.backMs === undefined).map((x) => x.node));
  const crashAt = new Map(o.outages.map((x) => [x.node, x.atMs]));
  sim.onEvent = (node, out) => {
    if (out.type === 'member') {
      run.view.set(key(node, out.node as NodeId), out.status as SwimStatus);
      run.changedAt.set(key(node, out.node as NodeId), sim.now);
      if (out.status === 'alive' && doomed.has(out.node as NodeId) && sim.now > crashAt.get(out.node as NodeId)!) run.revivedDead++;
      if (out.status === 'dead' && !crashAt.has(out.node as NodeId)) run.falseDeaths++;
    }
    if (out.type === 'refuted') run.maxIncarnation = Math.max(run.maxIncarnation, out.incarnation as number);
  };
  const config = (id: NodeId, i: number, restart: number): SwimConfig => ({ id, nodes, seed: o.seed * 1000 + i + restart * 100, protocolPeriodMs: PERIOD_MS, pingTimeoutMs: 100, ...o.config });
  nodes.forEach((id, i) => sim.add(id, swim, swim.init(config(id, i, 0))));
  const late: { from: NodeId; to: NodeId; message: unknown }[] = [];
  if (o.replayLate === true) {
    sim.filter = (from, to, message) => {
      if (doomed.has(from) && sim.now >= crashAt.get(from)! - PERIOD_MS) late.push({ from, to, message });
      return true;
    };
  }
  o.outages.forEach((x, r) => {
    sim.at(x.atMs, () => sim.crash(x.node));
    if (x.backMs !== undefined) {
      sim.at(x.backMs, () => {
        // A fresh state: incarnation 0, everybody alive, nothing heard.
        for (const other of nodes) run.view.delete(key(x.node, other));
        sim.add(x.node, swim, swim.init(config(x.node, nodes.indexOf(x.node), r + 1)));
      });
    }
  });
  if (o.replayLate === true) {
    // Long after the doomed members were declared dead, their last messages arrive again.
    sim.at(o.untilMs - 30 * PERIOD_MS, () => {
      for (const l of late) if (!sim.crashed.has(l.to)) sim.input(l.to, { type: 'message', from: l.from, message: l.message });
    });
  }
  if (o.at !== undefined) sim.at(o.at[0], () => o.at![1](run));
  sim.run(o.untilMs);
  return run;
}

const status = (r: RejoinRun, observer: NodeId, node: NodeId): SwimStatus => r.view.get(key(observer, node)) ?? 'alive';

describe('a member declared dead comes back', () => {
  it('a ping from a member held dead is answered, and the ack tells it it is dead; it refutes with incarnation + 1', () => {
    const nodes = ['a', 'b', 'c'];
    let a = started('a', nodes);
    a = checkedStep(swim, a, msg('b', { type: 'ping', seq: 1, updates: [{ node: 'c', status: 'dead', incarnation: 2 }] }, 10)).state;
    expect(a.members.c?.status).toBe('dead');
    a = drain(a, 'b', 11); // the death has left a's dissemination buffer
    // c restarted: incarnation 0, nothing heard. Its first probe reaches a.
    const t = checkedStep(swim, a, msg('c', { type: 'ping', seq: 0, updates: [] }, 20));
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'ack', seq: 0, updates: [{ node: 'c', status: 'dead', incarnation: 2 }] } }]);
    // (c has sent its first probe, so an ack numbered 0 is one it expects.)
    const c0 = started('c', nodes);
    const c = checkedStep(swim, c0, { type: 'tick', now: swim.nextDeadline!(c0)! }).state;
    const refuted = checkedStep(swim, c, msg('a', (t.outputs[0] as { message: SwimMessage }).message, 30));
    expect(refuted.outputs).toContainEqual({ type: 'refuted', incarnation: 3 });
    // c's next message carries alive(3), which revives c at a.
    const next = checkedStep(swim, refuted.state, msg('b', { type: 'ping', seq: 5, updates: [] }, 40));
    const ack = (next.outputs.find((o) => o.type === 'send') as { message: SwimMessage }).message;
    expect(ack.updates).toContainEqual({ node: 'c', status: 'alive', incarnation: 3 });
    const revived = checkedStep(swim, t.state, msg('c', { type: 'ping', seq: 1, updates: ack.updates }, 50));
    expect(revived.state.members.c).toMatchObject({ status: 'alive', incarnation: 3 });
    expect(revived.outputs).toContainEqual({ type: 'member', node: 'c', status: 'alive', incarnation: 3 });
  });

  it("a dead member's stale messages do not revive it: a late ping, alive at the dead incarnation or below, an ack", () => {
    const nodes = ['a', 'b', 'c'];
    const a = checkedStep(swim, started('a', nodes), msg('b', { type: 'ping', seq: 1, updates: [{ node: 'c', status: 'dead', incarnation: 2 }] }, 10)).state;
    for (const m of [
      { type: 'ping', seq: 7, updates: [] },
      { type: 'ping', seq: 7, updates: [{ node: 'c', status: 'alive', incarnation: 2 }] },
      { type: 'ping', seq: 7, updates: [{ node: 'c', status: 'alive', incarnation: 1 }] },
      { type: 'ack', seq: 0, updates: [{ node: 'c', status: 'alive', incarnation: 2 }] },
      { type: 'ping-req', seq: 3, target: 'b', updates: [{ node: 'c', status: 'suspect', incarnation: 2, by: 'b' }] },
    ]) {
      const t = checkedStep(swim, a, msg('c', m, 500));
      expect(t.state.members.c, JSON.stringify(m)).toMatchObject({ status: 'dead', incarnation: 2 });
      expect(t.outputs.filter((o) => o.type === 'member')).toEqual([]);
    }
  });

  it('a member told of a suspicion or death older than its incarnation answers with its standing, so a restarted observer stops holding it', () => {
    const nodes = ['a', 'b', 'c'];
    // b is alive at incarnation 3; a restarted and holds b at 0.
    let b = started('b', nodes);
    b = checkedStep(swim, b, msg('c', { type: 'ping', seq: 1, updates: [{ node: 'b', status: 'suspect', incarnation: 2, by: 'c' }] }, 10)).state;
    expect(b.incarnation).toBe(3);
    b = drain(b, 'c', 11); // the refutation has left b's buffer
    const t = checkedStep(swim, b, msg('a', { type: 'ping', seq: 4, updates: [{ node: 'b', status: 'dead', incarnation: 0 }] }, 20));
    expect(t.state.incarnation).toBe(3); // no new incarnation for a stale report
    expect(t.outputs).not.toContainEqual(expect.objectContaining({ type: 'refuted' }));
    const ack = (t.outputs.find((o) => o.type === 'send') as { to: string; message: SwimMessage });
    expect(ack.to).toBe('a');
    expect(ack.message.updates[0]).toEqual({ node: 'b', status: 'alive', incarnation: 3 });
    let a = checkedStep(swim, started('a', nodes), msg('c', { type: 'ping', seq: 1, updates: [{ node: 'b', status: 'dead', incarnation: 0 }] }, 15)).state;
    a = checkedStep(swim, a, msg('b', { type: 'ping', seq: 9, updates: ack.message.updates }, 30)).state;
    expect(a.members.b).toMatchObject({ status: 'alive', incarnation: 3 });
  });

  it('a stale death heard in an ack makes its sender owed: the next period probes it out of turn, and the ping carries alive first (10 seeds)', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'];
    for (let seed = 1; seed <= 10; seed++) {
      let b = checkedStep(swim, swim.init({ id: 'b', nodes, seed, protocolPeriodMs: PERIOD_MS, pingTimeoutMs: 200 }), { type: 'tick', now: 0 }).state;
      b = checkedStep(swim, b, msg('a', { type: 'ping', seq: 1, updates: [{ node: 'b', status: 'suspect', incarnation: 0, by: 'a' }] }, 1)).state;
      b = drain(b, 'a', 2);
      b = checkedStep(swim, b, { type: 'tick', now: swim.nextDeadline!(b)! }).state; // first period: one probe sent
      // c still holds b dead at incarnation 0 and says so in an ack (a late one: no reply goes back).
      const told = checkedStep(swim, b, msg('c', { type: 'ack', seq: 0, updates: [{ node: 'b', status: 'dead', incarnation: 0 }] }, b.periodTimer.at! - 5));
      expect(told.state.owed).toEqual(['c']);
      expect(told.state.incarnation).toBe(1);
      const next = checkedStep(swim, told.state, { type: 'tick', now: told.state.periodTimer.at! });
      const ping = next.outputs.find((o) => o.type === 'send') as { to: string; message: SwimMessage };
      expect(ping.to, `seed ${seed}`).toBe('c');
      expect(ping.message.updates[0]).toEqual({ node: 'b', status: 'alive', incarnation: 1 });
      expect(next.state.owed).toEqual([]);
    }
  });

  it('scenario: m3 crashes, is declared dead everywhere, restarts with a fresh state and is alive everywhere within one probe round (N = 8, 10 seeds)', () => {
    const worst: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const back = 40_000;
      let deadEverywhere = false;
      const r = runRejoin({
        n: 8, seed, untilMs: 60_000, outages: [{ node: 'm3', atMs: 5000, backMs: back }], checked: seed === 1,
        at: [back - 1, (run) => (deadEverywhere = run.nodes.every((x) => x === 'm3' || status(run, x, 'm3') === 'dead'))],
      });
      expect(deadEverywhere, `seed ${seed}: m3 dead everywhere before it restarts`).toBe(true);
      let last = 0;
      for (const x of r.nodes) {
        if (x === 'm3') continue;
        expect(status(r, x, 'm3'), `seed ${seed} at ${x}`).toBe('alive');
        expect(status(r, 'm3', x), `seed ${seed}: m3's view of ${x}`).toBe('alive');
        last = Math.max(last, r.changedAt.get(key(x, 'm3'))!);
      }
      worst.push((last - back) / PERIOD_MS);
      expect(r.maxIncarnation, `seed ${seed}`).toBe(1);
    }
    // Most members hear the refutation by gossip within a few periods; one the epidemic missed
    // hears it when the restarted member's round-robin probe reaches it (N − 1 periods a round).
    worst.sort((x, y) => x - y);
    expect(worst[Math.floor(worst.length / 2)]).toBeLessThanOrEqual(6);
    expect(worst.at(-1)).toBeLessThanOrEqual(8 + 2);
  });

  it('sweep: crashes longer than the suspicion timeout under 5% loss: every restarted member ends alive at every live member, no live member stays dead, the crashed-for-good stay dead (40 seeds)', () => {
    let restarts = 0;
    let forGood = 0;
    let maxIncarnation = 0;
    let falseDeaths = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const random = new Random(`swim-rejoin/${seed}`);
      const n = random.int(5, 13);
      const nodes = ids(n, 'm');
      const victims: NodeId[] = [];
      for (let want = random.int(1, 4); victims.length < want; ) {
        const v = random.choice(nodes);
        if (!victims.includes(v)) victims.push(v);
      }
      const outages: Outage[] = victims.map((node, i) => {
        const atMs = 3000 + random.int(0, 20_000);
        // The suspicion timeout is at most β·α·log10(N) periods (≈ 26 s for N = 12): 10–60 s outages.
        const stays = i === 0 && random.int(0, 4) === 0;
        return stays ? { node, atMs } : { node, atMs, backMs: atMs + random.int(10_000, 60_000) };
      });
      const untilMs = Math.max(...outages.map((x) => x.backMs ?? x.atMs)) + 60_000;
      const r = runRejoin({ n, seed, untilMs, outages, lossRate: 0.05, replayLate: true });
      const live = nodes.filter((x) => !r.sim.crashed.has(x));
      for (const x of live) {
        for (const y of nodes) {
          if (x === y) continue;
          const want = r.sim.crashed.has(y) ? 'dead' : 'alive';
          expect(status(r, x, y), `seed ${seed}: ${x}'s view of ${y} (outages ${JSON.stringify(outages)})`).toBe(want);
        }
      }
      // A member crashed for good is never revived, not even by its own messages delivered late.
      expect(r.revivedDead, `seed ${seed}`).toBe(0);
      falseDeaths += r.falseDeaths;
      restarts += outages.filter((x) => x.backMs !== undefined).length;
      forGood += outages.filter((x) => x.backMs === undefined).length;
      maxIncarnation = Math.max(maxIncarnation, r.maxIncarnation);
    }
    expect(restarts).toBeGreaterThan(40);
    expect(forGood).toBeGreaterThan(3);
    // No flapping: a restart costs one refutation, loss a few more; nobody is buried while up.
    expect(maxIncarnation).toBeLessThanOrEqual(6);
    expect(falseDeaths).toBe(0);
  });
});
