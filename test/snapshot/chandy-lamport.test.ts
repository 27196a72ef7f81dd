import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, ConfigError, InvalidCommandError, Random, type NodeId } from 'distkit/core';
import { assembleGlobalSnapshot, isSnapshotId, type SnapshotReport } from 'distkit/snapshot';
import { modelCheck } from 'distkit/check';
import { simulate, type LinkOptions, type ScheduledCommand } from 'distkit/sim';
import {
  bank,
  bankNodes,
  consistentCuts,
  keepReports,
  ReportCollector,
  snapBank,
  strictSnapBank,
  type BankState,
} from './bank.js';

const abc = ['a', 'b', 'c'];
const init = (id: string, nodes = abc, balance = 100) => snapBank.init({ id, nodes, app: { id, nodes, balance } });
const step = checkedStep.bind(null, snapBank) as (s: ReturnType<typeof init>, i: Parameters<typeof snapBank.step>[1]) => ReturnType<typeof snapBank.step>;
const marker = (snapshotId: string) => ({ type: 'marker', snapshotId });
const deposit = (amount: number) => ({ type: 'app', message: { type: 'deposit', amount } });

describe('CL §3.2 marker rules, stepped by hand', () => {
  it('initiating records the state and sends a marker on every outgoing channel', () => {
    const a = init('a');
    const t = step(a, { type: 'initiateSnapshot', now: 1, snapshotId: 's1' });
    expect(t.outputs).toEqual([
      { type: 'send', to: 'b', message: marker('s1') },
      { type: 'send', to: 'c', message: marker('s1') },
    ]);
    expect(t.state.recording.s1).toEqual({ state: a.app, channels: { b: [], c: [] }, waiting: ['b', 'c'], recorded: 0 });
  });

  it('records messages arriving on a channel until its marker, then reports', () => {
    let a = step(init('a'), { type: 'initiateSnapshot', now: 1, snapshotId: 's1' }).state;
    // b sent 10 before it saw the marker: in flight on b->a at the cut.
    a = step(a, { type: 'message', now: 1, from: 'b', message: deposit(10) }).state;
    a = step(a, { type: 'message', now: 1, from: 'b', message: marker('s1') }).state;
    // After b's marker the channel b->a is closed: this deposit is not part of the snapshot.
    a = step(a, { type: 'message', now: 1, from: 'b', message: deposit(5) }).state;
    expect(a.app.balance).toBe(115);
    const t = step(a, { type: 'message', now: 1, from: 'c', message: marker('s1') });
    expect(t.outputs).toEqual([
      {
        type: 'snapshotReport',
        report: { snapshotId: 's1', node: 'a', state: init('a').app, channels: { b: [{ type: 'deposit', amount: 10 }], c: [] } },
      },
    ]);
    expect(t.state.recording).toEqual({});
    expect(t.state.completed).toEqual(['s1']);
  });

  it('the first marker records the state, closes its own channel empty, and relays markers first', () => {
    let b = init('b');
    b = step(b, { type: 'transfer', now: 1, to: 'a', amount: 30 }).state;
    const t = step(b, { type: 'message', now: 1, from: 'a', message: marker('s1') });
    expect(t.outputs).toEqual([
      { type: 'send', to: 'a', message: marker('s1') },
      { type: 'send', to: 'c', message: marker('s1') },
    ]);
    expect(t.state.recording.s1).toEqual({ state: b.app, channels: { a: [], c: [] }, waiting: ['c'], recorded: 0 });
    expect(t.state.recording.s1!.state.balance).toBe(70);
  });

  it('keeps concurrent snapshots apart by id', () => {
    let a = step(init('a'), { type: 'initiateSnapshot', now: 1, snapshotId: 's1' }).state;
    a = step(a, { type: 'message', now: 1, from: 'b', message: deposit(1) }).state; // in s1's b->a
    a = step(a, { type: 'message', now: 1, from: 'c', message: marker('s2') }).state; // s2 starts here: balance 101
    a = step(a, { type: 'message', now: 1, from: 'b', message: deposit(2) }).state; // in s1 and s2
    a = step(a, { type: 'message', now: 1, from: 'b', message: marker('s1') }).state;
    a = step(a, { type: 'message', now: 1, from: 'c', message: deposit(4) }).state; // in s1's c->a only
    const r1 = step(a, { type: 'message', now: 1, from: 'c', message: marker('s1') });
    expect(r1.outputs).toEqual([
      {
        type: 'snapshotReport',
        report: { snapshotId: 's1', node: 'a', state: init('a').app, channels: { b: [{ type: 'deposit', amount: 1 }, { type: 'deposit', amount: 2 }], c: [{ type: 'deposit', amount: 4 }] } },
      },
    ]);
    const r2 = step(r1.state, { type: 'message', now: 1, from: 'b', message: marker('s2') });
    const report = (r2.outputs[0] as { report: SnapshotReport<BankState> }).report;
    expect(report.state.balance).toBe(101);
    expect(report.channels).toEqual({ b: [{ type: 'deposit', amount: 2 }], c: [] });
  });

  it('a single node completes a snapshot at once', () => {
    const solo = snapBank.init({ id: 'a', nodes: ['a'], app: { id: 'a', nodes: ['a'], balance: 7 } });
    const t = step(solo, { type: 'initiateSnapshot', now: 1, snapshotId: 'x' });
    expect(t.outputs).toEqual([{ type: 'snapshotReport', report: { snapshotId: 'x', node: 'a', state: solo.app, channels: {} } }]);
  });

  it('application inputs pass through; its sends leave in envelopes; nextDeadline is the app’s', () => {
    const t = step(init('a'), { type: 'transfer', now: 1, to: 'c', amount: 3 });
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: deposit(3) }]);
    const tick = step(t.state, { type: 'tick', now: 5 });
    expect(tick.state).toBe(t.state);
    expect(snapBank.nextDeadline!(t.state)).toBeUndefined();
  });

  it('a message the application rejects is passed on as its rejection and not recorded', () => {
    const a = step(init('a'), { type: 'initiateSnapshot', now: 1, snapshotId: 's1' }).state;
    const t = step(a, { type: 'message', now: 1, from: 'b', message: { type: 'app', message: { type: 'deposit', amount: -5 } } });
    expect(t.state).toBe(a);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'b', reason: 'message.amount: expected an integer in [1, 1000000000], got -5' }]);
  });
});

describe('local commands and configuration', () => {
  it('initiating an id already recording is a no-op; a completed id is refused; a bad id throws', () => {
    const a = step(init('a'), { type: 'initiateSnapshot', now: 1, snapshotId: 's1' }).state;
    const again = step(a, { type: 'initiateSnapshot', now: 1, snapshotId: 's1' });
    expect(again.state).toBe(a);
    expect(again.outputs).toEqual([]);
    const solo = snapBank.init({ id: 'a', nodes: ['a'], app: { id: 'a', nodes: ['a'], balance: 7 } });
    const done = step(solo, { type: 'initiateSnapshot', now: 1, snapshotId: 'x' }).state;
    expect(step(done, { type: 'initiateSnapshot', now: 1, snapshotId: 'x' }).outputs).toEqual([
      { type: 'rejected', from: 'local', reason: 'snapshot "x" already completed here; pick a new id' },
    ]);
    expect(() => snapBank.step(a, { type: 'initiateSnapshot', now: 1, snapshotId: 'has space' })).toThrow(InvalidCommandError);
    expect(() => snapBank.step(a, { type: 'initiateSnapshot', now: 1, snapshotId: '' })).toThrow(/snapshotId/);
  });

  it('refuses more than maxConcurrentSnapshots at once', () => {
    let a = snapBank.init({ id: 'a', nodes: abc, app: { id: 'a', nodes: abc, balance: 1 }, maxConcurrentSnapshots: 2 });
    a = step(a, { type: 'initiateSnapshot', now: 1, snapshotId: 's1' }).state;
    a = step(a, { type: 'initiateSnapshot', now: 1, snapshotId: 's2' }).state;
    expect(step(a, { type: 'initiateSnapshot', now: 1, snapshotId: 's3' }).outputs[0]).toMatchObject({ type: 'rejected', from: 'local' });
    const t = step(a, { type: 'message', now: 1, from: 'b', message: marker('s3') });
    expect(t.state).toBe(a);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', from: 'b', reason: expect.stringMatching(/maxConcurrentSnapshots/) });
  });

  it('remembers at most maxRememberedSnapshots completed ids', () => {
    let solo = snapBank.init({ id: 'a', nodes: ['a'], app: { id: 'a', nodes: ['a'], balance: 7 }, maxRememberedSnapshots: 2 });
    for (const id of ['x', 'y', 'z']) solo = step(solo, { type: 'initiateSnapshot', now: 1, snapshotId: id }).state;
    expect(solo.completed).toEqual(['y', 'z']);
  });

  it('names the bad field', () => {
    const field = (c: object): string | undefined => {
      try {
        snapBank.init({ id: 'a', nodes: abc, app: { id: 'a', nodes: abc, balance: 1 }, ...c } as never);
        return undefined;
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).field;
      }
    };
    expect(field({ id: '' })).toBe('id');
    expect(field({ id: 'z' })).toBe('nodes');
    expect(field({ nodes: ['a', 'a'] })).toBe('nodes[1]');
    expect(field({ nodes: [] })).toBe('nodes');
    expect(field({ maxConcurrentSnapshots: 0 })).toBe('maxConcurrentSnapshots');
    expect(field({ maxRememberedSnapshots: 1.5 })).toBe('maxRememberedSnapshots');
    expect(field({})).toBeUndefined();
  });

  it('isSnapshotId accepts the documented alphabet only', () => {
    expect(['s1', 'n1#7', 'a.b:c@d/e-f_g', 'x'.repeat(128)].every(isSnapshotId)).toBe(true);
    expect(['', 'x'.repeat(129), 'a b', 'é', 'a\nb', 7, null].some(isSnapshotId)).toBe(false);
  });
});

describe('hostile envelopes and markers are rejected with a reason, state unchanged', () => {
  const a = (() => {
    let s = step(init('a'), { type: 'initiateSnapshot', now: 1, snapshotId: 's1' }).state;
    s = step(s, { type: 'message', now: 1, from: 'b', message: marker('s1') }).state;
    return s;
  })();
  const cases: [string, NodeId, unknown, RegExp][] = [
    ['unknown sender', 'mallory', marker('s1'), /unknown sender "mallory"/],
    ['itself as sender', 'a', marker('s9'), /unknown sender "a"/],
    ['not an object', 'b', 'marker', /message: expected an object/],
    ['null', 'b', null, /message: expected an object/],
    ['unknown type', 'b', { type: 'snapshot', snapshotId: 's1' }, /message.type: expected one of app, marker/],
    ['marker id a number', 'b', { type: 'marker', snapshotId: 7 }, /message.snapshotId: expected a string/],
    ['marker id missing', 'b', { type: 'marker' }, /message.snapshotId: missing/],
    ['marker id empty', 'b', marker(''), /message.snapshotId: expected a string of length 1..128/],
    ['marker id too long', 'b', marker('x'.repeat(129)), /message.snapshotId: expected a string of length 1..128/],
    ['marker id with spaces', 'b', marker('s 1'), /message.snapshotId: expected 1..128 characters/],
    ['marker id with a newline', 'b', marker('s\n1'), /message.snapshotId: expected 1..128 characters/],
    ['a second marker on a closed channel', 'b', marker('s1'), /second marker from "b" for snapshot "s1"/],
    ['app envelope without a message', 'b', { type: 'app' }, /message.message: missing/],
    ['app payload not JSON data', 'b', { type: 'app', message: { amount: Number.NaN } }, /message.message: .*non-finite/],
  ];
  it.each(cases)('%s', (_name, from, message, reason) => {
    const t = step(a, { type: 'message', now: 1, from, message });
    expect(t.state).toBe(a);
    expect(t.outputs).toHaveLength(1);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', from });
    expect((t.outputs[0] as { reason: string }).reason).toMatch(reason);
  });

  it('a marker for a snapshot completed here is refused (a replay cannot restart it)', () => {
    const solo2 = ['a', 'b'];
    let s = snapBank.init({ id: 'a', nodes: solo2, app: { id: 'a', nodes: solo2, balance: 1 } });
    s = step(s, { type: 'initiateSnapshot', now: 1, snapshotId: 'k' }).state;
    s = step(s, { type: 'message', now: 1, from: 'b', message: marker('k') }).state;
    const t = step(s, { type: 'message', now: 1, from: 'b', message: marker('k') });
    expect(t.state).toBe(s);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'b', reason: 'snapshot "k" already completed here' }]);
  });

  it('an id like __proto__ is an ordinary snapshot id', () => {
    const t = step(init('a'), { type: 'message', now: 1, from: 'b', message: marker('__proto__') });
    expect(Object.prototype.hasOwnProperty.call(t.state.recording, '__proto__')).toBe(true);
    expect(t.outputs).toHaveLength(2);
  });
});

describe('totality (fast-check): any peer message is rejected or accepted, never thrown', () => {
  it('arbitrary JSON and near-miss envelopes from any sender, mid-snapshot', () => {
    const base = step(init('a'), { type: 'initiateSnapshot', now: 1, snapshotId: 's1' }).state;
    const nearMiss = fc.oneof(
      fc.record({ type: fc.constantFrom('marker', 'app', 'Marker'), snapshotId: fc.oneof(fc.constantFrom('s1', 's2', '', 'a b'), fc.string(), fc.anything()) }),
      fc.record({ type: fc.constant('app'), message: fc.oneof(fc.record({ type: fc.constant('deposit'), amount: fc.oneof(fc.integer(), fc.double()) }), fc.anything()) }),
    );
    fc.assert(
      fc.property(fc.constantFrom('b', 'c', 'a', 'mallory'), fc.oneof(nearMiss, fc.jsonValue()), (from, message) => {
        const t = step(base, { type: 'message', now: 1, from, message });
        if (t.outputs.length === 1 && t.outputs[0]!.type === 'rejected') expect(t.state).toBe(base);
        else expect(t.state).not.toBe(base);
      }),
      { numRuns: 2000, seed: 1985 },
    );
  });
});

describe('assembleGlobalSnapshot', () => {
  const report = (node: string, state: number, channels: Record<string, unknown[]>, snapshotId = 's'): SnapshotReport<number> => ({ snapshotId, node, state, channels });
  const good = [report('a', 1, { b: [] }), report('b', 2, { a: ['m'] })];

  it('combines per-node reports into states and channels', () => {
    expect(assembleGlobalSnapshot(good, ['a', 'b'])).toEqual({
      ok: true,
      snapshot: { snapshotId: 's', states: { a: 1, b: 2 }, channels: [{ from: 'a', to: 'b', messages: ['m'] }, { from: 'b', to: 'a', messages: [] }] },
    });
  });

  const bad: [string, unknown[], RegExp][] = [
    ['no reports', [], /^no reports$/],
    ['a missing node', [good[0]], /missing the report of node "b"/],
    ['a duplicate node', [good[0], good[0]], /second report from node "a"/],
    ['mixed snapshots', [good[0], report('b', 2, { a: [] }, 't')], /snapshot "t", expected "s"/],
    ['an unknown node', [...good, report('z', 0, {})], /unknown node "z"/],
    ['a missing channel', [good[0], report('b', 2, {})], /missing the channel from "a"/],
    ['an extra channel', [good[0], report('b', 2, { a: [], q: [] })], /unexpected channel from "q"/],
    ['a self channel', [good[0], report('b', 2, { a: [], b: [] })], /unexpected channel from "b"/],
    ['channel not an array', [good[0], { ...good[1]!, channels: { a: 'm' } }], /channels.a: expected an array/],
    ['not an object', [good[0], 'b'], /reports\[1\]: expected an object/],
    ['bad id', [{ ...good[0]!, snapshotId: 'a b' }], /snapshotId: not a snapshot id/],
    ['no state', [good[0], { snapshotId: 's', node: 'b', channels: { a: [] } }], /state: missing/],
  ];
  it.each(bad)('refuses %s', (_n, reports, reason) => {
    const r = assembleGlobalSnapshot(reports as SnapshotReport<number>[], ['a', 'b']);
    expect(r.ok).toBe(false);
    expect((r as { reason: string }).reason).toMatch(reason);
  });
});

// ---------------------------------------------------------------------------------------------
// Random bank transfers with concurrent snapshots in the simulator.
// ---------------------------------------------------------------------------------------------

interface BankRun {
  readonly nodes: readonly NodeId[];
  readonly total: number;
  readonly commands: ScheduledCommand[];
  readonly snapshotIds: string[];
}

function bankRun(seed: number, n: number, transfers: number, snapshots: number): BankRun {
  const rnd = new Random(`bank/${seed}`);
  const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const commands: ScheduledCommand[] = [];
  for (let k = 0; k < transfers; k++) {
    const from = rnd.choice(nodes);
    const to = rnd.choice(nodes.filter((x) => x !== from));
    commands.push({ at: rnd.int(0, 500), node: from, input: { type: 'transfer', now: 1, to, amount: rnd.int(1, 60) } });
  }
  const snapshotIds: string[] = [];
  for (let k = 0; k < snapshots; k++) {
    const id = `s${k}`;
    snapshotIds.push(id);
    const at = rnd.int(0, 500);
    commands.push({ at, node: rnd.choice(nodes), input: { type: 'initiateSnapshot', now: 1, snapshotId: id } });
    // Sometimes a second node initiates the same snapshot concurrently (CL allows several initiators).
    if (rnd.float() < 0.3) commands.push({ at: at + rnd.int(0, 5), node: rnd.choice(nodes), input: { type: 'initiateSnapshot', now: 1, snapshotId: id } });
  }
  return { nodes, total: n * 100, commands, snapshotIds };
}

function simulateBank(seed: number, run: BankRun, network: LinkOptions) {
  const reports = new ReportCollector();
  const r = simulate({
    seed,
    nodes: bankNodes(run.nodes, 100),
    network,
    commands: run.commands,
    maxTimeMs: 5_000,
    trace: false,
    onOutput: (ev) => reports.add(ev.output),
  });
  return { r, reports };
}

const fifo: LinkOptions = { delay: { type: 'uniform', minMs: 1, maxMs: 30 }, fifo: true };

describe('bank transfers over FIFO links: every snapshot is a consistent cut', () => {
  it('300 seeds, 2–6 nodes, 40 transfers, 4 snapshots each: all complete, totals conserved', () => {
    let inFlightSeen = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const run = bankRun(seed, 2 + (seed % 5), 40, 4);
      const { r, reports } = simulateBank(seed, run, fifo);
      expect(r.violation, `seed ${seed}`).toBeUndefined();
      expect(r.stats.rejected, `seed ${seed}`).toBe(0);
      expect([...reports.byId.keys()].sort(), `seed ${seed}`).toEqual(run.snapshotIds.slice().sort());
      expect(reports.check(run.nodes, run.total), `seed ${seed}`).toBeUndefined();
      for (const list of reports.byId.values()) for (const rep of list) for (const msgs of Object.values(rep.channels)) inFlightSeen += msgs.length;
    }
    // The cuts were not trivially quiet: money was caught in flight many times.
    expect(inFlightSeen).toBeGreaterThan(300);
  });

  it('property (fast-check): any seed, size, transfer count, snapshot count and delay spread', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 80 }),
        (seed, n, transfers, snapshots, maxMs) => {
          const run = bankRun(seed, n, n === 1 ? 0 : transfers, snapshots);
          const { r, reports } = simulateBank(seed, run, { delay: { type: 'uniform', minMs: 0, maxMs }, fifo: true });
          expect(r.violation).toBeUndefined();
          expect(reports.byId.size).toBe(snapshots);
          expect(reports.check(run.nodes, run.total)).toBeUndefined();
        },
      ),
      { numRuns: 150, seed: 1985 },
    );
  });

  it('over non-FIFO links a marker can overtake a deposit and the cut breaks: FIFO is required', () => {
    let broken = 0;
    let firstBrokenSeed = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const run = bankRun(seed, 4, 40, 4);
      const { reports } = simulateBank(seed, run, { delay: { type: 'uniform', minMs: 1, maxMs: 30 } });
      if (reports.check(run.nodes, run.total) !== undefined) {
        broken++;
        firstBrokenSeed ||= seed;
      }
    }
    expect(broken).toBeGreaterThan(0);
    expect(firstBrokenSeed).toBeGreaterThan(0);
  });
});

describe('model checker: every interleaving of a small run (3 nodes, FIFO channels)', () => {
  const nodes = ['a', 'b', 'c'];
  const config = (id: string) => ({ id, nodes, app: { id, nodes, balance: 10 } });
  const options = {
    nodes: nodes.map((id) => ({ id, machine: keepReports, config: config(id) })),
    commands: [
      { node: 'a', input: { type: 'transfer', now: 1, to: 'b', amount: 4 } },
      { node: 'a', input: { type: 'initiateSnapshot', now: 1, snapshotId: 's1' } },
      { node: 'b', input: { type: 'transfer', now: 1, to: 'c', amount: 3 } },
      { node: 'c', input: { type: 'transfer', now: 1, to: 'a', amount: 2 } },
    ],
    invariants: consistentCuts(nodes, 30),
    atTerminal: [
      {
        name: 'the snapshot completes everywhere',
        check: (states: Readonly<Record<string, { reports: readonly unknown[] }>>) =>
          Object.values(states).every((s) => s.reports.length === 1) ? undefined : 'a node has no report',
      },
    ],
    maxDepth: 40,
    maxStates: 400_000,
    rejections: 'violation' as const,
  };

  it('FIFO: the state space is explored completely, every cut is consistent', () => {
    const r = modelCheck({ ...options, channels: 'fifo' });
    expect(r.violation).toBeUndefined();
    expect(r.status).toBe('complete');
    expect(r.states).toBeGreaterThan(1000);
  });

  it('FIFO, two concurrent snapshots from different initiators: complete, every cut consistent', () => {
    const r = modelCheck({
      ...options,
      commands: [
        { node: 'a', input: { type: 'transfer', now: 1, to: 'b', amount: 4 } },
        { node: 'a', input: { type: 'initiateSnapshot', now: 1, snapshotId: 's1' } },
        { node: 'b', input: { type: 'initiateSnapshot', now: 1, snapshotId: 's2' } },
        { node: 'b', input: { type: 'transfer', now: 1, to: 'a', amount: 3 } },
      ],
      atTerminal: [
        {
          name: 'both snapshots complete everywhere',
          check: (states: Readonly<Record<string, { reports: readonly unknown[] }>>) =>
            Object.values(states).every((s) => s.reports.length === 2) ? undefined : 'a node lacks a report',
        },
      ],
      maxDepth: 60,
      channels: 'fifo',
    });
    expect(r.violation).toBeUndefined();
    expect(r.status).toBe('complete');
    expect(r.states).toBeGreaterThan(10_000);
  });

  it('unordered channels: the checker finds an inconsistent cut', () => {
    const r = modelCheck({ ...options, channels: 'unordered' });
    expect(r.status).toBe('violation');
    expect(r.violation!.invariant).toBe('every completed snapshot is a consistent cut (CL §3.2)');
  });
});

// The bank itself must be a well-behaved machine for these tests to mean anything.
describe('bank app sanity', () => {
  it('skips transfers it cannot cover and rejects malformed deposits', () => {
    const s = bank.init({ id: 'a', nodes: ['a', 'b'], balance: 5 });
    expect(bank.step(s, { type: 'transfer', now: 1, to: 'b', amount: 6 }).state).toBe(s);
    expect(bank.step(s, { type: 'message', now: 1, from: 'b', message: { type: 'deposit', amount: 0 } }).outputs[0]).toMatchObject({ type: 'rejected' });
    expect(strictSnapBank.name).toBe('chandy-lamport(bank)');
  });
});
