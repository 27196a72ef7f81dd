import { describe, expect, it } from 'vitest';
import { EventQueue, type SimEvent } from '../../src/sim/events.js';
import { Trace } from '../../src/sim/trace.js';
import { WorkloadDriver, type ClientRt, type OpRt } from '../../src/sim/workload.js';
import type { Workload } from '../../src/sim/index.js';

const workload: Workload<string, string> = {
  clients: ['x'],
  operations: 2,
  timeoutMs: 10,
  generate: (ctx) => ({ node: 'a', input: `op${ctx.index}` }),
  command: (op) => ({ type: 'req', id: op.id }),
  complete: (_node, out) => {
    const o = out as { id: number };
    return { id: o.id, output: 'done' };
  },
};

const clientOf = (e: SimEvent | undefined): ClientRt => {
  if (e?.kind !== 'invoke') throw new Error(`expected an invoke, got ${e?.kind}`);
  return e.client;
};
const opOf = (e: SimEvent | undefined): OpRt => {
  if (e?.kind !== 'timeout') throw new Error(`expected a timeout, got ${e?.kind}`);
  return e.op;
};

const driver = () => {
  const queue = new EventQueue();
  const trace = new Trace({ keepAll: true, lastN: 0 });
  const w = new WorkloadDriver({ workload, seed: 1, ids: ['a'], queue, trace, isUp: () => true });
  w.start();
  return { w, queue, trace };
};

describe('workload driver', () => {
  it('invokes, completes and records a history with strictly increasing times', () => {
    const { w, queue } = driver();
    const inv = w.invoke(clientOf(queue.pop()?.event), 0);
    expect(inv).toEqual({ node: 'a', input: { type: 'req', id: 0 } });
    expect(w.respond('a', { id: 0 }, 0)).toBe(true);
    expect(w.history()).toEqual([{ id: 0, client: 'x', input: 'op0', call: 0, output: 'done', ret: 0.001 }]);
  });

  it('a timed-out operation stays open and its client goes on renamed; a response to nothing is unmatched', () => {
    const { w, queue, trace } = driver();
    w.invoke(clientOf(queue.pop()?.event), 0);
    w.timeout(opOf(queue.pop()?.event), 10);
    expect(trace.result().at(-1)).toMatchObject({ kind: 'timeout', client: 'x' });
    expect(w.respond('a', { id: 0 }, 11)).toBe(true);
    expect(w.respond('a', { id: 99 }, 11)).toBe(false);
    const next = queue.pop()!;
    w.invoke(clientOf(next.event), next.time);
    expect(w.history().map((o) => [o.client, o.ret])).toEqual([['x', undefined], ['x.1', undefined]]);
  });
});
