import { describe, expect, it } from 'vitest';
import {
  ContractViolation,
  InvalidCommandError,
  applyStep,
  checkedStep,
  foldPersist,
  restartState,
  splitTransition,
  stampNow,
  transition,
  reject,
  type Machine,
} from 'distkit/core';

describe('splitTransition: the shape every host relies on', () => {
  it('orders effects: the one persist, then sends, then events', () => {
    const fx = splitTransition('m', {
      state: 1,
      outputs: [{ type: 'persist', record: 'r' }, { type: 'send', to: 'b', message: 1 }, { type: 'event' }, { type: 'send', to: 'c', message: 2 }],
    });
    expect(fx.persist).toEqual({ type: 'persist', record: 'r' });
    expect(fx.sends.map((s) => s.to)).toEqual(['b', 'c']);
    expect(fx.events).toEqual([{ type: 'event' }]);
  });

  it.each([
    [{ state: 1, outputs: [{ type: 'persist', record: 1 }, { type: 'persist', record: 2 }] }, 'a second persist'],
    [{ state: 1, outputs: [{ type: 'send', to: 'b', message: 1 }, { type: 'persist', record: 2 }] }, 'persist after a send'],
    [{ state: 1, outputs: [{ type: 'send', to: 3, message: 1 }] }, "send without a string 'to'"],
    [{ state: 1, outputs: [null] }, 'outputs[0] is not an object'],
    [{ state: 1, outputs: [{ kind: 'x' }] }, 'outputs[0] is not an object'],
    [{ state: 1, outputs: 'x' }, 'not an array'],
    [undefined, 'step returned undefined'],
  ])('refuses %j', (t, reason) => {
    expect(() => splitTransition('m', t as never)).toThrow(ContractViolation);
    expect(() => splitTransition('m', t as never)).toThrow(reason);
  });
});

describe('persist images and the restart rule', () => {
  const log = { applyPersist: (d: readonly number[], r: number) => [...d, r] };
  it('folds delta records from the empty image', () => {
    let image: unknown;
    for (const r of [1, 2, 3]) image = foldPersist(log, image, r, () => []);
    expect(image).toEqual([1, 2, 3]);
    expect(foldPersist({}, { a: 1 }, { b: 2 })).toEqual({ b: 2 });
  });

  it('restarts from the image, or from init when nothing was persisted', () => {
    const m = { init: () => ({ n: 0, fresh: true }), recover: (_c: null, d: number) => ({ n: d, fresh: false }) };
    expect(restartState(m, null, 5)).toEqual({ n: 5, fresh: false });
    expect(restartState(m, null, undefined)).toEqual({ n: 0, fresh: true });
    expect(restartState({ init: () => 'i' }, null, 5)).toBe('i');
  });

  it('stamps now on inputs that lack it and keeps an existing one', () => {
    expect(stampNow({ type: 'a' }, 3)).toEqual({ type: 'a', now: 3 });
    const has = { type: 'a', now: 1 };
    expect(stampNow(has, 3)).toBe(has);
    expect(stampNow(null, 3)).toBeNull();
  });

  it('applyStep passes whatever step throws through', () => {
    const m: Machine<null, null, { type: 'x'; now: number }, never> = {
      name: 'm',
      init: () => null,
      step: () => {
        throw new InvalidCommandError('x', 'no');
      },
    };
    expect(() => applyStep(m, null, { type: 'x', now: 0 })).toThrow(InvalidCommandError);
  });
});

describe('checkedStep enforces the whole contract', () => {
  type S = { readonly term: number; readonly volatile: number };
  type I = { type: 'bump' | 'touch' | 'tick'; now: number };
  const base = {
    name: 'durable-counter',
    init: (): S => ({ term: 0, volatile: 0 }),
    durable: (s: S) => ({ term: s.term }),
    recover: (_c: null, d: { term: number }): S => ({ term: d.term, volatile: 0 }),
  };
  const good: Machine<null, S, I, unknown> & typeof base = {
    ...base,
    step(s, i) {
      if (!Number.isFinite(i.now)) throw new InvalidCommandError(i.type, 'bad now');
      if (i.type === 'bump') return transition({ ...s, term: s.term + 1 }, [{ type: 'persist', record: { term: s.term + 1 } }]);
      if (i.type === 'touch') return transition({ ...s, volatile: s.volatile + 1 });
      return transition(s);
    },
  };

  it('accepts a machine that keeps it', () => {
    const s = good.init();
    expect(checkedStep(good, s, { type: 'bump', now: 1 }).state.term).toBe(1);
    expect(checkedStep(good, s, { type: 'touch', now: 1 }).state.volatile).toBe(1);
  });

  it('catches a durable change without a persist (a voter that forgets to write its vote)', () => {
    const forgetful = { ...good, step: (s: S, i: I) => (i.type === 'bump' ? transition({ ...s, term: s.term + 1 }) : good.step(s, i)) };
    expect(() => checkedStep(forgetful, good.init(), { type: 'bump', now: 1 })).toThrow(/durable\(state\) changed without a persist/);
  });

  it('catches a persist record that does not produce durable(state)', () => {
    const wrong = { ...good, step: (s: S) => transition({ ...s, term: s.term + 1 }, [{ type: 'persist', record: { term: s.term } }]) };
    expect(() => checkedStep(wrong, good.init(), { type: 'bump', now: 1 })).toThrow(/persist record does not produce durable/);
  });

  it('checks delta records through applyPersist', () => {
    const delta = {
      ...good,
      applyPersist: (d: { term: number }, r: unknown) => ({ term: d.term + (r as { add: number }).add }),
      step: (s: S, i: I) => (i.type === 'bump' ? transition({ ...s, term: s.term + 1 }, [{ type: 'persist', record: { add: 1 } }]) : good.step(s, i)),
    };
    expect(checkedStep(delta, good.init(), { type: 'bump', now: 1 }).state.term).toBe(1);
    const off = { ...delta, step: (s: S) => transition({ ...s, term: s.term + 1 }, [{ type: 'persist', record: { add: 2 } }]) };
    expect(() => checkedStep(off, good.init(), { type: 'bump', now: 1 })).toThrow(ContractViolation);
  });

  it('requires a bad now to throw InvalidCommandError', () => {
    const lax = { ...good, step: (s: S) => transition(s) };
    for (const now of [NaN, Infinity, undefined]) {
      expect(() => checkedStep(lax, good.init(), { type: 'tick', now } as unknown as I)).toThrow(/must throw InvalidCommandError/);
      expect(() => checkedStep(good, good.init(), { type: 'tick', now } as unknown as I)).toThrow(InvalidCommandError);
    }
  });

  it('requires a rejection to keep the same state object and the input to stay unmutated', () => {
    const sneaky = { ...good, step: (s: S) => ({ ...reject({ ...s }, 'b', 'no') }) };
    expect(() => checkedStep(sneaky, good.init(), { type: 'touch', now: 0 })).toThrow(/rejected input changed the state/);
    const mutator = {
      ...good,
      step: (s: S) => {
        (s as { volatile: number }).volatile++;
        return transition(s);
      },
    };
    expect(() => checkedStep(mutator, good.init(), { type: 'touch', now: 0 })).toThrow(TypeError);
  });
});
