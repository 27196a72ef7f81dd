// A bank-transfer application for snapshot tests: each node holds a balance and moves money to
// others with `deposit` messages. Money is conserved, so every consistent cut must show the same
// total (CL §1's motivating example), and per channel the deposits sent before the sender's cut
// equal those received before the receiver's cut plus those recorded in flight.
import {
  assertNever,
  checkedStep,
  getOwn,
  inputNow,
  reject,
  withOwn,
  transition,
  v,
  type Machine,
  type MessageInput,
  type NodeId,
  type RejectedOutput,
  type SendOutput,
  type TickInput,
} from 'distkit/core';
import {
  assembleGlobalSnapshot,
  chandyLamport,
  type ChandyLamportMachine,
  type GlobalSnapshot,
  type SnapshotReport,
} from 'distkit/snapshot';
import type { Invariant } from 'distkit/check';

export interface BankConfig {
  readonly id: NodeId;
  readonly nodes: readonly NodeId[];
  readonly balance: number;
}

export interface BankState {
  readonly id: NodeId;
  readonly balance: number;
  /** Deposits sent per receiver: count and amount. */
  readonly sent: Readonly<Record<NodeId, { readonly count: number; readonly amount: number }>>;
  /** Deposits received per sender. */
  readonly received: Readonly<Record<NodeId, { readonly count: number; readonly amount: number }>>;
}

export type BankMessage = { readonly type: 'deposit'; readonly amount: number };
export type BankInput = MessageInput<unknown> | TickInput | { readonly type: 'transfer'; readonly to: NodeId; readonly amount: number; readonly now: number };
export type BankOutput = SendOutput<BankMessage> | RejectedOutput;

const depositCheck = v.object({ type: v.literal('deposit'), amount: v.int({ min: 1, max: 1_000_000_000 }) });

export const bank: Machine<BankConfig, BankState, BankInput, BankOutput> = {
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
        // A transfer the balance does not cover, or to a stranger, is skipped.
        const s = getOwn(state.sent, input.to);
        if (!Number.isSafeInteger(input.amount) || input.amount < 1 || input.amount > state.balance || s === undefined) return transition(state);
        return transition(
          { ...state, balance: state.balance - input.amount, sent: withOwn(state.sent, input.to, { count: s.count + 1, amount: s.amount + input.amount }) },
          [{ type: 'send', to: input.to, message: { type: 'deposit', amount: input.amount } }],
        );
      }
      case 'message': {
        const problem = depositCheck(input.message, 'message');
        if (problem !== undefined) return reject(state, input.from, problem);
        const r = getOwn(state.received, input.from);
        if (r === undefined) return reject(state, input.from, 'unknown sender');
        const amount = (input.message as BankMessage).amount;
        return transition({
          ...state,
          balance: state.balance + amount,
          received: withOwn(state.received, input.from, { count: r.count + 1, amount: r.amount + amount }),
        });
      }
      default:
        return assertNever(input, 'input');
    }
  },
};

export const snapBank = chandyLamport(bank);
export type SnapBank = ChandyLamportMachine<BankConfig, BankState, BankInput, BankOutput>;

/** The wrapped bank stepped the strict way (frozen inputs, plain data, rejected => same state). */
export const strictSnapBank: SnapBank = { ...snapBank, step: (s, i) => checkedStep(snapBank, s, i) };

export const bankNodes = (ids: readonly NodeId[], balance: number, machine: SnapBank = strictSnapBank) =>
  ids.map((id) => ({ id, machine, config: { id, nodes: ids, app: { id, nodes: ids, balance } } }));

/**
 * Why a global snapshot of the bank is not a consistent cut, or undefined when it is: the total is
 * conserved and each channel's recorded deposits are exactly those sent before the sender's cut
 * and not received before the receiver's.
 */
export function bankCutProblem(g: GlobalSnapshot<BankState>, total: number): string | undefined {
  let sum = 0;
  for (const s of Object.values(g.states)) sum += s.balance;
  for (const ch of g.channels) {
    let inFlight = 0;
    for (const m of ch.messages) inFlight += (m as BankMessage).amount;
    sum += inFlight;
    const sent = g.states[ch.from]!.sent[ch.to]!;
    const got = g.states[ch.to]!.received[ch.from]!;
    if (sent.count !== got.count + ch.messages.length || sent.amount !== got.amount + inFlight) {
      return `snapshot ${g.snapshotId}: channel ${ch.from}->${ch.to} sent ${sent.count} (${sent.amount}) before the cut, received ${got.count} (${got.amount}), recorded ${ch.messages.length} (${inFlight}) in flight`;
    }
  }
  return sum === total ? undefined : `snapshot ${g.snapshotId}: total ${sum}, expected ${total}`;
}

/** Collects reports per snapshot id; `check` assembles every complete one and checks its cut. */
export class ReportCollector {
  readonly byId = new Map<string, SnapshotReport<BankState>[]>();
  add(output: unknown): void {
    const o = output as { type?: string; report?: SnapshotReport<BankState> };
    if (o.type !== 'snapshotReport') return;
    const list = this.byId.get(o.report!.snapshotId) ?? [];
    list.push(o.report!);
    this.byId.set(o.report!.snapshotId, list);
  }
  check(nodes: readonly NodeId[], total: number): string | undefined {
    for (const [id, reports] of this.byId) {
      const r = assembleGlobalSnapshot(reports, nodes);
      if (!r.ok) return `snapshot ${id}: ${r.reason}`;
      const p = bankCutProblem(r.snapshot, total);
      if (p !== undefined) return p;
    }
    return undefined;
  }
}

// For the model checker, which sees states only: a wrapper that keeps the reports it emitted.
export interface KeptState {
  readonly inner: ReturnType<SnapBank['init']>;
  readonly reports: readonly SnapshotReport<BankState>[];
}
export const keepReports: Machine<Parameters<SnapBank['init']>[0], KeptState, Parameters<SnapBank['step']>[1], unknown> = {
  name: 'keep-reports',
  init: (c) => ({ inner: snapBank.init(c), reports: [] }),
  step(state, input) {
    const t = snapBank.step(state.inner, input);
    const reports = t.outputs.flatMap((o) => (o.type === 'snapshotReport' ? [o.report] : []));
    if (t.state === state.inner && reports.length === 0) return { state, outputs: t.outputs };
    return { state: { inner: t.state, reports: reports.length ? [...state.reports, ...reports] : state.reports }, outputs: t.outputs };
  },
};

/** Every snapshot all nodes have reported is a consistent cut. */
export function consistentCuts(nodes: readonly NodeId[], total: number): Invariant<KeptState> {
  return {
    name: 'every completed snapshot is a consistent cut',
    check(states) {
      const byId = new Map<string, SnapshotReport<BankState>[]>();
      for (const s of Object.values(states)) for (const r of s.reports) byId.set(r.snapshotId, [...(byId.get(r.snapshotId) ?? []), r]);
      for (const reports of byId.values()) {
        if (reports.length < nodes.length) continue;
        const r = assembleGlobalSnapshot(reports, nodes);
        if (!r.ok) return r.reason;
        const p = bankCutProblem(r.snapshot, total);
        if (p !== undefined) return p;
      }
      return undefined;
    },
  };
}
