import { describe, expect, it } from 'vitest';
import { InvalidCommandError } from 'distkit/core';
import { localStep } from '../../src/resilience/local.js';

describe('localStep: the step of an in-process core', () => {
  const step = localStep('counter', (n: number, input: { type: 'add'; now: number }, now: number) => ({ state: n + 1, outputs: [{ type: 'added', now, input: input.type }] }));

  it('hands local inputs and their time to the rule', () => {
    expect(step(1, { type: 'add', now: 5 })).toEqual({ state: 2, outputs: [{ type: 'added', now: 5, input: 'add' }] });
  });

  it('refuses a network message with a rejected output and the same state', () => {
    const state = 7;
    expect(step(state, { type: 'message', from: 'peer', message: { type: 'add' }, now: 1 })).toEqual({
      state,
      outputs: [{ type: 'rejected', from: 'peer', reason: 'the counter takes no peer messages' }],
    });
  });

  it('throws InvalidCommandError on a missing or non-finite now', () => {
    expect(() => step(1, { type: 'add', now: Number.NaN })).toThrow(InvalidCommandError);
    expect(() => step(1, { type: 'add' } as never)).toThrow(InvalidCommandError);
  });
});
