import { describe, expect, it } from 'vitest';
import type { Invariant } from 'distkit/core';
import { checkEnd, checkStep } from '../../src/sim/invariants.js';
import type { FinalCheck, RunEnd, SimView } from '../../src/sim/index.js';

const view = { time: 3, steps: 1, nodes: ['a'], states: { a: { n: 1 } }, isUp: () => true, isPaused: () => false, localTime: () => 3 } as SimView;
const end = { time: 3, nodes: ['a'], states: {}, history: [], stats: {}, stopReason: 'quiescent' } as unknown as RunEnd;

describe('checks', () => {
  it('invariants: undefined holds, a description fails, the first failure wins', () => {
    const holds: Invariant = { name: 'ok', check: () => undefined };
    const fails: Invariant<{ n: number }> = { name: 'n is 0', check: (s) => (s.a!.n === 0 ? undefined : `a has n = ${s.a!.n}`) };
    expect(checkStep([holds], view)).toBeUndefined();
    expect(checkStep([holds, fails, { name: 'later', check: () => 'x' }], view)).toEqual({ invariant: 'n is 0', message: 'a has n = 1' });
  });

  it('invariants: a throw fails, and so does any other value from untyped code', () => {
    expect(checkStep([{ name: 't', check: () => { throw new Error('boom'); } }], view)).toEqual({ invariant: 't', message: 'the check threw Error: boom' });
    expect(checkStep([{ name: 'b', check: () => true } as unknown as Invariant], view)).toEqual({ invariant: 'b', message: 'returned true' });
  });

  it('final checks: the same convention as invariants (undefined holds, a message fails)', () => {
    expect(checkEnd([{ name: 'a', check: () => undefined }, { name: 'b', check: () => undefined }], end)).toBeUndefined();
    expect(checkEnd([{ name: 's', check: (e) => `stopped: ${e.stopReason}` }, { name: 'later', check: () => 'x' }], end)).toEqual({ invariant: 's', message: 'stopped: quiescent' });
  });

  it('final checks: any other value from untyped code fails, saying what it returned', () => {
    expect(checkEnd([{ name: 't', check: () => true } as unknown as FinalCheck], end)).toEqual({ invariant: 't', message: 'returned true' });
    expect(checkEnd([{ name: 'f', check: () => false } as unknown as FinalCheck], end)).toEqual({ invariant: 'f', message: 'returned false' });
    expect(checkEnd([{ name: 'boom', check: () => { throw new Error('x'); } }], end)).toEqual({ invariant: 'boom', message: 'the check threw Error: x' });
  });
});
