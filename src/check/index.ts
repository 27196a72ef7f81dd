/**
 * Correctness checkers: operation histories and the tools that judge them.
 *
 * @module check
 */
export * from './history.js';
