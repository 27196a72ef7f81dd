// The snapshot tests' harness around the CLI's bank (src/cli/bank.ts): the bank wrapped in
// Chandy-Lamport and stepped the strict way, a report collector, and a wrapper that keeps the
// reports in the state for the model checker.
import { checkedStep, type Invariant, type Machine, type NodeId } from 'distkit/core';
import {
  assembleGlobalSnapshot,
  chandyLamport,
  snapshotInvariants,
  type ChandyLamportMachine,
  type SnapshotReport,
} from 'distkit/snapshot';
import { bankCutProblem, bankMachine as bank, type BankConfig, type BankInput, type BankOutput, type BankState } from '../../src/cli/bank.js';

export { bank, bankCutProblem, type BankState };

export const snapBank = chandyLamport(bank);
export type SnapBank = ChandyLamportMachine<BankConfig, BankState, BankInput, BankOutput>;

/** The wrapped bank stepped the strict way (frozen inputs, plain data, rejected => same state). */
export const strictSnapBank: SnapBank = { ...snapBank, step: (s, i) => checkedStep(snapBank, s, i) };

export const bankNodes = (ids: readonly NodeId[], balance: number, machine: SnapBank = strictSnapBank) =>
  ids.map((id) => ({ id, machine, config: { id, nodes: ids, app: { id, nodes: ids, balance } } }));

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
      if (p !== undefined) return `snapshot ${id}: ${p}`;
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

/** Every snapshot all nodes have reported is a consistent cut: the reports are kept in the states. */
export function consistentCuts(nodes: readonly NodeId[], total: number): Invariant<KeptState>[] {
  return snapshotInvariants<KeptState, BankState>({
    nodes,
    reports(states) {
      const byId = new Map<string, SnapshotReport<BankState>[]>();
      for (const s of Object.values(states)) for (const r of s.reports) byId.set(r.snapshotId, [...(byId.get(r.snapshotId) ?? []), r]);
      return byId.values();
    },
    cutProblem: (g) => bankCutProblem(g, total),
  });
}
