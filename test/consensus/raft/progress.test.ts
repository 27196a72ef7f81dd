// Replication progress (etcd-io/raft's tracker.Progress): the cases of etcd's
// tracker/progress_test.go carried over, with this machine's differences noted where a case differs.
import { describe, expect, it } from 'vitest';
import { ContractViolation } from 'distkit/core';
import type { RaftProgress } from 'distkit/consensus';
import { NO_INFLIGHTS, addInflight } from '../../../src/consensus/raft/inflights.js';
import {
  becomeProbe,
  becomeReplicate,
  becomeSnapshot,
  heartbeatAcked,
  isPaused,
  isStaleRejection,
  maybeDecrTo,
  maybeUpdate,
  newProgress,
  optimisticUpdate,
  resumeProbe,
  sentEntries,
  withActive,
} from '../../../src/consensus/raft/progress.js';

const LIMITS = { maxInflight: 256, maxInflightBytes: Number.MAX_SAFE_INTEGER };
/** A byte limit no test reaches: the window records bytes. */
const COUNTED = { maxInflight: 256, maxInflightBytes: 1e9 };

function progress(fields: Partial<RaftProgress>): RaftProgress {
  return { ...newProgress(1, false), ...fields };
}

describe('progress: the three states', () => {
  it('a new progress probes from the given index, nothing matched, nothing in flight', () => {
    expect(newProgress(7, true)).toEqual({
      match: 0,
      next: 7,
      state: 'probe',
      paused: false,
      inflight: [],
      active: true,
      pendingSnapshot: 0,
      snapshotSentAt: 0,
      ackedAt: -1,
      inflightSizes: [],
      inflightBytes: 0,
    });
  });
  it('is paused: a probe with a message out, a full window, a snapshot in flight (etcd TestProgressIsPaused)', () => {
    const full = addInflight(NO_INFLIGHTS, 3, 0, { maxInflight: 1, maxInflightBytes: 1 });
    const cases: [Partial<RaftProgress>, boolean][] = [
      [{ state: 'probe', paused: false }, false],
      [{ state: 'probe', paused: true }, true],
      [{ state: 'replicate', paused: false }, false],
      // etcd pauses a replicating follower by a flag; here the full window is the pause.
      [{ state: 'replicate', next: 4, ...full }, true],
      [{ state: 'snapshot', paused: false }, true],
      [{ state: 'snapshot', paused: true }, true],
    ];
    for (const [fields, paused] of cases) expect(isPaused(progress(fields), { maxInflight: 1, maxInflightBytes: 1 })).toBe(paused);
  });
  it('becomeProbe resets to match + 1 (etcd TestProgressBecomeProbe)', () => {
    const window = addInflight(NO_INFLIGHTS, 4, 9, COUNTED);
    const cases: [Partial<RaftProgress>, number][] = [
      [{ state: 'replicate', match: 1, next: 5, ...window }, 2],
      // etcd resumes after a pending snapshot (next 11); here a snapshot leaves the snapshot state
      // by its acknowledgement (maybeUpdate), and becomeProbe means it may have been lost.
      [{ state: 'snapshot', match: 1, next: 5, pendingSnapshot: 10 }, 2],
      [{ state: 'snapshot', match: 1, next: 5, pendingSnapshot: 0 }, 2],
    ];
    for (const [fields, next] of cases) {
      const p = becomeProbe(progress(fields));
      expect(p.state).toBe('probe');
      expect(p.match).toBe(1);
      expect(p.next).toBe(next);
      expect(p.inflight).toEqual([]);
      expect(p.inflightBytes).toBe(0);
      expect(p.pendingSnapshot).toBe(0);
    }
  });
  it('becomeReplicate streams from match + 1 (etcd TestProgressBecomeReplicate)', () => {
    const p = becomeReplicate(progress({ state: 'probe', match: 1, next: 5 }));
    expect([p.state, p.match, p.next]).toEqual(['replicate', 1, 2]);
  });
  it('becomeSnapshot waits for the snapshot, keeping the match (etcd TestProgressBecomeSnapshot)', () => {
    const p = becomeSnapshot(progress({ state: 'probe', match: 1, next: 5 }), 10, 1234);
    expect([p.state, p.match, p.pendingSnapshot, p.snapshotSentAt]).toEqual(['snapshot', 1, 10, 1234]);
  });
});

describe('progress: acknowledgements and rejections', () => {
  it('maybeUpdate: match only grows, next never falls below match + 1 (etcd TestProgressUpdate)', () => {
    const prevM = 3;
    const prevN = 5;
    const cases: [number, number, number, boolean][] = [
      [prevM - 1, prevM, prevN, false], // do not decrease match, next
      [prevM, prevM, prevN, false], // do not decrease next
      [prevM + 1, prevM + 1, prevN, true], // increase match, do not decrease next
      [prevM + 2, prevM + 2, prevN + 1, true], // increase match, next
    ];
    for (const [update, match, next, ok] of cases) {
      const p = progress({ state: 'replicate', match: prevM, next: prevN });
      const q = maybeUpdate(p, update);
      expect(q !== undefined).toBe(ok);
      expect((q ?? p).match).toBe(match);
      expect((q ?? p).next).toBe(next);
    }
  });
  it('maybeUpdate frees the window up to the acknowledged index', () => {
    let p = progress({ state: 'replicate', match: 1, next: 2 });
    for (const last of [2, 4, 6]) p = optimisticUpdate(p, last, 10, COUNTED);
    expect([p.next, p.inflight, p.inflightBytes]).toEqual([7, [2, 4, 6], 30]);
    p = maybeUpdate(p, 4)!;
    expect([p.match, p.next, p.inflight, p.inflightBytes]).toEqual([4, 7, [6], 10]);
  });
  it('maybeUpdate: a probe, or a snapshot that landed, starts to replicate; a snapshot not yet reached keeps waiting', () => {
    expect(maybeUpdate(progress({ state: 'probe', match: 0, next: 3, paused: true }), 2)).toMatchObject({ state: 'replicate', match: 2, next: 3, paused: false });
    expect(maybeUpdate(progress({ state: 'snapshot', match: 1, next: 2, pendingSnapshot: 10 }), 10)).toMatchObject({ state: 'replicate', match: 10, next: 11, pendingSnapshot: 0 });
    expect(maybeUpdate(progress({ state: 'snapshot', match: 1, next: 2, pendingSnapshot: 10 }), 5)).toMatchObject({ state: 'snapshot', match: 5, next: 6, pendingSnapshot: 10 });
  });
  it('both maybeDecrTo and maybeUpdate resume a paused probe (etcd TestProgressResume)', () => {
    const p = maybeDecrTo(progress({ next: 2, paused: true }), 1, 1)!;
    expect(p.paused).toBe(false);
    expect(maybeUpdate({ ...p, paused: true }, 2)!.paused).toBe(false);
  });
  it('maybeDecrTo (etcd TestProgressMaybeDecr)', () => {
    // [state, match, next, rejected, matchHint, decreased, next after]
    const cases: [RaftProgress['state'], number, number, number, number, boolean, number][] = [
      ['replicate', 5, 10, 5, 5, false, 10], // rejected not above match: stale
      ['replicate', 5, 10, 4, 4, false, 10], // rejected not above match: stale
      // Rejected above match: etcd jumps to match + 1 (6); this machine takes the hint when it is
      // larger, the improvement etcd's MaybeDecrTo leaves as a TODO.
      ['replicate', 5, 10, 9, 9, true, 9],
      ['replicate', 5, 10, 9, 3, true, 6],
      ['probe', 0, 10, 5, 5, false, 10], // does not answer the probe out: stale
      ['probe', 0, 10, 9, 9, true, 9], // next - 1
      ['probe', 0, 2, 1, 1, true, 1], // next - 1
      ['probe', 0, 1, 0, 0, true, 1], // never below 1
      ['probe', 0, 10, 9, 2, true, 3], // min(rejected, hint + 1)
      ['probe', 0, 10, 9, 0, true, 1], // hint 0: from 1
      ['snapshot', 0, 10, 9, 9, false, 10], // only the snapshot's answer counts
    ];
    for (const [state, match, next, rejected, hint, ok, after] of cases) {
      const p = progress({ state, match, next });
      expect(isStaleRejection(p, rejected)).toBe(!ok);
      const q = maybeDecrTo(p, rejected, hint);
      expect(q !== undefined).toBe(ok);
      expect((q ?? p).match).toBe(match);
      expect((q ?? p).next).toBe(after);
      if (q !== undefined) expect(q.state).toBe('probe');
    }
  });
});

describe('progress: sending and liveness', () => {
  it('sentEntries: a probe waits for its answer; a replicating follower moves next optimistically', () => {
    expect(sentEntries(progress({ state: 'probe', next: 3 }), 5, 0, LIMITS)).toMatchObject({ paused: true, next: 3 });
    const r = progress({ state: 'replicate', match: 2, next: 3 });
    expect(sentEntries(r, 2, 0, LIMITS)).toBe(r);
    expect(sentEntries(r, 5, 40, COUNTED)).toMatchObject({ next: 6, inflight: [5], inflightSizes: [40], inflightBytes: 40 });
    expect(sentEntries(r, 5, 40, LIMITS)).toMatchObject({ next: 6, inflight: [5], inflightSizes: [], inflightBytes: 0 });
    expect(() => sentEntries(progress({ state: 'snapshot' }), 5, 0, LIMITS)).toThrow(ContractViolation);
  });
  it('withActive and resumeProbe return the same progress when nothing changes', () => {
    const p = progress({ active: true });
    expect(withActive(p, true)).toBe(p);
    expect(withActive(p, false).active).toBe(false);
    expect(resumeProbe(progress({ paused: true })).paused).toBe(false);
  });
  it('a heartbeat answer: active, latest ack, frees one slot of a full window, retries a lost snapshot', () => {
    const limits = { maxInflight: 2, maxInflightBytes: Number.MAX_SAFE_INTEGER };
    let r = progress({ state: 'replicate', match: 1, next: 2 });
    r = optimisticUpdate(optimisticUpdate(r, 2, 0, limits), 3, 0, limits);
    const h = heartbeatAcked(r, 500, 600, limits, 1000);
    expect([h.active, h.ackedAt, h.inflight]).toEqual([true, 500, [3]]);
    // The acknowledgement time never goes back, and never passes the time it arrived.
    expect(heartbeatAcked(h, 400, 600, limits, 1000).ackedAt).toBe(500);
    expect(heartbeatAcked(h, 900, 700, limits, 1000).ackedAt).toBe(700);
    const s = becomeSnapshot(progress({ match: 3, next: 4 }), 10, 100);
    expect(heartbeatAcked(s, 500, 600, limits, 1000).state).toBe('snapshot');
    expect(heartbeatAcked(s, 1050, 1100, limits, 1000)).toMatchObject({ state: 'probe', next: 4, pendingSnapshot: 0 });
    expect(heartbeatAcked(progress({ paused: true }), 1, 1, limits, 1000).paused).toBe(false);
  });
  it('asserts match < next: a progress that would send an entry the follower holds is a bug', () => {
    expect(() => becomeProbe(progress({ match: 5, next: 6 }), 5)).toThrow(ContractViolation);
    expect(() => newProgress(0, false)).toThrow(ContractViolation);
  });
});
