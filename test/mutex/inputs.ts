// Inputs and checks shared by the mutex machines' tests.
import { expect } from 'vitest';
import { checkedStep, type Machine } from 'distkit/core';
import type { MutexInput } from 'distkit/mutex';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type M = Machine<any, any, MutexInput, any>;
export const msg = (from: string, message: unknown, now = 0): MutexInput => ({ type: 'message', from, message, now });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const sends = (outs: readonly { type: string }[]): any[] => outs.filter((o) => o.type === 'send');
export const entered = (outs: readonly { type: string }[]) => outs.some((o) => o.type === 'enter');

/** Feeds a hostile input: it must be rejected, keep the very same state, and never grant entry. */
export function expectRejected(m: M, state: unknown, input: MutexInput, reason?: RegExp): void {
  const t = checkedStep(m, state, input);
  expect(t.state).toBe(state);
  expect(t.outputs).toHaveLength(1);
  expect(t.outputs[0].type).toBe('rejected');
  if (reason) expect(t.outputs[0].reason).toMatch(reason);
  expect(entered(t.outputs)).toBe(false);
}
