// `distkit mr wordcount <dir>`: word count of every file under a directory, as a MapReduce job on a
// pool of worker threads, with a progress line and one output file per partition, each written to a
// temporary name and renamed into place (§3.1 step 6), then a `_SUCCESS` marker.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync, rmSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runMapReducePool } from '../node/index.js';
import { inputSplits, type InputSplit } from './wordcount-job.js';

/** What the command writes to. */
export interface MrIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (the progress line is redrawn in place only then). */
  readonly isTTY: boolean;
}

/** A bad command line: exit code 2. */
export class MrUsageError extends Error {}

export const MR_HELP = `usage: distkit mr wordcount <dir> [options]

Counts the words (runs of A-Za-z) of every file under <dir> on worker threads and writes
<out>/part-r-00000 ... (one "word<TAB>count" line per word, sorted) and <out>/_SUCCESS.

options:
  --out DIR          output directory (default: wordcount-out)
  --workers N        worker threads (default 2)
  --partitions R     reduce partitions, one output file each (default: the workers)
  --chunk-bytes N    bytes of input per map task (default: the input over one task per
                     thread, at most 268435456)
`;

interface MrOptions {
  readonly dir: string;
  readonly out: string;
  readonly workers: number;
  readonly partitions: number;
  /** Bytes per map task, or `undefined` for {@link defaultChunkBytes}. */
  readonly chunkBytes: number | undefined;
}

function intFlag(name: string, s: string | undefined, fallback: number): number {
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 1) throw new MrUsageError(`--${name} must be a positive integer, got ${JSON.stringify(s)}`);
  return n;
}

function parseMr(argv: readonly string[]): MrOptions {
  const [sub, ...rest] = argv;
  if (sub !== 'wordcount') throw new MrUsageError(sub === undefined ? `distkit mr needs a program\n${MR_HELP}` : `unknown mr program ${JSON.stringify(sub)}; the one program is wordcount`);
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (!['out', 'workers', 'partitions', 'chunk-bytes'].includes(name)) throw new MrUsageError(`unknown option ${a}; run 'distkit mr help'`);
    const v = rest[++i];
    if (v === undefined) throw new MrUsageError(`${a} needs a value`);
    flags.set(name, v);
  }
  const dir = positional[0];
  if (dir === undefined || positional.length > 1) throw new MrUsageError('distkit mr wordcount needs one input directory');
  const workers = intFlag('workers', flags.get('workers'), 2);
  return { dir, out: flags.get('out') ?? 'wordcount-out', workers, partitions: intFlag('partitions', flags.get('partitions'), workers), chunkBytes: flags.has('chunk-bytes') ? intFlag('chunk-bytes', flags.get('chunk-bytes'), 1) : undefined };
}

/** The most bytes of input one map task gets by default: a failed task is re-run whole. */
export const MAX_DEFAULT_CHUNK_BYTES = 256 << 20;

/**
 * Bytes per map task when `--chunk-bytes` is not given: the input cut into one task per thread
 * (at most {@link MAX_DEFAULT_CHUNK_BYTES} each). Few large tasks keep the pairs that cross to
 * the reducers few: a task ships each distinct word once, and a natural vocabulary saturates
 * long before a task's size does.
 */
export function defaultChunkBytes(totalBytes: number, workers: number): number {
  return Math.max(1, Math.min(MAX_DEFAULT_CHUNK_BYTES, Math.ceil(totalBytes / workers)));
}

/**
 * Every regular file under `dir`, sorted, with its size. Symbolic links are followed, each directory
 * is entered once (a link back up the tree, a loop, is not walked again) and a dangling link is
 * passed over.
 */
export function filesUnder(dir: string): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const seen = new Set<string>();
  const walk = (d: string, st: Stats) => {
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const entry = statSync(p, { throwIfNoEntry: false });
      if (entry === undefined) continue;
      if (entry.isDirectory()) walk(p, entry);
      else if (entry.isFile()) out.push({ path: p, size: entry.size });
    }
  };
  walk(dir, statSync(dir));
  return out;
}

let bundledJob: URL | undefined;

/**
 * The word-count thread entry: the built job module beside this one or, run from the sources, the
 * job module bundled once by esbuild (a dev dependency, as tsx is) into one JavaScript module, so
 * that no thread compiles TypeScript as it starts.
 */
export function wordCountJobModule(): URL {
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith('.js')) return new URL('./wordcount-job.js', here);
  bundledJob ??= bundle(new URL('./wordcount-job.ts', here));
  return bundledJob;
}

/** `entry` and what it imports as one ES module in a `data:` URL (its only imports left are `node:` built-ins). */
function bundle(entry: URL): URL {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({ entryPoints: [fileURLToPath(entry)], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
  return new URL(`data:text/javascript,${encodeURIComponent(out.outputFiles[0]!.text)}`);
}

/** Options that load code into a thread before its module (`--import tsx`, `-r x`, `--loader=y`): the job module needs none. */
const PRELOADS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** `argv` (a process's `execArgv`) without the options that preload modules, for threads that run plain JavaScript. */
export function withoutPreloads(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (PRELOADS.has(a)) i++;
    else if (!PRELOADS.has(a.split('=', 1)[0]!)) out.push(a);
  }
  return out;
}

/** Writes each partition to a temporary file, renames it into place, then writes `_SUCCESS`. */
function commitOutput(out: string, partitions: readonly (readonly (readonly [string, number])[])[]): string[] {
  mkdirSync(out, { recursive: true });
  rmSync(join(out, '_SUCCESS'), { force: true });
  const names: string[] = [];
  partitions.forEach((pairs, i) => {
    const name = join(out, `part-r-${String(i).padStart(5, '0')}`);
    const tmp = `${name}.tmp-${globalThis.process.pid}`;
    writeFileSync(tmp, pairs.map(([w, c]) => `${w}\t${c}\n`).join(''));
    renameSync(tmp, name);
    names.push(name);
  });
  writeFileSync(join(out, '_SUCCESS'), '');
  return names;
}

/** Runs `distkit mr ...`; resolves with the exit code. */
export async function runMr(argv: readonly string[], io: MrIo): Promise<number> {
  if (argv[0] === undefined || argv[0] === 'help' || argv.includes('--help')) {
    io.stdout(MR_HELP);
    return 0;
  }
  const o = parseMr(argv);
  const started = performance.now();
  const files = filesUnder(o.dir);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const chunks = inputSplits(files, o.chunkBytes ?? defaultChunkBytes(bytes, o.workers));
  const done = { map: 0, reduce: 0 };
  let lastDraw = -Infinity;
  const draw = (force: boolean) => {
    const t = performance.now();
    if (!force && t - lastDraw < (io.isTTY ? 100 : 5000)) return;
    lastDraw = t;
    const line = `map ${Math.min(done.map, chunks.length)}/${chunks.length}, reduce ${Math.min(done.reduce, o.partitions)}/${o.partitions}, ${((t - started) / 1000).toFixed(1)} s`;
    io.stderr(io.isTTY ? `\r\x1b[K  ${line}` : `  progress: ${line}\n`);
  };
  const r = await runMapReducePool<InputSplit, string, number>(wordCountJobModule(), chunks, {
    workers: o.workers,
    partitions: o.partitions,
    splits: Math.max(1, chunks.length),
    speculation: false,
    // The job module is plain JavaScript (built, or bundled above): a TypeScript loader the
    // command itself runs under would only cost each thread its start-up.
    execArgv: withoutPreloads(globalThis.process.execArgv),
    onAttempt: (kind, ok) => {
      if (ok) done[kind]++;
      draw(false);
    },
  });
  draw(true);
  if (io.isTTY) io.stderr('\n');
  const names = commitOutput(o.out, r.partitions as (readonly (readonly [string, number])[])[]);
  let words = 0;
  let distinct = 0;
  for (const part of r.partitions) {
    distinct += part.length;
    for (const [, c] of part) words += c;
  }
  const ms = performance.now() - started;
  io.stdout(
    `${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, ${words.toLocaleString('en-US')} words, ${distinct.toLocaleString('en-US')} distinct, ` +
      `${chunks.length} map tasks on ${o.workers} threads, ${(ms / 1000).toFixed(2)} s\n` +
      names.map((n) => `wrote ${n}\n`).join('') +
      `wrote ${join(o.out, '_SUCCESS')}\n`,
  );
  return 0;
}
