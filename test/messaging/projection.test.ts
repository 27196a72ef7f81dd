import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidCommandError } from 'distkit/core';
import {
  catchUp,
  decideAppend,
  eventStore,
  loadStream,
  project,
  readAll,
  snapshotStream,
  type CatchUpSubscription,
  type Decider,
  type EventStoreState,
  type Projection,
  type ProjectionState,
  type RecordedEvent,
} from 'distkit/messaging';

// ---- the CQRS example: a bank account (write side) and a balances read model (read side) -------

type AccountCommand = { kind: 'open'; owner: string } | { kind: 'deposit'; amount: number } | { kind: 'withdraw'; amount: number };
type AccountEvent = { type: 'Opened'; data: { owner: string } } | { type: 'Deposited'; data: { amount: number } } | { type: 'Withdrawn'; data: { amount: number } } | { type: 'WithdrawalRefused'; data: { amount: number } };
type Account = { open: boolean; balance: number };

const account: Decider<AccountCommand, AccountEvent, Account> = {
  initialState: { open: false, balance: 0 },
  decide(c, s) {
    if (c.kind === 'open') return s.open ? [] : [{ type: 'Opened', data: { owner: c.owner } }];
    if (!s.open) return [];
    if (c.kind === 'deposit') return [{ type: 'Deposited', data: { amount: c.amount } }];
    return c.amount <= s.balance ? [{ type: 'Withdrawn', data: { amount: c.amount } }] : [{ type: 'WithdrawalRefused', data: { amount: c.amount } }];
  },
  evolve(s, e) {
    switch (e.type) {
      case 'Opened':
        return { open: true, balance: 0 };
      case 'Deposited':
        return { ...s, balance: s.balance + e.data.amount };
      case 'Withdrawn':
        return { ...s, balance: s.balance - e.data.amount };
      case 'WithdrawalRefused':
        return s;
    }
  },
};

type Balances = { readonly byAccount: Readonly<Record<string, number>>; readonly total: number };
const balances: Projection<Balances> = {
  name: 'balances',
  initialState: { byAccount: {}, total: 0 },
  evolve(m, e) {
    const delta = e.type === 'Deposited' ? (e.data as { amount: number }).amount : e.type === 'Withdrawn' ? -(e.data as { amount: number }).amount : 0;
    return { byAccount: { ...m.byAccount, [e.stream]: (m.byAccount[e.stream] ?? 0) + delta }, total: m.total + delta };
  },
};

/** The command side: load, decide, append with the revision the decision saw. */
function handle(store: EventStoreState, stream: string, command: AccountCommand, now: number): EventStoreState {
  const append = decideAppend(account, store, stream, command);
  if (append === undefined) return store;
  const r = eventStore.apply(store, { ...append, now });
  expect(r.result.type).toBe('appended');
  return r.state;
}

describe('CQRS: a decider writes, a projection reads', () => {
  it('the read model answers queries the write side never indexes', () => {
    let store = eventStore.init({});
    store = handle(store, 'acct-1', { kind: 'open', owner: 'ada' }, 1);
    store = handle(store, 'acct-2', { kind: 'open', owner: 'bob' }, 2);
    store = handle(store, 'acct-1', { kind: 'deposit', amount: 100 }, 3);
    store = handle(store, 'acct-2', { kind: 'deposit', amount: 30 }, 4);
    store = handle(store, 'acct-1', { kind: 'withdraw', amount: 40 }, 5);
    store = handle(store, 'acct-2', { kind: 'withdraw', amount: 50 }, 6); // refused: an event, no money moves
    const view = project(balances, { position: -1, state: balances.initialState }, readAll(store));
    expect(view).toEqual({ position: 5, state: { byAccount: { 'acct-1': 60, 'acct-2': 30 }, total: 90 } });
    expect(loadStream(account, store, 'acct-2')).toEqual({ state: { open: true, balance: 30 }, revision: 2 });
  });

  it('optimistic concurrency: a decision made on a stale revision is refused', () => {
    let store = eventStore.init({});
    store = handle(store, 'a', { kind: 'open', owner: 'x' }, 1);
    store = handle(store, 'a', { kind: 'deposit', amount: 50 }, 2);
    // Two writers load the same state and both decide to withdraw 50.
    const w1 = decideAppend(account, store, 'a', { kind: 'withdraw', amount: 50 })!;
    const w2 = decideAppend(account, store, 'a', { kind: 'withdraw', amount: 50 })!;
    const r1 = eventStore.apply(store, { ...w1, now: 3 });
    const r2 = eventStore.apply(r1.state, { ...w2, now: 3 });
    expect(r1.result.type).toBe('appended');
    expect(r2.result).toEqual({ type: 'WrongExpectedVersion', stream: 'a', expected: 1, actual: 2 });
    // The loser reloads and decides again: the withdrawal is now refused, the balance never negative.
    store = handle(r1.state, 'a', { kind: 'withdraw', amount: 50 }, 4);
    expect(loadStream(account, store, 'a').state.balance).toBe(0);
  });

  it('snapshots: loading from a snapshot folds only the events after it, to the same state', () => {
    let store = eventStore.init({});
    store = handle(store, 'a', { kind: 'open', owner: 'x' }, 0);
    for (let i = 1; i <= 50; i++) store = handle(store, 'a', { kind: 'deposit', amount: i }, i);
    const snap = snapshotStream(account, store, 'a')!;
    expect(snap).toEqual({ stream: 'a', revision: 50, state: { open: true, balance: 1275 } });
    for (let i = 0; i < 5; i++) store = handle(store, 'a', { kind: 'withdraw', amount: 1 }, 60 + i);
    let folds = 0;
    const counting: Decider<AccountCommand, AccountEvent, Account> = { ...account, evolve: (s, e) => (folds++, account.evolve(s, e)) };
    expect(loadStream(counting, store, 'a', snap)).toEqual(loadStream(account, store, 'a'));
    expect(folds).toBe(5);
    // A snapshot of another stream, or ahead of the stream, is ignored.
    expect(loadStream(account, store, 'a', { ...snap, stream: 'b' })).toEqual(loadStream(account, store, 'a'));
    expect(loadStream(account, store, 'a', { ...snap, revision: 999 })).toEqual(loadStream(account, store, 'a'));
  });
});

// ---- catch-up subscriptions and crash-safe projections -----------------------------------------

function storeWith(n: number): EventStoreState {
  let s = eventStore.init({ maxReadCount: 4 });
  for (let i = 0; i < n; i++) {
    const stream = `acct-${i % 3}`;
    const event = i % 4 === 3 ? { type: 'Withdrawn', data: { amount: 1 } } : { type: 'Deposited', data: { amount: i + 1 } };
    s = eventStore.apply(s, { type: 'append', stream, expected: 'any', events: [event], now: i }).state;
  }
  return s;
}

const fold = (events: readonly RecordedEvent[]) => events.reduce(balances.evolve, balances.initialState);

describe('catch-up subscriptions', () => {
  it('resuming from a checkpoint loses nothing and repeats only events after it', () => {
    const store = storeWith(11);
    let sub: CatchUpSubscription = { checkpoint: -1, stream: null };
    const seen: number[] = [];
    // Handle the first page, "disconnect" before saving its checkpoint, resume from the saved one.
    const first = catchUp(store, sub);
    seen.push(...first.events.map((e) => e.position));
    const saved = sub.checkpoint;
    sub = { checkpoint: saved, stream: null };
    for (;;) {
      const page = catchUp(store, sub);
      if (page.events.length === 0) break;
      seen.push(...page.events.map((e) => e.position));
      sub = { ...sub, checkpoint: page.upTo };
    }
    expect(new Set(seen)).toEqual(new Set(store.events.map((e) => e.position)));
    const repeated = seen.filter((p, i) => seen.indexOf(p) !== i);
    expect(repeated.every((p) => p > saved)).toBe(true);
  });

  it('a stream filter still advances the checkpoint over other streams', () => {
    const store = storeWith(9);
    let sub: CatchUpSubscription = { checkpoint: -1, stream: 'acct-1' };
    let view: ProjectionState<Balances> = { position: -1, state: balances.initialState };
    for (let guard = 0; guard < 10; guard++) {
      const page = catchUp(store, sub);
      view = project(balances, view, page.events, page.upTo);
      if (page.upTo === sub.checkpoint) break;
      sub = { ...sub, checkpoint: page.upTo };
    }
    expect(view.position).toBe(8);
    expect(view.state).toEqual(fold(store.events.filter((e) => e.stream === 'acct-1')));
  });

  it('project refuses a gap in the global log', () => {
    const store = storeWith(4);
    expect(() => project(balances, { position: -1, state: balances.initialState }, store.events.slice(1))).toThrow(InvalidCommandError);
  });
});

/**
 * A projector on a disk of two records: the read model (with its position) and the subscription
 * checkpoint, written one after the other. `crashAt` kills it before the k-th write; it then
 * restarts from what is on disk. `atomicPosition: false` is the classic mistake: the read model
 * stored without the position it reflects.
 */
function runProjector(store: EventStoreState, crashes: readonly number[], atomicPosition: boolean): Balances {
  const disk: { model: ProjectionState<Balances>; checkpoint: number } = { model: { position: -1, state: balances.initialState }, checkpoint: -1 };
  let writes = 0;
  const crashed = () => crashes.includes(writes++);
  for (let restarts = 0; restarts < 100; restarts++) {
    // Restart: read both records back.
    let sub: CatchUpSubscription = { checkpoint: disk.checkpoint, stream: null };
    let model = disk.model;
    let alive = true;
    while (alive) {
      const page = catchUp(store, sub);
      if (page.events.length === 0) return model.state;
      const next = atomicPosition
        ? project(balances, model, page.events)
        : { position: page.upTo, state: page.events.reduce(balances.evolve, model.state) }; // folds whatever arrives
      if (crashed()) {
        alive = false;
        break;
      }
      disk.model = next;
      model = next;
      if (crashed()) {
        alive = false;
        break;
      }
      disk.checkpoint = page.upTo;
      sub = { ...sub, checkpoint: page.upTo };
    }
  }
  throw new Error('projector never finished');
}

describe('projection: a crash between the read-model write and the checkpoint write', () => {
  const store = storeWith(13);
  const expected = fold(store.events);

  it('every single crash point: the read model equals the fold of the log', () => {
    for (let k = 0; k < 12; k++) expect(runProjector(store, [k], true)).toEqual(expected);
  });

  it('property: any set of crash points, same answer', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { maxLength: 6 }), (crashes) => {
        expect(runProjector(store, crashes, true)).toEqual(expected);
      }),
    );
  });

  it('control: a read model stored without its position double-counts after such a crash', () => {
    // Write 1 is the first checkpoint: crashing there replays a page already folded into the model.
    expect(runProjector(store, [1], false)).not.toEqual(expected);
    expect(runProjector(store, [], false)).toEqual(expected);
  });
});
