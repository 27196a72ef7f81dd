/**
 * Resilience utilities, each a pure core (plain-data state, time injected as a number, no timers)
 * with a small async wrapper: CircuitBreaker, Retry, Timeout, Bulkhead, RateLimiter (GCRA and
 * token bucket), `wrap` to compose them, LoadBalancer, ResourceManager, CheckpointManager /
 * RecoveryManager, HealthMonitor and ServiceRegistry.
 *
 * Guide: [Resilience](../../docs/resilience.md).
 *
 * @module resilience
 */
export * from './errors.js';
export * from './breaker-core.js';
export type { LocalInput } from './local.js';
export * from './breaker.js';
export type { LatencySummary } from './latency.js';
export type { AbortSignalLike, PolicyContext } from './signals.js';
export type { ClockOption, TimersOption } from './options.js';
export * from './backoff.js';
export { retryCore, Retry, type RetryState, type RetryInput, type RetryOutput, type RetrySettings, type RetryOptions, type RetryEvent } from './retry.js';
export * from './timeout.js';
export * from './bulkhead.js';
export * from './rate-limit.js';
export * from './wrap.js';
export * from './load-balancer.js';
export * from './resource-manager.js';
export * from './crc32c.js';
export * from './checkpoint.js';
export * from './health.js';
export * from './registry.js';
