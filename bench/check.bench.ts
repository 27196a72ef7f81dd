// Checker benchmarks: the linearizability checker over the Jepsen etcd histories (porcupine, in
// Go, checks the set in about 0.3 s on this machine class) and model-checker throughput.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { checkLinearizability, modelCheck, parseJepsenLog, registerModel } from '../src/check/index.js';
import { atMostOne } from '../src/core/index.js';
import { ricartAgrawalaToy, toyConfig, type ToyState } from '../test/check/fixtures/toy-mutex.js';
import { median, round, type Figures } from './lib.js';

function jepsenDir(): string {
  const candidates = ['../../shared/data/jepsen-etcd/', '../../../shared/data/jepsen-etcd/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const dir = candidates.find((d) => existsSync(d));
  if (dir === undefined) throw new Error(`no jepsen-etcd data in ${candidates.join(' or ')}`);
  return dir;
}

export default async function (): Promise<Figures> {
  const dir = jepsenDir();
  const files = readdirSync(dir).filter((f) => /^etcd_\d{3}\.log$/.test(f)).sort();
  const texts = files.map((f) => readFileSync(dir + f, 'utf8'));
  const model = registerModel<number>();

  // One pass = parse and check every history. The first pass runs cold (JIT warm-up included).
  const pass = (): { total: number; perFile: number[] } => {
    const perFile: number[] = [];
    const t0 = performance.now();
    for (const text of texts) {
      const t = performance.now();
      const { history } = parseJepsenLog(text);
      const r = checkLinearizability(model, history);
      if (r.verdict === 'unknown') throw new Error('budget exhausted');
      perFile.push(performance.now() - t);
    }
    return { total: performance.now() - t0, perFile };
  };
  const cold = pass();
  const runs = Array.from({ length: 15 }, pass);
  const total = median(runs.map((r) => r.total));
  const perFileMedian = files.map((_, i) => median(runs.map((r) => r.perFile[i]!)));
  let slowest = 0;
  for (let i = 1; i < files.length; i++) if (perFileMedian[i]! > perFileMedian[slowest]!) slowest = i;
  console.log(`  slowest history: ${files[slowest]} (${round(perFileMedian[slowest]!, 3)} ms); cold first pass ${round(cold.total, 3)} ms`);

  // Model checker: Ricart–Agrawala toy, 3 nodes × 1 request, explored to completion.
  const cfg = { ...toyConfig(ricartAgrawalaToy, 3, 1), invariants: [atMostOne<ToyState>('mutual exclusion', (s) => s.status === 'critical')], maxDepth: 1000 };
  const rates: number[] = [];
  modelCheck(cfg); // warm-up
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const r = modelCheck(cfg);
    if (r.status !== 'complete') throw new Error(`toy protocol: ${r.status}`);
    rates.push((r.states * 1000) / (performance.now() - t));
  }

  return {
    'check.linearizability.jepsen.total': { value: round(total / 1000, 3), unit: 's' },
    'check.linearizability.jepsen.cold': { value: round(cold.total / 1000, 3), unit: 's' },
    'check.linearizability.jepsen.slowest': { value: round(perFileMedian[slowest]! / 1000, 3), unit: 's' },
    'check.modelchecker.states': { value: Math.round(median(rates)), unit: 'states/s' },
  };
}
