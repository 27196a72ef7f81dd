// A tiny bank for the `chandy-lamport` target and the snapshot tests: each node holds a balance and moves money with
// `deposit` messages. Money is conserved, so every consistent cut shows the same total (Chandy &
// Lamport 1985, §1's motivating example), and per channel the deposits sent before the sender's
// cut equal those received before the receiver's cut plus those recorded in flight.
import { assertNever, getOwn, inputNow, reject, transition, v, withOwn, type Machine, type MessageInput, type NodeId, type RejectedOutput, type SendOutput, type TickInput } from '../core/index.js';
import type { GlobalSnapshot } from '../snapshot/index.js';

/** Config of one bank node. */
export interface BankConfig {
  readonly id: NodeId;
  readonly nodes: readonly NodeId[];
  readonly balance: number;
}

interface Tally {
  readonly count: number;
  readonly amount: number;
}

/** State of one bank node: its balance and per-peer tallies of deposits sent and received. */
export interface BankState {
  readonly id: NodeId;
  readonly balance: number;
  readonly sent: Readonly<Record<NodeId, Tally>>;
  readonly received: Readonly<Record<NodeId, Tally>>;
}

/** The one message: money moving from the sender to the receiver. */
export interface BankMessage {
  readonly type: 'deposit';
  readonly amount: number;
}

/** Inputs: deposits, ticks, and the local `transfer` command. */
export type BankInput = MessageInput<unknown> | TickInput | { readonly type: 'transfer'; readonly to: NodeId; readonly amount: number; readonly now: number };

/** Outputs: deposits and rejections. */
export type BankOutput = SendOutput<BankMessage> | RejectedOutput;

const depositCheck = v.object({ type: v.literal('deposit'), amount: v.int({ min: 1, max: 1_000_000_000 }) });

/** The bank machine. */
export const bankMachine: Machine<BankConfig, BankState, BankInput, BankOutput> = {
  name: 'bank',
  init: (c) => {
    const zero = Object.fromEntries(c.nodes.filter((n) => n !== c.id).map((n) => [n, { count: 0, amount: 0 }]));
    return { id: c.id, balance: c.balance, sent: zero, received: zero };
  },
  step(state, input) {
    inputNow(input);
    switch (input.type) {
      case 'tick':
        return transition(state);
      case 'transfer': {
        // A transfer the balance does not cover, or to a stranger, is skipped: the workload is random.
        const s = getOwn(state.sent, input.to);
        if (s === undefined || !Number.isSafeInteger(input.amount) || input.amount < 1 || input.amount > state.balance) return transition(state);
        return transition(
          { ...state, balance: state.balance - input.amount, sent: withOwn(state.sent, input.to, { count: s.count + 1, amount: s.amount + input.amount }) },
          [{ type: 'send', to: input.to, message: { type: 'deposit', amount: input.amount } }],
        );
      }
      case 'message': {
        const problem = depositCheck(input.message, 'message');
        if (problem !== undefined) return reject(state, input.from, problem);
        const r = getOwn(state.received, input.from);
        if (r === undefined) return reject(state, input.from, `unknown sender ${input.from}`);
        const amount = (input.message as BankMessage).amount;
        return transition({ ...state, balance: state.balance + amount, received: withOwn(state.received, input.from, { count: r.count + 1, amount: r.amount + amount }) });
      }
      default:
        return assertNever(input, 'input');
    }
  },
};

/**
 * Why a global snapshot of the bank is not a consistent cut (CL §3: the recorded channel state is
 * the messages sent before the sender's cut and not received before the receiver's), or
 * undefined when it is one and conserves `total`. For `snapshotInvariants`' `cutProblem`.
 */
export function bankCutProblem(g: GlobalSnapshot<BankState>, total: number): string | undefined {
  let sum = 0;
  for (const s of Object.values(g.states)) sum += s.balance;
  for (const ch of g.channels) {
    let inFlight = 0;
    for (const m of ch.messages) inFlight += (m as BankMessage).amount;
    sum += inFlight;
    const sent = g.states[ch.from]?.sent[ch.to];
    const got = g.states[ch.to]?.received[ch.from];
    if (sent === undefined || got === undefined) return `channel ${ch.from}->${ch.to} unknown to the bank`;
    if (sent.count !== got.count + ch.messages.length || sent.amount !== got.amount + inFlight) {
      return `channel ${ch.from}->${ch.to}: ${sent.count} deposits (${sent.amount}) sent before the cut, ${got.count} (${got.amount}) received, ${ch.messages.length} (${inFlight}) recorded in flight`;
    }
  }
  return sum === total ? undefined : `total ${sum}, expected ${total}`;
}
