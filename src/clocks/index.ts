/**
 * distkit/clocks.
 *
 * @module clocks
 */
export {};
