import { describe, expect, it } from 'vitest';
import { checkPubSub, type Operation, type PubSubHistoryInput, type PubSubHistoryOutput, type PubSubLogs } from 'distkit/check';

type Op = Operation<PubSubHistoryInput, PubSubHistoryOutput>;
let id = 0;
const pub = (value: string, out?: PubSubHistoryOutput, producer?: string, sequence?: number): Op => ({
  id: id++,
  client: producer ?? 'c',
  input: { f: 'publish', topic: 't', value, ...(producer === undefined ? {} : { producer, sequence: sequence ?? 0 }) },
  call: id * 2,
  ...(out === undefined ? {} : { output: out, ret: id * 2 + 1 }),
});
const logs = (...partitions: [number, string[]][]): PubSubLogs => ({ t: { partitions: partitions.map(([startOffset, values]) => ({ startOffset, records: values.map((value, i) => ({ offset: startOffset + i, value })) })) } });

describe('checkPubSub', () => {
  it('accepts a history whose acknowledged publishes are each stored once at their offsets', () => {
    const r = checkPubSub([pub('a', { partition: 0, offset: 0 }, 'p', 0), pub('b', { partition: 1, offset: 0 }, 'p', 1), pub('c'), pub('d', 'refused')], logs([0, ['a']], [0, ['b', 'c']]));
    expect(r).toMatchObject({ valid: true, acknowledgedCount: 2, storedCount: 3, recoveredCount: 1, lostCount: 0 });
  });

  it('counts lost, misplaced, duplicated and unexpected records', () => {
    const r = checkPubSub([pub('a', { partition: 0, offset: 0 }), pub('b', { partition: 0, offset: 1 }), pub('c', { partition: 0, offset: 5 })], logs([0, ['a', 'x', 'a']]));
    expect(r).toMatchObject({ valid: false, lostCount: 1, misplacedCount: 1, duplicatedCount: 1, unexpectedCount: 1 });
    expect(r.problems).toHaveLength(4);
  });

  it('sees a producer whose records are out of sequence order in a partition, and one sequence acknowledged at two offsets', () => {
    const r = checkPubSub([pub('a', { partition: 0, offset: 1 }, 'p', 0), pub('b', { partition: 0, offset: 0 }, 'p', 1), pub('a', { partition: 0, offset: 2 }, 'p', 0)], logs([0, ['b', 'a']]));
    expect(r).toMatchObject({ reorderedCount: 1, inconsistentCount: 1, valid: false });
  });

  it('does not call a record lost that retention removed', () => {
    const r = checkPubSub([pub('a', { partition: 0, offset: 0 }), pub('b', { partition: 0, offset: 1 })], logs([1, ['b']]));
    expect(r).toMatchObject({ valid: true, expiredCount: 1 });
  });
});
