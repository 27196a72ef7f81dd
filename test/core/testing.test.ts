// The contract helpers tests use on every machine: deepFreeze, plainDataEqual and checkedStep, which
// must catch each way a machine can break the contract.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ContractViolation, InvalidCommandError, checkedStep, deepFreeze, inputNow, plainDataEqual, type Machine, type TickInput, type RejectedOutput } from '../../src/core/index.js';

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, and returns the same value', () => {
    const v = { a: [{ b: 1 }], c: { d: { e: 2 } } };
    expect(deepFreeze(v)).toBe(v);
    expect(Object.isFrozen(v.a[0])).toBe(true);
    expect(Object.isFrozen(v.c.d)).toBe(true);
    expect(() => {
      (v.c.d as { e: number }).e = 3;
    }).toThrow(TypeError);
  });

  it('handles deep nesting without recursion', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => deepFreeze(deep)).not.toThrow();
  });
});

describe('plainDataEqual', () => {
  it('compares structure, not identity', () => {
    expect(plainDataEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(plainDataEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(plainDataEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(plainDataEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(plainDataEqual(null, {})).toBe(false);
  });

  it('property: agrees with JSON equality of key-sorted copies', () => {
    const sorted = (x: unknown): unknown => (Array.isArray(x) ? x.map(sorted) : x !== null && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted((x as Record<string, unknown>)[k])])) : x);
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(plainDataEqual(a, b)).toBe(JSON.stringify(sorted(a)) === JSON.stringify(sorted(b)));
        expect(plainDataEqual(a, structuredClone(a))).toBe(true);
      }),
    );
  });
});

type S = { readonly n: number };
const counter = (step: Machine<null, S, TickInput, RejectedOutput>['step']): Machine<null, S, TickInput, RejectedOutput> => ({ name: 'counter', init: () => ({ n: 0 }), step });

describe('checkedStep', () => {
  const good = counter((s, i) => {
    inputNow(i);
    return { state: { n: s.n + 1 }, outputs: [] };
  });

  it('passes a well-behaved machine through', () => {
    expect(checkedStep(good, { n: 0 }, { type: 'tick', now: 1 }).state).toEqual({ n: 1 });
  });

  it('catches a machine that mutates its input state (frozen before stepping)', () => {
    const mutating = counter((s) => {
      (s as { n: number }).n++;
      return { state: s, outputs: [] };
    });
    expect(() => checkedStep(mutating, { n: 0 }, { type: 'tick', now: 1 })).toThrow(TypeError);
  });

  it('catches a machine that accepts an input without a finite now', () => {
    const careless = counter((s) => ({ state: s, outputs: [] }));
    expect(() => checkedStep(careless, { n: 0 }, { type: 'tick', now: NaN })).toThrow(ContractViolation);
    expect(() => checkedStep(good, { n: 0 }, { type: 'tick', now: NaN })).toThrow(InvalidCommandError);
  });

  it('catches state that is not plain data', () => {
    const classy = counter(() => ({ state: { n: new Date(0) as unknown as number }, outputs: [] }));
    expect(() => checkedStep(classy, { n: 0 }, { type: 'tick', now: 1 })).toThrow(ContractViolation);
  });

  it('catches a rejection that changes the state', () => {
    const sloppy = counter((s) => ({ state: { n: s.n + 1 }, outputs: [{ type: 'rejected', from: 'x', reason: 'no' }] }));
    expect(() => checkedStep(sloppy, { n: 0 }, { type: 'tick', now: 1 })).toThrow('a rejected input changed the state');
  });
});
