// Every history checker, fed histories of any JSON shape (the kind a user's recorder or a file
// produces), either answers or throws a ConfigError naming what is wrong: never a TypeError from
// deep inside. One generic property over all of them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/index.js';
import {
  appendsAsRegister,
  checkAppendRaces,
  checkConsistency,
  checkCounter,
  checkLinearizability,
  checkPubSub,
  checkSet,
  checkTotalQueue,
  kvModel,
  queueModel,
  registerModel,
  setModel,
} from '../../src/check/index.js';

type Checker = (history: never[]) => unknown;

const checkers: Record<string, Checker> = {
  checkPubSub: (h) => checkPubSub(h, { t: { partitions: [{ startOffset: 0, records: [{ offset: 0, value: 1 }] }] } }),
  checkTotalQueue: (h) => checkTotalQueue(h),
  checkCounter: (h) => checkCounter(h),
  checkSet: (h) => checkSet(h),
  checkAppendRaces: (h) => checkAppendRaces(h),
  appendsAsRegister: (h) => appendsAsRegister(h, 's'),
  checkConsistency: (h) => checkConsistency(h, { writeOrder: [{ key: 'x', value: 1 }] }),
  'checkLinearizability(register)': (h) => checkLinearizability(registerModel<number>(), h),
  'checkLinearizability(kv)': (h) => checkLinearizability(kvModel<number>(), h),
  'checkLinearizability(set)': (h) => checkLinearizability(setModel<number>(), h),
  'checkLinearizability(queue)': (h) => checkLinearizability(queueModel<number>(), h),
};

// Values that look almost right: the right field names with wrong types, nulls, arrays, __proto__.
const leaf = fc.oneof(fc.constant(null), fc.constant(undefined), fc.boolean(), fc.integer({ min: -2, max: 3 }), fc.constantFrom('x', 's', 't', 'refused', 'no_stream', '__proto__', 'add', 'read', 'write', 'publish', 'enqueue', 'dequeue', 'drain', 'append', 'cas'));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('f', 'key', 'keys', 'value', 'topic', 'stream', 'expected', 'count', 'from', 'to', 'partition', 'offset', 'ok', 'revision', 'actual', 'producer', 'sequence', '__proto__'), tie('v'), { maxKeys: 4 })),
})).v;
const input = fc.oneof(
  value,
  fc.record({ f: fc.constantFrom('add', 'read', 'write', 'cas', 'remove', 'publish', 'enqueue', 'dequeue', 'drain', 'append'), key: value, keys: value, value, topic: value, stream: value, expected: value, count: value, from: value, to: value }, { requiredKeys: ['f'] }),
);
const op = fc.record(
  { id: fc.oneof(fc.nat(20), value), client: fc.oneof(fc.constantFrom('a', 'b'), value), input, call: fc.oneof(fc.nat(20), value), output: value, ret: fc.oneof(fc.nat(40), value) },
  { requiredKeys: ['id', 'client', 'input', 'call'] },
);
const history = fc.oneof(fc.array(op, { maxLength: 6 }), value);

describe('history checkers on histories of any shape', () => {
  for (const [name, check] of Object.entries(checkers)) {
    it(`${name} answers or throws a ConfigError`, () => {
      fc.assert(
        fc.property(history, (h) => {
          try {
            check(h as never[]);
          } catch (e) {
            if (!(e instanceof ConfigError)) throw new Error(`${name} threw ${String(e)} on ${JSON.stringify(h)}`);
          }
        }),
        { numRuns: 400, seed: 7 },
      );
    });
  }
});

describe('refusals name the operation', () => {
  it('a null output where a position is due, a log with a gap, a model fed the wrong kind of input', () => {
    const publish = { id: 3, client: 'p', input: { f: 'publish', topic: 't', value: 'a' }, call: 0, output: null, ret: 1 };
    expect(() => checkPubSub([publish] as never[], {})).toThrow(/history\[0\]: output: expected an object, got null \(operation id 3\)/);
    const gap = { t: { partitions: [{ startOffset: 0, records: [{ offset: 0, value: 'a' }, { offset: 2, value: 'b' }] }] } };
    expect(() => checkPubSub([], gap)).toThrow(/t\.partitions\[0\]\.records\[1\]\.offset: expected 1/);
    const add = { id: 0, client: 'a', input: { f: 'add' }, call: 0, output: 1, ret: 1 };
    expect(() => checkLinearizability(queueModel<number>(), [add] as never[])).not.toThrow(TypeError);
    expect(() => checkTotalQueue([{ ...add, input: { f: 'pop' } }] as never[])).toThrow(/history\[0\]: input\.f/);
  });
});
