/**
 * distkit/election.
 *
 * @module election
 */
export {};
