import { describe, expect, it } from 'vitest';
import { main, parseDelay, parseSeeds } from '../../src/cli/main.js';
import { fromJsonLines } from 'distkit/sim';
import { fakeIo } from './fake-io.js';

describe('distkit sim', () => {
  it('finds the naive leader bug, prints a summary and writes the HTML trace of the first failing seed', async () => {
    const io = fakeIo();
    const code = await main(['sim', 'naive-leader', '--nodes', '3', '--seeds', '1-60', '--loss', '0.1', '--partitions', '0.5'], io);
    expect(code).toBe(1);
    expect(io.out).toMatch(/seeds run\s+60\n/);
    expect(io.out).toMatch(/violations\s+\d+ {2}\(at most one leader per term: \d+\)/);
    expect(io.out).toMatch(/first failure\s+seed \d+: at most one leader per term at/);
    expect(io.out).toMatch(/messages\s+[\d,]+ sent, [\d,]+ delivered, [\d,]+ dropped, 0 duplicated/);
    expect(io.out).toMatch(/virtual time\s+[\d,]+ ms/);
    const seed = /first failure\s+seed (\d+)/.exec(io.out)![1];
    const file = `distkit-trace-naive-leader-seed${seed}.html`;
    const html = io.files.get(file) ?? '';
    expect(html).toContain('<svg');
    // it is that seed's run, and it shows the violation
    expect(html).toContain(`distkit sim naive-leader, seed ${seed}`);
    expect(html).toContain('<p class="violation-text">Violation of <b>at most one leader per term</b>');
    expect(io.files.size).toBe(1);
    expect(io.out).toContain(`replay: distkit sim naive-leader --nodes 3 --loss 0.1 --partitions 0.5 --seeds ${seed}`);
    expect(io.err).toBe(''); // no progress bar without a terminal
  });

  it('a correct target under faults finds nothing and exits 0; --trace-seed writes every format asked for', async () => {
    const io = fakeIo();
    const code = await main(
      ['sim', 'echo', '--seeds', '1-20', '--loss', '0.2', '--dup', '0.1', '--delay', 'exp:5+1', '--crashes', '1', '--pauses', '1', '--trace-seed', '7', '--trace', 'out.html', '--jsonl', 'out.jsonl', '--mermaid', 'out.mmd', '--shiviz', 'out.log'],
      io,
    );
    expect(code).toBe(0);
    expect(io.out).toMatch(/violations\s+0\n/);
    expect([...io.files.keys()].sort()).toEqual(['out.html', 'out.jsonl', 'out.log', 'out.mmd']);
    expect(fromJsonLines(io.files.get('out.jsonl')!).length).toBeGreaterThan(10);
    expect(io.files.get('out.mmd')!.startsWith('sequenceDiagram')).toBe(true);
  });

  it('draws a progress bar on stderr only for a terminal', async () => {
    const io = fakeIo(true);
    await main(['sim', 'echo', '--seeds', '1-5', '--no-trace'], io);
    expect(io.err).toContain('5/5 seeds, 0 violations');
    expect(io.err.endsWith('\r\x1b[K')).toBe(true);
  });

  it('writes a progress line with an ETA every five seconds when stderr is not a terminal', async () => {
    const io = fakeIo(); // its clock advances 50 ms per reading
    await main(['sim', 'echo', '--seeds', '1-250', '--no-trace'], io);
    const lines = io.err.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^ {2}progress: [\d,]+\/250 seeds, 0 violations, ETA \d+ s$/);
  });

  it('prints times rounded and names only what shrinking changed', async () => {
    const io = fakeIo();
    await main(['sim', 'naive-leader', '--seeds', '1-30', '--crashes', '2', '--partitions', '2', '--shrink', '--trace', 't.html'], io);
    expect(io.out).not.toMatch(/\d\.\d{2,} ms/);
    expect(io.out).toMatch(/shrunk in \d+ replays/);
    expect(io.out).not.toMatch(/(\w+) (\d+) -> \2\b/); // no "operations 0 -> 0"
  });

  it('--json prints a machine-readable summary; --shrink reports the reduction', async () => {
    const io = fakeIo();
    const code = await main(['sim', 'naive-leader', '--seeds', '1-30', '--crashes', '2', '--partitions', '2', '--shrink', '--json', '--trace', 't.html'], io);
    expect(code).toBe(1);
    const s = JSON.parse(io.out) as { seedsRun: number; violations: number; traceFiles: string[]; failures: { seed: number }[] };
    expect(s.seedsRun).toBe(30);
    expect(s.violations).toBeGreaterThan(0);
    expect(s.traceFiles).toEqual(['t.html']);
  });

  it('stale-register: the final linearizability check fails, and shrinking cuts the workload', async () => {
    const io = fakeIo();
    expect(await main(['sim', 'stale-register', '--seeds', '1-10', '--shrink', '--trace', 'r.html'], io)).toBe(1);
    expect(io.out).toMatch(/violations\s+\d+ {2}\(linearizable: \d+\)/);
    expect(io.out).toMatch(/first failure\s+seed \d+: linearizable at [\d.]+ ms: not linearizable: operation #\d+ \(\{"f":"read"\} -> /);
    const m = /operations (\d+) -> (\d+)/.exec(io.out)!;
    expect(Number(m[2])).toBeLessThan(Number(m[1]));
    expect(io.files.get('r.html')).toContain('class="command"');
  });

  it('--max-violations stops early', async () => {
    const io = fakeIo();
    await main(['sim', 'naive-leader', '--seeds', '1-1000', '--loss', '0.3', '--max-violations', '2', '--no-trace'], io);
    expect(io.out).toMatch(/violations\s+2 /);
    expect(io.files.size).toBe(0);
  });

  it('--import loads a module that exports targets; list shows them', async () => {
    const io = fakeIo();
    expect(await main(['sim', 'imported-echo', '--import', 'targets.mjs', '--seeds', '1-3', '--nodes', '4'], io)).toBe(0);
    const exported = fakeIo();
    expect(await main(['sim', 'exported-echo', '--import', 'targets.mjs', '--seeds', '1-2'], exported)).toBe(0);
    expect(exported.out).toContain('distkit sim exported-echo: 2 nodes');
    const list = fakeIo();
    await main(['list', '--import', 'targets.mjs'], list);
    expect(list.out).toMatch(/^exported-echo /m);
    expect(list.out).toMatch(/^echo /m);
    expect(list.out).toMatch(/^naive-leader /m);
    expect(list.out).toMatch(/^stale-register /m);
  });

  it('list is a short line per target; --long gives the whole description', async () => {
    const short = fakeIo();
    await main(['list'], short);
    for (const line of short.out.trim().split('\n')) expect(line.length).toBeLessThanOrEqual(110);
    const long = fakeIo();
    await main(['list', '--long'], long);
    expect(long.out).toContain('; ');
    expect(long.out.length).toBeGreaterThan(short.out.length);
  });

  it.each([
    [['sim'], /needs a target/],
    [['sim', 'nope'], /unknown simulation target "nope"; known: .*echo/],
    [['sim', 'echo', '--loss', '1.5'], /--loss must be a probability/],
    [['sim', 'echo', '--crashes', '-1'], /--crashes must be a rate/],
    [['sim', 'echo', '--seeds', '5-1'], /--seeds/],
    [['sim', 'echo', '--delay', 'slow'], /--delay/],
    [['sim', 'echo', '--bogus', '1'], /unknown option --bogus/],
    [['sim', 'echo', '--nodes'], /--nodes needs a value/],
    [['frobnicate'], /unknown command/],
    [['report'], /needs a JSON-lines trace/],
  ])('bad usage %j exits 2 with a message', async (argv, message) => {
    const io = fakeIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.err).toMatch(message);
    expect(io.out).toBe('');
  });

  it('help prints usage', async () => {
    const io = fakeIo();
    expect(await main([], io)).toBe(0);
    expect(io.out).toContain('usage: distkit');
  });
});

describe('distkit report', () => {
  it('renders a saved trace to HTML, Mermaid and ShiViz', async () => {
    const files = new Map<string, string>();
    const io = fakeIo(false, files);
    await main(['sim', 'echo', '--seeds', '1', '--trace-seed', '1', '--jsonl', 'run.jsonl', '--trace', 'x.html'], io);
    const r = fakeIo(false, files);
    expect(await main(['report', 'run.jsonl'], r)).toBe(0);
    expect(files.get('run.html')).toContain('<svg');
    expect(r.out).toMatch(/run.jsonl: \d+ events, 3 nodes/);
    const r2 = fakeIo(false, files);
    await main(['report', 'run.jsonl', '--mermaid', 'run.mmd', '--shiviz', 'run.log'], r2);
    expect(files.has('run.mmd') && files.has('run.log')).toBe(true);
  });

  it('reports a corrupt trace file as a usage error', async () => {
    const io = fakeIo(false, new Map([['bad.jsonl', '{"kind":"tick","time":1,"node":"a","now":1}\n{oops']]));
    expect(await main(['report', 'bad.jsonl'], io)).toBe(2);
    expect(io.err).toMatch(/bad.jsonl: line 2/);
  });
});

describe('parsers', () => {
  it('seeds and delays', () => {
    expect(parseSeeds('1-3,7')).toEqual([1, 2, 3, 7]);
    expect(parseSeeds('5')).toEqual([5]);
    expect(parseDelay('5')).toEqual({ type: 'fixed', ms: 5 });
    expect(parseDelay('1-10')).toEqual({ type: 'uniform', minMs: 1, maxMs: 10 });
    expect(parseDelay('exp:20+2')).toEqual({ type: 'exponential', meanMs: 20, minMs: 2 });
  });
});
