/**
 * Raft's safety properties (paper Figure 3) as core `Invariant`s over the states of a cluster, for
 * the simulator, the model checker, the test cluster or any harness that can show all states at once.
 *
 * @packageDocumentation
 */
import type { Invariant, NodeId } from '../../core/index.js';
import { raftLastIndex, termAt } from './log.js';
import type { RaftState } from './types.js';

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
  const leaders = new Map<number, NodeId>();
  const lastSeen = new Map<NodeId, RaftState>();
  const committed = new Map<number, number>(); // index -> term, for every index any node committed
  const checkedUpTo = new Map<NodeId, number>();
  let maxCommitted = 0;

  const electionSafety: Invariant<RaftState> = {
    name: 'election safety: at most one leader per term (§5.2)',
    check(states) {
      for (const id in states) {
        const s = states[id]!;
        if (s.role !== 'leader') continue;
        const other = leaders.get(s.term);
        if (other === undefined) leaders.set(s.term, id);
        else if (other !== id) return `${other} and ${id} both lead term ${s.term}`;
      }
      return undefined;
    },
  };

  const leaderAppendOnly: Invariant<RaftState> = {
    name: 'leader append-only: a leader never overwrites or deletes its entries (§5.3)',
    check(states) {
      for (const id in states) {
        const s = states[id]!;
        const prev = lastSeen.get(id);
        if (prev === undefined || prev === s || prev.role !== 'leader' || s.role !== 'leader' || prev.term !== s.term) continue;
        const hi = raftLastIndex(prev.log);
        if (raftLastIndex(s.log) < hi) return `${id} shrank its log from ${hi} to ${raftLastIndex(s.log)}`;
        const lo = Math.max(prev.log.snapshotIndex, s.log.snapshotIndex, hi - 64);
        for (let i = lo + 1; i <= hi; i++) {
          if (termAt(prev.log, i) !== termAt(s.log, i)) return `${id} rewrote index ${i}`;
        }
      }
      return undefined;
    },
  };

  const logMatching: Invariant<RaftState> = {
    name: 'log matching: same index and term imply identical prefixes (§5.3)',
    check(states) {
      for (const ia in states) {
        const a = states[ia]!;
        if (lastSeen.get(ia) === a) continue; // only nodes that changed need checking
        for (const ib in states) {
          if (ib === ia) continue;
          const b = states[ib]!;
          const lo = Math.max(a.log.snapshotIndex, b.log.snapshotIndex);
          const hi = Math.min(raftLastIndex(a.log), raftLastIndex(b.log));
          let matched = false;
          for (let i = hi; i > lo; i--) {
            const ta = termAt(a.log, i);
            const tb = termAt(b.log, i);
            if (matched) {
              if (ta !== tb) return `${ia} and ${ib} differ at ${i} below a matching entry`;
            } else if (ta === tb) matched = true;
          }
        }
      }
      return undefined;
    },
  };

  const leaderCompleteness: Invariant<RaftState> = {
    name: 'leader completeness: a leader holds every committed entry (§5.4)',
    check(states) {
      for (const id in states) {
        const s = states[id]!;
        const prev = lastSeen.get(id);
        if (s.role !== 'leader' || (prev !== undefined && prev.role === 'leader' && prev.term === s.term)) continue;
        if (raftLastIndex(s.log) < maxCommitted) return `${id} leads term ${s.term} without committed entries up to ${maxCommitted}`;
        for (let i = s.log.snapshotIndex + 1; i <= Math.min(maxCommitted, raftLastIndex(s.log)); i++) {
          const t = committed.get(i);
          if (t !== undefined && t !== termAt(s.log, i)) return `${id} leads with ${i}@t${termAt(s.log, i)}, committed t${t}`;
        }
      }
      return undefined;
    },
  };

  const stateMachineSafety: Invariant<RaftState> = {
    name: 'state machine safety: no two nodes commit different entries at an index (§5.4.3)',
    check(states) {
      let problem: string | undefined;
      for (const id in states) {
        const s = states[id]!;
        const prev = lastSeen.get(id);
        if (prev !== s) {
          if (s.commit > raftLastIndex(s.log) || s.applied > s.commit) {
            problem ??= `${id}: commit ${s.commit} / applied ${s.applied} beyond its log`;
          }
          const from = Math.max(s.log.snapshotIndex, Math.min(checkedUpTo.get(id) ?? 0, s.commit)) + 1;
          for (let i = from; i <= s.commit; i++) {
            const t = termAt(s.log, i);
            const known = committed.get(i);
            if (known === undefined) {
              committed.set(i, t);
              if (i > maxCommitted) maxCommitted = i;
            } else if (known !== t) problem ??= `${id} committed ${i}@t${t}, another node committed t${known}`;
          }
          checkedUpTo.set(id, s.commit);
        }
      }
      // Last of the set: remember what we saw for the next step.
      for (const id in states) lastSeen.set(id, states[id]!);
      return problem;
    },
  };

  // Order matters: the last one updates the shared memory of what was seen.
  return [electionSafety, leaderAppendOnly, logMatching, leaderCompleteness, stateMachineSafety];
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
      check(states) {
        const byTerm = new Map<number, NodeId>();
        for (const id in states) {
          const s = states[id]!;
          if (s.role !== 'leader') continue;
          const other = byTerm.get(s.term);
          if (other !== undefined) return `${other} and ${id} both lead term ${s.term}`;
          byTerm.set(s.term, id);
        }
        return undefined;
      },
    },
    {
      name: 'log matching: same index and term imply identical prefixes (§5.3)',
      check(states) {
        const ids = Object.keys(states);
        for (let x = 0; x < ids.length; x++) {
          for (let y = x + 1; y < ids.length; y++) {
            const a = states[ids[x]!]!;
            const b = states[ids[y]!]!;
            const lo = Math.max(a.log.snapshotIndex, b.log.snapshotIndex);
            let matched = false;
            for (let i = Math.min(raftLastIndex(a.log), raftLastIndex(b.log)); i > lo; i--) {
              const ta = termAt(a.log, i);
              const tb = termAt(b.log, i);
              if (matched && ta !== tb) return `${ids[x]} and ${ids[y]} differ at ${i} below a matching entry`;
              if (ta === tb) matched = true;
            }
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
