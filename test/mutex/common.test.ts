import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkedStep, ConfigError, InvalidCommandError, MAX_COUNTER } from 'distkit/core';
import { centralizedMutex, lamportMutex, leaseLockServer, leaseLockService, maekawa, ricartAgrawala, tokenRing } from 'distkit/mutex';
import { ids } from '../support/event-sim.js';
import { type M, msg, entered, expectRejected } from './inputs.js';

describe('every machine: forged messages never grant entry (fast-check over arbitrary payloads)', () => {
  const machines: [string, M, unknown][] = [
    ['ricart-agrawala', ricartAgrawala, ricartAgrawala.init({ id: 'n1', nodes: ids(3) })],
    ['lamport', lamportMutex, lamportMutex.init({ id: 'n1', nodes: ids(3) })],
    ['maekawa', maekawa, maekawa.init({ id: 'n1', nodes: ids(4) })],
    ['token-ring', tokenRing, tokenRing.init({ id: 'n2', nodes: ids(3) })],
    ['centralized', centralizedMutex, centralizedMutex.init({ id: 'n1', nodes: ['c', ...ids(3)], coordinator: 'c' })],
  ];
  for (const [name, m, idle] of machines) {
    it(`${name}: an idle node never enters, whatever arrives`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.constantFrom('n1', 'n2', 'n3', 'n4', 'c', 'evil'), fc.anything()), { maxLength: 8 }), (inputs) => {
          let s = idle;
          for (const [from, payload] of inputs) {
            const t = checkedStep(m, s, msg(from, payload));
            expect(entered(t.outputs)).toBe(false);
            s = t.state;
          }
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('v2 contract: counters, stored copies, unknown commands (regressions)', () => {
  const BIG = 2 ** 53 - 1;
  const clockOf = (s: unknown) => (s as { clock: number }).clock;
  const cases: [string, M, unknown, unknown, unknown][] = [
    ['ricart-agrawala', ricartAgrawala, ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'request', ts: BIG }, { type: 'request', ts: MAX_COUNTER }],
    ['lamport', lamportMutex, lamportMutex.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'request', ts: BIG, n: 0 }, { type: 'request', ts: MAX_COUNTER, n: 0 }],
    ['maekawa', maekawa, maekawa.init({ id: 'a', nodes: ['a', 'b'] }), { type: 'request', ts: BIG, owner: 'b' }, { type: 'request', ts: MAX_COUNTER, owner: 'b' }],
  ];
  for (const [name, m, idle, huge, max] of cases) {
    it(`${name}: a timestamp of 2^53 − 1 is rejected; at MAX_COUNTER the clock stays exact and a further request is refused locally`, () => {
      expectRejected(m, idle, msg('b', huge), /ts/);
      const t = checkedStep(m, idle, msg('b', max));
      expect(t.outputs.some((o: { type: string }) => o.type === 'rejected')).toBe(false);
      const clock = clockOf(t.state);
      expect(clock).toBeLessThanOrEqual(MAX_COUNTER);
      expect(clock + 1).not.toBe(clock);
      expect(() => m.step(t.state, { type: 'request', now: 1 })).toThrow(InvalidCommandError);
    });
  }

  it('lamport: a message buffered out of order is stored as its validated copy, without extra fields', () => {
    const a = lamportMutex.init({ id: 'a', nodes: ['a', 'b'] });
    const t = checkedStep(lamportMutex, a, msg('b', { type: 'ack', ts: 4, n: 2, junk: 'x'.repeat(10_000) }));
    expect(t.state.pending.b).toEqual([{ type: 'ack', ts: 4, n: 2 }]);
    expect(JSON.stringify(t.state).length).toBeLessThan(1000);
  });

  it('lamport: peers named like Object.prototype members are ordinary keys', () => {
    const nodes = ['__proto__', 'constructor', 'a'];
    let a = lamportMutex.init({ id: 'a', nodes });
    a = checkedStep(lamportMutex, a, { type: 'request', now: 0 }).state;
    a = checkedStep(lamportMutex, a, msg('__proto__', { type: 'ack', ts: 5, n: 0 })).state;
    const t = checkedStep(lamportMutex, a, msg('constructor', { type: 'ack', ts: 5, n: 0 }));
    expect(entered(t.outputs)).toBe(true);
    expect(Object.getPrototypeOf(t.state.lastTs)).toBe(Object.prototype);
    expect(Object.keys(t.state.lastTs).sort()).toEqual(['__proto__', 'constructor']);
  });

  const machines: [string, M, unknown][] = [
    ['centralized', centralizedMutex, centralizedMutex.init({ id: 'a', nodes: ['a', 'b'], coordinator: 'a' })],
    ['token-ring', tokenRing, tokenRing.init({ id: 'a', nodes: ['a', 'b'] })],
    ['ricart-agrawala', ricartAgrawala, ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] })],
    ['lamport', lamportMutex, lamportMutex.init({ id: 'a', nodes: ['a', 'b'] })],
    ['maekawa', maekawa, maekawa.init({ id: 'a', nodes: ['a', 'b'] })],
  ];
  for (const [name, m, s] of machines) {
    it(`${name}: an unknown command or a bad now throws InvalidCommandError (it used to return undefined)`, () => {
      expect(() => m.step(s, { type: 'no-such-command', now: 1 } as never)).toThrow(InvalidCommandError);
      expect(() => m.step(s, { type: 'tick', now: NaN })).toThrow(InvalidCommandError);
      expect(() => m.step(s, { type: 'request' } as never)).toThrow(InvalidCommandError);
    });
  }
});

describe('lease recovery (leaseLockService and leaseLockServer share it): the fencing counter survives a crash', () => {
  const machines = [
    ['leaseLockService', leaseLockService, { id: 'lock', maxTtlMs: 1000 }],
    ['leaseLockServer', leaseLockServer, { id: 'locks', maxTtlMs: 1000 }],
  ] as const;
  for (const [name, m, config] of machines) {
    it(`${name}: resumes from the durable token and grants nothing until it has learnt the time`, () => {
      const s = (m.recover as (c: unknown, d: unknown) => { lastToken: number; recovering: boolean })(config, { lastToken: 41 });
      expect([s.lastToken, s.recovering]).toEqual([41, true]);
      expect((m.durable as (x: unknown) => unknown)(s)).toEqual({ lastToken: 41 });
    });

    it(`${name}: a bad durable record throws ConfigError naming durable.lastToken, before the config is read`, () => {
      const recover = m.recover as (c: unknown, d: unknown) => unknown;
      for (const bad of [null, {}, { lastToken: -1 }, { lastToken: 1.5 }, { lastToken: MAX_COUNTER + 1 }, { lastToken: '3' }]) {
        expect(() => recover(config, bad)).toThrow(expect.objectContaining({ field: 'durable.lastToken' }));
        expect(() => recover({ id: 7 }, bad)).toThrow(expect.objectContaining({ field: 'durable.lastToken' }));
      }
      expect(() => recover({ id: 7 }, { lastToken: 1 })).toThrow(ConfigError);
    });
  }
});
