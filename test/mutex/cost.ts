// Messages per critical-section entry, measured in the simulator, beside the textbook table
// (Tanenbaum & van Steen, Distributed Systems, Fig. 6-17; Coulouris et al. §15.2).
import { maekawa } from 'distkit/mutex';
import { ids, runMutex } from '../support/event-sim.js';
import { setups } from './setups.js';

export const sizes = [3, 5, 9, 16] as const;

export interface CostRow {
  algorithm: string;
  n: number;
  textbook: string;
  light: number;
  heavy: number;
}

export function textbook(algorithm: string, n: number): string {
  const r = Math.sqrt(n);
  switch (algorithm) {
    case 'centralized':
      return '3';
    case 'lamport':
      return `3(N−1) = ${3 * (n - 1)}`;
    case 'ricart-agrawala':
      return `2(N−1) = ${2 * (n - 1)}`;
    case 'maekawa':
      return `3√N–5√N = ${(3 * r).toFixed(1)}–${(5 * r).toFixed(1)}`;
    case 'token-ring':
      return '1 to ∞';
    case 'lease':
      return '3 (acquire, grant, release)';
    default:
      return '?';
  }
}

/** Size of node 0's grid voting set (the quorum the textbook calls K). */
export function gridK(n: number): number {
  return maekawa.init({ id: 'n1', nodes: ids(n) }).quorum.length;
}

/** Light load: requests rarely overlap. Heavy load: every node requests again almost at once. */
export function measure(algorithm: string, n: number, seeds = 3, entriesPerClient = 10): CostRow {
  const s = setups.find((x) => x.name === algorithm)!;
  const mean = (think: number): number => {
    let msgs = 0;
    let entries = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const { clients, setup } = s.make(n);
      const r = runMutex({ seed, clients, entriesPerClient, setup, thinkMaxMs: think, checked: false });
      msgs += r.messages;
      entries += r.entries;
    }
    return msgs / entries;
  };
  return { algorithm, n, textbook: textbook(algorithm, n), light: mean(40 * n * 10), heavy: mean(2) };
}
