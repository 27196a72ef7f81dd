import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, deepFreeze } from 'distkit/core';
import { PUBSUB_PRODUCER_WINDOW, partitionForKey, pubSub, pubSubStateProblem, type PubSubResult, type PubSubState } from 'distkit/messaging';

type Cmd = Record<string, unknown> & { type: string; now: number };

function run(commands: readonly Cmd[], config = {}, from?: PubSubState): { state: PubSubState; results: PubSubResult[] } {
  let state = from ?? pubSub.init(config);
  const results: PubSubResult[] = [];
  for (const c of commands) {
    const r = pubSub.apply(deepFreeze(state), deepFreeze(c));
    expect(pubSubStateProblem(r.state)).toBeUndefined();
    state = r.state;
    results.push(r.result);
  }
  return { state, results };
}

const topic = (name: string, partitions: number, now = 0, extra: Record<string, unknown> = {}): Cmd => ({ type: 'createTopic', topic: name, partitions, now, ...extra });
const pub = (t: string, value: unknown, now: number, extra: Record<string, unknown> = {}): Cmd => ({ type: 'publish', topic: t, value, now, ...extra });
const fetch = (t: string, partition: number, now: number, extra: Record<string, unknown> = {}): Cmd => ({ type: 'fetch', topic: t, partition, now, ...extra });
const published = (r: PubSubResult) => (r.type === 'published' ? [r.partition, r.offset, r.duplicate] : r);
const values = (r: PubSubResult) => (r.type === 'fetched' ? r.records.map((x) => x.value) : r);

describe('pubSub: config', () => {
  it("fills Kafka's defaults and names a bad field", () => {
    expect(pubSub.init({}).options).toMatchObject({ sessionTimeoutMs: 45_000, maxFetchCount: 500, retentionMs: 604_800_000, producerExpiryMs: 86_400_000 });
    expect(() => pubSub.init({ maxTopics: 0 })).toThrow(ConfigError);
    expect(() => pubSub.init({ valueLimits: { maxBytes: -1 } })).toThrow(/valueLimits.maxBytes/);
  });
});

describe('pubSub: topics, partitions and ordering keys', () => {
  it('a key always lands on the same partition (Kafka murmur2), and that partition keeps publish order', () => {
    const cmds = [topic('t', 4), ...Array.from({ length: 20 }, (_, i) => pub('t', `${i % 3}:${i}`, i + 1, { key: `k${i % 3}` }))];
    const { state, results } = run(cmds);
    for (let k = 0; k < 3; k++) {
      const p = partitionForKey(`k${k}`, 4);
      const mine = results.slice(1).filter((r, i) => i % 3 === k);
      expect(mine.every((r) => r.type === 'published' && r.partition === p)).toBe(true);
      const log = state.topics.t!.partitions[p]!.records.filter((r) => r.key === `k${k}`).map((r) => r.value);
      expect(log).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 3 === k).map((i) => `${k}:${i}`));
    }
  });

  it('unkeyed records go round robin; an explicit partition wins; offsets are dense per partition', () => {
    const { results } = run([topic('t', 3), pub('t', 'a', 1), pub('t', 'b', 2), pub('t', 'c', 3), pub('t', 'd', 4), pub('t', 'e', 5, { partition: 2, key: 'x' })]);
    expect(results.slice(1).map(published)).toEqual([[0, 0, false], [1, 0, false], [2, 0, false], [0, 1, false], [2, 1, false]]);
  });

  it('refuses unknown topics, missing partitions, a second create with another count, and past maxTopics / maxPartitions', () => {
    const { results } = run([topic('t', 2), topic('t', 2), topic('t', 3), pub('u', 1, 1), pub('t', 1, 1, { partition: 2 }), topic('v', 9), topic('w', 1), topic('x', 1)], { maxTopics: 2, maxPartitions: 8 });
    expect(results.map((r) => (r.type === 'refused' ? r.reason : r.type))).toEqual([
      'topicCreated',
      'topicCreated',
      'topic "t" exists with 2 partitions, not 3',
      'unknown topic "u"',
      'no partition 2: the topic has 2',
      '9 partitions exceed maxPartitions 8',
      'topicCreated',
      '2 topics exist (maxTopics)',
    ]);
    expect(results[1]).toMatchObject({ existed: true });
  });
});

describe('pubSub: the idempotent producer (KIP-98)', () => {
  const p = (seq: number, value: unknown, now: number) => pub('t', value, now, { producerId: 'p1', sequence: seq });

  it('a retry of a sequence returns the original offset and stores nothing', () => {
    const { state, results } = run([topic('t', 2), p(0, 'a', 1), p(1, 'b', 2), p(1, 'b', 3), p(0, 'a', 4), p(2, 'c', 5)]);
    expect(results.slice(1).map(published)).toEqual([[0, 0, false], [1, 0, false], [1, 0, true], [0, 0, true], [0, 1, false]]);
    expect(state.topics.t!.partitions.flatMap((x) => x.records.map((r) => r.value))).toEqual(['a', 'c', 'b']);
  });

  it('refuses a gap, a first sequence other than 0, a sequence older than the window, and a reused sequence on another topic', () => {
    const cmds = [topic('t', 1), topic('u', 1), ...Array.from({ length: 7 }, (_, i) => p(i, i, i + 1)), p(9, 'gap', 10), pub('t', 'x', 11, { producerId: 'p2', sequence: 3 }), p(0, 0, 12), pub('u', 6, 13, { producerId: 'p1', sequence: 6 })];
    const { results } = run(cmds);
    const reasons = results.slice(-4).map((r) => (r.type === 'refused' ? r.reason : r.type));
    expect(reasons[0]).toBe('out-of-order sequence 9 from producer "p1": expected 7');
    expect(reasons[1]).toMatch(/^unknown producer "p2": its first sequence must be 0, got 3/);
    expect(reasons[2]).toBe(`sequence 0 from producer "p1" is older than the last ${PUBSUB_PRODUCER_WINDOW} remembered (last 6): cannot confirm it as a duplicate`);
    expect(reasons[3]).toBe('sequence 6 from producer "p1" was used for topic "t"');
  });

  it('forgets an idle producer after producerExpiryMs, then wants a new id; a refused publish consumes no sequence', () => {
    const { results } = run([topic('t', 1), p(0, 'a', 1), pub('t', { bad: 1n }, 2, { producerId: 'p1', sequence: 1 }), p(1, 'b', 3), p(2, 'c', 1000)], { producerExpiryMs: 500 });
    expect(results.map((r) => r.type)).toEqual(['topicCreated', 'published', 'refused', 'published', 'refused']);
    expect(results[4]).toMatchObject({ reason: expect.stringMatching(/unknown producer/) });
  });

  it('bounds the producer table (maxProducers)', () => {
    const { results } = run([topic('t', 1), pub('t', 1, 1, { producerId: 'a', sequence: 0 }), pub('t', 2, 2, { producerId: 'b', sequence: 0 }), pub('t', 3, 3)], { maxProducers: 1 });
    expect(results.map((r) => r.type)).toEqual(['topicCreated', 'published', 'refused', 'published']);
  });
});

describe('pubSub: retention and replay', () => {
  it('keeps retentionCount records per partition and moves the log start; fetch below it is out of range', () => {
    const { state, results } = run([topic('t', 1, 0, { retentionCount: 3 }), ...[1, 2, 3, 4, 5].map((i) => pub('t', i, i)), fetch('t', 0, 6, { offset: 0 }), fetch('t', 0, 7, { offset: 2 })]);
    expect(state.topics.t!.partitions[0]!.startOffset).toBe(2);
    expect(results[6]).toEqual({ type: 'offsetOutOfRange', topic: 't', partition: 0, offset: 0, logStartOffset: 2, logEndOffset: 5, at: 6 });
    expect(values(results[7]!)).toEqual([3, 4, 5]);
  });

  it('drops records older than retentionMs on the replicated clock', () => {
    const { state } = run([topic('t', 1, 0, { retentionMs: 100 }), pub('t', 'old', 10), pub('t', 'new', 80), { type: 'offsets', group: 'g', now: 110 }]);
    expect(state.topics.t!.partitions[0]).toMatchObject({ startOffset: 1, records: [{ offset: 1, value: 'new' }] });
  });

  it('replays from any retained offset as often as asked; a fetch never moves anything', () => {
    const { state, results } = run([topic('t', 1), ...[0, 1, 2, 3].map((i) => pub('t', i, i + 1)), fetch('t', 0, 9, { offset: 1, maxCount: 2 }), fetch('t', 0, 9, { offset: 1 }), fetch('t', 0, 9, { offset: 4 })]);
    expect(results.slice(5).map(values)).toEqual([[1, 2], [1, 2, 3], []]);
    expect(results[5]).toMatchObject({ nextOffset: 3, logEndOffset: 4 });
    expect(state.groups).toEqual({});
  });
});

describe('pubSub: ephemeral subscribers (at most once, explicitly)', () => {
  it('see only what is published after subscribing; each record is handed out once; a lost poll answer loses it', () => {
    const s = run([topic('t', 2), pub('t', 'before', 1), { type: 'subscribe', subscriber: 's', topic: 't', delivery: 'at-most-once', now: 2 }, pub('t', 'a', 3), pub('t', 'b', 4), { type: 'poll', subscriber: 's', now: 5 }, { type: 'poll', subscriber: 's', now: 6 }]);
    const polled = s.results.slice(5).map((r) => (r.type === 'polled' ? r.records.map((x) => x.value).sort() : r));
    expect(polled).toEqual([['a', 'b'], []]);
  });

  it('must say at-most-once; counts records retention removed before a poll; expire after sessionTimeoutMs', () => {
    const { results } = run(
      [topic('t', 1, 0, { retentionCount: 2 }), { type: 'subscribe', subscriber: 's', topic: 't', now: 1 }, { type: 'subscribe', subscriber: 's', topic: 't', delivery: 'at-most-once', now: 1 }, ...[1, 2, 3, 4, 5].map((i) => pub('t', i, 1 + i)), { type: 'poll', subscriber: 's', now: 10 }, { type: 'poll', subscriber: 's', now: 5000 }],
      { sessionTimeoutMs: 1000 },
    );
    expect(results[1]).toMatchObject({ type: 'refused', reason: expect.stringMatching(/delivery/) });
    expect(results[8]).toMatchObject({ type: 'polled', skipped: 3, records: [{ value: 4 }, { value: 5 }] });
    expect(results[9]).toMatchObject({ type: 'refused', reason: expect.stringMatching(/unknown subscriber/) });
  });
});

describe('pubSub: total on hostile commands', () => {
  it('refuses junk, keeps names like __proto__ as own keys, refuses oversized values, never changes state on a refusal but the clock', () => {
    const base = run([topic('__proto__', 1), pub('__proto__', 'x', 1, { key: 'constructor' })]).state;
    expect(Object.keys(base.topics)).toEqual(['__proto__']);
    const hostile: unknown[] = [null, 7, 'x', [], { type: 'publish' }, { type: 'publish', now: Number.NaN }, { type: 'nope', now: 2 }, { type: 'fetch', topic: 'toString', partition: 0, now: 2 }, { type: 'publish', topic: '__proto__', value: 'x'.repeat(300_000), now: 2 }, { type: 'createTopic', topic: 'y', partitions: 1e9, now: 2 }, { type: 'commit', group: 'g', topic: '__proto__', partition: 0, offset: 99, now: 2 }];
    for (const c of hostile) {
      const r = pubSub.apply(deepFreeze(base), c);
      expect(r.result.type, JSON.stringify(c)?.slice(0, 80)).toBe('refused');
      expect({ ...r.state, clock: base.clock }).toEqual(base);
    }
  });
});

// ---- properties of the machine alone ---------------------------------------------------------

const names = ['a', 'b', '__proto__'];
const commandArb = fc.oneof(
  fc.record({ type: fc.constant('publish'), topic: fc.constantFrom(...names), value: fc.nat(1000), key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }), producerId: fc.option(fc.constantFrom('p', 'q'), { nil: undefined }), sequence: fc.nat(6) }),
  fc.record({ type: fc.constant('createTopic'), topic: fc.constantFrom(...names), partitions: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ type: fc.constant('fetch'), topic: fc.constantFrom(...names), partition: fc.nat(4), offset: fc.option(fc.nat(20), { nil: undefined }), group: fc.option(fc.constantFrom('g', 'h'), { nil: undefined }) }),
  fc.record({ type: fc.constant('join'), group: fc.constantFrom('g', 'h'), member: fc.constantFrom('m1', 'm2', 'm3'), topics: fc.subarray(names, { minLength: 1 }) }),
  fc.record({ type: fc.constant('heartbeat'), group: fc.constantFrom('g', 'h'), member: fc.constantFrom('m1', 'm2', 'm3'), generation: fc.nat(6) }),
  fc.record({ type: fc.constant('leave'), group: fc.constantFrom('g', 'h'), member: fc.constantFrom('m1', 'm2', 'm3') }),
  fc.record({ type: fc.constant('commit'), group: fc.constantFrom('g', 'h'), topic: fc.constantFrom(...names), partition: fc.nat(3), offset: fc.nat(12), member: fc.option(fc.constantFrom('m1', 'm2', 'm3'), { nil: undefined }), generation: fc.option(fc.nat(6), { nil: undefined }) }),
  fc.record({ type: fc.constant('subscribe'), subscriber: fc.constantFrom('s1', 's2'), topic: fc.constantFrom(...names), delivery: fc.constant('at-most-once') }),
  fc.record({ type: fc.constant('poll'), subscriber: fc.constantFrom('s1', 's2'), maxCount: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ type: fc.constant('deleteGroup'), group: fc.constantFrom('g', 'h') }),
  fc.anything(),
);
const scheduleArb = fc.array(fc.tuple(commandArb, fc.integer({ min: 0, max: 400 })), { maxLength: 60 });
const config = { sessionTimeoutMs: 1000, retentionCount: 6, retentionMs: 5000, producerExpiryMs: 3000, maxFetchCount: 4 };

/** Applies a schedule, returning each step's state and result. */
function play(schedule: readonly [unknown, number][]) {
  let state = pubSub.init(config);
  let now = 0;
  const steps: { before: PubSubState; command: unknown; state: PubSubState; result: PubSubResult }[] = [];
  for (const [c, dt] of schedule) {
    now += dt;
    const command = c !== null && typeof c === 'object' && !Array.isArray(c) ? { ...c, now } : c;
    const before = deepFreeze(state);
    const r = pubSub.apply(before, command);
    steps.push({ before, command, state: r.state, result: r.result });
    state = r.state;
  }
  return steps;
}

describe('pubSub: properties over random command sequences', () => {
  it('every state is well formed: dense offsets, bounded tables, at most one owner per partition per generation', () => {
    fc.assert(fc.property(scheduleArb, (schedule) => play(schedule).every((s) => pubSubStateProblem(s.state) === undefined)), { numRuns: 300 });
  });

  it('deterministic and pure: the same state and command give equal results, inputs are never mutated (deep-frozen)', () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        for (const s of play(schedule)) expect(pubSub.apply(s.before, s.command)).toEqual({ state: s.state, result: s.result });
      }),
      { numRuns: 100 },
    );
  });

  it('every acknowledged publish is in its partition exactly once at its offset until retention removes it, in publish order', () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        const steps = play(schedule);
        const final = steps.at(-1)?.state ?? pubSub.init(config);
        const acked = new Map<string, { value: unknown; offset: number }[]>();
        for (const s of steps) {
          if (s.result.type !== 'published' || s.result.duplicate) continue;
          const lane = `${s.result.topic}/${s.result.partition}`;
          acked.set(lane, [...(acked.get(lane) ?? []), { value: (s.command as { value: unknown }).value, offset: s.result.offset }]);
        }
        for (const [lane, list] of acked) {
          const [t, p] = [lane.slice(0, lane.lastIndexOf('/')), Number(lane.slice(lane.lastIndexOf('/') + 1))];
          const log = Object.getOwnPropertyDescriptor(final.topics, t)!.value.partitions[p];
          expect(list.map((x) => x.offset)).toEqual(list.map((_, i) => i));
          expect(log.records.map((r: { value: unknown }) => r.value)).toEqual(list.slice(log.startOffset).map((x) => x.value));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a duplicate publish answers the original position and changes no log', () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        const first = new Map<string, string>();
        for (const s of play(schedule)) {
          if (s.result.type !== 'published') continue;
          const c = s.command as { producerId?: string; sequence?: number };
          if (c.producerId === undefined) continue;
          const key = `${c.producerId}#${c.sequence}`;
          const pos = `${s.result.topic}/${s.result.partition}@${s.result.offset}`;
          if (s.result.duplicate) {
            // The same logs as a command that only moves the clock (retention by age may act).
            const now = (s.command as { now: number }).now;
            expect(s.state.topics).toEqual(pubSub.apply(s.before, { type: 'offsets', group: 'none', now }).state.topics);
            if (first.has(key)) expect(pos).toBe(first.get(key));
          } else first.set(key, pos);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('committed offsets never go backwards while the group lives; a commit from a stale generation or a non-owner is refused', () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        for (const s of play(schedule)) {
          for (const [g, group] of Object.entries(s.before.groups)) {
            const after = Object.getOwnPropertyDescriptor(s.state.groups, g)?.value;
            if (after === undefined) continue;
            for (const [t, byP] of Object.entries(group.offsets)) for (const [p, o] of Object.entries(byP)) expect(after.offsets[t]?.[p]).toBeGreaterThanOrEqual(o);
          }
          const c = (s.command ?? {}) as { type?: string; group?: string; member?: string; generation?: number; topic?: string; partition?: number };
          if (c.type !== 'commit' || s.result.type !== 'committed' || c.member === undefined) continue;
          const g = Object.getOwnPropertyDescriptor(s.before.groups, c.group!)?.value;
          expect(c.generation).toBe(g.generation);
          expect(g.assignment[c.member].some((tp: { topic: string; partition: number }) => tp.topic === c.topic && tp.partition === c.partition)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
