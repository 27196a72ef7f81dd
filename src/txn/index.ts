/**
 * distkit/txn.
 *
 * @module txn
 */
export {};
