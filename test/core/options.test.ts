// The option checks every machine's init uses: a valid value passes through unchanged, a missing one
// takes the fallback, and anything else throws a ConfigError that names the field.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, checkObject, intIn, nonNegativeInt, nonNegativeMs, numberIn, positiveInt, positiveMs } from '../../src/core/index.js';

function configErrorOf(make: () => unknown): ConfigError {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('positiveInt / nonNegativeInt', () => {
  it('pass valid integers through and use the fallback only when the value is absent', () => {
    expect(positiveInt('n', 3)).toBe(3);
    expect(positiveInt('n', undefined, 7)).toBe(7);
    expect(nonNegativeInt('n', 0)).toBe(0);
    expect(nonNegativeInt('n', undefined, 0)).toBe(0);
  });

  it('a missing value without a fallback is required, and the error names the field', () => {
    const e = configErrorOf(() => positiveInt('maxInflight', undefined));
    expect(e.field).toBe('maxInflight');
    expect(e.message).toBe('maxInflight: is required');
  });

  it.each([0, -1, 1.5, NaN, Infinity, '3', null, 2 ** 53])('positiveInt refuses %p, naming the field', (bad) => {
    const e = configErrorOf(() => positiveInt('electionTicks', bad));
    expect(e.field).toBe('electionTicks');
    expect(e.message).toMatch(/^electionTicks: must be a positive integer, got /);
  });

  it('nonNegativeInt refuses negatives but accepts zero', () => {
    expect(configErrorOf(() => nonNegativeInt('applied', -1)).message).toBe('applied: must be a non-negative integer, got -1');
  });

  it('a fallback is checked like a value (a bad default is a programming error too)', () => {
    expect(configErrorOf(() => positiveInt('n', undefined, 0)).field).toBe('n');
  });

  it('property: every safe integer >= 1 passes unchanged, every one below throws', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1_000_000 }), (x) => {
        if (x >= 1) expect(positiveInt('x', x)).toBe(x);
        else expect(() => positiveInt('x', x)).toThrow(ConfigError);
      }),
    );
  });
});

describe('positiveMs / nonNegativeMs', () => {
  it('accept fractional milliseconds', () => {
    expect(positiveMs('timeoutMs', 0.5)).toBe(0.5);
    expect(nonNegativeMs('delayMs', 0)).toBe(0);
  });

  it('positiveMs refuses zero and nonNegativeMs refuses negatives, naming the field', () => {
    expect(configErrorOf(() => positiveMs('timeoutMs', 0)).message).toBe('timeoutMs: must be a positive finite number of milliseconds, got 0');
    expect(configErrorOf(() => nonNegativeMs('delayMs', -1)).message).toBe('delayMs: must be a non-negative finite number of milliseconds, got -1');
  });

  it.each([Infinity, NaN, '10', null])('refuse the non-finite or non-number %p', (bad) => {
    expect(configErrorOf(() => positiveMs('heartbeatMs', bad)).field).toBe('heartbeatMs');
    expect(configErrorOf(() => nonNegativeMs('heartbeatMs', bad)).field).toBe('heartbeatMs');
  });
});

describe('numberIn', () => {
  it('accepts both ends of the range and refuses just outside them', () => {
    expect(numberIn('ratio', 0, 0, 1)).toBe(0);
    expect(numberIn('ratio', 1, 0, 1)).toBe(1);
    expect(numberIn('ratio', undefined, 0, 1, 0.5)).toBe(0.5);
    expect(configErrorOf(() => numberIn('ratio', 1.0001, 0, 1)).message).toBe('ratio: must be a number from 0 to 1, got 1.0001');
    expect(configErrorOf(() => numberIn('ratio', -0.1, 0, 1)).field).toBe('ratio');
    expect(configErrorOf(() => numberIn('ratio', NaN, 0, 1)).field).toBe('ratio');
  });
});

describe('intIn', () => {
  it('accepts integers within the bounds, bounds included', () => {
    expect(intIn('buckets', 1, 1, 10)).toBe(1);
    expect(intIn('buckets', 10, 1, 10)).toBe(10);
    expect(intIn('buckets', undefined, 1, 10, 4)).toBe(4);
  });

  it('refuses fractions, values out of range and unsafe integers, naming the field', () => {
    expect(configErrorOf(() => intIn('buckets', 11, 1, 10)).message).toBe('buckets: must be an integer from 1 to 10, got 11');
    expect(configErrorOf(() => intIn('buckets', 2.5, 1, 10)).field).toBe('buckets');
    expect(configErrorOf(() => intIn('size', 2 ** 53, 1, Infinity)).field).toBe('size');
    expect(configErrorOf(() => intIn('size', undefined, 1, 10)).message).toBe('size: is required');
  });
});

describe('checkObject: an options argument is an object before its fields are read', () => {
  it('passes any object, arrays included, and throws ConfigError naming the field for anything else', () => {
    for (const ok of [{}, { a: 1 }, [], Object.create(null)]) expect(() => checkObject('options', ok)).not.toThrow();
    fc.assert(
      fc.property(fc.oneof(fc.constant(null), fc.constant(undefined), fc.string(), fc.double(), fc.boolean(), fc.bigInt()), (bad) => {
        expect(() => checkObject('options', bad)).toThrow(new ConfigError('options', 'must be an object'));
        expect(() => checkObject('config', bad, 'must be an object { raft, ... }')).toThrow(expect.objectContaining({ field: 'config', message: 'config: must be an object { raft, ... }' }));
      }),
    );
  });
});
