// Dataflow: (1) a tumbling-window count per key through the window operator beside a hand-written
// loop; (2) a checkpointed stream job with and without periodic aligned checkpoints; (3) word count
// over a generated Zipf corpus (200,000 distinct words; `npm run bench -- dataflow --size=200` or
// DISTKIT_WC_MB=200 sets its size in MB, default 20; the figure is 200) — the map/reduce
// functions in one thread over the same splits, the worker_threads executor with 2 workers
// (`distkit mr wordcount`, its default splits), mawk, and `tr | sort | uniq -c`; for the first two
// also the CPU seconds they spend (all threads of the process), which a loaded machine changes
// less than their wall-clock times.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Random } from '../src/core/index.js';
import { runSequential, runStreamJob, windowOperator, type SourceRecord, type WindowOperatorState } from '../src/dataflow/index.js';
import { defaultChunkBytes, filesUnder, runMr } from '../src/cli/wordcount.js';
import { inputSplits, wordCountJob } from '../src/cli/wordcount-job.js';
import { compareOps, consume, opsFigure, ratio, round, type Figures } from './lib.js';

const KEYS = 100;
const SIZE_MS = 1000;

function events(n: number): { key: string; timestamp: number }[] {
  const rng = new Random('bench/dataflow');
  return Array.from({ length: n }, (_x, i) => ({ key: `user-${rng.int(0, KEYS)}`, timestamp: i * 2 }));
}

/**
 * Tumbling count per key: the window operator (a watermark every 100 events), fed one element per
 * step and 100 elements per `elements` step, against a Map loop.
 */
function windowFigures(): Figures {
  const evs = events(20_000);
  const config = { window: { kind: 'tumbling', sizeMs: SIZE_MS }, aggregate: { kind: 'count' } } as const;
  const viaOperator = () => {
    let s: WindowOperatorState = windowOperator.init(config);
    let panes = 0;
    evs.forEach((e, i) => {
      s = windowOperator.step(s, { type: 'element', key: e.key, value: null, timestamp: e.timestamp, now: i }).state;
      if (i % 100 === 99) {
        const t = windowOperator.step(s, { type: 'watermark', watermark: e.timestamp - 1, now: i });
        s = t.state;
        panes += t.outputs.length;
      }
    });
    consume(panes);
  };
  const batches = Array.from({ length: evs.length / 100 }, (_x, b) => evs.slice(b * 100, b * 100 + 100));
  const viaBatches = () => {
    let s: WindowOperatorState = windowOperator.init(config);
    let panes = 0;
    batches.forEach((batch, b) => {
      s = windowOperator.step(s, { type: 'elements', elements: batch, now: b }).state;
      const t = windowOperator.step(s, { type: 'watermark', watermark: batch[batch.length - 1]!.timestamp - 1, now: b });
      s = t.state;
      panes += t.outputs.length;
    });
    consume(panes);
  };
  const handLoop = () => {
    const open = new Map<string, number>();
    let panes = 0;
    evs.forEach((e, i) => {
      const k = `${e.key}@${e.timestamp - (e.timestamp % SIZE_MS)}`;
      open.set(k, (open.get(k) ?? 0) + 1);
      if (i % 100 === 99) {
        for (const [key, _n] of open) {
          const start = Number(key.slice(key.lastIndexOf('@') + 1));
          if (start + SIZE_MS - 1 <= e.timestamp - 1) {
            open.delete(key);
            panes++;
          }
        }
      }
    });
    consume(panes);
  };
  const r = compareOps({ operator: viaOperator, batches: viaBatches, hand: handLoop }, { timeMs: 3000, samples: 5 });
  return {
    'dataflow.window.tumbling-count.events/s': opsFigure(r.operator! * evs.length, 'events/s'),
    'dataflow.window.tumbling-count.batch-100.events/s': opsFigure(r.batches! * evs.length, 'events/s'),
    'dataflow.window.tumbling-count.batch-100.vs-hand-loop': ratio(r.batches!, r.hand!),
    'dataflow.window.tumbling-count.hand-loop.events/s': opsFigure(r.hand! * evs.length, 'events/s'),
    'dataflow.window.tumbling-count.vs-hand-loop': ratio(r.operator!, r.hand!),
  };
}

/** A 2-source, 2-window-task, idempotent-sink job: checkpoints every 100 steps against the final one only. */
function checkpointFigures(): Figures {
  const rng = new Random('bench/dataflow/ckpt');
  const sources: SourceRecord[][] = [0, 1].map(() => Array.from({ length: 2_000 }, (_x, i) => ({ key: `k${rng.int(0, KEYS)}`, timestamp: i * 2 })));
  const n = 4_000;
  const run = (checkpointEvery: number | null) => () => consume(runStreamJob({ sources, window: { kind: 'tumbling', sizeMs: SIZE_MS }, aggregate: { kind: 'count' }, sink: 'idempotent', watermarkEvery: 10, checkpointEvery }));
  const r = compareOps({ without: run(null), with: run(100) }, { timeMs: 3000, samples: 5 });
  return {
    'dataflow.stream.job.no-checkpoints.events/s': opsFigure(r.without! * n, 'events/s'),
    'dataflow.stream.job.checkpoint-every-100-steps.events/s': opsFigure(r.with! * n, 'events/s'),
    'dataflow.stream.job.checkpointing-throughput-ratio': ratio(r.with!, r.without!),
  };
}

/** A Zipf (s = 1) corpus over `distinct` words, in files of about 4 MB of lines of 12 words. */
function writeCorpus(dir: string, bytes: number, distinct: number): void {
  const rng = new Random('bench/dataflow/corpus');
  const vocab = Array.from({ length: distinct }, () => Array.from({ length: rng.int(2, 10) }, () => String.fromCharCode(97 + rng.int(0, 26))).join(''));
  const cdf = new Float64Array(distinct);
  let total = 0;
  for (let i = 0; i < distinct; i++) cdf[i] = total += 1 / (i + 1);
  let written = 0;
  for (let f = 0; written < bytes; f++) {
    const lines: string[] = [];
    let size = 0;
    while (size < 4e6 && written + size < bytes) {
      const line: string[] = [];
      for (let w = 0; w < 12; w++) {
        const u = rng.float() * total;
        let lo = 0;
        let hi = distinct - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        line.push(vocab[lo]!);
      }
      const l = line.join(' ');
      lines.push(l);
      size += l.length + 1;
    }
    writeFileSync(join(dir, `part-${String(f).padStart(3, '0')}.txt`), lines.join('\n') + '\n');
    written += size;
  }
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** CPU seconds (user + system, every thread of this process) that `fn` spends. */
async function cpuSeconds(fn: () => unknown): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function wordCountFigures(): Promise<Figures> {
  const flag = process.argv.find((a) => a.startsWith('--size='))?.slice('--size='.length);
  const mb = Number(flag ?? process.env.DISTKIT_WC_MB ?? '20');
  if (!(mb > 0)) throw new Error(`bench dataflow: --size / DISTKIT_WC_MB must be a positive number of MB, got ${JSON.stringify(flag ?? process.env.DISTKIT_WC_MB)}`);
  const root = mkdtempSync(join(tmpdir(), 'distkit-wc-bench-'));
  try {
    const dir = join(root, 'corpus');
    mkdirSync(dir);
    writeCorpus(dir, mb * 1e6, 200_000);
    const files = filesUnder(dir);
    const splits = inputSplits(files, defaultChunkBytes(files.reduce((n, f) => n + f.size, 0), 2));
    let sequentialMs = 0;
    const sequentialCpu = await cpuSeconds(() => (sequentialMs = timed(() => consume(runSequential(wordCountJob, splits).size))));
    let poolMs = 0;
    const poolCpu = await cpuSeconds(async () => {
      const t0 = performance.now();
      await runMr(['wordcount', dir, '--out', join(root, 'out'), '--workers', '2'], { stdout: () => undefined, stderr: () => undefined, isTTY: false });
      poolMs = performance.now() - t0;
    });
    const shell = (script: string) => timed(() => execFileSync('sh', ['-c', script], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 }));
    const awk = has('mawk') ? 'mawk' : 'awk';
    const awkMs = shell(`${awk} '{ for (i = 1; i <= NF; i++) c[$i]++ } END { for (w in c) print c[w], w }' *.txt > /dev/null`);
    const sortMs = shell(`cat *.txt | LC_ALL=C tr -cs 'A-Za-z' '\\n' | LC_ALL=C sort | uniq -c > /dev/null`);
    const s = (ms: number) => ({ value: round(ms / 1000, 3), unit: 's' });
    return {
      [`dataflow.wordcount.${mb}MB.sequential`]: s(sequentialMs),
      [`dataflow.wordcount.${mb}MB.worker-threads-2`]: s(poolMs),
      [`dataflow.wordcount.${mb}MB.${awk}`]: s(awkMs),
      [`dataflow.wordcount.${mb}MB.tr-sort-uniq`]: s(sortMs),
      [`dataflow.wordcount.${mb}MB.threads-vs-sequential`]: ratio(sequentialMs, poolMs),
      [`dataflow.wordcount.${mb}MB.sequential.cpu`]: { value: round(sequentialCpu, 3), unit: 'cpu-s' },
      [`dataflow.wordcount.${mb}MB.worker-threads-2.cpu`]: { value: round(poolCpu, 3), unit: 'cpu-s' },
      [`dataflow.wordcount.${mb}MB.threads-cpu-vs-sequential-cpu`]: ratio(poolCpu, sequentialCpu),
      [`dataflow.wordcount.${mb}MB.threads-vs-${awk}`]: ratio(awkMs, poolMs),
      [`dataflow.wordcount.${mb}MB.threads-vs-sort-pipeline`]: ratio(sortMs, poolMs),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export default async function (): Promise<Figures> {
  return { ...windowFigures(), ...checkpointFigures(), ...(await wordCountFigures()) };
}
