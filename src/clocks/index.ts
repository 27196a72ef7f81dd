/**
 * Logical and physical clocks: Lamport clocks, vector clocks, version vectors with sibling
 * detection, hybrid logical clocks, NTP / Cristian offset estimation with the clock filter and
 * Marzullo's intersection, PTP offset and path delay, and the Berkeley algorithm as a machine.
 * Clocks are immutable plain-data values with pure functions; validators (`parse...`) turn a
 * peer's untrusted clock into a typed value or a reason.
 *
 * Guide: [Clocks](../../docs/clocks.md).
 *
 * @module clocks
 */
export type { ParseResult, ParseOk, ParseError } from './parse.js';
export { nodeIdProblem } from './parse.js';
export {
  type VectorClock,
  type ClockOrder,
  type VectorClockLimits,
  EMPTY_VECTOR_CLOCK,
  vectorClockEntry,
  incrementVectorClock,
  mergeVectorClocks,
  compareVectorClocks,
  vectorClockDescends,
  vectorClocksConcurrent,
  pruneVectorClock,
  retainVectorClock,
  parseVectorClock,
} from './vector.js';
export * from './lamport.js';
export * from './hlc.js';
export * from './version.js';
export * from './ntp.js';
export * from './ptp.js';
export * from './berkeley.js';
