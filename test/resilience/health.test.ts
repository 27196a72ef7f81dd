import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidCommandError, checkedStep } from 'distkit/core';
import { HealthMonitor, healthMonitorCore as hm, type HealthInput, type HealthState } from 'distkit/resilience';
import { FakeTime } from './fake-time.js';

const machine = { name: hm.name, init: hm.init, step: hm.step };

describe('HealthMonitor', () => {
  it('heartbeats → healthy; silence → suspected, then failed; a heartbeat recovers the node', async () => {
    const time = new FakeTime();
    const m = new HealthMonitor({ suspectAfterMs: 1000, failAfterMs: 3000, clock: time, timers: time });
    const changes: string[] = [];
    m.onChange((c) => changes.push(`${c.node}:${c.from}->${c.to}@${c.now}`));
    m.heartbeat('a');
    m.watch('b');
    await time.advance(999);
    expect(m.status('a')).toBe('healthy');
    m.heartbeat('b');
    await time.advance(1);
    expect(m.status('a')).toBe('suspected');
    await time.advance(2000);
    expect(m.status('a')).toBe('failed');
    m.heartbeat('a');
    expect(m.statuses()).toEqual({ a: 'healthy', b: 'suspected' });
    m.stop();
    expect(changes).toEqual(['a:healthy->suspected@1000', 'b:healthy->suspected@1999', 'a:suspected->failed@3000', 'a:failed->healthy@3000']);
    expect(m.status('ghost')).toBeUndefined();
  });

  it('hostile config and heartbeats', () => {
    expect(() => new HealthMonitor({ suspectAfterMs: Number.NaN, failAfterMs: 1 })).toThrow(ConfigError);
    expect(() => new HealthMonitor({ suspectAfterMs: 10, failAfterMs: 5 })).toThrow(/failAfterMs/);
    const s = hm.init({ suspectAfterMs: 10, failAfterMs: 20, autoRegister: false });
    const t = checkedStep(machine, s, { type: 'heartbeat', from: 'x', now: 1 });
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', from: 'x' });
    const bad = checkedStep(machine, s, { type: 'heartbeat', from: 42 as never, now: 1 });
    expect(bad.state).toBe(s);
    // The time comes from the local host: a bad one is a programming error, not peer input.
    expect(() => machine.step(hm.init({ suspectAfterMs: 10, failAfterMs: 20 }), { type: 'heartbeat', from: 'a', now: Number.NaN })).toThrow(InvalidCommandError);
    expect(() => machine.step(s, { type: 'nope', now: 1 } as never)).toThrow(InvalidCommandError);
  });

  it('autoRegister: false never registers a node named like an Object.prototype member (regression: toString was watched)', () => {
    const s = hm.init({ suspectAfterMs: 10, failAfterMs: 20, autoRegister: false });
    for (const from of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const t = checkedStep(machine, s, { type: 'heartbeat', from, now: 1 });
      expect(t.state).toBe(s);
      expect(t.outputs[0]).toMatchObject({ type: 'rejected', from, reason: 'heartbeat from a node that is not watched' });
    }
    // Watched by name, `__proto__` is an own key like any other.
    let w = checkedStep(machine, s, { type: 'watch', node: '__proto__', now: 0 }).state;
    w = checkedStep(machine, w, { type: 'heartbeat', from: '__proto__', now: 5 }).state;
    expect(Object.keys(w.nodes)).toEqual(['__proto__']);
    expect(hm.statusAt(w, '__proto__', 5)).toBe('healthy');
    expect(hm.statusAt(w, 'toString', 5)).toBeUndefined();
  });

  it('the table of nodes is bounded (maxNodes): heartbeats from one id too many are rejected, naming the limit', () => {
    let s = hm.init({ suspectAfterMs: 10, failAfterMs: 20, maxNodes: 3 });
    for (const id of ['a', 'b', 'c']) s = checkedStep(machine, s, { type: 'heartbeat', from: id, now: 1 }).state;
    const t = checkedStep(machine, s, { type: 'heartbeat', from: 'd', now: 2 });
    expect(t.state).toBe(s);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(/maxNodes/) });
  });

  it('property: the status is a function of the silence, and nextDeadline is the next change', () => {
    const inputArb: fc.Arbitrary<{ kind: 'hb' | 'tick' | 'watch' | 'unwatch'; node: string; dt: number }> = fc.record({
      kind: fc.constantFrom('hb', 'tick', 'watch', 'unwatch', 'hb', 'tick'),
      node: fc.constantFrom('a', 'b', 'c'),
      dt: fc.integer({ min: 0, max: 50 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.array(inputArb, { maxLength: 60 }), (suspect, extra, ops) => {
        let s: HealthState = hm.init({ suspectAfterMs: suspect, failAfterMs: suspect + extra });
        let now = 0;
        for (const op of ops) {
          now += op.dt;
          const input: HealthInput =
            op.kind === 'hb' ? { type: 'heartbeat', from: op.node, now } : op.kind === 'tick' ? { type: 'tick', now } : op.kind === 'watch' ? { type: 'watch', node: op.node, now } : { type: 'unwatch', node: op.node, now };
          s = checkedStep(machine, s, input).state;
          if (op.kind === 'tick') {
            for (const n of Object.values(s.nodes)) {
              const silent = now - n.lastHeartbeat;
              expect(n.status).toBe(silent >= suspect + extra ? 'failed' : silent >= suspect ? 'suspected' : 'healthy');
            }
            const d = hm.nextDeadline(s);
            if (d !== undefined) {
              expect(d).toBeGreaterThan(now);
              expect(hm.step(s, { type: 'tick', now: d - 0.5 }).outputs).toEqual([]);
              expect(hm.step(s, { type: 'tick', now: d }).outputs.length).toBeGreaterThan(0);
            }
          }
        }
      }),
    );
  });
});
