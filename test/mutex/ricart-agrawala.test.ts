import { describe, expect, it } from 'vitest';
import { checkedStep, ConfigError, InvalidCommandError } from 'distkit/core';
import { ricartAgrawala } from 'distkit/mutex';
import { msg, sends, entered, expectRejected } from './inputs.js';

describe('Ricart–Agrawala (CACM 1981)', () => {
  const nodes = ['a', 'b', 'c'];
  it('§2: a request is broadcast; entry after N−1 replies', () => {
    let a = ricartAgrawala.init({ id: 'a', nodes });
    const t = checkedStep(ricartAgrawala, a, { type: 'request', now: 0 });
    expect(sends(t.outputs).map((o: { to: string }) => o.to)).toEqual(['b', 'c']);
    a = t.state;
    a = checkedStep(ricartAgrawala, a, msg('b', { type: 'reply', ts: 1 })).state;
    const last = checkedStep(ricartAgrawala, a, msg('c', { type: 'reply', ts: 1 }));
    expect(entered(last.outputs)).toBe(true);
    expect(last.state.phase).toBe('held');
  });

  it('concurrent requests with equal timestamps: the lower id wins, the other defers', () => {
    const a = checkedStep(ricartAgrawala, ricartAgrawala.init({ id: 'a', nodes }), { type: 'request', now: 0 }).state;
    const b = checkedStep(ricartAgrawala, ricartAgrawala.init({ id: 'b', nodes }), { type: 'request', now: 0 }).state;
    const atA = checkedStep(ricartAgrawala, a, msg('b', { type: 'request', ts: 1 }));
    expect(sends(atA.outputs)).toHaveLength(0); // a defers b
    expect(atA.state.deferred).toEqual([{ node: 'b', ts: 1 }]);
    const atB = checkedStep(ricartAgrawala, b, msg('a', { type: 'request', ts: 1 }));
    expect(sends(atB.outputs)).toEqual([{ type: 'send', to: 'a', message: { type: 'reply', ts: 1 } }]);
  });

  it('release sends the deferred replies', () => {
    let a = ricartAgrawala.init({ id: 'a', nodes: ['a', 'b'] });
    a = checkedStep(ricartAgrawala, a, { type: 'request', now: 0 }).state;
    a = checkedStep(ricartAgrawala, a, msg('b', { type: 'reply', ts: 1 })).state;
    a = checkedStep(ricartAgrawala, a, msg('b', { type: 'request', ts: 1 })).state;
    const t = checkedStep(ricartAgrawala, a, { type: 'release', now: 0 });
    expect(sends(t.outputs)).toEqual([{ type: 'send', to: 'b', message: { type: 'reply', ts: 1 } }]);
  });

  it('hostile: unknown sender, forged reply for a request never made, negative timestamps, wrong-request and duplicate replies', () => {
    const idle = ricartAgrawala.init({ id: 'a', nodes });
    expectRejected(ricartAgrawala, idle, msg('z', { type: 'reply', ts: 1 }), /unknown sender/);
    expectRejected(ricartAgrawala, idle, msg('b', { type: 'reply', ts: 1 }), /no request/);
    expectRejected(ricartAgrawala, idle, msg('b', { type: 'request', ts: -1 }), /ts/);
    expectRejected(ricartAgrawala, idle, msg('b', { type: 'request', ts: 1.5 }), /ts/);
    expectRejected(ricartAgrawala, idle, msg('b', null));
    expectRejected(ricartAgrawala, idle, msg('b', { type: 'grant' }));
    let w = checkedStep(ricartAgrawala, idle, { type: 'request', now: 0 }).state;
    expectRejected(ricartAgrawala, w, msg('b', { type: 'reply', ts: 7 }), /outstanding/);
    w = checkedStep(ricartAgrawala, w, msg('b', { type: 'reply', ts: 1 })).state;
    expectRejected(ricartAgrawala, w, msg('b', { type: 'reply', ts: 1 }), /duplicate/);
    expect(w.phase).toBe('wanting');
  });

  it('local misuse throws typed errors; bad config names the field', () => {
    const s = ricartAgrawala.init({ id: 'a', nodes });
    expect(() => ricartAgrawala.step(s, { type: 'release', now: 0 })).toThrow(InvalidCommandError);
    expect(() => ricartAgrawala.init({ id: 'a', nodes: ['b'] })).toThrow(ConfigError);
    expect(() => ricartAgrawala.init({ id: 'a', nodes: ['a', 'a'] })).toThrow(/duplicate/);
  });
});
