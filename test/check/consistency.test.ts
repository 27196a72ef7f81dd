import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkConsistency, levelViolations, type ConsistencyReport, type StoreOpInput } from '../../src/check/index.js';
import type { Operation } from '../../src/check/index.js';
import { ConfigError } from '../../src/core/index.js';

type Op = Operation<StoreOpInput, unknown>;
let nextId = 0;
const w = (client: string, key: string, value: unknown, call: number, ret: number | null = call + 1): Op =>
  ret === null ? { id: nextId++, client, input: { f: 'write', key, value }, call } : { id: nextId++, client, input: { f: 'write', key, value }, call, output: null, ret };
const r = (client: string, key: string, value: unknown, call: number, ret = call + 1): Op => ({ id: nextId++, client, input: { f: 'read', key }, call, output: value, ret });
const rm = (client: string, values: Record<string, unknown>, call: number, ret = call + 1): Op => ({ id: nextId++, client, input: { f: 'read', keys: Object.keys(values) }, call, output: values, ret });
const order = (...pairs: [string, unknown][]) => pairs.map(([key, value]) => ({ key, value }));

const GUARANTEES: (keyof ConsistencyReport)[] = ['validValues', 'linearizable', 'readYourWrites', 'monotonicReads', 'monotonicWrites', 'writesFollowReads', 'consistentPrefix', 'causal', 'boundedStaleness', 'eventual'];
const failing = (rep: ConsistencyReport) => GUARANTEES.filter((g) => !rep[g].ok);

describe('checkConsistency: Terry et al. 1994 §3, each session guarantee failing on its own', () => {
  it('read your writes: a session that posted to a bulletin board reads a replica that lacks its post', () => {
    nextId = 0;
    // Session s writes x=1 to server A, then reads x from server B, which has not received it.
    const h = [w('s', 'x', 1, 0), r('s', 'x', null, 10)];
    const rep = checkConsistency(h, { writeOrder: order(['x', 1]) });
    expect(rep.readYourWrites).toMatchObject({ ok: false, violations: 1, counterexample: { operations: [0, 1] } });
    expect(rep.readYourWrites.counterexample?.reason).toContain('missing the session');
    // The read also comes after the writes settled, so it fails convergence too.
    expect(failing(rep)).toEqual(['linearizable', 'readYourWrites', 'causal', 'eventual']);
    expect(levelViolations(rep, 'session')).toEqual(['readYourWrites']);
    expect(levelViolations(rep, 'consistent-prefix')).toEqual([]);
  });

  it('monotonic reads: a mail reader sees a message, then a replica without it', () => {
    nextId = 0;
    // Another session delivered m=1; s reads it from A, then reads B which lacks it.
    const h = [w('mta', 'm', 1, 0), r('s', 'm', 1, 10), r('s', 'm', null, 20)];
    const rep = checkConsistency(h, { writeOrder: order(['m', 1]) });
    expect(rep.monotonicReads).toMatchObject({ ok: false, counterexample: { operations: [1, 2] } });
    expect(rep.readYourWrites.ok).toBe(true);
    expect(rep.monotonicWrites.ok && rep.writesFollowReads.ok && rep.consistentPrefix.ok).toBe(true);
    expect(levelViolations(rep, 'session')).toEqual(['monotonicReads']);
  });

  it('writes follow reads: a reply to a posting is ordered before the posting it answers', () => {
    nextId = 0;
    // s1 posts p; s2 reads p then posts reply q; the order of effect puts q before p.
    const h = [w('s1', 'p', 'post', 0), r('s2', 'p', 'post', 10), w('s2', 'q', 'reply', 20)];
    const rep = checkConsistency(h, { writeOrder: order(['q', 'reply'], ['p', 'post']) });
    expect(rep.writesFollowReads).toMatchObject({ ok: false, counterexample: { operations: [0, 2] } });
    expect(rep.monotonicWrites.ok && rep.readYourWrites.ok && rep.monotonicReads.ok).toBe(true);
    expect(rep.causal.ok).toBe(false);
    expect(levelViolations(rep, 'session')).toEqual(['writesFollowReads']);
  });

  it('monotonic writes: a software update is applied before the version it patches', () => {
    nextId = 0;
    const h = [w('s', 'lib', 'v1', 0), w('s', 'patch', 'p1', 10)];
    const rep = checkConsistency(h, { writeOrder: order(['patch', 'p1'], ['lib', 'v1']) });
    expect(rep.monotonicWrites).toMatchObject({ ok: false, counterexample: { operations: [0, 1] } });
    expect(rep.writesFollowReads.ok && rep.readYourWrites.ok && rep.monotonicReads.ok).toBe(true);
    expect(levelViolations(rep, 'session')).toEqual(['monotonicWrites']);
  });

  it('each guarantee holds for the same history with the anomaly removed', () => {
    nextId = 0;
    const h = [w('s', 'x', 1, 0), r('s', 'x', 1, 10), w('s', 'y', 2, 20), r('t', 'y', 2, 30), r('t', 'x', 1, 40)];
    const rep = checkConsistency(h, { writeOrder: order(['x', 1], ['y', 2]) });
    expect(failing(rep)).toEqual([]);
    for (const level of ['strong', 'bounded-staleness', 'session', 'causal', 'consistent-prefix', 'eventual'] as const) expect(levelViolations(rep, level)).toEqual([]);
  });
});

describe('checkConsistency: consistent prefix (Terry 2013, the baseball score)', () => {
  it('a snapshot read of both teams that shows the visitors\' later run without the home team\'s earlier one fails', () => {
    nextId = 0;
    const h = [w('scorer', 'home', 1, 0), w('scorer', 'visitors', 1, 10), rm('fan', { home: null, visitors: 1 }, 20)];
    const rep = checkConsistency(h, { writeOrder: order(['home', 1], ['visitors', 1]) });
    expect(rep.consistentPrefix).toMatchObject({ ok: false, counterexample: { operations: [2, 1, 0] } });
    expect(levelViolations(rep, 'consistent-prefix')).toEqual(['consistentPrefix']);
    // The fan's session wrote nothing and read once: its session guarantees hold.
    expect(rep.readYourWrites.ok && rep.monotonicReads.ok).toBe(true);
  });

  it('a stale but consistent snapshot passes', () => {
    nextId = 0;
    const h = [w('scorer', 'home', 1, 0), w('scorer', 'visitors', 1, 10), rm('fan', { home: 1, visitors: null }, 20)];
    const rep = checkConsistency(h, { writeOrder: order(['home', 1], ['visitors', 1]) });
    expect(rep.consistentPrefix.ok).toBe(true);
    expect(rep.boundedStaleness.ok).toBe(true); // unbounded by default
    expect(checkConsistency(h, { writeOrder: order(['home', 1], ['visitors', 1]), staleness: { versions: 0 } }).boundedStaleness.ok).toBe(false);
  });
});

describe('checkConsistency: causal, bounded staleness, eventual', () => {
  it('causal across sessions (COPS §2, the photo and the ACL): c sees the photo but misses the ACL change b read before posting it', () => {
    nextId = 0;
    const h = [w('a', 'acl', 'private', 0), r('b', 'acl', 'private', 10), w('b', 'photo', 'p', 20), r('c', 'photo', 'p', 30), r('c', 'acl', null, 40)];
    const rep = checkConsistency(h, { writeOrder: order(['acl', 'private'], ['photo', 'p']) });
    expect(rep.causal).toMatchObject({ ok: false, counterexample: { operations: [0, 4] } });
    // Every session guarantee holds: the anomaly crosses sessions.
    expect(levelViolations(rep, 'session')).toEqual([]);
    expect(levelViolations(rep, 'causal')).toEqual(['causal']);
  });

  it('a read returning a write invoked after it returned is a causal cycle', () => {
    nextId = 0;
    const h = [r('a', 'x', 1, 0, 1), w('b', 'x', 1, 5)];
    const rep = checkConsistency(h, { writeOrder: order(['x', 1]) });
    expect(rep.linearizable.ok).toBe(false);
  });

  it('bounded staleness by versions and by time', () => {
    nextId = 0;
    const h = [w('a', 'x', 1, 0), w('a', 'x', 2, 10), w('a', 'x', 3, 20), r('b', 'x', 1, 100)];
    const writeOrder = order(['x', 1], ['x', 2], ['x', 3]);
    expect(checkConsistency(h, { writeOrder, staleness: { versions: 2 } }).boundedStaleness.ok).toBe(true);
    const k1 = checkConsistency(h, { writeOrder, staleness: { versions: 1 } }).boundedStaleness;
    expect(k1).toMatchObject({ ok: false, counterexample: { operations: [1, 2, 3] } });
    const t = checkConsistency(h, { writeOrder, staleness: { ms: 85 } }).boundedStaleness;
    expect(t).toMatchObject({ ok: false, counterexample: { operations: [1, 3] } });
    expect(t.counterexample?.reason).toContain('89 ms');
    expect(checkConsistency(h, { writeOrder, staleness: { ms: 90 } }).boundedStaleness.ok).toBe(true);
  });

  it('eventual: reads after the writes settle must all return the last value; a lost acknowledged write fails it', () => {
    nextId = 0;
    const h = [w('a', 'x', 1, 0), w('b', 'x', 2, 0), r('c', 'x', 1, 50), r('d', 'x', 2, 200)];
    const writeOrder = order(['x', 1], ['x', 2]);
    expect(checkConsistency(h, { writeOrder, settleMs: 100 }).eventual.ok).toBe(true);
    expect(checkConsistency(h, { writeOrder, settleMs: 10 }).eventual).toMatchObject({ ok: false, counterexample: { operations: [2] } });
    const lost = checkConsistency(h, { writeOrder: order(['x', 1]), settleMs: 100 });
    expect(lost.eventual.ok).toBe(false);
    expect(lost.validValues.ok).toBe(false);
  });

  it('an unknown-outcome write binds nothing until a read shows it took effect', () => {
    nextId = 0;
    const h = [w('s', 'x', 1, 0, null), r('s', 'x', null, 10)];
    const rep = checkConsistency(h, { writeOrder: [] });
    expect(failing(rep)).toEqual([]);
  });

  it('rejects a write order naming a value twice for one key, and reads a key named __proto__ as data', () => {
    expect(() => checkConsistency([], { writeOrder: order(['x', 1], ['x', 1]) })).toThrow(ConfigError);
    nextId = 0;
    const h = [w('s', '__proto__', 1, 0), rm('s', JSON.parse('{"__proto__": 1}') as Record<string, unknown>, 10)];
    expect(failing(checkConsistency(h, { writeOrder: order(['__proto__', 1]) }))).toEqual([]);
  });
});

describe('checkConsistency: properties', () => {
  /** A sequential history of one register: every read returns the latest write, so every guarantee holds. */
  const sequential = fc.array(fc.record({ write: fc.boolean(), client: fc.constantFrom('a', 'b', 'c'), key: fc.constantFrom('x', 'y') }), { maxLength: 40 });

  it('a history executed one operation at a time against one copy satisfies every level', () => {
    fc.assert(
      fc.property(sequential, (steps) => {
        const state = new Map<string, number>();
        const h: Op[] = [];
        const writeOrder: { key: string; value: unknown }[] = [];
        steps.forEach((s, i) => {
          if (s.write) {
            state.set(s.key, i);
            writeOrder.push({ key: s.key, value: i });
            h.push({ id: i, client: s.client, input: { f: 'write', key: s.key, value: i }, call: i * 10, output: null, ret: i * 10 + 5 });
          } else h.push({ id: i, client: s.client, input: { f: 'read', key: s.key }, call: i * 10, output: state.get(s.key) ?? null, ret: i * 10 + 5 });
        });
        expect(failing(checkConsistency(h, { writeOrder, staleness: { versions: 0, ms: 0 } }))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('a read that returns a value older than its own session\'s last write fails read-your-writes, and its counterexample names them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 9 }), (n, back) => {
        const older = Math.min(back, n - 1);
        const h: Op[] = [];
        for (let i = 0; i < n; i++) h.push({ id: i, client: 's', input: { f: 'write', key: 'x', value: i }, call: i * 10, output: null, ret: i * 10 + 5 });
        h.push({ id: n, client: 's', input: { f: 'read', key: 'x' }, call: n * 10, output: older === n - 1 ? null : older, ret: n * 10 + 5 });
        const rep = checkConsistency(h, { writeOrder: h.slice(0, n).map((o) => ({ key: 'x', value: (o.input as { value: number }).value })) });
        expect(rep.readYourWrites.ok).toBe(false);
        expect(rep.readYourWrites.counterexample?.operations).toEqual([n - 1, n]);
      }),
    );
  });
});

describe('checkConsistency: unknown outcomes in the causal past', () => {
  it('a timed-out write that never took effect does not make the session\'s next write a causal violation', () => {
    nextId = 0;
    const h = [w('s', 'x', 1, 0, null), w('s', 'y', 2, 1000)];
    const rep = checkConsistency(h, { writeOrder: order(['y', 2]) });
    expect(rep.causal.ok).toBe(true);
    expect(rep.monotonicWrites.ok).toBe(true);
  });

  it('but once another session read it, it binds that session\'s later writes', () => {
    nextId = 0;
    const h = [w('s', 'x', 1, 0, null), r('t', 'x', 1, 10), w('t', 'y', 2, 20)];
    const rep = checkConsistency(h, { writeOrder: order(['y', 2], ['x', 1]) });
    expect(rep.causal).toMatchObject({ ok: false, counterexample: { operations: [0, 2] } });
    expect(rep.writesFollowReads.ok).toBe(false);
  });
});
