/**
 * The shape of an application that a replicated state machine runs: `init`, a deterministic
 * `apply`, and `restore` for snapshots received from peers.
 *
 * @packageDocumentation
 */

/**
 * What `apply` returns: the next state and the command's result.
 *
 * @example
 * ```ts
 * import type { Applied, QueueState, QueueResult } from 'distkit/messaging';
 * declare const a: Applied<QueueState, QueueResult>;
 * a.result.type;
 * ```
 */
export interface Applied<S, R> {
  readonly state: S;
  readonly result: R;
}

/**
 * What a replica's application state machine offers: `init` from a config, a deterministic
 * `apply`, and `restore`, which checks a state received from a peer (a Raft snapshot) and returns
 * it, or `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { distributedQueue, type ReplicatedApp } from 'distkit/messaging';
 * const app: ReplicatedApp<any, any, any> = distributedQueue;
 * app.apply(app.init({}), { type: 'redrive', now: 1 }).result.type; //=> 'redriven'
 * ```
 */
export interface ReplicatedApp<Config, State, Result> {
  /** A short name for traces and error messages. */
  readonly name: string;
  /** The initial state; throws `ConfigError` naming a bad field. */
  init(config: Config): State;
  /** Applies one command (untrusted data from the log): pure, deterministic, total. */
  apply(state: State, command: unknown): Applied<State, Result>;
  /** Checks a state received in a snapshot and returns it with this replica's options, or `undefined`. */
  restore(data: unknown, config: Config): State | undefined;
}

