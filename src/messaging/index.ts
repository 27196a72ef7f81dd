/**
 * Messaging and event sourcing: a replicated queue with leases and fencing, pub/sub with committed
 * offsets, and an event store with projections.
 *
 * @module messaging
 */
export {};
