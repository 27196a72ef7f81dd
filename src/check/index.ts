/**
 * distkit/check.
 *
 * @module check
 */
export {};
