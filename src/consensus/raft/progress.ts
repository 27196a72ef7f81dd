/**
 * A follower's replication progress as the leader tracks it (etcd-io/raft's `tracker.Progress`):
 * the §5.3 matchIndex / nextIndex pair plus flow control in three states. `probe` sends one
 * AppendEntries at a time until the match point is found; `replicate` streams optimistically
 * within the inflight window (./inflights.ts); `snapshot` waits for an InstallSnapshot (§7) to land.
 * Progress is plain data: every function returns a new value (or the same one when nothing changes).
 *
 * @packageDocumentation
 */
import { raftAssert, raftBug } from './assert.js';
import { NO_INFLIGHTS, addInflight, freeFirstInflight, freeInflightsTo, inflightsFull, type InflightLimits, type InflightWindow } from './inflights.js';
import type { RaftProgress } from './types.js';

/**
 * The one constructor of a progress: the flow-control fields given, liveness (`active`, `ackedAt`)
 * from `p` unless given. Asserts `match < next`: nextIndex never falls to an entry the follower is
 * known to hold (§5.3).
 */
function build(
  p: RaftProgress,
  match: number,
  next: number,
  state: RaftProgress['state'],
  paused: boolean,
  w: InflightWindow,
  pendingSnapshot: number,
  snapshotSentAt: number,
  active = p.active,
  ackedAt = p.ackedAt,
): RaftProgress {
  if (match >= next) raftBug(`progress match ${match} not below next ${next}`);
  return {
    match,
    next,
    state,
    paused,
    inflight: w.inflight,
    active,
    pendingSnapshot,
    snapshotSentAt,
    ackedAt,
    inflightSizes: w.inflightSizes,
    inflightBytes: w.inflightBytes,
  };
}

/**
 * The progress of a follower the leader has not heard from: probing from `next` (§5.3: just after
 * the leader's last entry). `active` is false for the progress a new leader creates (etcd's
 * `reset`), so check-quorum counts only followers heard from in its first T; a member added by a
 * configuration change starts active (etcd's confchange), so it does not count against the leader
 * before it had a chance to answer.
 */
export function newProgress(next: number, active: boolean): RaftProgress {
  if (next <= 0) raftBug(`progress next ${next} must be positive`);
  return {
    match: 0,
    next,
    state: 'probe',
    paused: false,
    inflight: NO_INFLIGHTS.inflight,
    active,
    pendingSnapshot: 0,
    snapshotSentAt: 0,
    ackedAt: -1,
    inflightSizes: NO_INFLIGHTS.inflightSizes,
    inflightBytes: 0,
  };
}

/**
 * Whether the leader must not send `p`'s follower entries now (etcd's `IsPaused`): a probe with an
 * AppendEntries unanswered, a full inflight window, or a snapshot in flight.
 */
export function isPaused(p: RaftProgress, limits: InflightLimits): boolean {
  switch (p.state) {
    case 'probe':
      return p.paused;
    case 'replicate':
      return inflightsFull(p, limits);
    case 'snapshot':
      return true;
  }
}

/** Probe from `next` (etcd's `BecomeProbe`; by default from just after the match point). */
export function becomeProbe(p: RaftProgress, next = p.match + 1): RaftProgress {
  return build(p, p.match, next, 'probe', false, NO_INFLIGHTS, 0, p.snapshotSentAt);
}

/** Stream from just after `match`, now known (etcd's `BecomeReplicate`). */
export function becomeReplicate(p: RaftProgress, match = p.match): RaftProgress {
  return build(p, match, match + 1, 'replicate', false, NO_INFLIGHTS, 0, p.snapshotSentAt);
}

/** Wait for the snapshot up to `index`, sent at `now` (etcd's `BecomeSnapshot`). */
export function becomeSnapshot(p: RaftProgress, index: number, now: number): RaftProgress {
  return build(p, p.match, p.next, 'snapshot', false, NO_INFLIGHTS, index, now);
}

/**
 * The follower acknowledged entries up to `n` (etcd's `MaybeUpdate`, with the state change
 * `stepLeader` makes after it): match only grows, next never falls below match + 1; a probe or a
 * landed snapshot starts to replicate, a replicating follower frees the window up to `n`.
 * Undefined when `n` is not above the match (a duplicate or reordered acknowledgement).
 */
export function maybeUpdate(p: RaftProgress, n: number): RaftProgress | undefined {
  if (n <= p.match) return undefined;
  const next = Math.max(p.next, n + 1);
  switch (p.state) {
    case 'probe':
      return becomeReplicate(p, n);
    case 'snapshot':
      if (n >= p.pendingSnapshot) return becomeReplicate(p, n);
      // Not caught up to the snapshot yet: keep waiting for it (next is unused meanwhile).
      return build(p, n, next, 'snapshot', p.paused, p, p.pendingSnapshot, p.snapshotSentAt);
    case 'replicate':
      return build(p, n, next, 'replicate', p.paused, freeInflightsTo(p, n), 0, p.snapshotSentAt);
  }
}

/**
 * An AppendEntries whose last entry is `last` went out with `bytes` of payload (etcd's
 * `SentEntries`). Replicating: next moves past it optimistically and it joins the window (etcd's
 * `OptimisticUpdate` and `Inflights.Add`; nothing when it carried no entries). Probing: the probe
 * waits for its answer. Never called in the snapshot state, which sends nothing.
 */
export function sentEntries(p: RaftProgress, last: number, bytes: number, limits: InflightLimits): RaftProgress {
  raftAssert(p.state !== 'snapshot', 'append sent while a snapshot is in flight');
  if (p.state === 'probe') return build(p, p.match, p.next, 'probe', true, p, p.pendingSnapshot, p.snapshotSentAt);
  if (last < p.next) return p;
  return optimisticUpdate(p, last, bytes, limits);
}

/** Replicating: entries up to `last` are in flight; send from `last + 1` next (etcd's `OptimisticUpdate`). */
export function optimisticUpdate(p: RaftProgress, last: number, bytes: number, limits: InflightLimits): RaftProgress {
  return build(p, p.match, last + 1, 'replicate', p.paused, addInflight(p, last, bytes, limits), 0, p.snapshotSentAt);
}

/**
 * Whether a rejection of the AppendEntries after `rejected` is stale: replicating, it is at or
 * below the match point; probing, it does not answer the one probe out (etcd's checks in
 * `MaybeDecrTo`); in the snapshot state only the snapshot's answer counts.
 */
export function isStaleRejection(p: RaftProgress, rejected: number): boolean {
  switch (p.state) {
    case 'replicate':
      return rejected <= p.match;
    case 'probe':
      return rejected !== p.next - 1;
    case 'snapshot':
      return true;
  }
}

/**
 * The follower rejected the AppendEntries after `rejected`; `matchHint` is the leader's guess of
 * the last index both logs share (from the follower's conflict hint). Unless stale, probe again
 * from `max(min(rejected, matchHint + 1), match + 1)` (etcd's `MaybeDecrTo`; a replicating
 * follower takes the hint too, where etcd falls back to match + 1).
 */
export function maybeDecrTo(p: RaftProgress, rejected: number, matchHint: number): RaftProgress | undefined {
  if (isStaleRejection(p, rejected)) return undefined;
  return becomeProbe(p, Math.max(Math.min(rejected, matchHint + 1), p.match + 1, 1));
}

/** Heard from the follower in this check-quorum round, or not (etcd's `RecentActive`). */
export function withActive(p: RaftProgress, active: boolean): RaftProgress {
  if (p.active === active) return p;
  return build(p, p.match, p.next, p.state, p.paused, p, p.pendingSnapshot, p.snapshotSentAt, active);
}

/** A duplicate acknowledgement reached a paused probe: let the probe go again. */
export function resumeProbe(p: RaftProgress): RaftProgress {
  return build(p, p.match, p.next, p.state, false, p, p.pendingSnapshot, p.snapshotSentAt);
}

/**
 * The follower answered the heartbeat sent at `sentAt` (the leader's clock), received at `now`. It
 * is active; a probe may go again (etcd). A full window frees its oldest slot (etcd's
 * `FreeFirstOne`) so one more append goes out: if earlier ones were lost, the follower rejects it
 * for the gap and the leader probes, where falling back to probe here would discard a window that
 * is merely slower than the heartbeat interval. A snapshot unanswered for `snapshotTimeoutMs` may
 * have been lost: probe again (which resends it if still needed).
 */
export function heartbeatAcked(p: RaftProgress, sentAt: number, now: number, limits: InflightLimits, snapshotTimeoutMs: number): RaftProgress {
  const ackedAt = Math.max(p.ackedAt, Math.min(sentAt, now));
  if (p.state === 'snapshot' && now - p.snapshotSentAt >= snapshotTimeoutMs) {
    return build(p, p.match, p.match + 1, 'probe', false, NO_INFLIGHTS, 0, p.snapshotSentAt, true, ackedAt);
  }
  const w = p.state === 'replicate' && inflightsFull(p, limits) ? freeFirstInflight(p) : p;
  const paused = p.state === 'probe' ? false : p.paused;
  return build(p, p.match, p.next, p.state, paused, w, p.pendingSnapshot, p.snapshotSentAt, true, ackedAt);
}
