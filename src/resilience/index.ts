/**
 * distkit/resilience.
 *
 * @module resilience
 */
export {};
