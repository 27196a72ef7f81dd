// The `chandy-lamport` target's bank: money only moves, and bankCutProblem recognizes a consistent
// cut (Chandy & Lamport §3: a channel's state is what was sent before the sender's cut and not
// received before the receiver's).
import { describe, expect, it } from 'vitest';
import { bankCutProblem, bankMachine, type BankState } from '../../src/cli/bank.js';
import type { GlobalSnapshot } from '../../src/snapshot/index.js';

const nodes = ['a', 'b'];
const a0 = bankMachine.init({ id: 'a', nodes, balance: 100 });
const b0 = bankMachine.init({ id: 'b', nodes, balance: 100 });

describe('bankMachine', () => {
  it('a transfer debits the sender and a deposit credits the receiver', () => {
    const t = bankMachine.step(a0, { type: 'transfer', to: 'b', amount: 30, now: 0 });
    expect(t.state.balance).toBe(70);
    expect(t.outputs).toEqual([{ type: 'send', to: 'b', message: { type: 'deposit', amount: 30 } }]);
    const r = bankMachine.step(b0, { type: 'message', from: 'a', message: { type: 'deposit', amount: 30 }, now: 1 });
    expect(r.state.balance).toBe(130);
    expect(r.state.received['a']).toEqual({ count: 1, amount: 30 });
  });

  it('skips a transfer the balance does not cover or to a stranger', () => {
    expect(bankMachine.step(a0, { type: 'transfer', to: 'b', amount: 101, now: 0 }).state).toBe(a0);
    expect(bankMachine.step(a0, { type: 'transfer', to: 'z', amount: 1, now: 0 }).state).toBe(a0);
  });

  it('rejects forged deposits and deposits from strangers', () => {
    for (const message of [{ type: 'deposit', amount: -5 }, { type: 'deposit', amount: 1.5 }, { type: 'withdraw', amount: 1 }]) {
      const t = bankMachine.step(b0, { type: 'message', from: 'a', message, now: 0 });
      expect(t.state).toBe(b0);
      expect(t.outputs[0]).toMatchObject({ type: 'rejected', from: 'a' });
    }
    expect(bankMachine.step(b0, { type: 'message', from: 'z', message: { type: 'deposit', amount: 1 }, now: 0 }).outputs[0]).toMatchObject({ type: 'rejected', reason: 'unknown sender z' });
  });
});

describe('bankCutProblem', () => {
  const after = bankMachine.step(a0, { type: 'transfer', to: 'b', amount: 30, now: 0 }).state;
  const snapshot = (a: BankState, b: BankState, aToB: unknown[]): GlobalSnapshot<BankState> => ({
    snapshotId: 's',
    states: { a, b },
    channels: [
      { from: 'a', to: 'b', messages: aToB },
      { from: 'b', to: 'a', messages: [] },
    ],
  });

  it('a cut with the deposit in flight is consistent and conserves the total', () => {
    expect(bankCutProblem(snapshot(after, b0, [{ type: 'deposit', amount: 30 }]), 200)).toBeUndefined();
  });

  it('a cut that loses the deposit in flight is reported, naming the channel', () => {
    expect(bankCutProblem(snapshot(after, b0, []), 200)).toMatch(/a->b/);
  });

  it('a wrong total is reported', () => {
    expect(bankCutProblem(snapshot(a0, b0, []), 150)).toBeDefined();
  });
});
