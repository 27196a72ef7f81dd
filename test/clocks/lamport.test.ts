import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockError } from 'distkit/core';
import {
  compareLamportTimestamps,
  createLamportClock,
  lamportReceive,
  lamportSend,
  lamportTick,
  parseLamportTime,
  parseLamportTimestamp,
  type LamportTimestamp,
} from 'distkit/clocks';
import { executionArb, happenedBefore } from './execution.js';

describe('Lamport clocks (Lamport 1978)', () => {
  it('IR1: each event advances the clock by one', () => {
    const c = createLamportClock('a');
    expect(c).toEqual({ time: 0, node: 'a' });
    expect(lamportTick(lamportTick(c))).toEqual({ time: 2, node: 'a' });
  });

  it('IR2 (a): a send stamps the message with the advanced time', () => {
    const { clock, timestamp } = lamportSend(createLamportClock('a', 3));
    expect(clock).toEqual({ time: 4, node: 'a' });
    expect(timestamp).toEqual({ time: 4, node: 'a' });
  });

  it('IR2 (b): a receive moves past the message timestamp: max(local, remote) + 1', () => {
    expect(lamportReceive(createLamportClock('b', 2), { time: 7, node: 'a' })).toEqual({ time: 8, node: 'b' });
    expect(lamportReceive(createLamportClock('b', 9), 7)).toEqual({ time: 10, node: 'b' });
  });

  it('§3: the total order breaks ties by node id', () => {
    const ts: LamportTimestamp[] = [
      { time: 4, node: 'b' },
      { time: 3, node: 'c' },
      { time: 4, node: 'a' },
    ];
    expect(ts.slice().sort(compareLamportTimestamps)).toEqual([
      { time: 3, node: 'c' },
      { time: 4, node: 'a' },
      { time: 4, node: 'b' },
    ]);
    expect(compareLamportTimestamps({ time: 1, node: 'a' }, { time: 1, node: 'a' })).toBe(0);
  });

  it('refuses to overflow or to take an unvalidated remote time', () => {
    expect(() => lamportTick(createLamportClock('a', Number.MAX_SAFE_INTEGER))).toThrow(ClockError);
    expect(() => lamportReceive(createLamportClock('a'), NaN)).toThrow(ClockError);
    expect(() => lamportReceive(createLamportClock('a'), -1)).toThrow(ClockError);
    expect(() => createLamportClock('__proto__')).toThrow(ClockError);
  });

  it('hostile timestamps are rejected with a reason', () => {
    expect(parseLamportTimestamp({ time: 3, node: 'a' })).toEqual({ ok: true, value: { time: 3, node: 'a' } });
    for (const bad of [
      null,
      [],
      'x',
      { time: -1, node: 'a' },
      { time: NaN, node: 'a' },
      { time: 1.5, node: 'a' },
      { time: 2 ** 53, node: 'a' },
      { time: Number.MAX_SAFE_INTEGER, node: 'a' },
      { time: '3', node: 'a' },
      { time: 3, node: 7 },
      { time: 3, node: '' },
      { time: 3, node: '__proto__' },
      { node: 'a' },
    ]) {
      const r = parseLamportTimestamp(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
    expect(parseLamportTime(Infinity).ok).toBe(false);
    expect(parseLamportTime(12)).toEqual({ ok: true, value: 12 });
  });

  it('clock condition: happens-before implies Lamport order', () => {
    fc.assert(
      fc.property(executionArb(5, 40), (x) => {
        const clocks = Array.from({ length: x.processes }, (_, p) => createLamportClock(`p${p}`));
        const at: LamportTimestamp[] = [];
        for (const e of x.events) {
          const c = clocks[e.proc]!;
          const next =
            e.kind === 'local' ? lamportTick(c) : e.kind === 'send' ? lamportSend(c).timestamp : lamportReceive(c, at[e.send]!);
          clocks[e.proc] = next;
          at.push(next);
        }
        for (let f = 0; f < at.length; f++) {
          for (const e of x.before[f]!) {
            expect(happenedBefore(x, e, f)).toBe(true);
            expect(at[e]!.time).toBeLessThan(at[f]!.time);
            expect(compareLamportTimestamps(at[e]!, at[f]!)).toBe(-1);
          }
        }
        // the total order is total: distinct events never compare equal
        for (let e = 0; e < at.length; e++) for (let f = e + 1; f < at.length; f++) expect(compareLamportTimestamps(at[e]!, at[f]!)).not.toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
