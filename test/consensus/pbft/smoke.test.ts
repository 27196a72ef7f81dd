import { it } from 'vitest';
import { runPbft } from './sim.js';
it('smoke', () => {
  const lines: string[] = [];
  const t0 = performance.now();
  const sweep = (label: string, from: number, to: number, opts: any) => {
    let bad = 0, views = 0, steps = 0;
    for (let seed = from; seed <= to; seed++) {
      const r = runPbft(seed, opts);
      steps += r.result.stats.steps;
      if (r.maxView > 0) views++;
      if (!r.result.ok || r.problems.length || r.completed !== r.operations) {
        bad++;
        if (bad < 6) lines.push(`${label} ${seed} ${JSON.stringify(r.faulty)} ok=${r.result.ok} ${r.result.violation?.invariant} ${r.result.violation?.message} done=${r.completed}/${r.operations} view=${r.maxView} ${r.problems.slice(0,3)}`);
      }
    }
    lines.push(`${label}: bad=${bad} viewchanged=${views} steps=${steps} ms=${Math.round(performance.now() - t0)}`);
  };
  sweep('f1', 1, 60, {});
  sweep('f2', 1, 40, { f: 2 });
  sweep('corrupt', 1, 40, { network: { delay: { type: 'uniform', minMs: 1, maxMs: 10 }, corrupt: 0.05, duplicate: 0.05 } });
  sweep('loss', 1, 40, { faults: [{ at: 0, fault: { type: 'link', link: { loss: 0.05 } } }, { at: 3000, fault: { type: 'linkReset' } }], maxTimeMs: 60000 });
  throw new Error(lines.join('\n'));
});
