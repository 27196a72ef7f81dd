import type { Machine, NodeId, Unstamped } from './machine.js';
import { applyStep, stampNow, type Effects } from './runtime.js';
import type { Transport } from './transport.js';
import { backgroundTimers, systemClock, type CancelTimer, type Clock, type Timers } from './system.js';

/**
 * What a running node needs from its environment. Only `send` is required; the clock and timers
 * default to the real ones from `system.ts`.
 *
 * @example
 * ```ts
 * import type { NodeHost } from 'distkit/core';
 * const host: NodeHost<unknown, unknown> = {
 *   send: (to, message) => console.log('send', to, message),
 *   persist: async (record) => {
 *     // write the record and fsync it before resolving
 *   },
 *   onOutput: (event) => console.log('event', event),
 * };
 * ```
 */
export interface NodeHost<Msg, Out> {
  /** Delivers a `send` output. Called only after the transition's `persist` outputs are durable. */
  send(to: NodeId, message: Msg): void;
  /** Makes a `persist` output's record durable; the node waits for the returned promise. */
  persist?(record: PersistRecordOf<Out>): void | Promise<void>;
  /** Receives every output that is neither `send` nor `persist` (events, `rejected`...). */
  onOutput?(output: Out): void;
  /** Monotonic time source: every input is stamped with its `now`. Default: {@link systemClock}. */
  clock?: Pick<Clock, 'now'>;
  /** Timer source for deadlines. Default: {@link backgroundTimers} (unref'd: the transport keeps a node alive). */
  timers?: Timers;
  /** Called when a host callback (`send`, `persist`, `onOutput`) throws or rejects. */
  onError?(error: unknown): void;
}

/**
 * A machine running for real: holds its state, serializes inputs, performs outputs through the host
 * and keeps exactly one timer armed for the machine's next deadline.
 *
 * @example
 * ```ts
 * import type { RunningNode } from 'distkit/core';
 * declare const node: RunningNode<{ term: number }, { type: 'tick'; now: number }, unknown>;
 * node.state.term;
 * ```
 */
export interface RunningNode<State, Input, Output> {
  /** The current state (a snapshot; do not mutate). */
  readonly state: State;
  /**
   * Queues an input (a local command); the node stamps it with the clock's `now` when it is
   * stepped. Resolves with its outputs once they have been performed; rejects with what `step`
   * threw (e.g. `InvalidCommandError`).
   */
  input(input: Unstamped<Input>): Promise<readonly Output[]>;
  /** Queues a `message` input from `from`. */
  deliver(from: NodeId, message: unknown): Promise<readonly Output[]>;
  /** Feeds every message arriving on `transport` to this node; returns an unsubscribe function. */
  listen(transport: Transport<unknown>): () => void;
  /** Resolves when all queued inputs have been processed. */
  idle(): Promise<void>;
  /** Cancels the timer and ignores further inputs. */
  stop(): void;
}

/**
 * The record type carried by the `persist` outputs in an output union (`never` if it has none).
 *
 * @example
 * ```ts
 * import type { PersistRecordOf, PersistOutput, SendOutput } from 'distkit/core';
 * type R = PersistRecordOf<SendOutput | PersistOutput<{ term: number }>>; // { term: number }
 * ```
 */
export type PersistRecordOf<O> = O extends { readonly type: 'persist'; readonly record: infer R } ? R : never;

/**
 * Performs one transition's effects for a host: the `persist` record first (awaited; a failed
 * write stops here, because delivering the sends would break the protocol's safety), then the
 * sends, then the events. A throwing host callback is reported and the rest still run.
 */
async function perform<State, Output>(host: NodeHost<unknown, Output>, effects: Effects<State, Output>, report: (e: unknown) => void): Promise<void> {
  if (effects.persist !== undefined && host.persist) {
    try {
      await host.persist(effects.persist.record as PersistRecordOf<Output>);
    } catch (e) {
      report(e);
      return;
    }
  }
  for (const s of effects.sends) {
    try {
      host.send(s.to, s.message);
    } catch (e) {
      report(e);
    }
  }
  for (const o of effects.events) {
    try {
      host.onOutput?.(o);
    } catch (e) {
      report(e);
    }
  }
}

/**
 * Runs a machine: the imperative shell around a pure core. It does no I/O of its own.
 *
 * Every input is stamped with the clock's `now` as it is stepped, so a timer an input starts
 * counts from the real time. Each transition goes through the shared runtime (`applyStep`): its
 * `persist` record is made durable first (awaited), then the `send`s are delivered, then the other
 * outputs reach `onOutput`, in order. After each step the node re-arms a single timer at
 * `machine.nextDeadline(state)`; when it fires the machine gets a `tick`.
 *
 * @param options.state - start from this state instead of `machine.init(config)` (e.g. a recovered one).
 * @example
 * ```ts
 * import { createNode, createMemoryNetwork } from 'distkit/core';
 * import { berkeley } from 'distkit/clocks';
 * const net = createMemoryNetwork();
 * const transport = net.transport('master');
 * const node = createNode(berkeley, { id: 'master', nodes: ['master', 'a', 'b'], master: 'master' }, {
 *   send: (to, m) => transport.send(to, m),
 *   onOutput: (o) => console.log(o),
 * });
 * node.listen(transport);
 * ```
 */
export function createNode<Config, State, Input, Output>(
  machine: Machine<Config, State, Input, Output>,
  config: Config,
  host: NodeHost<unknown, Output>,
  options: { state?: State } = {},
): RunningNode<State, Input, Output> {
  const clock = host.clock ?? systemClock;
  const timers = host.timers ?? backgroundTimers;
  let state = options.state ?? machine.init(config);
  let queue: Promise<unknown> = Promise.resolve();
  let cancel: CancelTimer | undefined;
  let armedAt: number | undefined;
  let stopped = false;

  const report = (e: unknown) => {
    if (host.onError) host.onError(e);
  };

  const arm = () => {
    const deadline = machine.nextDeadline?.(state);
    if (deadline === armedAt) return;
    cancel?.();
    cancel = undefined;
    armedAt = deadline;
    if (deadline === undefined || stopped) return;
    cancel = timers.setTimer(deadline - clock.now(), () => {
      cancel = undefined;
      armedAt = undefined;
      void run({ type: 'tick' });
    });
  };

  const run = (input: unknown): Promise<readonly Output[]> => {
    const result = queue.then(async () => {
      if (stopped) return [];
      const effects = applyStep(machine, state, stampNow(input, clock.now()) as Input);
      state = effects.state;
      await perform(host, effects, report);
      arm();
      return effects.outputs;
    });
    queue = result.catch(report);
    return result;
  };

  arm();

  return {
    get state() {
      return state;
    },
    input: run,
    deliver: (from, message) => run({ type: 'message', from, message }),
    listen(transport) {
      return transport.onMessage((from, message) => {
        // run() already reports a failed step to onError (through the queue). Every input is
        // stamped when it is stepped, so the machine's clock never goes back.
        void run({ type: 'message', from, message });
      });
    },
    idle: () => queue.then(() => undefined),
    stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
    },
  };
}
