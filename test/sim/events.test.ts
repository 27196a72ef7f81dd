import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventQueue, type SimEvent } from '../../src/sim/events.js';

const cmd = (input: unknown): SimEvent => ({ kind: 'command', node: 0, input });

describe('event queue', () => {
  it('pops by time, and events at the same time in the order they were pushed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const q = new EventQueue();
        times.forEach((t, i) => q.push(t, cmd(i)));
        const out: [number, number][] = [];
        for (let e = q.pop(); e !== undefined; e = q.pop()) out.push([e.time, (e.event as { input: number }).input]);
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
      }),
    );
  });

  it('is empty when nothing is scheduled', () => {
    expect(new EventQueue().pop()).toBeUndefined();
  });
});
