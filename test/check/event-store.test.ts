import { describe, expect, it } from 'vitest';
import { appendsAsRegister, checkAppendRaces, checkLinearizability, registerModel, type AppendHistoryInput, type AppendHistoryOutput, type Operation } from 'distkit/check';

type Op = Operation<AppendHistoryInput, AppendHistoryOutput>;
const append = (id: number, expected: number | 'no_stream', output?: AppendHistoryOutput, call = 0, ret = 10): Op => ({
  id,
  client: `c${id}`,
  input: { f: 'append', stream: 's', expected, count: 1 },
  call,
  ...(output === undefined ? {} : { output, ret }),
});

describe('checkAppendRaces', () => {
  it('one winner among racing appends passes', () => {
    const r = checkAppendRaces([append(0, 'no_stream', { ok: true, revision: 0 }), append(1, 'no_stream', { ok: false, actual: 0 }), append(2, 'no_stream')]);
    expect(r.valid).toBe(true);
    expect(r.races).toEqual([{ stream: 's', expected: 'no_stream', attempts: 3, winners: [0] }]);
  });

  it('two winners fail', () => {
    const r = checkAppendRaces([append(0, 3, { ok: true, revision: 4 }), append(1, 3, { ok: true, revision: 4 })]);
    expect(r.valid).toBe(false);
    expect(r.problems[0]).toBe('stream "s" expected 3: 2 appends won (ids 0, 1)');
  });

  it('a winner reporting the wrong revision fails', () => {
    expect(checkAppendRaces([append(0, 3, { ok: true, revision: 7 })]).valid).toBe(false);
  });
});

describe('appendsAsRegister + the linearizability checker', () => {
  const model = registerModel<number>({ initial: -1 });
  it('sequential winners and a stale loser are linearizable', () => {
    const h = appendsAsRegister(
      [
        append(0, 'no_stream', { ok: true, revision: 0 }, 0, 1),
        append(1, 0, { ok: true, revision: 1 }, 2, 3),
        append(2, 0, { ok: false, actual: 1 }, 4, 5),
        { id: 3, client: 'r', input: { f: 'read', stream: 's' }, call: 6, output: 1, ret: 7 },
      ],
      's',
    );
    expect(checkLinearizability(model, h).verdict).toBe('linearizable');
  });

  it('a loser that failed although nothing had been written is not linearizable', () => {
    const h = appendsAsRegister([append(0, 'no_stream', { ok: false, actual: 0 }, 0, 1)], 's');
    expect(checkLinearizability(model, h).verdict).toBe('not-linearizable');
  });

  it('a read that misses a completed append is not linearizable', () => {
    const h = appendsAsRegister([append(0, 'no_stream', { ok: true, revision: 0 }, 0, 1), { id: 1, client: 'r', input: { f: 'read', stream: 's' }, call: 2, output: 'no_stream', ret: 3 }], 's');
    expect(checkLinearizability(model, h).verdict).toBe('not-linearizable');
  });

  it('keeps other streams out and unknown outcomes open', () => {
    const other: Op = { id: 9, client: 'x', input: { f: 'append', stream: 't', expected: 0, count: 1 }, call: 0, output: { ok: true, revision: 1 }, ret: 1 };
    const h = appendsAsRegister([other, append(1, 'no_stream'), append(2, 0, { ok: true, revision: 1 }, 5, 6)], 's');
    expect(h.map((o) => o.id)).toEqual([1, 2]);
    expect(h[0]!.output).toBeUndefined();
    expect(checkLinearizability(model, h).verdict).toBe('linearizable');
  });
});
