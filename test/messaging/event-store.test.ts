import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, deepFreeze } from 'distkit/core';
import { eventStore, readAll, readStream, type EventStoreResult, type EventStoreState, type ExpectedRevision } from 'distkit/messaging';

const ev = (type: string, data: unknown = null, id?: string) => (id === undefined ? { type, data } : { type, data, id });
function append(s: EventStoreState, stream: string, expected: ExpectedRevision, events = [ev('E')], now = 0) {
  return eventStore.apply(deepFreeze(s), { type: 'append', stream, expected, events, now });
}

describe('eventStore: expected revisions (EventStoreDB rules)', () => {
  const empty = eventStore.init({});
  const one = append(empty, 's', 'no_stream').state;

  it('no_stream: only a stream that does not exist', () => {
    expect(append(empty, 's', 'no_stream').result).toEqual({ type: 'appended', stream: 's', revision: 0, position: 0, duplicate: false });
    expect(append(one, 's', 'no_stream').result).toEqual({ type: 'WrongExpectedVersion', stream: 's', expected: 'no_stream', actual: 0 });
  });

  it('stream_exists: only a stream that exists', () => {
    expect(append(empty, 's', 'stream_exists').result).toEqual({ type: 'WrongExpectedVersion', stream: 's', expected: 'stream_exists', actual: 'no_stream' });
    expect(append(one, 's', 'stream_exists').result).toMatchObject({ type: 'appended', revision: 1 });
  });

  it('an exact revision: only when the last event has it', () => {
    expect(append(one, 's', 0).result).toMatchObject({ type: 'appended', revision: 1 });
    expect(append(one, 's', 1).result).toEqual({ type: 'WrongExpectedVersion', stream: 's', expected: 1, actual: 0 });
    expect(append(empty, 's', 0).result).toEqual({ type: 'WrongExpectedVersion', stream: 's', expected: 0, actual: 'no_stream' });
  });

  it('any: always', () => {
    expect(append(empty, 's', 'any').result).toMatchObject({ type: 'appended', revision: 0 });
    expect(append(one, 's', 'any').result).toMatchObject({ type: 'appended', revision: 1 });
  });

  it('a failed append changes nothing', () => {
    const r = append(one, 's', 5);
    expect(r.state.events).toBe(one.events);
  });
});

describe('eventStore: global order, reads, idempotent retries, limits', () => {
  it('positions order events across streams; revisions count per stream', () => {
    let s = eventStore.init({});
    s = append(s, 'a', 'any', [ev('A1'), ev('A2')]).state;
    s = append(s, 'b', 'any', [ev('B1')]).state;
    s = append(s, 'a', 1, [ev('A3')]).state;
    expect(readAll(s).map((e) => [e.stream, e.revision, e.position])).toEqual([['a', 0, 0], ['a', 1, 1], ['b', 0, 2], ['a', 2, 3]]);
    expect(readStream(s, 'a', 1).map((e) => e.type)).toEqual(['A2', 'A3']);
    expect(eventStore.apply(s, { type: 'readStream', stream: 'a', fromRevision: 2, now: 1 }).result).toMatchObject({ type: 'events', next: 3, revision: 2 });
    expect(eventStore.apply(s, { type: 'readAll', fromPosition: 3, maxCount: 5, now: 1 }).result).toMatchObject({ type: 'events', next: 4 });
  });

  it('a retried append with the same event ids is recognised, not stored twice', () => {
    let s = eventStore.init({});
    s = append(s, 's', 'no_stream', [ev('E', 1, 'e1'), ev('E', 2, 'e2')]).state;
    const retry = append(s, 's', 'no_stream', [ev('E', 1, 'e1'), ev('E', 2, 'e2')]);
    expect(retry.result).toEqual({ type: 'appended', stream: 's', revision: 1, position: 1, duplicate: true });
    expect(retry.state.events).toHaveLength(2);
    // Different ids at the same expectation: a real conflict.
    expect(append(s, 's', 'no_stream', [ev('E', 1, 'other')]).result.type).toBe('WrongExpectedVersion');
  });

  it('refuses appends beyond maxEvents and maxStreams with reasons; streams named like prototype members are streams', () => {
    let s = eventStore.init({ maxEvents: 3, maxStreams: 2 });
    s = append(s, '__proto__', 'no_stream').state;
    s = append(s, 'constructor', 'no_stream').state;
    expect(append(s, 'third', 'any').result).toEqual({ type: 'refused', command: 'append', reason: '2 streams exist (maxStreams)' });
    s = append(s, '__proto__', 0).state;
    expect(append(s, '__proto__', 1).result).toEqual({ type: 'refused', command: 'append', reason: 'store full: 3 events (maxEvents)' });
    expect(readStream(s, '__proto__').length).toBe(2);
    expect(Object.getPrototypeOf(s.streams)).toBe(Object.prototype);
  });

  it('refuses malformed commands', () => {
    const s = eventStore.init({});
    for (const bad of [null, { type: 'append', now: 1 }, { type: 'append', stream: 's', expected: -1, events: [ev('E')], now: 1 }, { type: 'append', stream: 's', expected: 'any', events: [], now: 1 }, { type: 'readAll', now: NaN }]) {
      const r = eventStore.apply(s, bad);
      expect(r.result.type).toBe('refused');
      expect(r.state.events).toBe(s.events);
    }
    expect(() => eventStore.init({ maxEvents: 0 })).toThrow(ConfigError);
  });
});

describe('eventStore: properties', () => {
  const cmd = fc.record({ stream: fc.constantFrom('a', 'b', 'c'), expected: fc.oneof(fc.constantFrom<ExpectedRevision>('any', 'no_stream', 'stream_exists'), fc.integer({ min: 0, max: 4 })), n: fc.integer({ min: 1, max: 3 }) });
  it('a successful append leaves the stream at expected + n; a failure names the actual revision; positions are dense', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 40 }), (cmds) => {
        let s = eventStore.init({});
        for (const c of cmds) {
          const before = readStream(s, c.stream).length - 1;
          const r: { state: EventStoreState; result: EventStoreResult } = append(s, c.stream, c.expected, Array.from({ length: c.n }, () => ev('E')));
          if (r.result.type === 'appended') {
            expect(r.result.revision).toBe(before + c.n);
            if (typeof c.expected === 'number') expect(c.expected).toBe(before);
          } else {
            expect(r.result).toEqual({ type: 'WrongExpectedVersion', stream: c.stream, expected: c.expected, actual: before === -1 ? 'no_stream' : before });
          }
          s = r.state;
        }
        expect(s.events.map((e) => e.position)).toEqual(s.events.map((_, i) => i));
        expect(eventStore.restore(JSON.parse(JSON.stringify(s)), {})).toEqual(s);
      }),
    );
  });
});
