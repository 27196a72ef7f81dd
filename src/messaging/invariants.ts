/**
 * Safety properties of the replicated queue, pub/sub log and event store, as core `Invariant`s for the
 * simulator, the model checker and users' tests.
 *
 * @packageDocumentation
 */
import { getOwn, plainDataEqual, type Invariant } from '../core/index.js';
import type { QueueState } from './queue.js';
import type { PubSubState } from './pubsub.js';
import { pubSubStateProblem } from './pubsub-state.js';

export { pubSubStateProblem };
import type { EventStoreState } from './event-store.js';
import type { ReplicatedState } from '../consensus/index.js';

/**
 * State machine safety (Raft §5.4.3, Figure 3): replicas that applied the same log prefix hold the
 * same application state. States are compared structurally, each pair once.
 *
 * @example
 * ```ts
 * import { replicasAgree, replicatedQueue } from 'distkit/messaging';
 * import { checkInvariants } from 'distkit/core';
 * const s = replicatedQueue.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * checkInvariants([replicasAgree()], { a: s, b: { ...s, app: { ...s.app, lastSeq: 9 } } })?.invariant;
 * //=> 'replicas that applied the same entries agree'
 * ```
 */
export function replicasAgree<C, S>(): Invariant<ReplicatedState<C, S>> {
  // Pairs of application states already found equal (states are immutable: compare once).
  const equal = new WeakMap<object, WeakSet<object>>();
  const same = (a: S, b: S): boolean => {
    if (a === b) return true;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return plainDataEqual(a, b);
    if (equal.get(a)?.has(b) === true) return true;
    if (!plainDataEqual(a, b)) return false;
    const set = equal.get(a) ?? new WeakSet<object>();
    set.add(b);
    equal.set(a, set);
    return true;
  };
  return {
    name: 'replicas that applied the same entries agree',
    check(states) {
      const byIndex = new Map<number, { node: string; app: S }>();
      for (const [node, s] of Object.entries(states)) {
        const seen = byIndex.get(s.appliedIndex);
        if (seen === undefined) byIndex.set(s.appliedIndex, { node, app: s.app });
        else if (!same(seen.app, s.app)) return `${seen.node} and ${node} applied up to ${s.appliedIndex} but hold different states`;
      }
      return undefined;
    },
  };
}

/** A single-replica property checked on every live replica's application state. */
function everyApp<C, S>(name: string, problem: (app: S) => string | undefined): Invariant<ReplicatedState<C, S>> {
  return {
    name,
    check(states) {
      for (const [node, s] of Object.entries(states)) {
        const p = problem(s.app);
        if (p !== undefined) return `${node}: ${p}`;
      }
      return undefined;
    },
  };
}

/**
 * What must hold in one queue state: leases carry tokens already issued, at most one lease per
 * token, in-flight and group limits kept, storage within `maxMessages`, each idempotency key
 * remembered once.
 *
 * @example
 * ```ts
 * import { distributedQueue, queueStateProblem } from 'distkit/messaging';
 * queueStateProblem(distributedQueue.init({})); //=> undefined
 * ```
 */
export function queueStateProblem(q: QueueState): string | undefined {
  const tokens = new Set<number>();
  const perGroup = new Map<string, number>();
  let leased = 0;
  for (const m of Object.values(q.messages)) {
    if (m.seq > q.lastSeq) return `message ${m.id} has seq ${m.seq} beyond lastSeq ${q.lastSeq}`;
    if (m.lease === null) continue;
    leased++;
    if (m.lease.token > q.lastToken) return `message ${m.id} holds token ${m.lease.token} beyond lastToken ${q.lastToken}`;
    if (tokens.has(m.lease.token)) return `token ${m.lease.token} leases two messages`;
    tokens.add(m.lease.token);
    if (m.receiveCount < 1) return `message ${m.id} is leased but was never received`;
    if (m.group !== null) perGroup.set(m.group, (perGroup.get(m.group) ?? 0) + 1);
  }
  if (leased > q.options.maxInFlight) return `${leased} messages leased, maxInFlight is ${q.options.maxInFlight}`;
  for (const [g, n] of perGroup) if (n > q.options.maxGroupInFlight) return `group ${JSON.stringify(g)} has ${n} messages leased, maxGroupInFlight is ${q.options.maxGroupInFlight}`;
  const stored = Object.keys(q.messages).length + q.deadLetters.length;
  if (stored > q.options.maxMessages) return `${stored} messages stored, maxMessages is ${q.options.maxMessages}`;
  const keys = new Set<string>();
  for (const d of q.dedup) {
    if (keys.has(d.key)) return `idempotency key ${JSON.stringify(d.key)} remembered twice`;
    keys.add(d.key);
  }
  return undefined;
}

/**
 * The replicated queue's invariants: replicas agree, and every replica's queue is well formed
 * ({@link queueStateProblem}).
 *
 * @example
 * ```ts
 * import { queueInvariants } from 'distkit/messaging';
 * queueInvariants().map((i) => i.name);
 * //=> ['replicas that applied the same entries agree', 'every queue is well formed']
 * ```
 */
export function queueInvariants<C>(): Invariant<ReplicatedState<C, QueueState>>[] {
  return [
    replicasAgree<C, QueueState>(),
    everyApp<C, QueueState>('every queue is well formed', queueStateProblem),
  ];
}

/**
 * What must hold in one event store: positions are dense and each stream's revisions point at its
 * own events, in order.
 *
 * @example
 * ```ts
 * import { eventStore, eventStoreStateProblem } from 'distkit/messaging';
 * eventStoreStateProblem(eventStore.init({})); //=> undefined
 * ```
 */
export function eventStoreStateProblem(s: EventStoreState): string | undefined {
  for (let p = 0; p < s.events.length; p++) if (s.events[p]!.position !== p) return `event at index ${p} has position ${s.events[p]!.position}`;
  let count = 0;
  for (const [stream, positions] of Object.entries(s.streams)) {
    count += positions.length;
    for (let r = 0; r < positions.length; r++) {
      const e = s.events[positions[r]!];
      if (e === undefined || e.stream !== stream || e.revision !== r) return `stream ${JSON.stringify(stream)} revision ${r} points at the wrong event`;
      if (r > 0 && positions[r]! <= positions[r - 1]!) return `stream ${JSON.stringify(stream)} positions go back at revision ${r}`;
    }
  }
  return count === s.events.length ? undefined : `${s.events.length} events but the streams index ${count}`;
}

/**
 * The replicated event store's invariants: replicas agree, and every store is well formed.
 *
 * @example
 * ```ts
 * import { eventStoreInvariants } from 'distkit/messaging';
 * eventStoreInvariants().length; //=> 2
 * ```
 */
export function eventStoreInvariants<C>(): Invariant<ReplicatedState<C, EventStoreState>>[] {
  return [
    replicasAgree<C, EventStoreState>(),
    everyApp<C, EventStoreState>('every event store is well formed', eventStoreStateProblem),
  ];
}

/**
 * Committed offsets never go backwards: as a replica applies more of the log, no group's
 * committed offset of any partition decreases (a replica that restarted from an older snapshot
 * is followed afresh from there).
 *
 * @example
 * ```ts
 * import { committedOffsetsNeverGoBack } from 'distkit/messaging';
 * committedOffsetsNeverGoBack().name; //=> 'committed offsets never go backwards'
 * ```
 */
export function committedOffsetsNeverGoBack<C>(): Invariant<ReplicatedState<C, PubSubState>> {
  const last = new Map<string, { index: number; groups: PubSubState['groups'] }>();
  return {
    name: 'committed offsets never go backwards',
    check(states) {
      for (const [node, s] of Object.entries(states)) {
        const before = last.get(node);
        last.set(node, { index: s.appliedIndex, groups: s.app.groups });
        if (before === undefined || s.appliedIndex <= before.index || before.groups === s.app.groups) continue;
        for (const [name, g] of Object.entries(before.groups)) {
          const now = getOwn(s.app.groups, name);
          for (const [topic, byPartition] of Object.entries(g.offsets)) {
            for (const [p, offset] of Object.entries(byPartition)) {
              const after = now === undefined ? undefined : getOwn(getOwn(now.offsets, topic) ?? {}, p);
              // A deleted group (no members, deleteGroup) starts over; otherwise the offset stays or grows.
              if (now !== undefined && (after === undefined || after < offset)) return `${node}: group ${JSON.stringify(name)} ${topic}/${p} went from ${offset} to ${String(after)} (applied ${before.index} → ${s.appliedIndex})`;
            }
          }
        }
      }
      return undefined;
    },
  };
}

/**
 * The replicated pub/sub log's invariants: replicas agree, every replica's state is well formed
 * ({@link pubSubStateProblem}: among others, no two live members of a group own a partition in
 * the same generation), and committed offsets never go backwards.
 *
 * @example
 * ```ts
 * import { pubSubInvariants } from 'distkit/messaging';
 * pubSubInvariants().map((i) => i.name);
 * //=> ['replicas that applied the same entries agree', 'every pub/sub state is well formed', 'committed offsets never go backwards']
 * ```
 */
export function pubSubInvariants<C>(): Invariant<ReplicatedState<C, PubSubState>>[] {
  return [replicasAgree<C, PubSubState>(), everyApp<C, PubSubState>('every pub/sub state is well formed', pubSubStateProblem), committedOffsetsNeverGoBack<C>()];
}
