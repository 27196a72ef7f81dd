/**
 * The decided-transaction store shared by the 2PC and 3PC participants: tombstones live at least
 * `retain` and at most 17/16 of it, recovered ones wait for the first tick to restart their window.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import {
  DEFAULT_RETAIN_DECIDED_MS,
  NO_TOMBSTONES,
  addTombstone,
  recoveredTombstones,
  retainMs,
  tickTombstones,
  tombstoneCount,
  tombstoneDeadline,
  tombstoneEntries,
  tombstoneOf,
} from '../../src/txn/tombstones.js';

describe('tombstones', () => {
  it('retainMs: default, forever (null), and refusals', () => {
    expect(retainMs(undefined)).toBe(DEFAULT_RETAIN_DECIDED_MS);
    expect(retainMs(null)).toBeNull();
    expect(retainMs(0)).toBe(0);
    expect(() => retainMs(-1)).toThrow(ConfigError);
    expect(() => retainMs(Number.NaN)).toThrow(ConfigError);
  });

  it('a tombstone is found until its window has passed, then dropped at a tick', () => {
    let t = addTombstone<string>(NO_TOMBSTONES, 't1', 'commit', 0, 1600);
    t = addTombstone(t, 't2', 'abort', 50, 1600);
    expect(tombstoneOf(t, 't1')).toBe('commit');
    expect(tombstoneCount(t)).toBe(2);
    expect(tombstoneEntries(t)).toEqual([['t1', 'commit'], ['t2', 'abort']]);
    const deadline = tombstoneDeadline(t)!;
    expect(deadline).toBeGreaterThanOrEqual(1600);
    expect(deadline).toBeLessThanOrEqual(1700);
    expect(tickTombstones(t, 1599, 1600).tombstones).toBe(t);
    const after = tickTombstones(t, deadline, 1600);
    expect(after.dropped).toEqual([['t1', 'commit'], ['t2', 'abort']]);
    expect(tombstoneOf(after.tombstones, 't1')).toBeUndefined();
  });

  it('peer-chosen ids such as __proto__ are data, and null retention keeps tombstones forever', () => {
    const t = addTombstone(NO_TOMBSTONES, '__proto__', 'commit', 0, null);
    expect(tombstoneOf(t, '__proto__')).toBe('commit');
    expect(tombstoneOf(t, 'constructor')).toBeUndefined();
    expect(tickTombstones(t, Number.MAX_SAFE_INTEGER, null).dropped).toEqual([]);
  });

  it('recovered tombstones restart their window at the first tick', () => {
    const t = recoveredTombstones({ a: 'commit' });
    expect(tombstoneOf(t, 'a')).toBe('commit');
    const first = tickTombstones(t, 1000, 100).tombstones;
    expect(tombstoneOf(first, 'a')).toBe('commit');
    expect(tombstoneOf(tickTombstones(first, 1000 + 200, 100).tombstones, 'a')).toBeUndefined();
  });
});
