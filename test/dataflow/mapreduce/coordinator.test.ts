// The coordinator against the rules of Dean & Ghemawat, OSDI 2004, §3.2–3.6 and §4.6, and
// Spark's task-failure and speculation rules, one describe per rule.
import { describe, expect, it } from 'vitest';
import { checkInvariants, checkedStep } from '../../../src/core/index.js';
import {
  mapReduceCoordinator as C,
  mapReduceStateInvariants,
  type AttemptRef,
  type MapReduceCoordinatorConfig,
  type MapReduceCoordinatorOutput,
  type MapReduceCoordinatorState,
  type TaskReport,
} from '../../../src/dataflow/index.js';

type S = MapReduceCoordinatorState;
const base: MapReduceCoordinatorConfig = { id: 'c', splits: ['s0', 's1', 's2', 's3'], partitions: 2, workerTimeoutMs: 1000 };
const ref = (kind: 'map' | 'reduce', index: number, attempt = 0): AttemptRef => ({ kind, index, attempt });
const ok = (r: AttemptRef, sizes = r.kind === 'map' ? [10, 20] : [5], counters: Record<string, number> = {}): TaskReport => ({ ref: r, ok: true, sizes, counters });
const fail = (r: AttemptRef, extra: Partial<Extract<TaskReport, { ok: false }>> = {}): TaskReport => ({ ref: r, ok: false, error: 'Error: boom', ...extra });

class Driver {
  state: S;
  outputs: MapReduceCoordinatorOutput[] = [];
  constructor(config: Partial<MapReduceCoordinatorConfig> = {}, state?: S) {
    this.state = state ?? C.init({ ...base, ...config });
  }
  private apply(input: object): MapReduceCoordinatorOutput[] {
    const t = checkedStep(C, this.state, input as never);
    this.state = t.state;
    this.outputs = [...t.outputs];
    expect(checkInvariants(mapReduceStateInvariants(), { c: this.state })).toBeUndefined();
    return this.outputs;
  }
  poll(from: string, now: number, o: { incarnation?: number; running?: AttemptRef | null; report?: TaskReport } = {}) {
    return this.apply({ type: 'message', from, now, message: { type: 'poll', incarnation: o.incarnation ?? 1, running: o.running ?? null, ...(o.report ? { report: o.report } : {}) } });
  }
  tick(now: number) {
    return this.apply({ type: 'tick', now });
  }
  sent(to?: string, type?: string) {
    return this.outputs.flatMap((o) => (o.type === 'send' && (to === undefined || o.to === to) && (type === undefined || o.message.type === type) ? [o.message] : []));
  }
  events(type: string) {
    return this.outputs.filter((o) => o.type === type);
  }
  assignedTo(to: string): AttemptRef | undefined {
    const m = this.sent(to, 'assign')[0];
    return m?.type === 'assign' ? m.task.ref : undefined;
  }
}

/** Four workers each take one map task at time 0 and finish them at 10, 20, 30, 40 (w4 last). */
function allMapsDone(config: Partial<MapReduceCoordinatorConfig> = {}): Driver {
  const d = new Driver(config);
  for (const w of ['w1', 'w2', 'w3', 'w4']) d.poll(w, 0);
  ['w1', 'w2', 'w3', 'w4'].forEach((w, i) => d.poll(w, 10 * (i + 1), { report: ok(ref('map', i)) }));
  return d;
}

describe('§3.2 master data structures: task state and worker', () => {
  it('an idle task becomes in-progress on the worker that polled, then completed with its sizes and location', () => {
    const d = new Driver();
    expect(d.state.maps.map((t) => t.state)).toEqual(['idle', 'idle', 'idle', 'idle']);
    d.poll('w1', 0);
    expect(d.assignedTo('w1')).toEqual(ref('map', 0));
    expect(d.sent('w1', 'assign')[0]).toMatchObject({ task: { split: 's0', partitions: 2, skip: [] } });
    expect(d.state.maps[0]).toMatchObject({ state: 'in-progress', running: [{ attempt: 0, worker: 'w1', startedAt: 0, backup: false }] });
    d.poll('w1', 25, { report: ok(ref('map', 0), [7, 9]) });
    expect(d.state.maps[0]).toMatchObject({ state: 'completed', completed: { attempt: 0, worker: 'w1', incarnation: 1, durationMs: 25, sizes: [7, 9] } });
    expect(d.sent('w1', 'ack')).toEqual([{ type: 'ack', incarnation: 1, ref: ref('map', 0) }]);
    // The report frees the worker: the reply carries its next task.
    expect(d.assignedTo('w1')).toEqual(ref('map', 1));
  });

  it('reduce tasks wait for every map task, then carry each map output location with the size of their region', () => {
    const d = new Driver();
    d.poll('w1', 0);
    d.poll('w2', 0);
    d.poll('w1', 5, { report: ok(ref('map', 0), [1, 2]) });
    d.poll('w2', 6, { report: ok(ref('map', 1), [3, 4]) });
    d.poll('w1', 7, { report: ok(ref('map', 2), [5, 6]) });
    expect(d.assignedTo('w1')).toBeUndefined(); // map 3 runs on w2: nothing for w1 yet
    d.poll('w2', 8, { report: ok(ref('map', 3), [7, 8]) });
    const assign = d.sent('w1', 'assign')[0];
    expect(assign).toMatchObject({ task: { ref: ref('reduce', 0) } });
    if (assign?.type !== 'assign') throw new Error('no assignment');
    expect(assign.task.locations).toEqual([
      { map: 0, attempt: 0, worker: 'w1', incarnation: 1, sizeBytes: 1 },
      { map: 1, attempt: 0, worker: 'w2', incarnation: 1, sizeBytes: 3 },
      { map: 2, attempt: 0, worker: 'w1', incarnation: 1, sizeBytes: 5 },
      { map: 3, attempt: 0, worker: 'w2', incarnation: 1, sizeBytes: 7 },
    ]);
    // The idle worker w1 was pushed one at once; the reply to w2 carries the other.
    expect(d.assignedTo('w2')).toEqual(ref('reduce', 1));
  });
});

describe('§3.3 worker failure', () => {
  it('a silent worker is declared failed at its deadline: its in-progress and completed map tasks go back to idle', () => {
    const d = new Driver();
    d.poll('w1', 0);
    d.poll('w1', 100, { report: ok(ref('map', 0)) }); // w1 completes map 0, takes map 1
    d.poll('w2', 200); // w2 takes map 2
    expect(C.nextDeadline(d.state)).toBe(1100); // w1 last heard at 100
    d.tick(1099);
    expect(d.events('workerFailed')).toEqual([]);
    d.poll('w2', 1050);
    d.tick(1100);
    expect(d.events('workerFailed')).toEqual([{ type: 'workerFailed', worker: 'w1' }]);
    expect(d.state.maps[0]).toMatchObject({ state: 'idle', completed: null, lost: 1 });
    expect(d.state.maps[1]).toMatchObject({ state: 'idle', running: [] });
    expect(d.state.maps[1]!.failures).toBe(0); // a worker failure is not the task's failure
    expect(d.state.workers.w1).toMatchObject({ alive: false, failures: 1 });
  });

  it('completed reduce tasks are not re-executed: their output is in the global file system', () => {
    const d = allMapsDone();
    d.poll('w1', 50, { report: ok(ref('reduce', 0)) });
    expect(d.state.reduces[0]!.state).toBe('completed');
    d.tick(1040); // w1 silent since 50 → still alive; w2..w4 silent since 20..40 → failed
    d.tick(1050);
    expect(d.state.workers.w1!.alive).toBe(false);
    expect(d.state.reduces[0]).toMatchObject({ state: 'completed', completed: { worker: 'w1' } });
    expect(d.state.maps.every((t) => t.state === 'idle')).toBe(true);
  });

  it('map outputs are kept when every reduce task has completed (nobody reads them again)', () => {
    const d = allMapsDone();
    d.poll('w1', 50, { report: ok(ref('reduce', 0)) });
    d.poll('w2', 50, { report: ok(ref('reduce', 1)) });
    expect(d.state.status).toBe('done');
    expect(d.state.maps.every((t) => t.state === 'completed')).toBe(true);
  });

  it('a worker that polls with a new incarnation lost its disk: its map outputs are re-executed', () => {
    const d = new Driver();
    d.poll('w1', 0);
    d.poll('w1', 10, { report: ok(ref('map', 0)) });
    d.poll('w1', 20, { incarnation: 2 });
    expect(d.events('workerFailed')).toEqual([{ type: 'workerFailed', worker: 'w1' }]);
    expect(d.state.maps[0]).toMatchObject({ completed: null, lost: 1 });
    // map 1's attempt 0 was lost with the old incarnation; the new one gets map 0 again.
    expect(d.assignedTo('w1')).toEqual(ref('map', 0, 1));
    expect(d.state.workers.w1!.incarnation).toBe(2);
    // The old incarnation's messages are stale now.
    d.poll('w1', 30, { incarnation: 1, report: ok(ref('map', 1)) });
    expect(d.outputs).toEqual([{ type: 'rejected', from: 'w1', reason: 'stale incarnation 1 (current 2)' }]);
  });

  it('reducers running when a lost map task completes again are told its new location', () => {
    const d = allMapsDone();
    // w1, w2 run the reduces; w3's map output (map 2) is lost with a restart of w3.
    expect(d.state.reduces.map((t) => t.running[0]?.worker)).toEqual(['w1', 'w2']);
    d.poll('w3', 60, { incarnation: 2 });
    expect(d.state.maps[2]!.state).toBe('in-progress'); // re-executed on w3's new incarnation at once
    d.poll('w3', 90, { incarnation: 2, report: ok(ref('map', 2, 1), [11, 12]) });
    const updates = d.sent(undefined, 'locations');
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatchObject({ ref: ref('reduce', 0), locations: [{}, {}, { map: 2, attempt: 1, worker: 'w3', incarnation: 2, sizeBytes: 11 }, {}] });
  });

  it('a reducer that cannot fetch a map output makes the coordinator fail that map worker (found before its ping timeout)', () => {
    const d = allMapsDone();
    d.poll('w1', 60, { report: fail(ref('reduce', 0), { lost: { map: 1, attempt: 0 } }) });
    expect(d.events('workerFailed')).toEqual([{ type: 'workerFailed', worker: 'w2' }]);
    expect(d.state.maps[1]!.state).not.toBe('completed');
    expect(d.state.reduces[0]!.failures).toBe(0);
  });
});

describe('§3.3 semantics: first completion wins, duplicates ignored', () => {
  it('the second completion of a task is acknowledged and ignored; the first one is committed once', () => {
    const d = allMapsDone({ speculationMinRuntimeMs: 0 });
    d.poll('w1', 60, { report: ok(ref('reduce', 0)) }); // reduce 0 done in 20 ms; reduce 1 runs on w2 since 40
    d.tick(70);
    expect(d.events('assigned')).toEqual([]); // running 30 ms, not more than 1.5 × 20
    d.tick(71); // running 31 ms > 1.5 × 20: speculatable; the first idle worker gets the backup
    expect(d.assignedTo('w1')).toEqual(ref('reduce', 1, 1));
    expect(d.events('assigned')).toEqual([{ type: 'assigned', ref: ref('reduce', 1, 1), worker: 'w1', backup: true }]);
    d.poll('w1', 80, { report: ok(ref('reduce', 1, 1), [9], { n: 1 }) });
    expect(d.events('committed')).toEqual([{ type: 'committed', index: 1, attempt: 1, worker: 'w1' }]);
    expect(d.sent('w2', 'cancel')).toEqual([{ type: 'cancel', incarnation: 1, ref: ref('reduce', 1, 0) }]);
    expect(d.events('jobDone')).toEqual([{ type: 'jobDone', counters: { n: 1 } }]);
    d.poll('w2', 90, { report: ok(ref('reduce', 1, 0), [9], { n: 1 }) });
    expect(d.events('committed')).toEqual([]);
    expect(d.sent('w2')).toEqual([{ type: 'ack', incarnation: 1, ref: ref('reduce', 1, 0) }, { type: 'exit' }]);
  });
});

describe('Spark speculation rule (spark.speculation.quantile 0.75, multiplier 1.5, minTaskRuntime)', () => {
  it('no backup before floor(0.75 × n) tasks finished, then one for a task slower than 1.5 × median', () => {
    const d = new Driver({ speculationMinRuntimeMs: 0 });
    for (const w of ['w1', 'w2', 'w3', 'w4']) d.poll(w, 0);
    d.poll('w1', 10, { report: ok(ref('map', 0)) });
    d.poll('w2', 20, { report: ok(ref('map', 1)) });
    d.tick(500);
    expect(d.events('assigned')).toEqual([]); // 2 of 4 finished: below the quantile
    d.poll('w3', 600, { report: ok(ref('map', 2)) }); // durations 10, 20, 600: median 20 → threshold 30
    expect(d.events('assigned')).toEqual([{ type: 'assigned', ref: ref('map', 3, 1), worker: 'w1', backup: true }]);
    expect(d.state.maps[3]!.running.map((r) => r.worker)).toEqual(['w4', 'w1']);
  });

  it('the threshold is at least minTaskRuntime, and nextDeadline wakes the coordinator when a task crosses it', () => {
    const d = new Driver({ speculationMinRuntimeMs: 100 });
    for (const w of ['w1', 'w2', 'w3', 'w4']) d.poll(w, 0);
    d.poll('w1', 10, { report: ok(ref('map', 0)) });
    d.poll('w2', 10, { report: ok(ref('map', 1)) });
    d.poll('w3', 10, { report: ok(ref('map', 2)) }); // median 10: 1.5 × 10 < 100
    expect(d.events('assigned')).toEqual([]);
    expect(C.nextDeadline(d.state)).toBe(101); // map 3 started at 0; Spark's test is runtime > threshold
    d.tick(100);
    expect(d.events('assigned')).toEqual([]);
    d.tick(101);
    expect(d.events('assigned')).toHaveLength(1);
  });

  it('no backup runs on the worker that runs the original, and at most one backup per task', () => {
    const d = new Driver({ splits: ['s0', 's1'], speculationMinRuntimeMs: 0 });
    d.poll('w1', 0);
    d.poll('w1', 10, { report: ok(ref('map', 0)) }); // w1 takes map 1
    d.tick(100);
    expect(d.events('assigned')).toEqual([]);
    d.poll('w2', 110);
    expect(d.assignedTo('w2')).toEqual(ref('map', 1, 1));
    d.poll('w3', 120);
    expect(d.assignedTo('w3')).toBeUndefined();
  });

  it('speculation off: no backups however slow', () => {
    const d = new Driver({ speculation: false });
    for (const w of ['w1', 'w2', 'w3', 'w4']) d.poll(w, 0);
    for (const [i, w] of ['w1', 'w2', 'w3'].entries()) d.poll(w, 10, { report: ok(ref('map', i)) });
    d.poll('w1', 900);
    expect(d.events('assigned')).toEqual([]);
  });
});

describe('attempt cap (spark.task.maxFailures)', () => {
  it('the 4th failure of one task fails the job with an error naming the task and its last error', () => {
    const d = new Driver();
    d.poll('w1', 0);
    for (let a = 0; a < 3; a++) {
      d.poll('w1', 10 * (a + 1), { report: fail(ref('map', 0, a), { error: `Error: try ${a}` }) });
      expect(d.assignedTo('w1')).toEqual(ref('map', 0, a + 1));
    }
    d.poll('w2', 35); // w2 runs map 1
    d.poll('w1', 40, { report: fail(ref('map', 0, 3), { error: 'Error: try 3' }) });
    expect(d.events('jobFailed')).toEqual([{ type: 'jobFailed', task: { kind: 'map', index: 0 }, error: 'map task 0 failed 4 times; most recent failure: Error: try 3' }]);
    expect(d.state.status).toBe('failed');
    expect(d.sent('w2')).toEqual([{ type: 'cancel', incarnation: 1, ref: ref('map', 1) }, { type: 'exit' }]);
    d.poll('w3', 50);
    expect(d.sent('w3')).toEqual([{ type: 'exit' }]);
  });

  it('maxFailures is configurable', () => {
    const d = new Driver({ maxFailures: 1 });
    d.poll('w1', 0);
    d.poll('w1', 10, { report: fail(ref('map', 0)) });
    expect(d.state.error).toBe('map task 0 failed 1 times; most recent failure: Error: boom');
  });
});

describe('§4.6 skipping bad records', () => {
  it('a record that failed twice is skipped on the next attempt; one failure is not enough', () => {
    const d = new Driver({ skipBadRecords: true });
    d.poll('w1', 0);
    d.poll('w1', 10, { report: fail(ref('map', 0, 0), { record: 17 }) });
    expect(d.sent('w1', 'assign')[0]).toMatchObject({ task: { ref: ref('map', 0, 1), skip: [] } });
    d.poll('w1', 20, { report: fail(ref('map', 0, 1), { record: 17 }) });
    expect(d.sent('w1', 'assign')[0]).toMatchObject({ task: { ref: ref('map', 0, 2), skip: [17] } });
  });

  it('without skipBadRecords nothing is skipped', () => {
    const d = new Driver();
    d.poll('w1', 0);
    d.poll('w1', 10, { report: fail(ref('map', 0, 0), { record: 17 }) });
    d.poll('w1', 20, { report: fail(ref('map', 0, 1), { record: 17 }) });
    expect(d.sent('w1', 'assign')[0]).toMatchObject({ task: { skip: [] } });
  });
});

describe('§4.9 counters', () => {
  it('sum the completing attempt of each task only', () => {
    const d = new Driver({ splits: ['s0'], partitions: 1 });
    d.poll('w1', 0);
    d.poll('w1', 10, { report: ok(ref('map', 0), [3], { lines: 5 }) });
    d.poll('w1', 20, { report: ok(ref('reduce', 0), [3], { keys: 2, lines: 1 }) });
    expect(d.events('jobDone')).toEqual([{ type: 'jobDone', counters: { lines: 6, keys: 2 } }]);
  });
});

describe('§3.3 master failure: durable and recover', () => {
  it('a recovered coordinator keeps completed tasks, drops running attempts (cancelled when their worker polls) and finishes', () => {
    const d = new Driver();
    d.poll('w1', 0);
    d.poll('w2', 0);
    d.poll('w1', 10, { report: ok(ref('map', 0)) }); // w1 takes map 2
    const persisted = d.outputs.find((o) => o.type === 'persist');
    expect(persisted).toBeDefined();
    expect(d.outputs[0]!.type).toBe('persist'); // before the sends
    const recovered = new Driver({}, C.recover(base, C.durable(d.state)));
    expect(recovered.state.maps.map((t) => t.state)).toEqual(['completed', 'idle', 'idle', 'idle']);
    expect(recovered.state.maps[2]!.attempts).toBe(1); // attempt numbers are never reused
    recovered.poll('w1', 5000, { running: ref('map', 2) });
    expect(recovered.sent('w1', 'cancel')).toEqual([{ type: 'cancel', incarnation: 1, ref: ref('map', 2) }]);
    expect(recovered.assignedTo('w1')).toEqual(ref('map', 1, 1));
  });

  it('a worker holding map outputs that never polls after recovery is declared failed workerTimeoutMs after the first input', () => {
    const d = new Driver();
    d.poll('w1', 0);
    d.poll('w1', 10, { report: ok(ref('map', 0)) });
    const r = new Driver({}, C.recover(base, C.durable(d.state)));
    expect(C.nextDeadline(r.state)).toBe(Number.MIN_SAFE_INTEGER);
    r.tick(7000);
    expect(C.nextDeadline(r.state)).toBe(8000);
    r.tick(8000);
    expect(r.events('workerFailed')).toEqual([{ type: 'workerFailed', worker: 'w1' }]);
    expect(r.state.maps[0]!.state).toBe('idle');
  });
});

describe('untrusted peers', () => {
  it('rejects workers outside the configured set, reports for tasks that do not exist and malformed sizes', () => {
    const d = new Driver({ workers: ['w1'] });
    d.poll('w9', 0);
    expect(d.outputs).toEqual([{ type: 'rejected', from: 'w9', reason: 'not a worker of this job' }]);
    d.poll('w1', 0, { report: ok(ref('map', 9)) });
    expect(d.outputs[0]).toMatchObject({ type: 'rejected', reason: 'report.ref.index: no map task 9' });
    d.poll('w1', 0, { report: ok(ref('map', 0), [1]) });
    expect(d.outputs[0]).toMatchObject({ type: 'rejected', reason: 'report.sizes: a map task reports 2 region sizes, got 1' });
  });

  it('a report of an attempt the worker is not running is acknowledged and ignored', () => {
    const d = new Driver();
    d.poll('w1', 0);
    d.poll('w2', 1, { report: ok(ref('map', 0)) });
    expect(d.state.maps[0]!.state).toBe('in-progress');
    expect(d.sent('w2', 'ack')).toHaveLength(1);
  });

  it('a worker named __proto__ is an ordinary worker', () => {
    const d = new Driver();
    d.poll('__proto__', 0);
    expect(d.assignedTo('__proto__')).toEqual(ref('map', 0));
    expect(Object.getPrototypeOf(d.state.workers)).toBe(Object.prototype);
  });
});

describe('config', () => {
  it('names the bad field', () => {
    expect(() => C.init({ ...base, splits: [] })).toThrow(/splits/);
    expect(() => C.init({ ...base, partitions: 0 })).toThrow(/partitions/);
    expect(() => C.init({ ...base, speculationQuantile: 2 })).toThrow(/speculationQuantile/);
    expect(() => C.init({ ...base, maxFailures: 0 })).toThrow(/maxFailures/);
    expect(() => C.init({ ...base, splits: [undefined] })).toThrow(/splits\[0\]/);
  });
});
