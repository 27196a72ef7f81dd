import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../../src/core/index.js';
import { windowTask, type WindowTaskOutput, type WindowTaskState } from '../../../src/dataflow/index.js';

const INPUTS = ['a', 'b', 'c'];

type Item = { kind: 'record'; key: string } | { kind: 'barrier'; checkpoint: number };

/** Per input: records with barriers 1..k in order at random positions (what a FIFO channel carries). */
const channel = (k: number) =>
  fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 12 }).chain((keys) =>
    fc.array(fc.integer({ min: 0, max: keys.length }), { minLength: k, maxLength: k }).map((cuts) => {
      const at = [...cuts].sort((p, q) => p - q);
      const items: Item[] = [];
      keys.forEach((key, i) => {
        at.forEach((c, j) => c === i && items.push({ kind: 'barrier', checkpoint: j + 1 }));
        items.push({ kind: 'record', key });
      });
      at.forEach((c, j) => c === keys.length && items.push({ kind: 'barrier', checkpoint: j + 1 }));
      return items;
    }),
  );

/** A random interleaving of the channels, each kept in FIFO order. */
const scenario = fc.integer({ min: 1, max: 3 }).chain((k) =>
  fc.tuple(fc.constant(k), fc.tuple(channel(k), channel(k), channel(k)), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 120, maxLength: 120 })),
);

function counts(state: WindowTaskState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of state.op.panes) out[p.key] = p.acc as number;
  return out;
}

describe('barrier alignment (ABS §4.2)', () => {
  it('the snapshot of checkpoint n holds exactly the records before barrier n on every input, whatever the interleaving', () => {
    fc.assert(
      fc.property(scenario, ([k, channels, order]) => {
        let s = windowTask.init({ id: 'w', coordinator: 'jm', inputs: INPUTS, outputs: ['sink'], window: { kind: 'tumbling', sizeMs: 1000 }, aggregate: { kind: 'count' } });
        const heads = [0, 0, 0];
        const outputs: WindowTaskOutput[] = [];
        const snapshots: { checkpoint: number; counts: Record<string, number> }[] = [];
        const step = (i: number) => {
          const item = channels[i]![heads[i]!++]!;
          const message = item.kind === 'record' ? { type: 'record', epoch: 0, key: item.key, value: null, timestamp: 5 } : { type: 'barrier', epoch: 0, checkpoint: item.checkpoint };
          const t = windowTask.step(deepFreeze(s), { type: 'message', from: INPUTS[i]!, message, now: 0 });
          s = t.state;
          for (const o of t.outputs) if (o.type === 'snapshot') snapshots.push({ checkpoint: o.checkpoint, counts: counts({ ...s, op: (o.snapshot as { op: WindowTaskState['op'] }).op }) });
          outputs.push(...t.outputs);
          // A blocked input's later messages wait; nothing waits when no checkpoint is being aligned.
          if (s.align.checkpoint === null) expect(s.align.buffer).toEqual([]);
        };
        for (const i of order) if (heads[i]! < channels[i]!.length) step(i);
        for (let i = 0; i < 3; i++) while (heads[i]! < channels[i]!.length) step(i);
        expect(snapshots.map((x) => x.checkpoint)).toEqual(Array.from({ length: k }, (_x, j) => j + 1));
        for (const { checkpoint, counts: got } of snapshots) {
          const want: Record<string, number> = {};
          for (const ch of channels) {
            const cut = ch.findIndex((it) => it.kind === 'barrier' && it.checkpoint === checkpoint);
            for (const it of ch.slice(0, cut)) if (it.kind === 'record') want[it.key] = (want[it.key] ?? 0) + 1;
          }
          expect(got).toEqual(want);
        }
        // Every record is processed once in the end; each barrier is forwarded once, after its snapshot.
        const total: Record<string, number> = {};
        for (const ch of channels) for (const it of ch) if (it.kind === 'record') total[it.key] = (total[it.key] ?? 0) + 1;
        expect(counts(s)).toEqual(total);
        const forwarded = outputs.filter((o) => o.type === 'send' && (o.message as { type: string }).type === 'barrier').map((o) => ((o as { message: { checkpoint: number } }).message.checkpoint));
        expect(forwarded).toEqual(snapshots.map((x) => x.checkpoint));
        expect(s.align).toEqual({ checkpoint: null, blocked: [], buffer: [], done: k });
      }),
      { numRuns: 300 },
    );
  });

  it('a full alignment buffer declines the checkpoint and releases what it held, in order', () => {
    let s = windowTask.init({ id: 'w', coordinator: 'jm', inputs: ['a', 'b'], outputs: ['sink'], window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' }, maxAlignmentBuffer: 2 });
    const msg = (from: string, message: unknown) => ({ type: 'message' as const, from, message, now: 0 });
    s = windowTask.step(s, msg('a', { type: 'barrier', epoch: 0, checkpoint: 1 })).state;
    for (let i = 0; i < 2; i++) s = windowTask.step(s, msg('a', { type: 'record', epoch: 0, key: 'k', value: null, timestamp: 1 })).state;
    expect(s.align.buffer).toHaveLength(2);
    const t = windowTask.step(s, msg('a', { type: 'record', epoch: 0, key: 'k', value: null, timestamp: 2 }));
    expect(t.outputs).toEqual([{ type: 'send', to: 'jm', message: { type: 'decline', epoch: 0, checkpoint: 1, reason: 'alignment buffer full (2 messages)' } }]);
    expect(t.state.align).toEqual({ checkpoint: null, blocked: [], buffer: [], done: 1 });
    expect(t.state.op.panes[0]!.acc as number).toBe(3);
    // The other input's barrier 1 now comes late: stale, ignored.
    expect(windowTask.step(t.state, msg('b', { type: 'barrier', epoch: 0, checkpoint: 1 })).state).toBe(t.state);
  });

  it('messages of an older epoch, from non-inputs, or malformed are rejected with the state unchanged', () => {
    const s = windowTask.init({ id: 'w', coordinator: 'jm', inputs: ['a'], outputs: ['sink'], window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' } });
    const r = windowTask.step(s, { type: 'restore', epoch: 2, checkpoint: null, snapshot: null, now: 0 }).state;
    for (const [from, message] of [
      ['a', { type: 'record', epoch: 1, key: 'k', value: null, timestamp: 1 }],
      ['__proto__', { type: 'record', epoch: 2, key: 'k', value: null, timestamp: 1 }],
      ['a', { type: 'barrier', epoch: 2, checkpoint: -1 }],
      ['a', { type: 'record', epoch: 2, key: 'k', value: null, timestamp: 2 ** 60 }],
      ['jm', { type: 'abort', epoch: 1, checkpoint: 3 }],
    ] as const) {
      const t = windowTask.step(r, { type: 'message', from, message, now: 1 });
      expect(t.state).toBe(r);
      expect(t.outputs[0]?.type).toBe('rejected');
    }
  });
});
