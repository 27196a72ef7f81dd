import { describe, expect, it } from 'vitest';
import { Stats } from '../../src/sim/stats.js';

describe('stats', () => {
  it('counts messages in total and per type, types in code-unit order', () => {
    const s = new Stats();
    const ping = s.sent({ type: 'ping' });
    s.duplicated(ping);
    s.delivered(ping, false);
    s.delivered(ping, true);
    const junk = s.sent(42);
    s.dropped(junk);
    const r = s.summary(10);
    expect(r.messages).toEqual({ sent: 2, delivered: 2, dropped: 1, duplicated: 1, corrupted: 1 });
    expect(Object.keys(r.byType)).toEqual(['(untyped)', 'ping']);
    expect(r.byType.ping).toEqual({ sent: 1, delivered: 2, dropped: 0, duplicated: 1, corrupted: 1 });
    expect(r.timeMs).toBe(10);
  });
});
