// The worker machine: poll as heartbeat and request, run through the host, report until acknowledged.
import { describe, expect, it } from 'vitest';
import { checkedStep } from '../../../src/core/index.js';
import { mapReduceWorker as W, type MapReduceWorkerState } from '../../../src/dataflow/index.js';

const ref = (kind: 'map' | 'reduce', index: number, attempt = 0) => ({ kind, index, attempt });
const assign = (incarnation: number, r = ref('map', 0)) => ({ type: 'message', from: 'c', now: 0, message: { type: 'assign', incarnation, task: { ref: r, partitions: 2, split: 'f', skip: [] } } });

function step(s: MapReduceWorkerState, input: object) {
  return checkedStep(W, s, input as never);
}

describe('mapReduceWorker', () => {
  it('polls on its first tick, then every heartbeatMs', () => {
    let s = W.init({ id: 'w1', coordinator: 'c', heartbeatMs: 100 });
    expect(W.nextDeadline(s)).toBe(Number.MIN_SAFE_INTEGER);
    const t = step(s, { type: 'tick', now: 40 });
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'poll', incarnation: 40, running: null } }]);
    s = t.state;
    expect(W.nextDeadline(s)).toBe(140);
    expect(step(s, { type: 'tick', now: 100 }).outputs).toEqual([]);
  });

  it('runs an assignment through its host and reports the result with every poll until acknowledged', () => {
    let s = step(W.init({ id: 'w1', coordinator: 'c', incarnation: 3 }), { type: 'tick', now: 0 }).state;
    let t = step(s, { ...assign(3), now: 5 });
    expect(t.outputs).toEqual([{ type: 'run', task: { ref: ref('map', 0), partitions: 2, split: 'f', skip: [] } }]);
    s = t.state;
    expect(step(s, { ...assign(3), now: 6 }).outputs).toEqual([]); // a re-sent assignment
    t = step(s, { type: 'done', ref: ref('map', 0), sizes: [4, 5], counters: { n: 1 }, now: 20 });
    const report = { ref: ref('map', 0), ok: true, sizes: [4, 5], counters: { n: 1 } };
    expect(t.outputs).toEqual([{ type: 'send', to: 'c', message: { type: 'poll', incarnation: 3, running: null, report } }]);
    s = t.state;
    expect(step(s, { type: 'tick', now: 2000 }).outputs[0]).toMatchObject({ message: { report } });
    s = step(s, { type: 'message', from: 'c', now: 30, message: { type: 'ack', incarnation: 3, ref: ref('map', 0) } }).state;
    expect(s.report).toBeNull();
  });

  it('cancel stops the running attempt; its late result is refused', () => {
    let s = step(W.init({ id: 'w1', coordinator: 'c', incarnation: 3 }), { ...assign(3), now: 1 }).state;
    const t = step(s, { type: 'message', from: 'c', now: 2, message: { type: 'cancel', incarnation: 3, ref: ref('map', 0) } });
    expect(t.outputs).toEqual([{ type: 'cancel', ref: ref('map', 0) }]);
    s = t.state;
    const late = step(s, { type: 'done', ref: ref('map', 0), sizes: [1, 1], counters: {}, now: 3 });
    expect(late.state).toBe(s);
    expect(late.outputs[0]).toMatchObject({ type: 'rejected', from: 'local' });
  });

  it('refuses messages for another incarnation and from anyone but its coordinator', () => {
    const s = step(W.init({ id: 'w1', coordinator: 'c', incarnation: 3 }), { type: 'tick', now: 0 }).state;
    expect(step(s, { ...assign(2), now: 1 }).outputs[0]).toMatchObject({ type: 'rejected', reason: 'for incarnation 2, this is 3' });
    expect(step(s, { ...assign(3), from: 'w2', now: 1 }).outputs[0]).toMatchObject({ type: 'rejected', reason: "not this worker's coordinator" });
  });

  it('a failure carries the record and is cut to MAX_ERROR_LENGTH', () => {
    const s = step(W.init({ id: 'w1', coordinator: 'c', incarnation: 3 }), { ...assign(3), now: 1 }).state;
    const t = step(s, { type: 'failed', ref: ref('map', 0), error: 'x'.repeat(5000), record: 9, now: 2 });
    expect(t.outputs[0]).toMatchObject({ message: { report: { ok: false, record: 9 } } });
    const m = (t.outputs[0] as { message: { report: { error: string } } }).message;
    expect(m.report.error.length).toBe(1024);
  });

  it('exit ends polling', () => {
    const s = step(W.init({ id: 'w1', coordinator: 'c' }), { type: 'message', from: 'c', now: 1, message: { type: 'exit' } });
    expect(s.outputs).toEqual([{ type: 'exit' }]);
    expect(W.nextDeadline(s.state)).toBeUndefined();
  });
});
