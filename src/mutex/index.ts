/**
 * distkit/mutex.
 *
 * @module mutex
 */
export {};
