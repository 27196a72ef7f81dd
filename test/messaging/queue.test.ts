import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, deepFreeze } from 'distkit/core';
import { distributedQueue, type QueueCommand, type QueueResult, type QueueState } from 'distkit/messaging';

type Cmd = Record<string, unknown> & { type: string; now: number };

function run(commands: readonly Cmd[], config = {}): { state: QueueState; results: QueueResult[] } {
  let state = distributedQueue.init(config);
  const results: QueueResult[] = [];
  for (const c of commands) {
    const r = distributedQueue.apply(deepFreeze(state), deepFreeze(c));
    state = r.state;
    results.push(r.result);
  }
  return { state, results };
}

const enq = (body: unknown, now: number, extra: Record<string, unknown> = {}): Cmd => ({ type: 'enqueue', body, now, ...extra });
const recv = (consumer: string, now: number, extra: Record<string, unknown> = {}): Cmd => ({ type: 'receive', consumer, now, ...extra });

describe('distributedQueue: config', () => {
  it('fills defaults and names a bad field', () => {
    const o = distributedQueue.init({}).options;
    expect(o).toMatchObject({ visibilityTimeoutMs: 30_000, maxReceiveCount: 5, maxMessages: 10_000, dedupWindowMs: 300_000, maxGroupInFlight: 1 });
    expect(() => distributedQueue.init({ maxReceiveCount: 0 })).toThrow(ConfigError);
    expect(() => distributedQueue.init({ visibilityTimeoutMs: 10, maxVisibilityTimeoutMs: 5 })).toThrow(/visibilityTimeoutMs/);
  });
});

describe('distributedQueue: idempotent enqueue', () => {
  it('stores a retried enqueue once within the dedup window, and again after it', () => {
    const { state, results } = run([enq('a', 0, { key: 'k' }), enq('a', 100, { key: 'k' }), enq('a', 1000, { key: 'k' })], { dedupWindowMs: 1000 });
    expect(results.map((r) => r.type === 'enqueued' && [r.id, r.duplicate])).toEqual([['m1', false], ['m1', true], ['m2', false]]);
    expect(Object.keys(state.messages)).toEqual(['m1', 'm2']);
  });

  it('still answers duplicate for a key whose message was already acked', () => {
    const { results } = run([enq('a', 0, { key: 'k' }), recv('w', 1), { type: 'ack', id: 'm1', token: 1, now: 2 }, enq('a', 3, { key: 'k' })]);
    expect(results[3]).toEqual({ type: 'enqueued', id: 'm1', duplicate: true, at: 3 });
  });

  it('refuses a new key when maxDedupKeys are remembered, keeps answering known ones', () => {
    const { results } = run([enq(1, 0, { key: 'a' }), enq(2, 0, { key: 'b' }), enq(1, 0, { key: 'a' })], { maxDedupKeys: 1 });
    expect(results.map((r) => r.type)).toEqual(['enqueued', 'refused', 'enqueued']);
  });

  it('keys named like Object.prototype members are ordinary keys', () => {
    const { results } = run([enq(1, 0, { key: '__proto__' }), enq(1, 1, { key: '__proto__' }), enq(2, 2, { key: 'constructor' })]);
    expect(results.map((r) => r.type === 'enqueued' && r.duplicate)).toEqual([false, true, false]);
  });
});

describe('distributedQueue: leases and fencing tokens', () => {
  it('redelivers after the visibility timeout with a new token; the old token cannot ack', () => {
    const { results, state } = run(
      [enq('job', 0), recv('w1', 0), recv('w2', 500), recv('w2', 1000), { type: 'ack', id: 'm1', token: 1, now: 1001 }, { type: 'ack', id: 'm1', token: 2, now: 1002 }],
      { visibilityTimeoutMs: 1000 },
    );
    expect(results[1]).toMatchObject({ type: 'received', message: { id: 'm1', token: 1, receiveCount: 1, expiresAt: 1000 } });
    expect(results[2]).toEqual({ type: 'empty', at: 500 });
    expect(results[3]).toMatchObject({ type: 'received', message: { id: 'm1', token: 2, receiveCount: 2 } });
    expect(results[4]).toMatchObject({ type: 'refused', command: 'ack', reason: 'stale fencing token 1: leased again with token 2' });
    expect(results[5]).toMatchObject({ type: 'acked', id: 'm1', token: 2 });
    expect(state.messages).toEqual({});
  });

  it('refuses an ack at the very instant the lease expires, even before anyone re-leased it', () => {
    const { results } = run([enq('job', 0), recv('w1', 0), { type: 'ack', id: 'm1', token: 1, now: 1000 }], { visibilityTimeoutMs: 1000 });
    expect(results[2]).toMatchObject({ type: 'refused', reason: 'lease expired' });
  });

  it('renew extends the lease; the clock never goes back (a new leader with a slower clock)', () => {
    const { results } = run(
      [enq('job', 0), recv('w1', 100), { type: 'renew', id: 'm1', token: 1, now: 900 }, { type: 'ack', id: 'm1', token: 1, now: 50 }],
      { visibilityTimeoutMs: 1000 },
    );
    expect(results[2]).toMatchObject({ type: 'renewed', expiresAt: 1900 });
    expect(results[3]).toMatchObject({ type: 'acked', at: 900 });
  });

  it('an ack of an acked message is refused', () => {
    const { results } = run([enq('job', 0), recv('w1', 0), { type: 'ack', id: 'm1', token: 1, now: 1 }, { type: 'ack', id: 'm1', token: 1, now: 2 }]);
    expect(results[3]).toMatchObject({ type: 'refused', reason: 'lease expired: the message was acked or dead-lettered' });
  });
});

describe('distributedQueue: redelivery count and dead letters', () => {
  it('moves a message to the dead-letter queue after maxReceiveCount expired leases, and redrives it', () => {
    const cmds: Cmd[] = [enq('poison', 0)];
    for (let i = 0; i < 3; i++) cmds.push(recv('w', i * 100));
    cmds.push(recv('w', 300));
    const { state, results } = run(cmds, { visibilityTimeoutMs: 100, maxReceiveCount: 3 });
    expect(results.slice(1, 4).map((r) => r.type === 'received' && r.message.receiveCount)).toEqual([1, 2, 3]);
    expect(results[4]).toEqual({ type: 'empty', at: 300 });
    expect(state.deadLetters).toHaveLength(1);
    expect(state.deadLetters[0]).toMatchObject({ reason: 'maxReceiveCount', at: 300, message: { id: 'm1', receiveCount: 3 } });
    const r = distributedQueue.apply(state, { type: 'redrive', now: 400 });
    expect(r.result).toEqual({ type: 'redriven', count: 1, at: 400 });
    expect(distributedQueue.apply(r.state, { type: 'receive', consumer: 'w', now: 401 }).result).toMatchObject({ type: 'received', message: { id: 'm1', receiveCount: 1 } });
  });

  it('a nack makes the message visible again after its delay, and dead-letters at the limit', () => {
    const { results } = run(
      [enq('x', 0), recv('w', 0), { type: 'nack', id: 'm1', token: 1, delayMs: 50, now: 1 }, recv('w', 10), recv('w', 51), { type: 'nack', id: 'm1', token: 2, now: 52 }],
      { maxReceiveCount: 2 },
    );
    expect(results[2]).toMatchObject({ type: 'nacked', deadLettered: false });
    expect(results[3]?.type).toBe('empty');
    expect(results[4]).toMatchObject({ type: 'received', message: { token: 2, receiveCount: 2 } });
    expect(results[5]).toMatchObject({ type: 'nacked', deadLettered: true });
  });
});

describe('distributedQueue: delays, priorities, groups', () => {
  it('a delayed message is not received before its time', () => {
    const { results } = run([enq('later', 0, { delayMs: 100 }), recv('w', 99), recv('w', 100)]);
    expect(results.map((r) => r.type)).toEqual(['enqueued', 'empty', 'received']);
  });

  it('higher priority first, then enqueue order', () => {
    const { results } = run([enq('low', 0), enq('high', 0, { priority: 9 }), enq('low2', 0), recv('w', 1), recv('w', 1), recv('w', 1)]);
    expect(results.slice(3).map((r) => r.type === 'received' && r.message.body)).toEqual(['high', 'low', 'low2']);
  });

  it('a group delivers in order, one at a time by default; other groups are not blocked', () => {
    const { results } = run([enq('g1', 0, { group: 'A' }), enq('g2', 0, { group: 'A', priority: 50 }), enq('b1', 0, { group: 'B' }), recv('w', 1), recv('w', 1), recv('w', 1)]);
    expect(results.slice(3).map((r) => (r.type === 'received' ? r.message.body : r.type))).toEqual(['g1', 'b1', 'empty']);
  });

  it('maxGroupInFlight lets that many of a group run at once, in order', () => {
    const { results } = run([enq(1, 0, { group: 'A' }), enq(2, 0, { group: 'A' }), enq(3, 0, { group: 'A' }), recv('w', 1), recv('w', 1), recv('w', 1)], { maxGroupInFlight: 2 });
    expect(results.slice(3).map((r) => (r.type === 'received' ? r.message.body : r.type))).toEqual([1, 2, 'empty']);
  });
});

describe('distributedQueue: back-pressure', () => {
  it('refuses an enqueue with a reason when maxMessages are stored', () => {
    const { results } = run([enq(1, 0), enq(2, 0), enq(3, 0)], { maxMessages: 2 });
    expect(results[2]).toMatchObject({ type: 'refused', command: 'enqueue', reason: 'queue full: 2 messages stored (maxMessages)' });
  });

  it('gives no message with a reason when maxInFlight are leased', () => {
    const { results } = run([enq(1, 0), enq(2, 0), recv('w', 0), recv('w', 0)], { maxInFlight: 1 });
    expect(results[3]).toEqual({ type: 'empty', at: 0, reason: '1 messages in flight (maxInFlight)' });
  });

  it('refuses malformed commands without changing anything but the clock', () => {
    const s = distributedQueue.init({});
    for (const bad of [null, 5, { type: 'enqueue' }, { type: 'ack', id: 'm1', token: 1.5, now: 3 }, { type: '__proto__', now: 1 }, { type: 'receive', consumer: '', now: 1 }]) {
      const r = distributedQueue.apply(deepFreeze(s), bad);
      expect(r.result.type).toBe('refused');
      expect(r.state.messages).toBe(s.messages);
    }
  });
});

// A random schedule of queue commands from a few consumers, with time moving forward.
const commandArb = fc.oneof(
  fc.record({ type: fc.constant('enqueue'), body: fc.integer({ min: 0, max: 20 }), key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }), group: fc.option(fc.constantFrom('A', 'B'), { nil: undefined }), priority: fc.integer({ min: 0, max: 3 }), delayMs: fc.constantFrom(0, 0, 50) }),
  fc.record({ type: fc.constant('receive'), consumer: fc.constantFrom('w1', 'w2') }),
  fc.record({ type: fc.constantFrom('ack', 'nack', 'renew'), id: fc.constantFrom('m1', 'm2', 'm3', 'm4'), token: fc.integer({ min: 1, max: 8 }) }),
);
const scheduleArb = fc.array(fc.tuple(commandArb, fc.integer({ min: 0, max: 60 })), { maxLength: 60 });

function clean(c: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c).filter(([, x]) => x !== undefined));
}

describe('distributedQueue: properties over random schedules', () => {
  it('an ack succeeds only for the current lease, before it expires (fencing)', () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        let s = distributedQueue.init({ visibilityTimeoutMs: 100, maxReceiveCount: 3 });
        let now = 0;
        const leases = new Map<number, { id: string; expiresAt: number }>();
        for (const [c, dt] of schedule) {
          now += dt;
          const before = s;
          const r = distributedQueue.apply(s, { ...clean(c), now } as QueueCommand);
          s = r.state;
          if (r.result.type === 'received') leases.set(r.result.message.token, { id: r.result.message.id, expiresAt: r.result.message.expiresAt });
          if (r.result.type === 'renewed') leases.set(r.result.token, { id: r.result.id, expiresAt: r.result.expiresAt });
          if (r.result.type === 'acked') {
            const lease = leases.get(r.result.token);
            expect(lease?.id).toBe(r.result.id);
            expect(r.result.at).toBeLessThan(lease!.expiresAt);
            // No later token was issued for this message.
            for (const [t, l] of leases) if (l.id === r.result.id) expect(t).toBeLessThanOrEqual(r.result.token);
            expect(before.messages[r.result.id]?.lease?.token).toBe(r.result.token);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('nothing is lost: every message enqueued is stored, acked, or dead-lettered; keys are stored once', () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        let s = distributedQueue.init({ visibilityTimeoutMs: 100, maxReceiveCount: 3 });
        let now = 0;
        const enqueued = new Set<string>();
        const acked = new Set<string>();
        const idsByKey = new Map<string, Set<string>>();
        for (const [c, dt] of schedule) {
          now += dt;
          const r = distributedQueue.apply(s, { ...clean(c), now } as QueueCommand);
          s = r.state;
          if (r.result.type === 'enqueued') {
            enqueued.add(r.result.id);
            const key = (c as { key?: string }).key;
            if (key !== undefined) idsByKey.set(key, (idsByKey.get(key) ?? new Set()).add(r.result.id));
          }
          if (r.result.type === 'acked') {
            expect(acked.has(r.result.id)).toBe(false);
            acked.add(r.result.id);
          }
        }
        const present = new Set([...Object.keys(s.messages), ...s.deadLetters.map((d) => d.message.id)]);
        for (const id of enqueued) expect(present.has(id) !== acked.has(id)).toBe(true);
        // The schedule spans at most 3.6 s, inside the 5-minute window: one message per key.
        for (const ids of idsByKey.values()) expect(ids.size).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and JSON-stable: replicas applying the same commands agree', () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        let a = distributedQueue.init({ visibilityTimeoutMs: 100 });
        let b: QueueState = JSON.parse(JSON.stringify(a)) as QueueState;
        let now = 0;
        for (const [c, dt] of schedule) {
          now += dt;
          a = distributedQueue.apply(a, { ...clean(c), now } as QueueCommand).state;
          b = JSON.parse(JSON.stringify(distributedQueue.apply(b, { ...clean(c), now } as QueueCommand).state)) as QueueState;
        }
        expect(b).toEqual(a);
        expect(distributedQueue.restore(JSON.parse(JSON.stringify(a)), { visibilityTimeoutMs: 100 })).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });

  it('an ack that asks for the next message is the ack followed by a receive at the same time, for the same consumer; a refused ack receives nothing', () => {
    fc.assert(
      fc.property(scheduleArb, fc.option(fc.constantFrom('w1', 'w3'), { nil: undefined }), (schedule, asker) => {
        let s = distributedQueue.init({ visibilityTimeoutMs: 100, maxReceiveCount: 3 });
        let now = 0;
        for (const [c, dt] of schedule) {
          now += dt;
          const command = { ...clean(c), now } as QueueCommand;
          if (command.type === 'ack') {
            const both = distributedQueue.apply(s, { ...command, next: asker === undefined ? {} : { consumer: asker } });
            const acked = distributedQueue.apply(s, command);
            if (acked.result.type !== 'acked') {
              expect(both).toEqual(acked);
            } else {
              const consumer = asker ?? s.messages[command.id]!.lease!.consumer;
              const received = distributedQueue.apply(acked.state, { type: 'receive', consumer, now });
              expect(both.state).toEqual(received.state);
              expect(both.result).toEqual({ ...acked.result, next: received.result.type === 'received' ? received.result.message : null });
            }
          }
          s = distributedQueue.apply(s, command).state;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an ack whose next lease would be too long is refused whole: the message stays leased', () => {
    let s = distributedQueue.init({ visibilityTimeoutMs: 100, maxVisibilityTimeoutMs: 1000 });
    s = distributedQueue.apply(s, { type: 'enqueue', body: 'a', now: 0 }).state;
    s = distributedQueue.apply(s, { type: 'receive', consumer: 'w1', now: 1 }).state;
    const r = distributedQueue.apply(s, { type: 'ack', id: 'm1', token: 1, next: { visibilityTimeoutMs: 5000 }, now: 2 });
    expect(r.result).toMatchObject({ type: 'refused', command: 'ack', reason: 'next.visibilityTimeoutMs 5000 exceeds maxVisibilityTimeoutMs 1000' });
    expect(r.state.messages['m1']?.lease?.token).toBe(1);
  });
});
