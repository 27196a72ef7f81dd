import { describe, expect, it } from 'vitest';
import { pubSub, pubSubStateProblem, type PubSubState } from 'distkit/messaging';

function state(): PubSubState {
  let s = pubSub.init({});
  for (const c of [
    { type: 'createTopic', topic: 't', partitions: 2, now: 0 },
    { type: 'publish', topic: 't', partition: 0, value: 1, producerId: 'p', sequence: 0, now: 1 },
    { type: 'subscribe', subscriber: 's', topic: 't', delivery: 'at-most-once', now: 2 },
  ]) s = pubSub.apply(s, c).state;
  return s;
}

describe('pubSubStateProblem and snapshots', () => {
  it('a reachable state is well formed and restores as it was', () => {
    const s = state();
    expect(pubSubStateProblem(s)).toBeUndefined();
    expect(pubSub.restore(JSON.parse(JSON.stringify(s)), {})).toEqual(s);
  });

  it('a snapshot of the right shape that does not hold together is refused, so later commands cannot break on it', () => {
    const s = state();
    const orphan = { ...s, subscribers: { s: { ...s.subscribers.s!, topic: 'gone' } } };
    expect(pubSubStateProblem(orphan)).toMatch(/subscriber "s"/);
    expect(pubSub.restore(orphan, {})).toBeUndefined();
    const producer = { ...s, producers: { p: { ...s.producers.p!, lastSequence: 4 } } };
    expect(pubSub.restore(producer, {})).toBeUndefined();
    const hole = { ...s, topics: { t: { ...s.topics.t!, partitions: [{ startOffset: 0, records: [{ offset: 1, key: null, value: 1, timestamp: 1 }] }, s.topics.t!.partitions[1]!] } } };
    expect(pubSub.restore(hole, {})).toBeUndefined();
  });
});
