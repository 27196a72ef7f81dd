// The Berkeley machine in distkit/sim: skewed and drifting clocks, random delays, loss and
// duplication, one faulty clock. Messages carry no time here, so the machine answers polls and
// stamps replies at the immediate ticks it asks for. More seeds: CLOCKS_SIM_SEEDS=200.
import { describe, expect, it } from 'vitest';
import { simulate, type SimView } from 'distkit/sim';
import { berkeley, type BerkeleyRoundOutput, type BerkeleyState } from 'distkit/clocks';

const ids = ['m', 'a', 'b', 'c', 'd'];
const good = ['m', 'a', 'b', 'c'];
// d is the faulty clock: 5 s ahead and gaining 2 % (100 ms between two rounds).
const clocks = { m: {}, a: { skewMs: 30 }, b: { skewMs: -20 }, c: { drift: 1e-4 }, d: { skewMs: 5000, drift: 0.02 } };
const base = (0 + 30 - 20 + 0) / 4;
const pollIntervalMs = 5000;

function run(seed: number) {
  const rounds: BerkeleyRoundOutput[] = [];
  let checks = 0;
  const result = simulate({
    seed,
    nodes: ids.map((id) => ({
      id,
      machine: berkeley,
      config: { id, nodes: ids, master: 'm', pollIntervalMs, replyTimeoutMs: 200, toleranceMs: 60 },
    })),
    clocks,
    network: { delay: { type: 'uniform', minMs: 1, maxMs: 5 }, loss: 0.03, duplicate: 0.03 },
    maxTimeMs: 60_000,
    trace: false,
    onOutput: (e) => {
      const o = e.output as { type: string };
      if (o.type === 'round') rounds.push(o as BerkeleyRoundOutput);
    },
    invariants: [
      {
        name: 'after each completed round, the good clocks agree and the faulty one does not drag them',
        check: (states: Readonly<Record<string, BerkeleyState>>, view: SimView) => {
          const m = states['m'];
          if (m === undefined || m.pending !== null || m.round < 1) return undefined;
          // only once every good follower has applied this round's correction
          if (good.some((id) => id !== 'm' && states[id]!.adjustedRound !== m.round)) return undefined;
          checks++;
          const sync = good.map((id) => view.localTime(id) + states[id]!.offsetMs);
          const spread = Math.max(...sync) - Math.min(...sync);
          if (spread > 12) return `good clocks ${spread.toFixed(3)} ms apart`;
          const drift = view.localTime('m') + m.offsetMs - view.time - base;
          if (Math.abs(drift) > 25) return `the group moved ${drift.toFixed(3)} ms from its mean`;
          return undefined;
        },
      },
    ],
  });
  return { result, rounds, checks };
}

describe('Berkeley in the simulator (skew, drift, loss, duplication, a faulty clock)', () => {
  const count = Number(process.env['CLOCKS_SIM_SEEDS'] ?? 12);
  for (let seed = 1; seed <= count; seed++) {
    it(`seed ${seed}`, () => {
      const { result, rounds, checks } = run(seed);
      expect(result.violation?.message).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(checks).toBeGreaterThan(0);
      expect(rounds.length).toBe(12);
      // the faulty clock is left out of every average it answered
      for (const r of rounds) if ('d' in r.estimatesMs) expect(r.excluded).toContain('d');
    });
  }
});
