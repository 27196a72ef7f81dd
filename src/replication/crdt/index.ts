/**
 * Delta-state CRDTs (Almeida, Shoker and Baquero, arXiv:1603.01529).
 *
 * @packageDocumentation
 */
export * from './causal-context.js';
export { DOT_MAP_BUCKETS, DotMap, type DotMapPair } from './dot-map.js';
export * from './dot-store.js';
export { CRDT_LIMITS, type CrdtLimits } from './parse.js';
export * from './counters.js';
export * from './registers.js';
export * from './sets.js';
export * from './ormap.js';
export * from './spec.js';
export * from './codec.js';
