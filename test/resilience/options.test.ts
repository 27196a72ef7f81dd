// What the resilience policies share about options: "no bound" spelled Infinity, the backoff growth
// that cannot turn into NaN, and every numeric option checked by distkit/core's checks, which name
// the field.
import { describe, expect, it } from 'vitest';
import { ConfigError, nonNegativeInt, positiveInt } from '../../src/core/index.js';
import { growth, orInfinity } from '../../src/resilience/options.js';
import { Bulkhead, CircuitBreaker, HealthMonitor, RateLimiter, Retry, Timeout } from '../../src/resilience/index.js';
import { expectConfigError } from './config-error.js';

describe('orInfinity', () => {
  it('passes Infinity through and checks every other value', () => {
    expect(orInfinity(Infinity, (v) => positiveInt('maxAttempts', v))).toBe(Infinity);
    expect(orInfinity(3, (v) => positiveInt('maxAttempts', v))).toBe(3);
    expectConfigError('maxQueue', () => orInfinity(-Infinity, (v) => nonNegativeInt('maxQueue', v)));
    expectConfigError('maxQueue', () => orInfinity(NaN, (v) => nonNegativeInt('maxQueue', v)));
  });
});

describe('growth', () => {
  it('is initial * factor^k capped, and 0 (not NaN) from a zero start even when factor^k overflows', () => {
    expect(growth(100, 2, 3, 10_000)).toBe(800);
    expect(growth(100, 2, 20, 10_000)).toBe(10_000);
    expect(growth(0, 2, 5000, 10_000)).toBe(0);
    expect(growth(1, 10, 5000, 30_000)).toBe(30_000);
  });
});

describe('policy options name the offending field', () => {
  it('Infinity is "no bound" where a policy allows it, and nowhere else', () => {
    expect(() => new Retry({ maxAttempts: Infinity })).not.toThrow();
    expect(() => new Bulkhead({ maxConcurrent: 1, maxQueue: Infinity })).not.toThrow();
    expect(() => new Timeout(Infinity)).not.toThrow();
    expect(() => new HealthMonitor({ suspectAfterMs: 10, failAfterMs: Infinity })).not.toThrow();
    expectConfigError('maxConcurrent', () => new Bulkhead({ maxConcurrent: Infinity }));
    expectConfigError('periodMs', () => new RateLimiter({ limit: 1, periodMs: Infinity }));
  });

  it('bad values are ConfigErrors naming the option', () => {
    expectConfigError('maxAttempts', () => new Retry({ maxAttempts: 0 }));
    expectConfigError('maxQueue', () => new Bulkhead({ maxConcurrent: 1, maxQueue: 1.5 }));
    expectConfigError('timeoutMs', () => new Timeout(-1));
    expectConfigError('failAfterMs', () => new HealthMonitor({ suspectAfterMs: 10, failAfterMs: 10 }));
    expectConfigError('limit', () => new RateLimiter({ limit: 0, periodMs: 1000 }));
    expectConfigError('burst', () => new RateLimiter({ limit: 1, periodMs: 1000, burst: 0.5 }));
    expectConfigError('strategy.failureRatio', () => new CircuitBreaker({ strategy: { kind: 'count', size: 10, failureRatio: 1.5, minimumCalls: 5 } }));
    expectConfigError('strategy.minimumCalls', () => new CircuitBreaker({ strategy: { kind: 'count', size: 10, failureRatio: 0.5, minimumCalls: 11 } }));
    expectConfigError('latencySampleEvery', () => new CircuitBreaker({ latencySampleEvery: 0 }));
  });

  it('a ConfigError message starts with the field', () => {
    expect(() => new Retry({ maxAttempts: 0 })).toThrow(/^maxAttempts: must be a positive integer, got 0$/);
    expect(() => new Timeout(-1)).toThrow(/^timeoutMs: /);
  });
});
