import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidCommandError, PAYLOAD_LIMITS, v } from 'distkit/core';
import { checksByLimits, newCtx, persistFirst, proposedValue, receive, roleLists, roundOptions, sendAll, sendTo } from '../../../src/consensus/paxos/step.js';

describe('the Paxos step frame', () => {
  it('a message to self is queued for the same step; others become send outputs', () => {
    const c = newCtx<{ id: string }, string, unknown>({ id: 'a' }, 0);
    sendTo(c, 'a', 'm1');
    sendAll(c, ['b', 'a', 'b', 'c'], 'm2');
    expect(c.local).toEqual(['m1', 'm2']);
    expect(c.out).toEqual([
      { type: 'send', to: 'b', message: 'm2' },
      { type: 'send', to: 'c', message: 'm2' },
    ]);
  });

  it('a persist output goes before the sends', () => {
    expect(persistFirst('s', ['x'], 'p').outputs).toEqual(['p', 'x']);
    expect(persistFirst('s', ['x'], null).outputs).toEqual(['x']);
  });

  it('receive rejects strangers, self-messages and malformed messages with the state untouched', () => {
    const state = { id: 'a' };
    const check = v.object({ type: v.literal('ping') });
    const member = (id: string) => id === 'a' || id === 'b';
    expect(receive(state, { type: 'message', from: 'b', message: { type: 'ping', extra: 1 }, now: 0 }, member, check)).toEqual({ from: 'b', message: { type: 'ping' } });
    expect(receive(state, { type: 'message', from: 'z', message: { type: 'ping' }, now: 0 }, member, check)).toMatchObject({ state, outputs: [{ type: 'rejected', from: 'z' }] });
    expect(receive(state, { type: 'message', from: 'a', message: { type: 'ping' }, now: 0 }, member, check)).toMatchObject({ state, outputs: [{ type: 'rejected', from: 'a' }] });
    expect(receive(state, { type: 'message', from: 'b', message: { type: 'pong' }, now: 0 }, member, check)).toMatchObject({ state, outputs: [{ type: 'rejected', from: 'b' }] });
  });

  it('message checks are built once for the default limits', () => {
    let built = 0;
    const checks = checksByLimits(() => ++built);
    expect(checks(PAYLOAD_LIMITS)).toBe(1);
    expect(checks(PAYLOAD_LIMITS)).toBe(1);
    expect(checks({ maxDepth: 2, maxBytes: 10 })).toBe(2);
  });

  it('a proposed value must be JSON data within the limits', () => {
    expect(proposedValue({ x: 1 }, PAYLOAD_LIMITS)).toEqual({ x: 1 });
    expect(() => proposedValue(undefined, PAYLOAD_LIMITS)).toThrow(InvalidCommandError);
    expect(() => proposedValue('x'.repeat(50), { maxDepth: 4, maxBytes: 10 })).toThrow(InvalidCommandError);
  });

  it('round options take their defaults and name a bad field', () => {
    expect(roundOptions({}, 16)).toEqual({ phaseTimeoutMs: 100, backoffMinMs: 10, backoffMaxMs: 500, learnerRetryMs: 200, payloadLimits: PAYLOAD_LIMITS, maxLearnerBallots: 16 });
    expect(() => roundOptions({ backoffMinMs: 600 }, 16)).toThrow(ConfigError);
    expect(() => roundOptions({ phaseTimeoutMs: 0 }, 16)).toThrow(/phaseTimeoutMs/);
  });

  it('learners and proposers default to the acceptors', () => {
    expect(roleLists({}, ['a', 'b'])).toEqual({ learners: ['a', 'b'], proposers: ['a', 'b'] });
    expect(roleLists({ learners: [], proposers: ['a'] }, ['a', 'b'])).toEqual({ learners: [], proposers: ['a'] });
  });
});
