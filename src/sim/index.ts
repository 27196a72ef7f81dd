/**
 * Deterministic simulation: run any set of distkit machines in virtual time from one seed, with a
 * network model (delay, loss, duplication, reordering, partitions), crashes and restarts through
 * `durable`/`recover`, pauses, clock skew and drift, scripted or random fault schedules, client
 * workloads recorded as histories, and invariants checked after every step. The same seed always
 * gives the same trace.
 *
 * Guide: [Simulation](../../docs/simulation.md).
 *
 * @module sim
 */
export * from './types.js';
export { simulate } from './simulate.js';
export * from './export.js';
export { toHtml, roleOfOutput, type HtmlOptions } from './html.js';
export * from './shrink.js';
export * from './targets.js';
export * from './cluster.js';
