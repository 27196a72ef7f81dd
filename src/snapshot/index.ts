/**
 * distkit/snapshot.
 *
 * @module snapshot
 */
export {};
