// The machine contract for the Chandy–Lamport wrapper: time on every input, bounded and parsed
// application messages, a named limit on recorded channel state, safe snapshot ids, unknown
// commands, and an application's persist passed through as the transition's one persist.
import { describe, expect, it } from 'vitest';
import {
  assertNever,
  checkedStep,
  inputNow,
  InvalidCommandError,
  reject,
  transition,
  v,
  type DurableMachine,
  type MessageInput,
  type PersistOutput,
  type SendOutput,
  type TickInput,
} from 'distkit/core';
import { chandyLamport } from 'distkit/snapshot';
import { snapBank } from './bank.js';

const abc = ['a', 'b', 'c'];
const init = (id: string, extra: object = {}) => snapBank.init({ id, nodes: abc, app: { id, nodes: abc, balance: 100 }, ...extra });
const deposit = (amount: number) => ({ type: 'app', message: { type: 'deposit', amount } });

function nested(depth: number): unknown {
  let x: unknown = 1;
  for (let i = 0; i < depth; i++) x = [x];
  return x;
}

describe('application messages are bounded by payloadLimits and only parsed copies go on', () => {
  it('an application message nesting 6,000 deep is rejected, state unchanged', () => {
    const a = init('a');
    const t = checkedStep(snapBank, a, { type: 'message', from: 'b', message: { type: 'app', message: nested(6000) }, now: 1 });
    expect(t.state).toBe(a);
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'b', reason: expect.stringMatching(/message\.message.*deeper than 64/) }]);
  });

  it('payloadLimits are configurable', () => {
    const a = init('a', { payloadLimits: { maxBytes: 10 } });
    const t = checkedStep(snapBank, a, { type: 'message', from: 'b', message: deposit(5), now: 1 });
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'b', reason: expect.stringMatching(/larger than 10 bytes/) }]);
    expect(checkedStep(snapBank, init('a'), { type: 'message', from: 'b', message: deposit(5), now: 1 }).outputs).toEqual([]);
  });

  it('extra fields of the envelope and of the application message are not recorded', () => {
    let a = checkedStep(snapBank, init('a'), { type: 'initiateSnapshot', snapshotId: 's1', now: 1 }).state;
    a = checkedStep(snapBank, a, { type: 'message', from: 'b', message: { ...deposit(5), junk: 'x'.repeat(1000) }, now: 2 }).state;
    expect(JSON.stringify(a)).not.toContain('xxxx');
  });
});

describe('named limits on what a peer can grow', () => {
  it('maxRecordedMessages: a snapshot that would record more is abandoned here, and the message still reaches the application', () => {
    let a = init('a', { maxRecordedMessages: 2 });
    a = checkedStep(snapBank, a, { type: 'initiateSnapshot', snapshotId: 's1', now: 1 }).state;
    a = checkedStep(snapBank, a, { type: 'message', from: 'b', message: deposit(1), now: 2 }).state;
    a = checkedStep(snapBank, a, { type: 'message', from: 'c', message: deposit(1), now: 3 }).state;
    expect(a.recording.s1!.recorded).toBe(2);
    const t = checkedStep(snapBank, a, { type: 'message', from: 'b', message: deposit(1), now: 4 });
    expect(t.outputs).toEqual([{ type: 'snapshotAborted', snapshotId: 's1', reason: 'more than 2 recorded messages (maxRecordedMessages)' }]);
    expect(t.state.app.balance).toBe(103);
    expect(t.state.recording).toEqual({});
    const late = checkedStep(snapBank, t.state, { type: 'message', from: 'b', message: { type: 'marker', snapshotId: 's1' }, now: 5 });
    expect(late.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(/already completed/) });
  });

  it('maxConcurrentSnapshots: markers of one more snapshot are refused with the limit named', () => {
    let a = init('a', { maxConcurrentSnapshots: 1 });
    a = checkedStep(snapBank, a, { type: 'message', from: 'b', message: { type: 'marker', snapshotId: 's1' }, now: 1 }).state;
    const t = checkedStep(snapBank, a, { type: 'message', from: 'b', message: { type: 'marker', snapshotId: 's2' }, now: 2 });
    expect(t.state).toBe(a);
    expect(t.outputs[0]).toMatchObject({ type: 'rejected', reason: expect.stringMatching(/maxConcurrentSnapshots/) });
  });

  it.each(['__proto__', 'constructor', 'toString'])('a snapshot named %j is recorded and reported like any other', (id) => {
    let a = init('a');
    a = checkedStep(snapBank, a, { type: 'message', from: 'b', message: { type: 'marker', snapshotId: id }, now: 1 }).state;
    expect(Object.keys(a.recording)).toEqual([id]);
    a = checkedStep(snapBank, a, { type: 'message', from: 'c', message: deposit(3), now: 2 }).state;
    const t = checkedStep(snapBank, a, { type: 'message', from: 'c', message: { type: 'marker', snapshotId: id }, now: 3 });
    expect(t.outputs).toEqual([
      { type: 'snapshotReport', report: { snapshotId: id, node: 'a', state: init('a').app, channels: { b: [], c: [{ type: 'deposit', amount: 3 }] } } },
    ]);
    expect(JSON.parse(JSON.stringify(t.state))).toEqual(t.state);
  });
});

describe('local inputs', () => {
  it('an unknown command, a tick without now and a command with NaN now throw InvalidCommandError', () => {
    const a = init('a');
    expect(() => snapBank.step(a, { type: 'nope', now: 1 } as never)).toThrow(InvalidCommandError);
    expect(() => snapBank.step(a, { type: 'tick' } as never)).toThrow(InvalidCommandError);
    expect(() => snapBank.step(a, { type: 'initiateSnapshot', snapshotId: 's1', now: NaN })).toThrow(InvalidCommandError);
  });

  it('the application gets the input time with every message', () => {
    const seen: number[] = [];
    const clock = chandyLamport<{ id: string }, number, MessageInput | TickInput, never>({
      name: 'clock',
      init: () => 0,
      step: (s, i) => {
        seen.push(inputNow(i));
        return transition(s + 1);
      },
    });
    const s = clock.init({ id: 'a', nodes: ['a', 'b'], app: { id: 'a' } });
    clock.step(s, { type: 'message', from: 'b', message: { type: 'app', message: 1 }, now: 42 });
    clock.step(s, { type: 'tick', now: 43 });
    expect(seen).toEqual([42, 43]);
  });
});

// A durable application: a counter that persists its total with every deposit, before its ack.
type CounterInput = MessageInput | TickInput;
type CounterOutput = PersistOutput<{ total: number }> | SendOutput<{ type: 'ack' }> | { type: 'rejected'; from: string; reason: string };
const durableCounter: DurableMachine<{ id: string }, { total: number }, CounterInput, CounterOutput, { total: number }> = {
  name: 'durable-counter',
  init: () => ({ total: 0 }),
  step(s, input) {
    inputNow(input);
    switch (input.type) {
      case 'tick':
        return transition(s);
      case 'message': {
        if (v.int({ min: 1, max: 1000 })(input.message) !== undefined) return reject(s, input.from, 'expected an amount');
        const total = s.total + (input.message as number);
        return transition({ total }, [
          { type: 'persist', record: { total } },
          { type: 'send', to: input.from, message: { type: 'ack' } },
        ]);
      }
      default:
        return assertNever(input, 'input');
    }
  },
  durable: (s) => ({ total: s.total }),
  recover: (_c, d) => ({ total: d.total }),
};

describe("a durable application's persist passes through the wrapper", () => {
  const wrapped = chandyLamport(durableCounter);
  const config = { id: 'a', nodes: ['a', 'b'], app: { id: 'a' } };

  it('the wrapper is durable too, and its transition has one persist before the enveloped sends', () => {
    expect(typeof wrapped.durable).toBe('function');
    expect(typeof wrapped.recover).toBe('function');
    let s = wrapped.init(config);
    s = checkedStep(wrapped, s, { type: 'initiateSnapshot', snapshotId: 's1', now: 1 }).state;
    const t = checkedStep(wrapped, s, { type: 'message', from: 'b', message: { type: 'app', message: 7 }, now: 2 });
    expect(t.outputs).toEqual([
      { type: 'persist', record: { total: 7 } },
      { type: 'send', to: 'b', message: { type: 'app', message: { type: 'ack' } } },
    ]);
    expect(wrapped.durable!(t.state)).toEqual({ total: 7 });
    const back = wrapped.recover!(config, { total: 7 });
    expect(back.app).toEqual({ total: 7 });
    expect(back.recording).toEqual({});
  });

  it('a non-durable application gives a wrapper without durable', () => {
    expect(snapBank.durable).toBeUndefined();
  });
});
