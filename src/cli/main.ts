// The `distkit` command: `distkit sim <target> ...` runs seeds of a registered simulation target,
// `distkit report <trace.jsonl>` renders a saved trace, `distkit list` lists targets.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ConfigError } from '../core/index.js';
import {
  fromJsonLines,
  shrink,
  simulate,
  sweep,
  toHtml,
  toJsonLines,
  toMermaid,
  toShiViz,
  type DelayModel,
  type LinkOptions,
  type NemesisOptions,
  type SimResult,
  type SimulateOptions,
  type SimTarget,
  type SweepSummary,
  type TraceEvent,
} from '../sim/index.js';
import { sortedTargets, targetRegistry } from './targets.js';
import { KvUsageError, processStopSignal, runKv } from './kv.js';
import { MrUsageError, runMr } from './wordcount.js';

/** Everything the command touches outside itself, so tests can run it in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (the progress bar is drawn only then). */
  readonly isTTY: boolean;
  writeFile(path: string, text: string): void;
  readFile(path: string): string;
  /** Imports a module by path (for `--import`). */
  importModule(path: string): Promise<unknown>;
  /** Wall-clock milliseconds, for the elapsed time in the summary. */
  now(): number;
}

/** The real process's I/O. */
export function nodeIo(): CliIo {
  const proc = globalThis.process;
  return {
    stdout: (t) => void proc.stdout.write(t),
    stderr: (t) => void proc.stderr.write(t),
    isTTY: proc.stderr.isTTY === true,
    writeFile: (p, t) => writeFileSync(p, t),
    readFile: (p) => readFileSync(p, 'utf8'),
    importModule: (p) => import(pathToFileURL(resolve(p)).href),
    now: () => performance.now(),
  };
}

class UsageError extends Error {}

// By name, not class: user modules loaded with --import use the package's own copy of distkit.
function isConfigError(e: unknown): e is Error {
  return e instanceof ConfigError || (e instanceof Error && e.name === 'ConfigError');
}

const HELP = `usage: distkit <command> [options]

commands:
  sim <target> [options]    run seeds of a simulation target, summarize, write the trace of a failure
  list                      list the simulation targets: raft, 2pc, 3pc-partition, ricart-agrawala,
                            maekawa, token-ring, bully, barrier, om, chandy-lamport and demos
                            (--long: whole descriptions)
  report <trace.jsonl>      render a saved JSON-lines trace (HTML by default)
  mr wordcount <dir>        count the words of a directory's files with MapReduce on worker threads
                            ('distkit mr help' lists its options)
  kv serve [options]        run a member of a Raft key-value cluster speaking etcd's v3 JSON API
                            ('distkit kv help' lists its etcd-style flags)
  help                      show this help

sim options:
  --nodes N                 number of nodes (default: the target's)
  --seeds SPEC              seeds: 7, 1-1000, 1,5,9 or 1-10,20 (default 1-100)
  --time MS                 virtual time per seed, ms (default: the target's)
  --delay SPEC              message delay: 5 (fixed), 1-10 (uniform), exp:20 or exp:20+1 (mean+min)
  --loss P --dup P --reorder P --corrupt P   per-message probabilities in [0, 1]
  --crashes R --partitions R --pauses R --one-way R --slow R --clock-jumps R
                            random faults per second of virtual time (a nemesis)
  --until MS                no new random faults from this time on (default: the run's end)
  --max-violations N        stop after N failing seeds
  --trace FILE              where to write the HTML trace (default distkit-trace-<target>-seed<N>.html)
  --trace-seed N            write the trace of seed N (default: the first failing seed)
  --no-trace                write no trace
  --jsonl FILE --mermaid FILE --shiviz FILE   also write the traced seed in these formats
  --shrink                  shrink the traced failure to a smaller reproduction first
  --import FILE             import a module that exports SimTargets (repeatable)
  --json                    print the summary as JSON

report options:
  --html FILE --mermaid FILE --shiviz FILE   outputs (default: <trace>.html)
  --title TEXT
`;

interface Parsed {
  readonly positional: string[];
  readonly flags: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(['no-trace', 'shrink', 'json', 'help', 'long']);

function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    let value: string;
    if (BOOLEAN_FLAGS.has(name)) value = eq >= 0 ? a.slice(eq + 1) : 'true';
    else if (eq >= 0) value = a.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    const list = flags.get(name) ?? [];
    list.push(value);
    flags.set(name, list);
  }
  return { positional, flags };
}

function checkFlags(p: Parsed, allowed: readonly string[]): void {
  for (const name of p.flags.keys()) {
    if (!allowed.includes(name)) throw new UsageError(`unknown option --${name}; run 'distkit help'`);
  }
}

function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

function num(p: Parsed, name: string, check: (x: number) => boolean, what: string): number | undefined {
  const s = flag(p, name);
  if (s === undefined) return undefined;
  const x = Number(s);
  if (s.trim() === '' || !Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} must be ${what}, got ${JSON.stringify(s)}`);
  return x;
}

const MAX_SEEDS = 10_000_000;

/** Parses `7`, `1-1000`, `1,5,9`, `1-10,20` into a list of seeds. */
export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?$/.exec(part);
    if (m === null) throw new UsageError(`--seeds: cannot read ${JSON.stringify(part)}; use 7, 1-1000 or 1,5,9`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a) throw new UsageError(`--seeds: ${JSON.stringify(part)} is not an increasing range of integers`);
    if (out.length + (b - a + 1) > MAX_SEEDS) throw new UsageError(`--seeds: at most ${MAX_SEEDS} seeds per run`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

/** Parses `5`, `1-10`, `exp:20`, `exp:20+1` into a delay model. */
export function parseDelay(spec: string): DelayModel {
  let m = /^exp:(\d+(?:\.\d+)?)(?:\+(\d+(?:\.\d+)?))?$/.exec(spec);
  if (m !== null) return m[2] === undefined ? { type: 'exponential', meanMs: Number(m[1]) } : { type: 'exponential', meanMs: Number(m[1]), minMs: Number(m[2]) };
  m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(spec);
  if (m !== null) return { type: 'uniform', minMs: Number(m[1]), maxMs: Number(m[2]) };
  m = /^(\d+(?:\.\d+)?)$/.exec(spec);
  if (m !== null) return { type: 'fixed', ms: Number(m[1]) };
  throw new UsageError(`--delay: cannot read ${JSON.stringify(spec)}; use 5, 1-10, exp:20 or exp:20+1`);
}

const SIM_FLAGS = [
  'nodes', 'seeds', 'time', 'delay', 'loss', 'dup', 'reorder', 'corrupt', 'crashes', 'partitions', 'pauses', 'one-way', 'slow', 'clock-jumps', 'until',
  'max-violations', 'trace', 'trace-seed', 'no-trace', 'jsonl', 'mermaid', 'shiviz', 'shrink', 'import', 'json',
];

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function pad(label: string): string {
  return `  ${label.padEnd(15)}`;
}

/** Milliseconds for people: whole numbers as they are, others to one decimal. */
function ms(x: number): string {
  return `${Math.round(x * 10) / 10}`;
}

/** Seconds left at the rate so far, for a progress line. */
function eta(elapsedMs: number, done: number, total: number): string {
  if (done === 0) return 'ETA ?';
  return `ETA ${Math.ceil(((elapsedMs / done) * (total - done)) / 1000)} s`;
}

/** Redraws the progress bar (terminal) or writes one progress line (logs, CI). */
function progress(io: CliIo, done: number, total: number, violations: number, elapsedMs: number): void {
  const counts = `${fmt(done)}/${fmt(total)} seeds, ${fmt(violations)} violations, ${eta(elapsedMs, done, total)}`;
  if (!io.isTTY) {
    io.stderr(`  progress: ${counts}\n`);
    return;
  }
  const width = 30;
  const filled = Math.round((done / total) * width);
  io.stderr(`\r\x1b[K  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${counts}`);
}

/** One line of `distkit list`: the name, the description up to its first clause, the node count. */
function listLine(t: SimTarget, long: boolean): string {
  const first = t.description.split(';')[0]!.trim();
  const short = first.length > 72 ? `${first.slice(0, 71)}…` : first;
  return `${t.name.padEnd(20)} ${long ? t.description : short} (${t.defaultNodes} nodes)`;
}

/** The built-in targets plus the SimTarget objects the `--import` modules export. */
async function importTargets(p: Parsed, io: CliIo): Promise<ReadonlyMap<string, SimTarget>> {
  const imported: SimTarget[] = [];
  for (const file of p.flags.get('import') ?? []) {
    const mod = await io.importModule(file);
    if (mod === null || typeof mod !== 'object') continue;
    for (const value of Object.values(mod as Record<string, unknown>)) {
      const t = value as Partial<SimTarget> | null;
      if (t !== null && typeof t === 'object' && typeof t.name === 'string' && typeof t.build === 'function') imported.push(t as SimTarget);
    }
  }
  return targetRegistry(imported);
}

/** What `distkit sim` runs: the target, its size, the seeds, and one scenario per seed. */
interface SimPlan {
  readonly target: SimTarget;
  readonly nodes: number;
  readonly seeds: readonly number[];
  readonly scenario: (seed: number) => SimulateOptions<any, any>;
  readonly maxViolations: number | undefined;
  readonly traceSeed: number | undefined;
}

/** What shrinking achieved, naming only the measures that changed. */
function shrunkLine(runs: number, before: { faults: number; operations: number; timeMs: number }, after: { faults: number; operations: number; timeMs: number }): string {
  const parts = [`shrunk in ${runs} replays`];
  if (before.faults !== after.faults) parts.push(`faults ${before.faults} -> ${after.faults}`);
  if (before.operations !== after.operations) parts.push(`operations ${before.operations} -> ${after.operations}`);
  parts.push(before.timeMs === after.timeMs ? `violation at ${ms(after.timeMs)} ms` : `violation at ${ms(before.timeMs)} -> ${ms(after.timeMs)} ms`);
  return parts.join(', ');
}

/** The traced run: one seed's result, with the shrinking summary when it was shrunk. */
interface TracedRun {
  readonly seed: number;
  readonly result: SimResult<unknown, unknown>;
  readonly shrunk?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The target named by the second positional argument, among the built-in and imported ones. */
async function simTarget(p: Parsed, io: CliIo): Promise<SimTarget> {
  const targets = await importTargets(p, io);
  const name = p.positional[1];
  const known = () => sortedTargets(targets).map((t) => t.name).join(', ');
  if (name === undefined) throw new UsageError(`distkit sim needs a target; one of: ${known()}`);
  const target = targets.get(name);
  if (target === undefined) throw new UsageError(`unknown simulation target ${JSON.stringify(name)}; known: ${known()}`);
  return target;
}

function probability(p: Parsed, name: string): number | undefined {
  return num(p, name, (x) => x >= 0 && x <= 1, 'a probability in [0, 1]');
}

/** The network options of `--delay --loss --dup --corrupt --reorder` (only those given). */
function linkFlags(p: Parsed): Mutable<LinkOptions> {
  const link: Mutable<LinkOptions> = {};
  const delaySpec = flag(p, 'delay');
  if (delaySpec !== undefined) link.delay = parseDelay(delaySpec);
  const probabilities: [string, 'loss' | 'duplicate' | 'corrupt' | 'reorder'][] = [['loss', 'loss'], ['dup', 'duplicate'], ['corrupt', 'corrupt'], ['reorder', 'reorder']];
  for (const [f, key] of probabilities) {
    const x = probability(p, f);
    if (x !== undefined) link[key] = x;
  }
  return link;
}

const NEMESIS_RATES: readonly [string, keyof NemesisOptions][] = [
  ['crashes', 'crashRate'], ['partitions', 'partitionRate'], ['pauses', 'pauseRate'], ['one-way', 'oneWayRate'], ['slow', 'slowRate'], ['clock-jumps', 'clockJumpRate'],
];

/** The nemesis options of the fault-rate flags and `--until` (only those given). */
function nemesisFlags(p: Parsed): Mutable<NemesisOptions> {
  const nem: Mutable<NemesisOptions> = {};
  for (const [f, key] of NEMESIS_RATES) {
    const r = num(p, f, (x) => x >= 0, 'a rate >= 0 (per second)');
    if (r !== undefined) (nem as Record<string, number>)[key] = r;
  }
  const until = num(p, 'until', (x) => x >= 0, 'a number of ms >= 0');
  if (until !== undefined) nem.untilMs = until;
  return nem;
}

/** Reads the sim options (in a fixed order, so the first bad one is the one reported). */
function simPlan(p: Parsed, target: SimTarget): SimPlan {
  const nodes = num(p, 'nodes', (x) => Number.isInteger(x) && x >= 1 && x <= 1000, 'an integer in [1, 1000]') ?? target.defaultNodes;
  const seeds = parseSeeds(flag(p, 'seeds') ?? '1-100');
  const time = num(p, 'time', (x) => x > 0, 'a positive number of ms');
  const link = linkFlags(p);
  const nem = nemesisFlags(p);
  const maxViolations = num(p, 'max-violations', (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
  const traceSeed = num(p, 'trace-seed', (x) => Number.isSafeInteger(x), 'an integer');
  const scenario = (seed: number): SimulateOptions<any, any> => {
    const base = target.build({ nodes, seed });
    const network = Object.keys(link).length > 0 ? { ...base.network, ...link } : base.network;
    const nemesis = Object.keys(nem).length > 0 ? { ...base.nemesis, ...nem } : base.nemesis;
    const o: SimulateOptions<any, any> = { ...base, seed };
    return {
      ...o,
      ...(network !== undefined ? { network } : {}),
      ...(nemesis !== undefined ? { nemesis } : {}),
      ...(time !== undefined ? { maxTimeMs: time } : {}),
    };
  };
  return { target, nodes, seeds, scenario, maxViolations, traceSeed };
}

/** Runs every seed, drawing a progress bar on a terminal; returns the summary and the wall time. */
function sweepSeeds(plan: SimPlan, io: CliIo): { summary: SweepSummary; elapsedMs: number } {
  const { seeds, scenario, maxViolations } = plan;
  const started = io.now();
  // A terminal redraws its bar ten times a second; a log gets a progress line every five seconds.
  const every = io.isTTY ? 100 : 5000;
  let lastDraw = io.isTTY ? -Infinity : started;
  let violationsSoFar = 0;
  const summary = sweep({
    seeds,
    scenario,
    ...(maxViolations !== undefined ? { maxViolations } : {}),
    onResult: (r, done) => {
      if (!r.ok) violationsSoFar++;
      const t = io.now();
      if (t - lastDraw >= every || (io.isTTY && done === seeds.length)) {
        lastDraw = t;
        progress(io, done, seeds.length, violationsSoFar, t - started);
      }
    },
  });
  if (io.isTTY) io.stderr('\r\x1b[K');
  return { summary, elapsedMs: io.now() - started };
}

/** The traced run: the requested seed, else the first failure (shrunk on `--shrink`); none on `--no-trace`. */
function traceRun(p: Parsed, plan: SimPlan, summary: SweepSummary): TracedRun | undefined {
  const seed = plan.traceSeed ?? summary.failures[0]?.seed;
  if (seed === undefined || flag(p, 'no-trace') !== undefined) return undefined;
  const options = plan.scenario(seed);
  if (flag(p, 'shrink') !== undefined) {
    const s = shrink(options);
    if (s !== undefined) {
      return {
        seed,
        result: s.result as SimResult<unknown, unknown>,
        shrunk: shrunkLine(s.runs, s.before, s.after),
      };
    }
  }
  return { seed, result: simulate(options) };
}

/** Writes `render()` to `file` when the file was asked for, and records it in `written`. */
function writeOutput(io: CliIo, file: string | undefined, render: () => string, written: string[]): void {
  if (file === undefined) return;
  io.writeFile(file, render());
  written.push(file);
}

/** Writes the `--mermaid` and `--shiviz` renderings of a trace; the files go into `written`. */
function writeDiagrams(p: Parsed, io: CliIo, trace: readonly TraceEvent[], written: string[]): void {
  writeOutput(io, flag(p, 'mermaid'), () => toMermaid(trace), written);
  writeOutput(io, flag(p, 'shiviz'), () => toShiViz(trace, { header: true }), written);
}

/** Writes the traced run as HTML and in the formats asked for; returns the files written. */
function writeTrace(p: Parsed, io: CliIo, target: SimTarget, traced: TracedRun | undefined): string[] {
  const written: string[] = [];
  if (traced === undefined) return written;
  const { seed, result } = traced;
  writeOutput(io, flag(p, 'trace') ?? `distkit-trace-${target.name}-seed${seed}.html`, () => toHtml(result, { title: `distkit sim ${target.name}, seed ${seed}` }), written);
  writeOutput(io, flag(p, 'jsonl'), () => toJsonLines(result.trace), written);
  writeDiagrams(p, io, result.trace, written);
  return written;
}

/** Flags that do not change what a seed does, so the replay command leaves them out. */
const NOT_REPLAYED = ['seeds', 'nodes', 'trace', 'trace-seed', 'no-trace', 'jsonl', 'mermaid', 'shiviz', 'json', 'max-violations', 'shrink'];

/** The command that reruns one seed with the same options. */
function replayCommand(p: Parsed, plan: SimPlan, seed: number): string {
  const args = [
    'distkit sim', plan.target.name, `--nodes ${plan.nodes}`,
    ...SIM_FLAGS.filter((f) => !NOT_REPLAYED.includes(f)).flatMap((f) => (p.flags.get(f) ?? []).map((v) => `--${f} ${v}`)),
  ];
  return `${args.join(' ')} --seeds ${seed}`;
}

/** The human-readable summary of a sweep, one line per figure. */
function summaryText(p: Parsed, plan: SimPlan, summary: SweepSummary, elapsedMs: number, traced: TracedRun | undefined, written: readonly string[]): string {
  const firstFailure = summary.failures[0];
  const m = summary.messages;
  const per = Object.entries(summary.byInvariant).map(([k, v]) => `${k}: ${fmt(v)}`).join('; ');
  const lines = [
    `distkit sim ${plan.target.name}: ${plan.nodes} nodes, ${plan.seeds.length} seeds (${flag(p, 'seeds') ?? '1-100'})`,
    `${pad('seeds run')}${fmt(summary.seedsRun)}`,
    `${pad('violations')}${fmt(summary.violations)}${per !== '' ? `  (${per})` : ''}`,
  ];
  if (firstFailure !== undefined) lines.push(`${pad('first failure')}seed ${firstFailure.seed}: ${firstFailure.invariant} at ${ms(firstFailure.time)} ms: ${firstFailure.message}`);
  lines.push(
    `${pad('messages')}${fmt(m.sent)} sent, ${fmt(m.delivered)} delivered, ${fmt(m.dropped)} dropped, ${fmt(m.duplicated)} duplicated${m.corrupted > 0 ? `, ${fmt(m.corrupted)} corrupted` : ''}`,
    `${pad('virtual time')}${fmt(summary.virtualTimeMs)} ms (${fmt(summary.virtualTimeMs / Math.max(1, summary.seedsRun))} ms per seed)`,
    `${pad('steps')}${fmt(summary.steps)}`,
    `${pad('faults')}${fmt(summary.faults)}`,
    `${pad('wall time')}${(elapsedMs / 1000).toFixed(2)} s`,
  );
  if (traced?.shrunk !== undefined) lines.push(`${pad('shrinking')}${traced.shrunk}`);
  if (traced !== undefined) {
    for (const f of written) lines.push(`trace of seed ${traced.seed} written to ${f}`);
    lines.push(`replay: ${replayCommand(p, plan, traced.seed)}`);
  }
  return lines.join('\n') + '\n';
}

/** The `--json` summary of a sweep. */
function summaryJson(plan: SimPlan, summary: SweepSummary, elapsedMs: number, traced: TracedRun | undefined, written: readonly string[]): string {
  const json = {
    target: plan.target.name,
    nodes: plan.nodes,
    ...summary,
    wallTimeMs: Math.round(elapsedMs),
    ...(traced !== undefined ? { traceSeed: traced.seed, traceFiles: written } : {}),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

async function runSim(p: Parsed, io: CliIo): Promise<number> {
  checkFlags(p, SIM_FLAGS);
  const plan = simPlan(p, await simTarget(p, io));
  // Fail fast on options the simulator rejects, naming the field.
  simulate({ ...plan.scenario(plan.seeds[0]!), maxSteps: 0 });
  const { summary, elapsedMs } = sweepSeeds(plan, io);
  const traced = traceRun(p, plan, summary);
  const written = writeTrace(p, io, plan.target, traced);
  io.stdout(flag(p, 'json') !== undefined ? summaryJson(plan, summary, elapsedMs, traced, written) : summaryText(p, plan, summary, elapsedMs, traced, written));
  return summary.violations > 0 ? 1 : 0;
}

function runReport(p: Parsed, io: CliIo): number {
  checkFlags(p, ['html', 'mermaid', 'shiviz', 'title']);
  const input = p.positional[1];
  if (input === undefined) throw new UsageError('distkit report needs a JSON-lines trace file');
  let trace: TraceEvent[];
  try {
    trace = fromJsonLines(io.readFile(input));
  } catch (e) {
    if (isConfigError(e)) throw new UsageError(`${input}: ${e.message}`);
    throw e;
  }
  const outs: string[] = [];
  const html = flag(p, 'html') ?? (flag(p, 'mermaid') === undefined && flag(p, 'shiviz') === undefined ? `${input.replace(/\.jsonl?$/, '')}.html` : undefined);
  writeOutput(io, html, () => toHtml(trace, { title: flag(p, 'title') ?? input }), outs);
  writeDiagrams(p, io, trace, outs);
  const count = (k: TraceEvent['kind']) => trace.filter((e) => e.kind === k).length;
  const nodes = new Set(trace.flatMap((e) => (e.kind === 'fault' ? [] : [e.node])));
  io.stdout(
    `${input}: ${trace.length} events, ${nodes.size} nodes, ${count('send')} sent, ${count('deliver')} delivered, ${count('drop')} dropped, ${count('fault')} faults\n` +
      outs.map((o) => `wrote ${o}\n`).join(''),
  );
  return 0;
}

/** Runs the command; resolves with the exit code (0 ok, 1 violations found, 2 usage error). */
export async function main(argv: readonly string[], io: CliIo = nodeIo()): Promise<number> {
  try {
    if (argv[0] === 'mr') return await runMr(argv.slice(1), { stdout: io.stdout, stderr: io.stderr, isTTY: io.isTTY });
    if (argv[0] === 'kv') return await runKv(argv.slice(1), { stdout: io.stdout, stderr: io.stderr, stopSignal: processStopSignal });
    const p = parseArgs(argv);
    const cmd = p.positional[0];
    if (cmd === undefined || cmd === 'help' || flag(p, 'help') !== undefined) {
      io.stdout(HELP);
      return 0;
    }
    switch (cmd) {
      case 'sim':
        return await runSim(p, io);
      case 'report':
        return runReport(p, io);
      case 'list':
        checkFlags(p, ['import', 'long']);
        io.stdout(sortedTargets(await importTargets(p, io)).map((t) => listLine(t, flag(p, 'long') !== undefined)).join('\n') + '\n');
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}; run 'distkit help'`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof KvUsageError || e instanceof MrUsageError) {
      io.stderr(`distkit: ${e.message}\n`);
      return 2;
    }
    if (isConfigError(e)) {
      io.stderr(`distkit: invalid option ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
