// Type-level tests of the history types the checkers take: what a recorded operation must carry.
import { describe, expectTypeOf, it } from 'vitest';
import type { History, Operation } from '../../src/check/index.js';

describe('Operation and History', () => {
  it('an operation needs id, client, input and call; output and ret are optional (unknown outcome)', () => {
    expectTypeOf<{ id: 1; client: 'a'; input: 'x'; call: 0 }>().toMatchTypeOf<Operation<string, number>>();
    expectTypeOf<{ id: 1; client: 'a'; input: 'x'; call: 0; output: 3; ret: 2 }>().toMatchTypeOf<Operation<string, number>>();
    expectTypeOf<{ id: 1; client: 'a'; input: 'x' }>().not.toMatchTypeOf<Operation<string, number>>();
    expectTypeOf<{ client: 'a'; input: 'x'; call: 0 }>().not.toMatchTypeOf<Operation<string, number>>();
  });

  it('the input and output types are checked', () => {
    expectTypeOf<{ id: 1; client: 'a'; input: 5; call: 0 }>().not.toMatchTypeOf<Operation<string, number>>();
    expectTypeOf<Operation<string, number>['output']>().toEqualTypeOf<number | undefined>();
  });

  it('a history is a read-only list of operations', () => {
    expectTypeOf<History<string, number>>().toEqualTypeOf<readonly Operation<string, number>[]>();
    expectTypeOf<History<string, number>>().not.toHaveProperty('push');
  });
});
