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
  /**
   * Makes a `persist` output's record durable. The node calls it for each transition of a batch in
   * order without waiting in between (a storage with group commit makes them durable with one
   * sync), then waits for every returned promise before delivering the batch's sends.
   */
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

/** One queued input and the caller waiting for its outputs. */
interface Queued<Output> {
  readonly input: unknown;
  resolve(outputs: readonly Output[]): void;
  reject(error: unknown): void;
}

/** A stepped input of a batch: its effects, the promise of its `persist` record, and how many of its sends already left. */
interface Stepped<State, Output> {
  readonly item: Queued<Output>;
  readonly effects: Effects<State, Output>;
  readonly persisted: Promise<void> | undefined;
  readonly sentEarly: number;
}

/**
 * Delivers the leading sends of a transition marked `beforePersist` at once, as long as no send of
 * the batch is being held (so the node's sends keep their order). Returns how many left and whether
 * the batch now holds a send.
 */
function sendEarly(host: NodeHost<unknown, unknown>, sends: Effects<unknown, unknown>['sends'], holding: boolean, report: (e: unknown) => void): { sent: number; holding: boolean } {
  let sent = 0;
  if (!holding) {
    for (; sent < sends.length && sends[sent]!.beforePersist === true; sent++) {
      try {
        host.send(sends[sent]!.to, sends[sent]!.message);
      } catch (e) {
        report(e);
      }
    }
  }
  return { sent, holding: holding || sent < sends.length };
}

/** Calls `host.persist` without awaiting it; a throw becomes a rejected promise. */
function startPersist<Output>(host: NodeHost<unknown, Output>, effects: Effects<unknown, Output>): Promise<void> | undefined {
  if (effects.persist === undefined || !host.persist) return undefined;
  try {
    return Promise.resolve(host.persist(effects.persist.record as PersistRecordOf<Output>));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Steps one queued input stamped with the clock's `now`; a step that throws rejects that input's
 * promise and is reported (`undefined` is returned).
 */
function stepOne<State, Input, Output>(
  machine: Machine<unknown, State, Input, Output>,
  state: State,
  item: Queued<Output>,
  clock: Pick<Clock, 'now'>,
  report: (e: unknown) => void,
): Effects<State, Output> | undefined {
  try {
    return applyStep(machine, state, stampNow(item.input, clock.now()) as Input);
  } catch (e) {
    report(e);
    item.reject(e);
    return undefined;
  }
}

/**
 * Releases a batch's effects in order once every persist of it has settled: the sends, then the
 * events of each transition. A failed persist withholds the sends and events of its transition and
 * of every later one in the batch (their state was stepped from a record that is not durable); the
 * failure is reported. A throwing host callback is reported and the rest still run.
 */
async function release<State, Output>(
  host: NodeHost<unknown, Output>,
  batch: readonly Stepped<State, Output>[],
  report: (e: unknown) => void,
  durable: (input: unknown) => void,
): Promise<void> {
  const settled = await Promise.allSettled(batch.map((b) => b.persisted));
  let failed = false;
  for (let k = 0; k < batch.length; k++) {
    const outcome = settled[k]!;
    if (outcome.status === 'rejected') {
      failed = true;
      report(outcome.reason);
    }
    if (failed) continue;
    const { effects, sentEarly } = batch[k]!;
    if (effects.persist?.onDurable !== undefined) durable(effects.persist.onDurable);
    for (let i = sentEarly; i < effects.sends.length; i++) {
      const s = effects.sends[i]!;
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
}

/** The one timer a node keeps armed, at its machine's next deadline (re-armed only when it moves). */
function deadlineTimer(timers: Timers, clock: Pick<Clock, 'now'>, fire: () => void): { arm(deadline: number | undefined): void } {
  let cancel: CancelTimer | undefined;
  let armedAt: number | undefined;
  return {
    arm(deadline) {
      if (deadline === armedAt) return;
      cancel?.();
      cancel = undefined;
      armedAt = deadline;
      if (deadline === undefined) return;
      cancel = timers.setTimer(deadline - clock.now(), () => {
        cancel = undefined;
        armedAt = undefined;
        fire();
      });
    },
  };
}

/**
 * Runs a machine: the imperative shell around a pure core. It does no I/O of its own.
 *
 * Inputs are processed in batches: the node steps every input that has arrived (each stamped with
 * the clock's `now` as it is stepped, so a timer an input starts counts from the real time),
 * through the shared runtime (`applyStep`), and hands each transition's `persist` record to
 * `host.persist` in order without waiting in between; once all of them are durable it delivers the
 * batch's `send`s and other outputs (`onOutput`), transition by transition. Nothing a transition
 * emits leaves the node before its record, and every earlier record, is durable. A failed persist
 * withholds the outputs of its transition and of every later one in the batch and is reported to
 * `onError`. Inputs that arrive while a batch is being persisted form the next batch, so a
 * storage with group commit syncs once per batch. After stepping, the node re-arms a single timer
 * at `machine.nextDeadline(state)`; when it fires the machine gets a `tick`.
 *
 * A send the machine marks `beforePersist` leaves at once, before the batch's records are durable,
 * as long as no earlier send of the batch is held (a Raft leader with `parallelAppend` replicates
 * while it writes its own log, thesis §10.2.1). A persist output's `onDurable` input is stepped
 * once its record is durable (at once for a host without `persist`, which keeps nothing).
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
  const inbox: Queued<Output>[] = [];
  let draining: Promise<void> | undefined;
  let stopped = false;
  const report = (e: unknown) => {
    if (host.onError) host.onError(e);
  };
  const timer = deadlineTimer(timers, clock, () => void run({ type: 'tick' }).catch(() => undefined));
  const arm = () => timer.arm(stopped ? undefined : machine.nextDeadline?.(state));

  // Steps every queued input, starts all their persists at once (a storage with group commit
  // makes them durable with one sync), waits for them, then releases the sends and events in
  // order. Inputs that arrive meanwhile form the next batch.
  const drain = async (): Promise<void> => {
    await undefined; // inputs queued in the same turn join the first batch
    while (inbox.length > 0) {
      const batch: Stepped<State, Output>[] = [];
      let holding = false;
      for (const item of inbox.splice(0)) {
        if (stopped) {
          item.resolve([]);
          continue;
        }
        const effects = stepOne(machine, state, item, clock, report);
        if (effects === undefined) continue;
        state = effects.state;
        const persisted = startPersist(host, effects as Effects<unknown, Output>);
        const early = sendEarly(host as NodeHost<unknown, unknown>, effects.sends, holding, report);
        holding = early.holding;
        batch.push({ item, effects, persisted, sentEarly: early.sent });
      }
      arm();
      await release(host, batch, report, (input) => void run(input).catch(() => undefined));
      for (const { item, effects } of batch) item.resolve(effects.outputs);
    }
  };
  const kick = (): void => {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (inbox.length > 0) kick(); // queued as the loop ended, it found a drain running: no timer wait
    });
  };
  const run = (input: unknown): Promise<readonly Output[]> =>
    new Promise<readonly Output[]>((resolve, reject) => {
      inbox.push({ input, resolve, reject });
      kick();
    });

  arm();

  return {
    get state() {
      return state;
    },
    input: run,
    deliver: (from, message) => run({ type: 'message', from, message }),
    listen(transport) {
      return transport.onMessage((from, message) => {
        // drain() already reports a failed step to onError. Every input is stamped when it is
        // stepped, so the machine's clock never goes back.
        void run({ type: 'message', from, message }).catch(() => undefined);
      });
    },
    async idle() {
      while (draining !== undefined) await draining;
    },
    stop() {
      stopped = true;
      timer.arm(undefined);
    },
  };
}
