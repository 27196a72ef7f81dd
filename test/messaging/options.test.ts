import { describe, expect, it } from 'vitest';
import { ConfigError, v } from 'distkit/core';
import { dataLimitsOption, restoreSnapshot } from '../../src/messaging/options.js';

describe('messaging options', () => {
  it('dataLimitsOption fills defaults and names the field it refuses', () => {
    expect(dataLimitsOption('bodyLimits', undefined, 100)).toEqual({ maxDepth: 64, maxBytes: 100 });
    expect(dataLimitsOption('bodyLimits', { maxDepth: 3 }, 100)).toEqual({ maxDepth: 3, maxBytes: 100 });
    expect(() => dataLimitsOption('valueLimits', 5 as never, 100)).toThrow(ConfigError);
    expect(() => dataLimitsOption('valueLimits', { maxBytes: 0 }, 100)).toThrow(/valueLimits.maxBytes/);
  });

  it('restoreSnapshot refuses a snapshot of the wrong shape and replaces its options with the replica’s', () => {
    const restore = restoreSnapshot<{ n: number }, { options: number; x: number }>(v.object({ x: v.int() }), (c) => c.n);
    expect(restore({ x: 'no' }, { n: 1 })).toBeUndefined();
    expect(restore({ x: 2, options: 99 }, { n: 1 })).toEqual({ x: 2, options: 1 });
  });
});
