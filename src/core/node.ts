import type { Machine, MessageInput, NodeId, TickInput } from './machine.js';
import type { Transport } from './transport.js';
import { systemClock, systemTimers, type CancelTimer, type Clock, type Timers } from './system.js';

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
  /** Monotonic time source for `tick` inputs. Default: {@link systemClock}. */
  clock?: Pick<Clock, 'now'>;
  /** Timer source for deadlines. Default: {@link systemTimers}. */
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
  /** Queues an input; resolves with its outputs once they have been performed. */
  input(input: Input): Promise<readonly Output[]>;
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

interface Typed {
  readonly type: string;
}

/**
 * Runs a machine: the imperative shell around a pure core. It does no I/O of its own.
 *
 * For each input it calls `step`, then performs the outputs: every `persist` first (awaited, in
 * order), then `send`s and other outputs in order. After each step it re-arms a single timer at
 * `machine.nextDeadline(state)` that feeds a `tick` with the clock's `now`. A timed machine (one
 * with `nextDeadline`) learns the time only from ticks, so before any other input it is fed a
 * `tick` whenever the clock has moved since the last one: a timer the input starts then counts
 * from the real time, not from the last deadline. (The input's promise resolves with the input's
 * own outputs; the tick's are performed as usual.)
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
  const timers = host.timers ?? systemTimers;
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
      void run({ type: 'tick', now: clock.now() } satisfies TickInput as unknown as Input);
    });
  };

  const perform = async (outputs: readonly Output[]) => {
    for (const o of outputs) {
      if ((o as Typed).type === 'persist' && host.persist) {
        try {
          await host.persist((o as unknown as { record: PersistRecordOf<Output> }).record);
        } catch (e) {
          // The record is not durable: delivering the sends would break the protocol's safety.
          report(e);
          return;
        }
      }
    }
    for (const o of outputs) {
      const type = (o as Typed).type;
      try {
        if (type === 'send') {
          const s = o as unknown as { to: NodeId; message: unknown };
          host.send(s.to, s.message);
        } else if (type !== 'persist') host.onOutput?.(o);
      } catch (e) {
        report(e);
      }
    }
  };

  let lastTickNow: number | undefined;
  const run = (input: Input): Promise<readonly Output[]> => {
    const result = queue.then(async () => {
      if (stopped) return [];
      if ((input as Typed).type === 'tick') {
        lastTickNow = (input as unknown as TickInput).now;
      } else if (machine.nextDeadline !== undefined) {
        const now = clock.now();
        if (now !== lastTickNow) {
          lastTickNow = now;
          const ticked = machine.step(state, { type: 'tick', now } satisfies TickInput as unknown as Input);
          state = ticked.state;
          await perform(ticked.outputs);
          if (stopped) return [];
        }
      }
      const t = machine.step(state, input);
      state = t.state;
      await perform(t.outputs);
      arm();
      return t.outputs;
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
    deliver: (from, message) => run({ type: 'message', from, message } satisfies MessageInput as unknown as Input),
    listen(transport) {
      return transport.onMessage((from, message) => {
        // run() already reports a failed step to onError (through the queue).
        void run({ type: 'message', from, message } satisfies MessageInput as unknown as Input);
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
