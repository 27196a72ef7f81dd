// The resilience errors: each is a DistkitError a caller can catch by class, carrying the numbers a
// caller needs to react (when to retry, how full, what was short).
import { describe, expect, it } from 'vitest';
import { DistkitError } from '../../src/core/index.js';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  InsufficientResourcesError,
  IsolatedCircuitError,
  NoNodeAvailableError,
  NoRecoveryHandlerError,
  OperationAbortedError,
  RateLimitedError,
  TaskTimeoutError,
} from '../../src/resilience/index.js';

describe('resilience errors', () => {
  it('BrokenCircuitError says which state refused and when to come back', () => {
    const e = new BrokenCircuitError('open', 1500);
    expect(e).toBeInstanceOf(DistkitError);
    expect(e.name).toBe('BrokenCircuitError');
    expect(e.circuit).toBe('open');
    expect(e.retryAfterMs).toBe(1500);
    expect(e.message).not.toBe(new BrokenCircuitError('half-open', 0).message);
  });

  it('IsolatedCircuitError is a BrokenCircuitError that never reopens by itself', () => {
    const e = new IsolatedCircuitError();
    expect(e).toBeInstanceOf(BrokenCircuitError);
    expect(e.name).toBe('IsolatedCircuitError');
    expect(e.circuit).toBe('isolated');
    expect(e.retryAfterMs).toBe(Infinity);
  });

  it('BulkheadRejectedError and RateLimitedError carry their numbers', () => {
    const b = new BulkheadRejectedError(4, 10);
    expect([b.executing, b.queueCapacity]).toEqual([4, 10]);
    expect(b.message).toBe('bulkhead is full: 4 running, 10 queue slots');
    const r = new RateLimitedError(12.2, 'client-1');
    expect(r.retryAfterMs).toBe(12.2);
    expect(r.message).toBe('rate limit exceeded for key "client-1"; retry in 13 ms');
    expect(new RateLimitedError(5).message).toBe('rate limit exceeded; retry in 5 ms');
  });

  it('timeouts, aborts and missing nodes say what happened', () => {
    expect(new TaskTimeoutError(250).timeoutMs).toBe(250);
    expect(new TaskTimeoutError(250).message).toBe('operation timed out after 250 ms');
    expect(new OperationAbortedError().message).toBe('operation aborted');
    expect(new OperationAbortedError('shutdown').message).toBe('operation aborted: shutdown');
    expect(new NoNodeAvailableError('all 3 nodes unhealthy').message).toBe('no node available: all 3 nodes unhealthy; mark a node healthy or add one');
  });

  it('InsufficientResourcesError and NoRecoveryHandlerError name what is missing', () => {
    const e = new InsufficientResourcesError('t1', 'cpu', 4, 2);
    expect([e.resource, e.requested, e.largestFree]).toEqual(['cpu', 4, 2]);
    expect(e.message).toBe('task "t1" fits on no node: needs 4 cpu, at most 2 free on any node');
    const h = new NoRecoveryHandlerError('email', []);
    expect(h.taskType).toBe('email');
    expect(h.message).toContain('registered: (none)');
    expect(new NoRecoveryHandlerError('email', ['sms']).message).toContain('registered: "sms"');
  });
});
