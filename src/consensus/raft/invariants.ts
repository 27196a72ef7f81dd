/**
 * Raft's safety properties (paper Figure 3) as core `Invariant`s over the states of a cluster, for
 * the simulator, the model checker, the test cluster or any harness that can show all states at once.
 *
 * @packageDocumentation
 */
import type { Invariant, NodeId } from '../../core/index.js';
import { raftLastIndex, termAt } from './log.js';
import type { RaftLog, RaftState } from './types.js';

type States = Readonly<Record<NodeId, RaftState>>;

/** What the invariants of one run remember between checks (shared by the five; one per run). */
interface RaftHistory {
  /** term -> the node seen leading it. */
  readonly leaders: Map<number, NodeId>;
  /** Each node's state at the previous check. */
  readonly lastSeen: Map<NodeId, RaftState>;
  /** index -> term, for every index any node committed. */
  readonly committed: Map<number, number>;
  /** node -> the commit index up to which its entries were recorded in `committed`. */
  readonly checkedUpTo: Map<NodeId, number>;
  /** The highest index any node committed. */
  maxCommitted: number;
}

/** How many of a leader's last entries leader append-only compares per check (bounds its cost). */
const APPEND_ONLY_WINDOW = 64;

/** The first problem `check` finds on a node, in the order of `states`. */
function firstProblem(states: States, check: (id: NodeId, s: RaftState) => string | undefined): string | undefined {
  for (const id in states) {
    const problem = check(id, states[id]!);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Whether a node led at the previous check and still leads the same term. */
function stillLeading(prev: RaftState | undefined, s: RaftState): boolean {
  return prev !== undefined && prev.role === 'leader' && s.role === 'leader' && prev.term === s.term;
}

/** A second leader of a term that `leaders` (term -> leader) already has, recording new ones. */
function secondLeader(states: States, leaders: Map<number, NodeId>): string | undefined {
  return firstProblem(states, (id, s) => {
    if (s.role !== 'leader') return undefined;
    const other = leaders.get(s.term);
    if (other === undefined) leaders.set(s.term, id);
    else if (other !== id) return `${other} and ${id} both lead term ${s.term}`;
    return undefined;
  });
}

/** The highest index where two logs differ below an index where they match (Log Matching broken), if any. */
function logsDiverge(a: RaftLog, b: RaftLog): number | undefined {
  const lo = Math.max(a.snapshotIndex, b.snapshotIndex);
  let matched = false;
  for (let i = Math.min(raftLastIndex(a), raftLastIndex(b)); i > lo; i--) {
    const ta = termAt(a, i);
    const tb = termAt(b, i);
    if (matched && ta !== tb) return i;
    if (ta === tb) matched = true;
  }
  return undefined;
}

// Figure 3, Election Safety (§5.2): at most one leader can be elected in a given term.
function electionSafety(h: RaftHistory): Invariant<RaftState> {
  return {
    name: 'election safety: at most one leader per term (§5.2)',
    check: (states) => secondLeader(states, h.leaders),
  };
}

// Figure 3, Leader Append-Only (§5.3): a leader never overwrites or deletes entries in its log; it
// only appends. Checked while a node leads one term, over the last APPEND_ONLY_WINDOW entries.
function leaderAppendOnly(h: RaftHistory): Invariant<RaftState> {
  return {
    name: 'leader append-only: a leader never overwrites or deletes its entries (§5.3)',
    check: (states) =>
      firstProblem(states, (id, s) => {
        const prev = h.lastSeen.get(id);
        if (prev === undefined || prev === s || !stillLeading(prev, s)) return undefined;
        const hi = raftLastIndex(prev.log);
        if (raftLastIndex(s.log) < hi) return `${id} shrank its log from ${hi} to ${raftLastIndex(s.log)}`;
        const lo = Math.max(prev.log.snapshotIndex, s.log.snapshotIndex, hi - APPEND_ONLY_WINDOW);
        for (let i = lo + 1; i <= hi; i++) {
          if (termAt(prev.log, i) !== termAt(s.log, i)) return `${id} rewrote index ${i}`;
        }
        return undefined;
      }),
  };
}

// Figure 3, Log Matching (§5.3): if two logs contain an entry with the same index and term, the
// logs are identical in all entries up through that index. Only nodes that changed are checked.
function logMatching(h: RaftHistory): Invariant<RaftState> {
  return {
    name: 'log matching: same index and term imply identical prefixes (§5.3)',
    check: (states) =>
      firstProblem(states, (ia, a) => {
        if (h.lastSeen.get(ia) === a) return undefined;
        return firstProblem(states, (ib, b) => {
          const i = ib === ia ? undefined : logsDiverge(a.log, b.log);
          return i === undefined ? undefined : `${ia} and ${ib} differ at ${i} below a matching entry`;
        });
      }),
  };
}

// Figure 3, Leader Completeness (§5.4): if a log entry is committed in a given term, that entry
// will be present in the logs of the leaders of all higher-numbered terms. Checked when a node
// becomes leader, against every entry committed so far.
function leaderCompleteness(h: RaftHistory): Invariant<RaftState> {
  return {
    name: 'leader completeness: a leader holds every committed entry (§5.4)',
    check: (states) =>
      firstProblem(states, (id, s) => {
        if (s.role !== 'leader' || stillLeading(h.lastSeen.get(id), s)) return undefined;
        if (raftLastIndex(s.log) < h.maxCommitted) return `${id} leads term ${s.term} without committed entries up to ${h.maxCommitted}`;
        for (let i = s.log.snapshotIndex + 1; i <= Math.min(h.maxCommitted, raftLastIndex(s.log)); i++) {
          const t = h.committed.get(i);
          if (t !== undefined && t !== termAt(s.log, i)) return `${id} leads with ${i}@t${termAt(s.log, i)}, committed t${t}`;
        }
        return undefined;
      }),
  };
}

/** Records the entries a changed node newly committed; returns the first that another node committed differently. */
function recordCommits(h: RaftHistory, id: NodeId, s: RaftState): string | undefined {
  let problem: string | undefined;
  if (s.commit > raftLastIndex(s.log) || s.applied > s.commit) problem = `${id}: commit ${s.commit} / applied ${s.applied} beyond its log`;
  const from = Math.max(s.log.snapshotIndex, Math.min(h.checkedUpTo.get(id) ?? 0, s.commit)) + 1;
  for (let i = from; i <= s.commit; i++) {
    const t = termAt(s.log, i);
    const known = h.committed.get(i);
    if (known === undefined) {
      h.committed.set(i, t);
      if (i > h.maxCommitted) h.maxCommitted = i;
    } else if (known !== t) problem ??= `${id} committed ${i}@t${t}, another node committed t${known}`;
  }
  h.checkedUpTo.set(id, s.commit);
  return problem;
}

// Figure 3, State Machine Safety (§5.4.3): if a server has applied a log entry at a given index,
// no other server will ever apply a different log entry for the same index. Checked on committed
// prefixes (what gets applied). Last of the set: it records every node's state for the next check.
function stateMachineSafety(h: RaftHistory): Invariant<RaftState> {
  return {
    name: 'state machine safety: no two nodes commit different entries at an index (§5.4.3)',
    check(states) {
      let problem: string | undefined;
      for (const id in states) {
        const s = states[id]!;
        if (h.lastSeen.get(id) === s) continue;
        const found = recordCommits(h, id, s); // records the commits even after a first problem
        problem ??= found;
      }
      for (const id in states) h.lastSeen.set(id, states[id]!);
      return problem;
    },
  };
}

/**
 * Fresh invariants (they remember what they saw, so make one set per run) for Raft's five safety
 * properties (Figure 3): election safety, leader append-only, log matching, leader completeness
 * and state machine safety (checked on committed prefixes, which is what gets applied).
 *
 * @example
 * ```ts
 * import { raftSafetyInvariants } from 'distkit/consensus';
 * const invariants = raftSafetyInvariants(); // simulate({ ..., invariants })
 * invariants.map((i) => i.name).length; //=> 5
 * ```
 */
export function raftSafetyInvariants(): Invariant<RaftState>[] {
  const h: RaftHistory = { leaders: new Map(), lastSeen: new Map(), committed: new Map(), checkedUpTo: new Map(), maxCommitted: 0 };
  // Order matters: the last one records what was seen, for the checks of the next step.
  return [electionSafety(h), leaderAppendOnly(h), logMatching(h), leaderCompleteness(h), stateMachineSafety(h)];
}

/**
 * Raft's safety properties as checks of one global state, with no memory of earlier states: for
 * a model checker, which explores many executions side by side. Election safety (no two leaders
 * of one term at once), log matching, state machine safety (committed prefixes agree) and leader
 * completeness (a leader holds every entry some node has committed).
 *
 * @example
 * ```ts
 * import { raftStateInvariants } from 'distkit/consensus';
 * raftStateInvariants().length; //=> 4
 * ```
 */
export function raftStateInvariants(): Invariant<RaftState>[] {
  return [
    {
      name: 'election safety: no two leaders of one term (§5.2)',
      check: (states) => secondLeader(states, new Map()),
    },
    {
      name: 'log matching: same index and term imply identical prefixes (§5.3)',
      check(states) {
        const ids = Object.keys(states);
        for (let x = 0; x < ids.length; x++) {
          for (let y = x + 1; y < ids.length; y++) {
            const i = logsDiverge(states[ids[x]!]!.log, states[ids[y]!]!.log);
            if (i !== undefined) return `${ids[x]} and ${ids[y]} differ at ${i} below a matching entry`;
          }
        }
        return undefined;
      },
    },
    {
      name: 'state machine safety: committed prefixes agree (§5.4.3)',
      check(states) {
        const committed = new Map<number, number>();
        for (const id in states) {
          const s = states[id]!;
          if (s.commit > raftLastIndex(s.log)) return `${id} committed beyond its log`;
          for (let i = s.log.snapshotIndex + 1; i <= s.commit; i++) {
            const t = termAt(s.log, i);
            const k = committed.get(i);
            if (k === undefined) committed.set(i, t);
            else if (k !== t) return `${id} committed ${i}@t${t}, another node t${k}`;
          }
        }
        return undefined;
      },
    },
    {
      name: 'leader completeness: a leader holds every committed entry (§5.4)',
      check(states) {
        for (const lid in states) {
          const l = states[lid]!;
          if (l.role !== 'leader') continue;
          for (const id in states) {
            const s = states[id]!;
            for (let i = Math.max(s.log.snapshotIndex, l.log.snapshotIndex) + 1; i <= s.commit; i++) {
              // Only entries committed in terms up to the leader's (a later leader's commits are not its concern).
              if (termAt(s.log, i) <= l.term && termAt(l.log, i) !== termAt(s.log, i)) {
                return `leader ${lid} (term ${l.term}) lacks ${i}@t${termAt(s.log, i)} committed on ${id}`;
              }
            }
          }
        }
        return undefined;
      },
    },
  ];
}
