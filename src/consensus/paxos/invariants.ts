/**
 * Safety properties of the Paxos machines as invariants over the states of all nodes, for the
 * simulator (`distkit/sim`'s `invariants` option) and the model checker (`distkit/check`).
 *
 * @packageDocumentation
 */
import type { Invariant, NodeId } from '../../core/index.js';
import type { BasicPaxosState } from './basic.js';
import { canonicalJson, majority } from '../../core/index.js';
import { comparePaxosBallots, type PaxosBallot } from './common.js';
import { compareFastPaxosBallots, type FastPaxosBallot, type FastPaxosState } from './fast.js';
import { logAt } from './log.js';
import type { MultiPaxosState } from './multi.js';

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
  const s = canonicalJson(x);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** Tracks the values proposed so far: from the options, or harvested from states. */
class Proposed {
  private readonly seen = new Set<string>();
  constructor(private readonly given: readonly unknown[] | undefined) {
    for (const v of given ?? []) this.seen.add(canonicalJson(v));
  }
  add(v: unknown): void {
    if (this.given === undefined) this.seen.add(canonicalJson(v));
  }
  has(v: unknown): boolean {
    return this.seen.has(canonicalJson(v));
  }
}

/**
 * Single-decree agreement and validity, each judged on one snapshot of states (no memory), so the
 * same invariants serve the simulator and the model checker, whose successive calls come from
 * different executions. Only `proposed` values harvested from states are remembered.
 */
function singleDecree<S, B>(
  label: string,
  options: PaxosInvariantOptions,
  view: (s: S) => {
    decided: { readonly value: unknown } | null;
    proposed: readonly unknown[];
    vote: { readonly ballot: B; readonly value: unknown } | null;
  },
  compare: (a: B, b: B) => number,
  quorumFor: (s: S, ballot: B) => number,
): Invariant<S>[] {
  const proposed = new Proposed(options.proposed);
  return [
    {
      name: `${label} agreement: no two nodes learn different values (PMS §2.1)`,
      check(states) {
        let first: { node: NodeId; text: string } | undefined;
        for (const id in states) {
          const d = view(states[id]!).decided;
          if (d === null) continue;
          const text = canonicalJson(d.value);
          if (first === undefined) first = { node: id, text };
          else if (first.text !== text) return `${first.node} learned ${first.text.slice(0, 60)} but ${id} learned ${text.slice(0, 60)}`;
        }
        return undefined;
      },
    },
    {
      name: `${label} agreement: once a quorum accepted v in a ballot, every vote in a later ballot and every learned value is v (PMS §2.2 P2b)`,
      check(states) {
        const ids = Object.keys(states);
        if (ids.length === 0) return undefined;
        const votes: { id: NodeId; ballot: B; text: string }[] = [];
        for (const id of ids) {
          const v = view(states[id]!).vote;
          if (v !== null) votes.push({ id, ballot: v.ballot, text: canonicalJson(v.value) });
        }
        for (const chosen of votes) {
          const same = votes.filter((w) => compare(w.ballot, chosen.ballot) === 0 && w.text === chosen.text).length;
          if (same < quorumFor(states[ids[0]!]!, chosen.ballot)) continue;
          for (const w of votes) {
            if (compare(w.ballot, chosen.ballot) > 0 && w.text !== chosen.text) return `${chosen.text.slice(0, 60)} was chosen, yet ${w.id} voted ${w.text.slice(0, 60)} in a later ballot`;
          }
          for (const id of ids) {
            const d = view(states[id]!).decided;
            if (d !== null && canonicalJson(d.value) !== chosen.text) return `${chosen.text.slice(0, 60)} was chosen, yet ${id} learned ${canonicalJson(d.value).slice(0, 60)}`;
          }
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
          if (v.vote !== null && !proposed.has(v.vote.value)) return `${id} accepted ${short(v.vote.value)}, which nobody proposed`;
        }
        return undefined;
      },
    },
  ];
}

/**
 * Invariants for Basic Paxos, each judged on one snapshot of all states (usable in the simulator
 * and the model checker): agreement among learners; once a majority accepted v in a ballot,
 * every vote in a later ballot and every learned value is v; and validity (only proposed values
 * are accepted or learned). Make one set per run: validity remembers the proposed values it saw.
 *
 * @example
 * ```ts
 * import { basicPaxosInvariants } from 'distkit/consensus';
 * const invariants = basicPaxosInvariants({ proposed: ['x', 'y'] }); // simulate({ ..., invariants })
 * invariants.length; //=> 3
 * ```
 */
export function basicPaxosInvariants(options: PaxosInvariantOptions = {}): Invariant<BasicPaxosState>[] {
  return singleDecree<BasicPaxosState, PaxosBallot>(
    'basic paxos',
    options,
    (s) => ({
      // A proposer that saw a majority accept its proposal knows it is chosen: it counts as learned.
      decided: s.learner?.decided ?? (s.proposer?.phase === 'done' ? s.proposer.proposal : null),
      proposed: s.proposer?.value ? [s.proposer.value.value] : [],
      vote: s.acceptor?.accepted ?? null,
    }),
    (a, b) => comparePaxosBallots(a, b),
    (s) => majority(s.acceptors.length),
  );
}

/**
 * Invariants for Fast Paxos, judged like {@link basicPaxosInvariants}: agreement among
 * learners; once v is chosen (by a fast quorum in a fast round, a classic quorum in a classic
 * one), every later vote and every learned value is v; and validity.
 *
 * @example
 * ```ts
 * import { fastPaxosInvariants } from 'distkit/consensus';
 * const invariants = fastPaxosInvariants(); // simulate({ ..., invariants })
 * invariants.length; //=> 3
 * ```
 */
export function fastPaxosInvariants(options: PaxosInvariantOptions = {}): Invariant<FastPaxosState>[] {
  return singleDecree<FastPaxosState, { readonly ballot: FastPaxosBallot; readonly fast: boolean }>(
    'fast paxos',
    options,
    (s) => ({
      // A coordinator that saw a quorum vote for its value, or a proposer told the outcome, knows it.
      decided: s.learner?.decided ?? s.client?.decided ?? (s.coordinator?.phase === 'done' ? s.coordinator.proposal : null),
      proposed: [...(s.client?.value ? [s.client.value.value] : []), ...(s.coordinator?.clientValue ? [s.coordinator.clientValue.value] : [])],
      vote: s.acceptor?.vote ? { ballot: { ballot: s.acceptor.vote.ballot, fast: s.acceptor.vote.fast }, value: s.acceptor.vote.value } : null,
    }),
    (a, b) => compareFastPaxosBallots(a.ballot, b.ballot),
    // FP §3.1: a fast round chooses with a fast quorum, a classic round with a classic one.
    (s, b) => (b.fast ? s.fastQuorum : s.classicQuorum),
  );
}

/**
 * Fresh invariants for one Multi-Paxos run (the simulator; they remember what they saw, so make
 * one set per run): agreement (no two replicas decide different entries for a slot, checked on
 * decided prefixes and on entries learned out of order, incrementally) and validity (only
 * proposed commands are decided).
 *
 * @example
 * ```ts
 * import { multiPaxosInvariants } from 'distkit/consensus';
 * const invariants = multiPaxosInvariants(); // simulate({ ..., invariants })
 * invariants.map((i) => i.name).length; //=> 2
 * ```
 */
export function multiPaxosInvariants(options: PaxosInvariantOptions = {}): Invariant<MultiPaxosState>[] {
  const decided = new Map<number, { node: NodeId; text: string }>();
  const checkedUpTo = new Map<NodeId, number>();
  const validatedUpTo = new Map<NodeId, number>();
  const proposed = new Proposed(options.proposed);
  const record = (id: NodeId, slot: number, entry: unknown): string | undefined => {
    const text = canonicalJson(entry);
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
