/**
 * Leader election, failure detection and membership as pure machines: the bully algorithm, ring
 * election (Chang–Roberts and the candidate-list variant), a heartbeat health monitor, the φ
 * accrual failure detector, and SWIM membership with Lifeguard's suspicion timeouts.
 *
 * Guide: [Elections and failure detection](../../docs/election.md).
 *
 * @module election
 */
export { highestId } from './common.js';
export type { LeaderOutput, ElectCommand } from './common.js';
export * from './bully.js';
export * from './ring.js';
export * from './health-monitor.js';
export * from './phi-accrual.js';
export * from './swim.js';
export * from './invariants.js';
