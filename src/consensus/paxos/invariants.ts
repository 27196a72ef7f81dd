/**
 * Safety properties of the Paxos machines as invariants over the states of all nodes, for the
 * simulator (`distkit/sim`'s `invariants` option) and the model checker (`distkit/check`).
 *
 * @packageDocumentation
 */
import type { NodeId } from '../../core/index.js';
import type { BasicPaxosState } from './basic.js';
import { ballotKey, canonical, majority } from './common.js';
import type { FastPaxosState } from './fast.js';
import { logAt } from './log.js';
import type { MultiPaxosState } from './multi.js';

/**
 * An invariant over the states of the live nodes: `undefined` when it holds, else what is wrong.
 * Structurally the simulator's and the model checker's `Invariant` type.
 *
 * @example
 * ```ts
 * import type { PaxosInvariant, BasicPaxosState } from 'distkit/consensus';
 * const someone: PaxosInvariant<BasicPaxosState> = { name: 'someone is up', check: (s) => (Object.keys(s).length > 0 ? undefined : 'nobody') };
 * ```
 */
export interface PaxosInvariant<S> {
  /** Reported with a violation. */
  readonly name: string;
  /** The check over the live nodes' states. */
  check(states: Readonly<Record<NodeId, S>>): string | undefined;
}

/**
 * Options of the Paxos invariant sets.
 *
 * @example
 * ```ts
 * import type { PaxosInvariantOptions } from 'distkit/consensus';
 * const o: PaxosInvariantOptions = { proposed: ['x', 'y'] };
 * ```
 */
export interface PaxosInvariantOptions {
  /**
   * Every value clients proposed. When given, validity is checked against it; otherwise against
   * the values the invariant saw in proposers' (or leaders') states, which it remembers.
   */
  readonly proposed?: readonly unknown[];
}

function short(x: unknown): string {
  const s = canonical(x);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** Tracks the values proposed so far: from the options, or harvested from states. */
class Proposed {
  private readonly seen = new Set<string>();
  constructor(private readonly given: readonly unknown[] | undefined) {
    for (const v of given ?? []) this.seen.add(canonical(v));
  }
  add(v: unknown): void {
    if (this.given === undefined) this.seen.add(canonical(v));
  }
  has(v: unknown): boolean {
    return this.seen.has(canonical(v));
  }
}

/** Single-decree agreement and validity over learned values and acceptors' votes. */
function singleDecree<S>(
  label: string,
  options: PaxosInvariantOptions,
  view: (s: S) => {
    decided: { readonly value: unknown } | null;
    proposed: readonly unknown[];
    acceptor: { readonly ballot: unknown; readonly value: unknown } | null;
    acceptorCount: number;
    quorumFor: (ballot: unknown) => number;
  },
): PaxosInvariant<S>[] {
  let first: { node: NodeId; value: string } | undefined;
  let chosen: string | undefined;
  const votes = new Map<NodeId, { ballot: unknown; value: unknown }>();
  const proposed = new Proposed(options.proposed);
  return [
    {
      name: `${label} agreement: no two nodes learn different values (PMS §2.1)`,
      check(states) {
        for (const id in states) {
          const d = view(states[id]!).decided;
          if (d === null) continue;
          const text = canonical(d.value);
          if (first === undefined) first = { node: id, value: text };
          else if (first.value !== text) return `${first.node} learned ${short(JSON.parse(first.value))} but ${id} learned ${short(d.value)}`;
        }
        return undefined;
      },
    },
    {
      name: `${label} agreement: at most one value is ever chosen by a quorum of acceptors (PMS §2.2 P2)`,
      check(states) {
        let n = 0;
        for (const id in states) {
          const v = view(states[id]!);
          n = v.acceptorCount;
          if (v.acceptor !== null) votes.set(id, v.acceptor);
        }
        if (n === 0) return undefined;
        const byBallot = new Map<string, { ballot: unknown; value: string; count: number }>();
        for (const vote of votes.values()) {
          // Keyed by ballot and value: in a fast round acceptors may vote for different values.
          const value = canonical(vote.value);
          const key = `${canonical(vote.ballot)}|${value}`;
          const e = byBallot.get(key);
          if (e === undefined) byBallot.set(key, { ballot: vote.ballot, value, count: 1 });
          else e.count++;
        }
        for (const e of byBallot.values()) {
          if (e.count < view(Object.values(states)[0]!).quorumFor(e.ballot)) continue;
          if (chosen === undefined) chosen = e.value;
          else if (chosen !== e.value) return `two values chosen: ${chosen} and ${e.value}`;
        }
        return undefined;
      },
    },
    {
      name: `${label} validity: only a proposed value is accepted or learned (PMS §2.1)`,
      check(states) {
        for (const id in states) for (const p of view(states[id]!).proposed) proposed.add(p);
        for (const id in states) {
          const v = view(states[id]!);
          if (v.decided !== null && !proposed.has(v.decided.value)) return `${id} learned ${short(v.decided.value)}, which nobody proposed`;
          if (v.acceptor !== null && !proposed.has(v.acceptor.value)) return `${id} accepted ${short(v.acceptor.value)}, which nobody proposed`;
        }
        return undefined;
      },
    },
  ];
}

/**
 * Fresh invariants (they remember what they saw, so make one set per run) for Basic Paxos:
 * agreement among learners, at most one value chosen by a majority of acceptors in any ballot,
 * and validity (only proposed values are accepted or learned).
 *
 * @example
 * ```ts
 * import { basicPaxosInvariants } from 'distkit/consensus';
 * const invariants = basicPaxosInvariants({ proposed: ['x', 'y'] }); // simulate({ ..., invariants })
 * invariants.length; //=> 3
 * ```
 */
export function basicPaxosInvariants(options: PaxosInvariantOptions = {}): PaxosInvariant<BasicPaxosState>[] {
  return singleDecree<BasicPaxosState>('basic paxos', options, (s) => ({
    decided: s.learner?.decided ?? null,
    proposed: s.proposer?.value ? [s.proposer.value.value] : [],
    acceptor: s.acceptor?.accepted ?? null,
    acceptorCount: s.acceptors.length,
    quorumFor: () => majority(s.acceptors.length),
  }));
}

/**
 * Fresh invariants for Fast Paxos: agreement among learners, at most one value chosen (by a
 * fast quorum in a fast round or a classic quorum in a classic one), and validity.
 *
 * @example
 * ```ts
 * import { fastPaxosInvariants } from 'distkit/consensus';
 * const invariants = fastPaxosInvariants(); // simulate({ ..., invariants })
 * invariants.length; //=> 3
 * ```
 */
export function fastPaxosInvariants(options: PaxosInvariantOptions = {}): PaxosInvariant<FastPaxosState>[] {
  return singleDecree<FastPaxosState>('fast paxos', options, (s) => ({
    decided: s.learner?.decided ?? null,
    proposed: [...(s.client?.value ? [s.client.value.value] : []), ...(s.coordinator?.clientValue ? [s.coordinator.clientValue.value] : [])],
    acceptor: s.acceptor?.vote ? { ballot: { ...s.acceptor.vote.ballot, fast: s.acceptor.vote.fast }, value: s.acceptor.vote.value } : null,
    acceptorCount: s.acceptors.length,
    quorumFor: (b) => ((b as { fast?: boolean }).fast ? s.fastQuorum : s.classicQuorum),
  }));
}

/**
 * Fresh invariants for Multi-Paxos: agreement (no two replicas decide different entries for a
 * slot, checked on decided prefixes and on entries learned out of order) and validity (only
 * proposed commands are decided).
 *
 * @example
 * ```ts
 * import { multiPaxosInvariants } from 'distkit/consensus';
 * const invariants = multiPaxosInvariants(); // simulate({ ..., invariants })
 * invariants.map((i) => i.name).length; //=> 2
 * ```
 */
export function multiPaxosInvariants(options: PaxosInvariantOptions = {}): PaxosInvariant<MultiPaxosState>[] {
  const decided = new Map<number, { node: NodeId; text: string }>();
  const checkedUpTo = new Map<NodeId, number>();
  const validatedUpTo = new Map<NodeId, number>();
  const proposed = new Proposed(options.proposed);
  const record = (id: NodeId, slot: number, entry: unknown): string | undefined => {
    const text = canonical(entry);
    const prev = decided.get(slot);
    if (prev === undefined) decided.set(slot, { node: id, text });
    else if (prev.text !== text) return `slot ${slot}: ${prev.node} decided ${prev.text.slice(0, 60)} but ${id} decided ${text.slice(0, 60)}`;
    return undefined;
  };
  return [
    {
      name: 'multi-paxos agreement: no two replicas decide differently for a slot (PMMC invariant R1)',
      check(states) {
        for (const id in states) {
          const s = states[id]!;
          let from = checkedUpTo.get(id) ?? 0;
          if (from > s.log.length) from = 0;
          for (let slot = from + 1; slot <= s.log.length; slot++) {
            const r = record(id, slot, logAt(s.log, slot));
            if (r !== undefined) return r;
          }
          checkedUpTo.set(id, s.log.length);
          for (const k in s.pending) {
            const d = s.pending[k]!.decided;
            if (d === null) continue;
            const r = record(id, Number(k), d);
            if (r !== undefined) return r;
          }
        }
        return undefined;
      },
    },
    {
      name: 'multi-paxos validity: only proposed commands are decided (PMMC invariant R2)',
      check(states) {
        for (const id in states) {
          const l = states[id]!.lead;
          if (l === null) continue;
          for (const v of l.queue) proposed.add(v);
          for (const k in l.inflight) {
            const e = l.inflight[k]!.entry;
            if (e.kind === 'command') proposed.add(e.value);
          }
        }
        for (const id in states) {
          const s = states[id]!;
          let from = validatedUpTo.get(id) ?? 0;
          if (from > s.log.length) from = 0;
          for (let slot = from + 1; slot <= s.log.length; slot++) {
            const e = logAt(s.log, slot)!;
            if (e.kind === 'command' && !proposed.has(e.value)) return `slot ${slot}: ${id} decided ${short(e.value)}, which nobody proposed`;
          }
          validatedUpTo.set(id, s.log.length);
        }
        return undefined;
      },
    },
  ];
}
