import { describe, expect, it } from 'vitest';
import type { Unstamped } from '../../src/core/index.js';
import { HashRing } from '../../src/hashing/index.js';
import { quorumKv, type QuorumKvConfig, type QuorumKvInput, type QuorumKvOutput, type QuorumKvState } from '../../src/replication/index.js';

const old = ['a', 'b', 'c', 'd', 'e'];
const grown = [...old, 'f'];

/** A synchronous cluster whose membership can grow: every send is delivered at once unless its target is crashed. */
class Cluster {
  states: Record<string, QuorumKvState> = {};
  crashed = new Set<string>();
  events: { node: string; output: QuorumKvOutput }[] = [];
  messages: { from: string; to: string; type: string }[] = [];
  now = 0;
  constructor(extra: Partial<QuorumKvConfig> = {}) {
    for (const id of old) this.states[id] = quorumKv.init({ id, nodes: old, acceptJoins: true, ...extra });
  }
  add(id: string, config: QuorumKvConfig): void {
    this.states[id] = quorumKv.init(config);
  }
  step(node: string, input: Unstamped<QuorumKvInput>): QuorumKvOutput[] {
    const queue: { to: string; input: QuorumKvInput }[] = [{ to: node, input: { ...input, now: this.now } as QuorumKvInput }];
    const mine: QuorumKvOutput[] = [];
    while (queue.length > 0) {
      const { to, input: i } = queue.shift()!;
      if (this.crashed.has(to) || this.states[to] === undefined) continue;
      const t = quorumKv.step(this.states[to]!, i);
      this.states[to] = t.state;
      for (const o of t.outputs) {
        if (o.type === 'send') {
          this.messages.push({ from: to, to: o.to, type: (o.message as { type: string }).type });
          queue.push({ to: o.to, input: { type: 'message', from: to, message: o.message, now: this.now } });
        } else if (o.type !== 'persist') {
          this.events.push({ node: to, output: o });
          if (to === node) mine.push(o);
        }
      }
    }
    return mine;
  }
  /** Every live node is told SWIM's news that `node` is alive. */
  announce(node: string): void {
    for (const id of Object.keys(this.states)) if (id !== node && !this.crashed.has(id)) this.step(id, { type: 'member', node, status: 'alive' });
  }
  /** Advances time and ticks every live node. */
  tick(ms: number): void {
    this.now += ms;
    for (const id of Object.keys(this.states)) this.step(id, { type: 'tick' });
  }
}

const before = HashRing.create(old, { vnodes: 64 });
const after = HashRing.create(grown, { vnodes: 64 });
const top = (ring: HashRing, key: string) => ring.preferenceList(key, 3);
const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
/** Keys whose preference list gains f (the ranges f takes over, Dynamo §4.9). */
const moved = keys.filter((k) => top(after, k).includes('f'));

describe('quorumKv membership: Dynamo §4.8 joins', () => {
  it('SWIM `alive` for a node outside the ring is ignored unless joins are accepted', () => {
    const s = quorumKv.init({ id: 'a', nodes: old });
    expect(quorumKv.step(s, { type: 'member', node: 'f', status: 'alive', now: 0 }).state).toBe(s);
    const t = quorumKv.step(quorumKv.init({ id: 'a', nodes: old, acceptJoins: true }), { type: 'member', node: 'f', status: 'alive', now: 0 });
    expect(t.state.nodes).toEqual(grown);
    expect(HashRing.fromJSON(t.state.ring).nodes).toEqual(grown);
    expect(t.outputs).toContainEqual({ type: 'joined', node: 'f', nodes: grown });
    expect(t.outputs).toContainEqual({ type: 'persist', record: { type: 'members', members: { nodes: grown, bootstrapped: true } } });
    // suspect and dead of a non-member change nothing; a second alive is no news.
    for (const status of ['suspect', 'dead'] as const) expect(quorumKv.step(s, { type: 'member', node: 'g', status, now: 1 }).state).toBe(s);
    expect(quorumKv.step(t.state, { type: 'member', node: 'f', status: 'alive', now: 1 }).state.nodes).toEqual(grown);
  });

  it('the `join` command adds a node whatever acceptJoins says', () => {
    const t = quorumKv.step(quorumKv.init({ id: 'a', nodes: old }), { type: 'join', node: 'f', now: 0 });
    expect(t.state.nodes).toEqual(grown);
  });

  it.each([
    ['a reserved id', '__proto__', {}, 'join: node id "__proto__" is reserved (an Object.prototype property)'],
    ['an empty id', '', {}, 'join: node id: expected a non-empty string'],
    ['a join past maxNodes', 'f', { limits: { maxNodes: 5 } }, 'join of "f": ring full (5 nodes)'],
  ] as const)('refuses %s by name, state unchanged', (_what, node, extra, reason) => {
    const s = quorumKv.init({ id: 'a', nodes: old, acceptJoins: true, ...extra });
    for (const input of [{ type: 'join', node, now: 0 }, { type: 'member', node, status: 'alive', now: 0 }] as const) {
      const t = quorumKv.step(s, input);
      expect(t.state).toBe(s);
      expect(t.outputs).toEqual([{ type: 'rejected', from: 'local', reason }]);
    }
  });

  it('refuses gossip that would grow the ring past its limit or names a bad id', () => {
    const s = quorumKv.init({ id: 'a', nodes: old, limits: { maxNodes: 6 } });
    const gossip = (nodes: unknown) => quorumKv.step(s, { type: 'message', from: 'b', message: { type: 'members', nodes, reply: false }, now: 0 });
    expect(gossip([...old, 'f', 'g']).outputs).toEqual([{ type: 'rejected', from: 'b', reason: 'join of "g": ring full (6 nodes)' }]);
    expect(gossip([...old, 'toString']).outputs[0]).toMatchObject({ type: 'rejected', from: 'b' });
    expect(gossip([...old, 'f', 'g']).state).toBe(s);
    expect(gossip([...old, 'f']).state.nodes).toEqual(grown);
  });

  it('a node that missed the join (crashed) learns it from membership gossip when it is back', () => {
    const c = new Cluster({ membershipIntervalMs: 100 });
    c.add('f', { id: 'f', nodes: grown, joining: true, membershipIntervalMs: 100 });
    c.crashed.add('c');
    c.announce('f');
    expect(c.states['c']!.nodes).toEqual(old);
    c.crashed.delete('c');
    for (let i = 0; i < 10 && c.states['c']!.nodes.length === old.length; i++) c.tick(100);
    expect(c.states['c']!.nodes).toEqual(grown);
    // Once every peer has answered with the same list, gossip stops: no timer is left.
    for (let i = 0; i < 12; i++) c.tick(100);
    for (const id of grown) expect(c.states[id]!.gossipTo, id).toEqual([]);
    for (const id of grown) expect(quorumKv.nextDeadline!(c.states[id]!), id).toBeUndefined();
  });
});

describe('quorumKv membership: Dynamo §4.9 a joiner takes over its ranges', () => {
  function loaded(extra: Partial<QuorumKvConfig> = {}): Cluster {
    const c = new Cluster({ membershipIntervalMs: 100, ...extra });
    for (const [i, key] of keys.entries()) c.step(top(before, key)[0]!, { type: 'put', id: i, key, value: `v${i}`, w: 3 });
    return c;
  }

  it('the joiner pulls, in batches, every key whose preference list now names it, then answers reads', () => {
    expect(moved.length).toBeGreaterThan(5);
    const c = loaded({ limits: { maxTransferKeys: 4 } });
    c.add('f', { id: 'f', nodes: grown, joining: true, membershipIntervalMs: 100, limits: { maxTransferKeys: 4 } });
    c.announce('f');
    for (let i = 0; i < 5 && c.states['f']!.bootstrap !== null; i++) c.tick(100);
    expect(c.states['f']!.bootstrap).toBeNull();
    for (const key of moved) expect(c.states['f']!.store[key], key).toEqual(c.states[top(before, key)[0]!]!.store[key]);
    expect(c.events).toContainEqual({ node: 'f', output: { type: 'bootstrapped', keys: moved.length } });
    // Batches of at most 4 keys: each member that held moved keys sent several transfers.
    expect(c.messages.filter((m) => m.type === 'transfer').length).toBeGreaterThan(moved.length / 4);
    // Old owners keep their copies (Dynamo §4.9); reads go to the new preference lists.
    for (const key of moved) for (const id of top(before, key)) expect(Object.hasOwn(c.states[id]!.store, key)).toBe(true);
    for (const [i, key] of moved.entries()) expect(c.step('f', { type: 'get', id: 100 + i, key, r: 3 }).at(-1)).toMatchObject({ type: 'get-ok', values: [`v${keys.indexOf(key)}`] });
  });

  it('while it bootstraps, the joiner does not answer reads: a read fails rather than miss an acknowledged write', () => {
    // A key f takes over from an old owner `gone`; `stay1` and `stay2` keep it.
    const key = keys.find((k) => top(after, k).includes('f') && top(after, k).indexOf('f') > 0)!;
    const gone = top(before, key).find((x) => !top(after, key).includes(x))!;
    const [stay1, stay2] = top(before, key).filter((x) => x !== gone);
    const run = (joining: boolean) => {
      const c = new Cluster({ membershipIntervalMs: 100, requestTimeoutMs: 50 });
      // stay2 misses the write (crashed, nobody told): acknowledged by `gone` and stay1, W = 2.
      c.crashed.add(stay2!);
      const coordinator = top(before, key).find((x) => x !== stay2)!;
      expect(c.step(coordinator, { type: 'put', id: 1, key, value: 'acked', w: 2 }).at(-1)).toMatchObject({ type: 'put-ok' });
      c.crashed.delete(stay2!);
      c.add('f', { id: 'f', nodes: grown, joining, membershipIntervalMs: 100, requestTimeoutMs: 50 });
      c.announce('f');
      // Before any bootstrap round: stay1 crashes, nobody told. A read at stay2 over {stay1, stay2, f}.
      c.crashed.add(stay1!);
      c.step(stay2!, { type: 'get', id: 2, key, r: 2 });
      c.now += 50;
      return c.step(stay2!, { type: 'tick' }).concat(c.events.filter((e) => e.node === stay2 && e.output.type === 'get-ok').map((e) => e.output));
    };
    // A node added without a bootstrap counts its empty replica: the read returns nothing.
    expect(run(false)).toContainEqual(expect.objectContaining({ type: 'get-ok', id: 2, values: [] }));
    // A joiner stays silent until it has its keys: the read times out instead.
    expect(run(true)).toContainEqual({ type: 'request-failed', id: 2, key, op: 'get', reason: 'timeout' });
    expect(run(true).some((o) => o.type === 'get-ok')).toBe(false);
  });

  it('writes during the bootstrap reach the joiner, and a restarted joiner does not bootstrap again', () => {
    const c = loaded();
    c.add('f', { id: 'f', nodes: grown, joining: true, membershipIntervalMs: 100 });
    // Restarted before any key arrived, the joiner starts its bootstrap over.
    expect(quorumKv.recover({ id: 'f', nodes: grown, joining: true }, quorumKv.durable(c.states['f']!)).bootstrap).toHaveLength(5);
    c.announce('f');
    // A fresh key in f's ranges, written after the join and before f has its keys.
    const key = Array.from({ length: 100 }, (_, i) => `x${i}`).find((k) => top(after, k).includes('f'))!;
    c.step(top(after, key)[0]!, { type: 'put', id: 500, key, value: 'during', w: 3 });
    c.tick(100);
    expect(c.states['f']!.bootstrap).toBeNull();
    expect(c.step('f', { type: 'get', id: 501, key, r: 3 }).at(-1)).toMatchObject({ type: 'get-ok', values: ['during'] });
    // Recover keeps the ring and the finished bootstrap.
    const back = quorumKv.recover({ id: 'f', nodes: grown, joining: true }, quorumKv.durable(c.states['f']!));
    expect(back.bootstrap).toBeNull();
    expect(back.nodes).toEqual(grown);
    // An old member restarted from a config that predates the join keeps f in its ring.
    const a = quorumKv.recover({ id: 'a', nodes: old }, quorumKv.durable(c.states['a']!));
    expect(a.nodes).toEqual(grown);
    expect(a.gossipTo).toEqual(grown.filter((x) => x !== 'a'));
  });

  it('applyPersist folds members records into the same image durable() gives', () => {
    let s = quorumKv.init({ id: 'a', nodes: old, acceptJoins: true });
    let image = quorumKv.durable(s);
    const t = quorumKv.step(s, { type: 'member', node: 'f', status: 'alive', now: 0 });
    for (const o of t.outputs) if (o.type === 'persist') image = quorumKv.applyPersist!(image, o.record);
    s = t.state;
    expect(image).toEqual(quorumKv.durable(s));
  });
});

describe('quorumKv membership: hostile transfers', () => {
  const joiner = quorumKv.init({ id: 'f', nodes: grown, joining: true });
  const clock = { entries: [{ id: 'b', counter: 1, values: [{ value: 1, ts: 0, node: 'b' }] }], anonymous: [] };
  const transfer = (message: unknown) => quorumKv.step(joiner, { type: 'message', from: 'b', message, now: 0 });
  it.each([
    ['keys out of order', { type: 'transfer', after: null, entries: [{ key: 'k2', clock }, { key: 'k1', clock }], last: true }, 'transfer: keys out of order'],
    ['a clock naming a non-member', { type: 'transfer', after: null, entries: [{ key: 'k', clock: { entries: [{ id: 'z', counter: 1, values: [] }], anonymous: [] } }], last: true }, undefined],
  ])('rejects %s with the same state', (_what, message, reason) => {
    const t = transfer(message);
    expect(t.state).toBe(joiner);
    expect(t.outputs).toMatchObject([{ type: 'rejected', from: 'b', ...(reason === undefined ? {} : { reason }) }]);
  });
  it('ignores a batch it did not ask for (a duplicate, or one after the last)', () => {
    const t = transfer({ type: 'transfer', after: 'k9', entries: [{ key: 'kz', clock }], last: true });
    expect(t.state).toBe(joiner);
    expect(t.outputs).toEqual([]);
  });
});

describe('quorumKv membership: one persist record per transition', () => {
  it('a transfer batch of several keys persists them as one batch record that applyPersist folds (regression: join sweep seed 1)', () => {
    const joiner = quorumKv.init({ id: 'f', nodes: grown, joining: true });
    const clock = (v: string) => ({ entries: [{ id: 'b', counter: 1, values: [{ value: v, ts: 0, node: 'b' }] }], anonymous: [] });
    const t = quorumKv.step(joiner, { type: 'message', from: 'b', message: { type: 'transfer', after: null, entries: [{ key: 'k1', clock: clock('1') }, { key: 'k2', clock: clock('2') }], last: false }, now: 0 });
    const persists = t.outputs.filter((o) => o.type === 'persist');
    expect(persists).toHaveLength(1);
    expect(persists[0]).toMatchObject({ record: { type: 'batch', records: [{ type: 'store', key: 'k1' }, { type: 'store', key: 'k2' }] } });
    expect(t.outputs.findIndex((o) => o.type === 'persist')).toBe(0);
    expect(quorumKv.applyPersist!(quorumKv.durable(joiner), persists[0]!.record)).toEqual(quorumKv.durable(t.state));
    // The next batch is asked for at once, after the last key received.
    expect(t.outputs).toContainEqual({ type: 'send', to: 'b', message: { type: 'bootstrap', after: 'k2' } });
  });
});
