import { describe, expect, it } from 'vitest';
import { InvalidCommandError, stepByType, type InputHandlers, type TickInput } from 'distkit/core';

type Add = { readonly type: 'add'; readonly now: number; readonly n: number };
const handlers: InputHandlers<number, TickInput | Add, string> = {
  tick: (s, _input, now) => ({ state: s, outputs: [`tick@${now}`] }),
  add: (s, input) => ({ state: s + input.n, outputs: [] }),
};

describe('stepByType', () => {
  it('calls the handler of the input type with the checked now', () => {
    expect(stepByType(handlers, 1, { type: 'add', n: 2, now: 0 }).state).toBe(3);
    expect(stepByType(handlers, 1, { type: 'tick', now: 7 }).outputs).toEqual(['tick@7']);
  });

  it('throws InvalidCommandError for a missing now, an unknown type or an inherited key', () => {
    expect(() => stepByType(handlers, 1, { type: 'tick' } as never)).toThrow(InvalidCommandError);
    expect(() => stepByType(handlers, 1, { type: 'nope', now: 0 } as never)).toThrow(InvalidCommandError);
    expect(() => stepByType(handlers, 1, { type: 'constructor', now: 0 } as never)).toThrow(InvalidCommandError);
    expect(() => stepByType(handlers, 1, { type: 5, now: 0 } as never)).toThrow(InvalidCommandError);
  });
});
