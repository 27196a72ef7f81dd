/**
 * distkit/hashing.
 *
 * @module hashing
 */
export {};
