import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidCommandError, type Unstamped } from '../../src/core/index.js';
import { HashRing } from '../../src/hashing/index.js';
import { quorumKv, type QuorumKvConfig, type QuorumKvInput, type QuorumKvOutput, type QuorumKvState } from '../../src/replication/index.js';

const ids = ['a', 'b', 'c', 'd', 'e'];

/** A synchronous cluster: every send is delivered at once unless its target is crashed. */
class Cluster {
  states: Record<string, QuorumKvState>;
  crashed = new Set<string>();
  events: { node: string; output: QuorumKvOutput }[] = [];
  now = 0;
  constructor(extra: Partial<QuorumKvConfig> = {}) {
    this.states = Object.fromEntries(ids.map((id) => [id, quorumKv.init({ id, nodes: ids, ...extra })]));
  }
  step(node: string, input: Unstamped<QuorumKvInput>): QuorumKvOutput[] {
    const queue: { to: string; input: QuorumKvInput }[] = [{ to: node, input: { ...input, now: this.now } as QuorumKvInput }];
    const mine: QuorumKvOutput[] = [];
    while (queue.length > 0) {
      const { to, input: i } = queue.shift()!;
      if (this.crashed.has(to)) continue;
      const t = quorumKv.step(this.states[to]!, i);
      this.states[to] = t.state;
      for (const o of t.outputs) {
        if (o.type === 'send') queue.push({ to: o.to, input: { type: 'message', from: to, message: o.message, now: this.now } });
        else if (o.type !== 'persist') {
          this.events.push({ node: to, output: o });
          if (to === node) mine.push(o);
        }
      }
    }
    return mine;
  }
  /** Tells every live node that `node` is down (as a failure detector would). */
  crash(node: string): void {
    this.crashed.add(node);
    for (const id of ids) if (!this.crashed.has(id)) this.step(id, { type: 'down', node });
  }
  revive(node: string): void {
    this.crashed.delete(node);
    for (const id of ids) if (id !== node && !this.crashed.has(id)) this.step(id, { type: 'up', node });
  }
}

const ring = HashRing.create(ids, { vnodes: 64 });
const pref = (key: string) => ring.preferenceList(key, ids.length);
const last = (outs: QuorumKvOutput[]) => outs.at(-1);

describe('quorumKv: config', () => {
  it('validates n, r and w', () => {
    expect(() => quorumKv.init({ id: 'a', nodes: ['a', 'b'], n: 3 })).toThrow(ConfigError);
    expect(() => quorumKv.init({ id: 'a', nodes: ids, n: 3, r: 4 })).toThrow(ConfigError);
    expect(() => quorumKv.init({ id: 'a', nodes: ids, w: 0 })).toThrow(ConfigError);
    expect(() => quorumKv.init({ id: 'a', nodes: ['a', '__proto__'] })).toThrow(ConfigError);
  });
  it('refuses a malformed local command with InvalidCommandError', () => {
    const s = quorumKv.init({ id: 'a', nodes: ids });
    expect(() => quorumKv.step(s, { type: 'get', id: 1, key: 'k', r: 4, now: 0 })).toThrow(InvalidCommandError);
    expect(() => quorumKv.step(s, { type: 'put', id: 1, key: 'k', value: NaN, now: 0 })).toThrow(InvalidCommandError);
  });
});

describe('quorumKv: Dynamo §4.3–4.5 preference lists and quorums', () => {
  it('a write reaches the N nodes of the preference list; a read from any node sees it', () => {
    const c = new Cluster();
    const key = 'cart';
    const [p0] = pref(key);
    expect(last(c.step(p0!, { type: 'put', id: 1, key, value: 'milk' }))).toMatchObject({ type: 'put-ok', id: 1 });
    const holders = ids.filter((id) => Object.hasOwn(c.states[id]!.store, key));
    expect(holders.sort()).toEqual(pref(key).slice(0, 3).sort());
    for (const id of ids) expect(last(c.step(id, { type: 'get', id: 2, key }))).toMatchObject({ type: 'get-ok', values: ['milk'] });
  });

  it('a node outside the top N forwards the put to the first healthy replica', () => {
    const c = new Cluster();
    const key = 'cart';
    const outsider = pref(key)[4]!;
    expect(last(c.step(outsider, { type: 'put', id: 7, key, value: 1 }))).toMatchObject({ type: 'put-ok', id: 7, context: { [pref(key)[0]!]: 1 } });
    expect(c.states[outsider]!.pending).toEqual([]);
  });

  it('fails a read when fewer than R replicas answer before the deadline', () => {
    const c = new Cluster({ requestTimeoutMs: 100 });
    const key = 'k';
    const [p0, p1, p2] = pref(key);
    c.crashed.add(p1!);
    c.crashed.add(p2!); // crashed, but nobody has been told: no sloppy stand-ins
    c.step(p0!, { type: 'get', id: 3, key, r: 3 });
    c.now = 100;
    expect(last(c.step(p0!, { type: 'tick' }))).toEqual({ type: 'request-failed', id: 3, key, op: 'get', reason: 'timeout' });
    expect(quorumKv.nextDeadline!(c.states[p0!]!)).toBeUndefined();
  });

  it('per-request R and W: W=1 answers on the local write alone, with the other replicas down', () => {
    const c = new Cluster();
    const key = 'k';
    const [p0, p1, p2] = pref(key);
    c.crashed.add(p1!);
    c.crashed.add(p2!);
    expect(last(c.step(p0!, { type: 'put', id: 1, key, value: 'x', w: 1 }))).toMatchObject({ type: 'put-ok' });
  });
});

describe('quorumKv: §4.4 siblings with dotted version vectors', () => {
  it('two writes with the same (empty) context are both kept; a write with the read context resolves them', () => {
    const c = new Cluster();
    const key = 'cart';
    const [p0, p1] = pref(key);
    c.step(p0!, { type: 'put', id: 1, key, value: ['milk'] });
    c.step(p1!, { type: 'put', id: 2, key, value: ['eggs'] });
    const read = last(c.step(p0!, { type: 'get', id: 3, key }));
    if (read?.type !== 'get-ok') throw new Error('no read');
    expect(read.values).toHaveLength(2);
    expect(read.values).toEqual(expect.arrayContaining([['milk'], ['eggs']]));
    c.step(p1!, { type: 'put', id: 4, key, value: ['eggs', 'milk'], context: read.context });
    expect(last(c.step(p0!, { type: 'get', id: 5, key }))).toMatchObject({ values: [['eggs', 'milk']] });
  });

  it('last-writer-wins keeps one value and counts the discarded sibling', () => {
    const c = new Cluster({ lastWriterWins: true });
    const key = 'cart';
    const [p0, p1] = pref(key);
    c.step(p0!, { type: 'put', id: 1, key, value: 'first' });
    c.now = 5;
    c.step(p1!, { type: 'put', id: 2, key, value: 'second' });
    expect(last(c.step(p0!, { type: 'get', id: 3, key }))).toMatchObject({ values: ['second'] });
    const discarded = ids.reduce((n, id) => n + c.states[id]!.stats.lwwDiscarded, 0);
    expect(discarded).toBeGreaterThan(0);
    expect(c.events.some((e) => e.output.type === 'lww-discarded')).toBe(true);
  });
});

describe('quorumKv: §4.6 sloppy quorum and hinted handoff', () => {
  const key = 'cart';
  const [p0, p1, p2, p3] = pref(key);

  it('a write skips an owner believed down, lands on the next node with a hint, and is handed back', () => {
    const c = new Cluster({ handoffIntervalMs: 50 });
    c.crash(p2!);
    expect(last(c.step(p0!, { type: 'put', id: 1, key, value: 'v', w: 3 }))).toMatchObject({ type: 'put-ok' });
    expect(c.states[p3!]!.hints).toMatchObject([{ key, owner: p2 }]);
    expect(Object.hasOwn(c.states[p3!]!.store, key)).toBe(false);
    c.revive(p2!);
    expect(c.states[p3!]!.hints).toEqual([]);
    expect(c.states[p3!]!.stats.hintsDelivered).toBe(1);
    expect(Object.hasOwn(c.states[p2!]!.store, key)).toBe(true);
  });

  it('hints past the hint window are dropped and counted', () => {
    const c = new Cluster({ handoffIntervalMs: 50, hintWindowMs: 200 });
    c.crash(p2!);
    c.step(p0!, { type: 'put', id: 1, key, value: 'v' });
    c.now = 100;
    c.step(p3!, { type: 'tick' });
    expect(c.states[p3!]!.hints).toHaveLength(1);
    c.now = 200;
    expect(c.step(p3!, { type: 'tick' })).toContainEqual({ type: 'hint-dropped', key, owner: p2 });
    expect(c.states[p3!]!.stats.hintsDropped).toBe(1);
    expect(quorumKv.nextDeadline!(c.states[p3!]!)).toBeUndefined();
  });

  it('SWIM membership events drive liveness', () => {
    let s = quorumKv.init({ id: 'a', nodes: ids });
    s = quorumKv.step(s, { type: 'member', node: 'b', status: 'dead', now: 0 }).state;
    expect(s.down).toEqual(['b']);
    s = quorumKv.step(s, { type: 'member', node: 'b', status: 'suspect', now: 1 }).state;
    expect(s.down).toEqual(['b']);
    s = quorumKv.step(s, { type: 'member', node: 'b', status: 'alive', now: 2 }).state;
    expect(s.down).toEqual([]);
    // Members of the SWIM group outside the ring are not the store's business.
    expect(quorumKv.step(s, { type: 'member', node: 'client-7', status: 'dead', now: 3 }).state).toBe(s);
    expect(() => quorumKv.step(s, { type: 'down', node: 'client-7', now: 3 })).toThrow(InvalidCommandError);
  });
});

describe('quorumKv: §5 read repair', () => {
  it('a replica that missed a write gets the merged version after a read', () => {
    const c = new Cluster();
    const key = 'k';
    const [p0, , p2] = pref(key);
    c.crashed.add(p2!); // misses the write, nobody told
    c.step(p0!, { type: 'put', id: 1, key, value: 'new' });
    c.crashed.delete(p2!);
    expect(Object.hasOwn(c.states[p2!]!.store, key)).toBe(false);
    c.step(p0!, { type: 'get', id: 2, key, r: 2 });
    expect(Object.hasOwn(c.states[p2!]!.store, key)).toBe(true);
    expect(c.states[p0!]!.stats.readRepairs).toBe(1);
  });
});

describe('quorumKv: §4.7 Merkle-tree anti-entropy', () => {
  it('a replica that missed writes, and is never read, catches up by exchanging tree hashes', () => {
    const c = new Cluster({ antiEntropyIntervalMs: 100, merkleDepth: 4 });
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const behind = pref('k1')[2]!;
    c.crashed.add(behind); // misses every write, nobody told
    for (const [i, key] of keys.entries()) c.step(pref(key).find((x) => x !== behind)!, { type: 'put', id: i, key, value: i, w: 1 });
    c.crashed.delete(behind);
    const missing = () => keys.filter((k) => pref(k).slice(0, 3).includes(behind) && !Object.hasOwn(c.states[behind]!.store, k));
    expect(missing().length).toBeGreaterThan(0);
    for (let round = 1; round <= 8 && missing().length > 0; round++) {
      c.now = round * 100;
      for (const id of ids) c.step(id, { type: 'tick' });
    }
    expect(missing()).toEqual([]);
    expect(ids.reduce((n, id) => n + c.states[id]!.stats.antiEntropyKeys, 0)).toBeGreaterThan(0);
  });

  it('replicas that agree exchange only their roots', () => {
    const c = new Cluster({ antiEntropyIntervalMs: 100 });
    c.step(pref('k')[0]!, { type: 'put', id: 1, key: 'k', value: 1, w: 3 });
    c.now = 100;
    const before = c.events.length;
    for (const id of ids) c.step(id, { type: 'tick' });
    expect(c.events.length).toBe(before);
    expect(ids.every((id) => c.states[id]!.stats.antiEntropyKeys === 0)).toBe(true);
  });
});

describe('quorumKv: hostile peers', () => {
  const s = quorumKv.init({ id: 'a', nodes: ids, limits: { maxKeys: 2, maxHints: 1 } });
  const clock = { entries: [{ id: 'b', counter: 1, values: [{ value: 1, ts: 0, node: 'b' }] }], anonymous: [] };
  const msg = (from: string, message: unknown) => quorumKv.step(s, { type: 'message', from, message, now: 0 });
  it.each([
    ['an unknown sender', '__proto__', { type: 'read', seq: 1, key: 'k' }],
    ['a clock naming a non-member', 'b', { type: 'write', seq: 1, key: 'k', clock: { entries: [{ id: 'z', counter: 1, values: [] }], anonymous: [] } }],
    ['a version from a non-member', 'b', { type: 'write', seq: 1, key: 'k', clock: { entries: [{ id: 'b', counter: 1, values: [{ value: 1, ts: 0, node: 'zz' }] }], anonymous: [] } }],
    ['a hint naming itself', 'b', { type: 'write', seq: 1, key: 'k', clock, hint: 'a' }],
    ['an ack to nothing', 'b', { type: 'write-ack', seq: 9, key: 'k' }],
    ['a forward with w > n', 'b', { type: 'forward', seq: 1, key: 'k', value: 1, context: {}, w: 3, n: 2 }],
    ['a tree index beyond the depth', 'b', { type: 'tree', indices: [1 << 16], hashes: [0], reply: false }],
    ['tree hashes that do not match the indices', 'b', { type: 'tree', indices: [1, 2], hashes: [0], reply: false }],
  ])('rejects %s with the same state', (_what, from, message) => {
    const t = msg(from, message);
    expect(t.state).toBe(s);
    expect(t.outputs).toMatchObject([{ type: 'rejected' }]);
  });
  it('the key table stops at maxKeys', () => {
    let st = s;
    for (const key of ['k1', 'k2']) st = quorumKv.step(st, { type: 'message', from: 'b', message: { type: 'write', seq: 1, key, clock }, now: 0 }).state;
    const t = quorumKv.step(st, { type: 'message', from: 'b', message: { type: 'write', seq: 1, key: 'k3', clock }, now: 0 });
    expect(t.outputs).toEqual([{ type: 'rejected', from: 'b', reason: 'key table full (2 keys)' }]);
  });
});

describe('quorumKv: durability', () => {
  it('recover(durable) restores the store, and applyPersist folds records into the same image', () => {
    const c = new Cluster();
    const key = 'cart';
    const [p0] = pref(key);
    let image = quorumKv.durable(quorumKv.init({ id: p0!, nodes: ids }));
    let s = c.states[p0!]!;
    const t = quorumKv.step(s, { type: 'put', id: 1, key, value: 'v', w: 1, now: 0 });
    for (const o of t.outputs) if (o.type === 'persist') image = quorumKv.applyPersist!(image, o.record);
    s = t.state;
    expect(image).toEqual(quorumKv.durable(s));
    const r = quorumKv.recover({ id: p0!, nodes: ids }, image);
    const again = quorumKv.step(r, { type: 'put', id: 2, key, value: 'w', w: 1, now: 1 });
    // The coordinator's counter continues after a restart: the new version is p0:2, not p0:1 again.
    expect(again.outputs.at(-1)).toMatchObject({ type: 'put-ok', context: { [p0!]: 2 } });
  });
});
