/**
 * distkit/sim.
 *
 * @module sim
 */
export {};
