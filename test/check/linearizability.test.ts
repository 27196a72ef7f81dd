import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import {
  checkLinearizability,
  formatLinearizability,
  historyProblems,
  kvModel,
  queueModel,
  registerModel,
  setModel,
  type History,
  type KvInput,
  type Model,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
} from 'distkit/check';

// CHECK_PROPERTY_SCALE=20 npx vitest run test/check multiplies the property runs below.
const SCALE = Math.max(1, Number(process.env.CHECK_PROPERTY_SCALE ?? 1) || 1);
const runs = (n: number) => n * SCALE;

type RegOp = Operation<RegisterInput<number>, RegisterOutput<number>>;
const reg = registerModel<number>();

function op<I, O>(id: number, client: string, input: I, call: number, output: O | undefined, ret: number | undefined): Operation<I, O> {
  if (ret === undefined || output === undefined) return { id, client, input, call };
  return { id, client, input, call, output, ret };
}

function unk(id: number, client: string, input: RegisterInput<number>, call: number): RegOp {
  return { id, client, input, call };
}

/** Exhaustive search without memoization or pruning: the definition, for small histories. */
function bruteForce<S, I, O>(model: Model<S, I, O>, history: History<I, O>): boolean {
  const n = history.length;
  const placed = new Array<boolean>(n).fill(false);
  const rec = (state: S): boolean => {
    if (history.every((o, i) => placed[i] || o.ret === undefined)) return true;
    for (let i = 0; i < n; i++) {
      if (placed[i]) continue;
      const o = history[i]!;
      // every operation that returned strictly before o was called must already be placed
      if (history.some((q, j) => !placed[j] && j !== i && q.ret !== undefined && q.ret < o.call)) continue;
      const [ok, next] = model.step(state, o.input, o.output);
      if (!ok) continue;
      placed[i] = true;
      const found = rec(next);
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return rec(model.init());
}

/**
 * Small concurrent register histories: a real execution (each operation takes effect at a point
 * inside its interval) with optional unknown outcomes, then sometimes one output corrupted.
 */
const registerHistory = fc
  .array(
    fc.record({
      call: fc.integer({ min: 0, max: 12 }),
      len: fc.integer({ min: 0, max: 6 }),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      kind: fc.constantFrom('read', 'read', 'write', 'cas'),
      a: fc.integer({ min: 0, max: 2 }),
      b: fc.integer({ min: 0, max: 2 }),
      unknown: fc.constantFrom(false, false, false, true),
      tookEffect: fc.boolean(),
    }),
    { minLength: 1, maxLength: 7 },
  )
  .chain((specs) => fc.tuple(fc.constant(specs), fc.option(fc.tuple(fc.nat(specs.length - 1), fc.integer({ min: 0, max: 2 })), { nil: undefined })))
  .map(([specs, corrupt]) => {
    const inputs: RegisterInput<number>[] = specs.map((s) =>
      s.kind === 'read' ? { f: 'read' } : s.kind === 'write' ? { f: 'write', value: s.a } : { f: 'cas', from: s.a, to: s.b },
    );
    const order = specs.map((s, i) => ({ i, point: s.call + s.len * s.at })).sort((x, y) => x.point - y.point || x.i - y.i);
    const outputs = new Array<RegisterOutput<number>>(specs.length).fill(null);
    let state: number | null = null;
    for (const { i } of order) {
      const s = specs[i]!;
      if (s.unknown && !s.tookEffect) continue;
      const input = inputs[i]!;
      const [, next] = reg.step(state, input, undefined);
      outputs[i] = input.f === 'read' ? state : input.f === 'cas' ? state === input.from : null;
      state = next;
    }
    if (corrupt !== undefined) {
      const [i, v] = corrupt;
      const input = inputs[i]!;
      outputs[i] = input.f === 'cas' ? !outputs[i] : input.f === 'read' ? (outputs[i] === v ? null : v) : outputs[i]!;
    }
    return specs.map((s, i): RegOp =>
      op(i, `c${i}`, inputs[i]!, s.call, s.unknown ? undefined : outputs[i]!, s.unknown ? undefined : s.call + s.len),
    );
  });

describe('Wing & Gong search with memoization (Lowe 2017)', () => {
  it('accepts a sequential history and returns it as the witness', () => {
    const h: RegOp[] = [
      op(0, 'a', { f: 'write', value: 1 }, 0, null, 1),
      op(1, 'a', { f: 'read' }, 2, 1, 3),
      op(2, 'b', { f: 'cas', from: 1, to: 2 }, 4, true, 5),
      op(3, 'b', { f: 'read' }, 6, 2, 7),
    ];
    const r = checkLinearizability(reg, h);
    expect(r.verdict).toBe('linearizable');
    expect(r.partitions[0]!.linearization.map((o) => o.id)).toEqual([0, 1, 2, 3]);
  });

  it('orders concurrent operations as the outputs require', () => {
    // the read overlaps both writes and sees 2: write(1) must come before write(2)
    const h: RegOp[] = [
      op(0, 'a', { f: 'write', value: 2 }, 0, null, 10),
      op(1, 'b', { f: 'write', value: 1 }, 0, null, 10),
      op(2, 'c', { f: 'read' }, 11, 2, 12),
    ];
    const r = checkLinearizability(reg, h);
    expect(r.verdict).toBe('linearizable');
    expect(r.partitions[0]!.linearization.map((o) => o.id)).toEqual([1, 0, 2]);
  });

  it('rejects a stale read and names the operation that cannot be placed', () => {
    const h: RegOp[] = [
      op(0, 'a', { f: 'write', value: 1 }, 0, null, 1),
      op(1, 'a', { f: 'write', value: 2 }, 2, null, 3),
      op(2, 'b', { f: 'read' }, 4, 1, 5),
    ];
    const r = checkLinearizability(reg, h);
    expect(r.verdict).toBe('not-linearizable');
    expect(r.partitions[0]!.stuck?.id).toBe(2);
    expect(r.partitions[0]!.linearization.map((o) => o.id)).toEqual([0, 1]);
    expect(formatLinearizability(r, reg)).toContain('no legal place for op 2 (client b, read() -> 1) after 2 operations (state 2)');
  });

  it('formats a one-operation failure exactly (the TSDoc example)', () => {
    const r = checkLinearizability(reg, [op(0, 'a', { f: 'read' as const }, 0, 5, 1)]);
    expect(formatLinearizability(r, reg)).toBe('not linearizable (1 step)\n  partition 0: no legal place for op 0 (client a, read() -> 5) after 0 operations (state null)');
    expect(formatLinearizability(checkLinearizability(reg, []))).toBe('linearizable (0 steps)');
  });

  it('treats operations with equal times as overlapping', () => {
    const h: RegOp[] = [op(0, 'a', { f: 'write', value: 1 }, 0, null, 5), op(1, 'b', { f: 'read' }, 5, null, 6)];
    expect(checkLinearizability(reg, h).verdict).toBe('linearizable');
  });

  it('a failed cas observed a different value', () => {
    const ok: RegOp[] = [op(0, 'a', { f: 'write', value: 1 }, 0, null, 1), op(1, 'b', { f: 'cas', from: 2, to: 3 }, 2, false, 3)];
    const bad: RegOp[] = [op(0, 'a', { f: 'write', value: 1 }, 0, null, 1), op(1, 'b', { f: 'cas', from: 1, to: 3 }, 2, false, 3)];
    expect(checkLinearizability(reg, ok).verdict).toBe('linearizable');
    expect(checkLinearizability(reg, bad).verdict).toBe('not-linearizable');
  });
});

describe('unknown outcomes (Jepsen :info): may take effect after the call, or never', () => {
  it('an unknown write may explain a later read', () => {
    const h: RegOp[] = [unk(0, 'a', { f: 'write', value: 7 }, 0), op(1, 'b', { f: 'read' }, 10, 7, 11)];
    expect(checkLinearizability(reg, h).verdict).toBe('linearizable');
  });
  it('an unknown write may never happen', () => {
    const h: RegOp[] = [unk(0, 'a', { f: 'write', value: 7 }, 0), op(1, 'b', { f: 'read' }, 10, null, 11)];
    const r = checkLinearizability(reg, h);
    expect(r.verdict).toBe('linearizable');
    expect(r.partitions[0]!.linearization.map((o) => o.id)).toEqual([1]);
  });
  it('an unknown write cannot take effect before its call', () => {
    const h: RegOp[] = [op(0, 'b', { f: 'read' }, 0, 7, 1), unk(1, 'a', { f: 'write', value: 7 }, 5)];
    expect(checkLinearizability(reg, h).verdict).toBe('not-linearizable');
  });
  it('an unknown write takes effect at most once', () => {
    const h: RegOp[] = [
      unk(0, 'a', { f: 'write', value: 7 }, 0),
      op(1, 'b', { f: 'read' }, 1, 7, 2),
      op(2, 'b', { f: 'write', value: 1 }, 3, null, 4),
      op(3, 'b', { f: 'read' }, 5, 7, 6),
    ];
    expect(checkLinearizability(reg, h).verdict).toBe('not-linearizable');
  });
  it('two identical unknown writes can both be needed', () => {
    const h: RegOp[] = [
      unk(0, 'a', { f: 'write', value: 7 }, 0),
      unk(1, 'c', { f: 'write', value: 7 }, 0),
      op(2, 'b', { f: 'read' }, 1, 7, 2),
      op(3, 'b', { f: 'write', value: 1 }, 3, null, 4),
      op(4, 'b', { f: 'read' }, 5, 7, 6),
    ];
    expect(checkLinearizability(reg, h).verdict).toBe('linearizable');
  });
});

describe('P-compositionality: key-value histories are checked per key', () => {
  const kv = kvModel<number>();
  it('splits by key and judges each key alone', () => {
    const h = [
      op(0, 'a', { f: 'write' as const, key: 'x', value: 1 }, 0, null, 1),
      op(1, 'b', { f: 'write' as const, key: 'y', value: 2 }, 0, null, 1),
      op(2, 'a', { f: 'read' as const, key: 'x' }, 2, 1, 3),
      op(3, 'b', { f: 'read' as const, key: 'y' }, 2, 3, 3),
    ];
    const r = checkLinearizability(kv, h);
    expect(r.verdict).toBe('not-linearizable');
    expect(r.partitions.map((p) => p.verdict)).toEqual(['linearizable', 'not-linearizable']);
    expect(r.partitions[1]!.stuck?.id).toBe(3);
  });
  it('stops at the first failing partition by default, or decides them all', () => {
    const h = [
      op(0, 'a', { f: 'read' as const, key: 'x' }, 0, 1, 1),
      op(1, 'b', { f: 'read' as const, key: 'y' }, 0, 2, 1),
      op(2, 'b', { f: 'read' as const, key: 'z' }, 0, null, 1),
    ];
    const first = checkLinearizability(kv, h);
    expect(first.verdict).toBe('not-linearizable');
    expect(first.failedPartition).toBe(0);
    expect(first.stoppedBy).toBeUndefined();
    expect(first.partitions.map((p) => p.verdict)).toEqual(['not-linearizable', 'unknown', 'unknown']);
    expect(first.partitions.map((p) => p.operations)).toEqual([1, 1, 1]);
    expect(formatLinearizability(first, kv)).toContain('2 other partitions not decided (stopped at the first failure)');
    expect(checkLinearizability(kv, h, { stopAtFirstFailure: true })).toEqual(first);
    const all = checkLinearizability(kv, h, { stopAtFirstFailure: false });
    expect(all.verdict).toBe('not-linearizable');
    expect(all.failedPartition).toBe(0);
    expect(all.partitions.map((p) => p.verdict)).toEqual(['not-linearizable', 'not-linearizable', 'linearizable']);
    expect(formatLinearizability(all, kv)).not.toContain('not decided');
  });
  it('agrees with the unpartitioned search', () => {
    const h = [
      op(0, 'a', { f: 'write' as const, key: 'x', value: 1 }, 0, null, 4),
      op(1, 'b', { f: 'cas' as const, key: 'x', from: 1, to: 2 }, 1, true, 5),
      op(2, 'c', { f: 'read' as const, key: 'y' }, 2, null, 3),
      op(3, 'c', { f: 'read' as const, key: 'x' }, 6, 2, 7),
    ];
    const whole = { ...kv, partition: undefined } as unknown as typeof kv;
    delete (whole as { partition?: unknown }).partition;
    expect(checkLinearizability(kv, h).verdict).toBe('linearizable');
    expect(checkLinearizability(whole, h).verdict).toBe('linearizable');
    expect(checkLinearizability(kv, h).partitions).toHaveLength(2);
  });
});

describe('set and FIFO queue models', () => {
  it('set: a read sees exactly the elements added and not removed', () => {
    const set = setModel<string>();
    const h = [
      op(0, 'a', { f: 'add' as const, value: 'x' }, 0, null, 1),
      op(1, 'b', { f: 'add' as const, value: 'y' }, 0, null, 1),
      op(2, 'a', { f: 'remove' as const, value: 'x' }, 2, null, 3),
      op(3, 'c', { f: 'read' as const }, 2, ['y'], 4),
      op(4, 'c', { f: 'read' as const }, 5, ['y'], 6),
    ];
    expect(checkLinearizability(set, h).verdict).toBe('linearizable');
    const bad = [...h.slice(0, 4), op(4, 'c', { f: 'read' as const }, 5, ['x', 'y'], 6)];
    expect(checkLinearizability(set, bad).verdict).toBe('not-linearizable');
  });
  it('queue: dequeues return elements in enqueue order', () => {
    const q = queueModel<number>();
    const h = [
      op(0, 'a', { f: 'enqueue' as const, value: 1 }, 0, null, 1),
      op(1, 'b', { f: 'enqueue' as const, value: 2 }, 0, null, 1),
      op(2, 'c', { f: 'dequeue' as const }, 2, 2, 3),
      op(3, 'c', { f: 'dequeue' as const }, 4, 1, 5),
      op(4, 'c', { f: 'dequeue' as const }, 6, null, 7),
    ];
    expect(checkLinearizability(q, h).verdict).toBe('linearizable');
    const bad = [op(0, 'a', { f: 'enqueue' as const, value: 1 }, 0, null, 1), op(1, 'a', { f: 'enqueue' as const, value: 2 }, 2, null, 3), op(2, 'c', { f: 'dequeue' as const }, 4, 2, 5)];
    expect(checkLinearizability(q, bad).verdict).toBe('not-linearizable');
  });
  it('a user model: a counter', () => {
    type In = { f: 'inc' } | { f: 'get' };
    const counter: Model<number, In, number | null> = {
      init: () => 0,
      step: (s, input, output) => (input.f === 'inc' ? [true, s + 1] : [output === undefined || output === s, s]),
    };
    const h = [op(0, 'a', { f: 'inc' as const }, 0, null, 3), op(1, 'b', { f: 'inc' as const }, 0, null, 3), op(2, 'c', { f: 'get' as const }, 1, 1, 2)];
    expect(checkLinearizability(counter, h).verdict).toBe('linearizable');
    expect(checkLinearizability(counter, [...h, op(3, 'c', { f: 'get' as const }, 4, 1, 5)]).verdict).toBe('not-linearizable');
  });
});

/**
 * A key whose search is exponential: `writers` concurrent writes of distinct values, then a read
 * of a value never written. Refuting it means trying every order of the writes (memoization
 * leaves about writers * 2^(writers - 1) configurations).
 */
type KvOp = Operation<KvInput<number>, RegisterOutput<number>>;
function hardKey(key: string, writers: number, firstId: number): KvOp[] {
  const ops: KvOp[] = [];
  for (let i = 0; i < writers; i++) ops.push(op<KvInput<number>, RegisterOutput<number>>(firstId + i, `w${key}${i}`, { f: 'write', key, value: i }, 0, null, 100));
  ops.push(op<KvInput<number>, RegisterOutput<number>>(firstId + writers, `r${key}`, { f: 'read', key }, 101, -1, 102));
  return ops;
}

describe('budgets: an exhausted budget gives unknown, never a wrong verdict', () => {
  const h: RegOp[] = [op(0, 'a', { f: 'write', value: 1 }, 0, null, 1), op(1, 'b', { f: 'read' }, 2, 1, 3)];
  it('step budget', () => {
    const r = checkLinearizability(reg, h, { maxSteps: 1 });
    expect(r.verdict).toBe('unknown');
    expect(r.stoppedBy).toBe('steps');
  });
  it('injected deadline', () => {
    const r = checkLinearizability(reg, h, { deadline: () => true });
    expect(r.verdict).toBe('unknown');
    expect(r.stoppedBy).toBe('deadline');
    expect(formatLinearizability(r)).toContain('deadline reached');
  });
  it('a hard partition does not starve the others: the budget is shared round-robin', () => {
    const kv = kvModel<number>();
    // The hard key comes first (partition 0); key 'bad' holds a stale read (partition 1).
    const bad: KvOp[] = [
      op(100, 'a', { f: 'write' as const, key: 'bad', value: 1 }, 200, null, 201),
      op(101, 'a', { f: 'write' as const, key: 'bad', value: 2 }, 202, null, 203),
      op(102, 'b', { f: 'read' as const, key: 'bad' }, 204, 1, 205),
    ];
    const h = [...hardKey('hard', 18, 0), ...bad];
    const r = checkLinearizability(kv, h, { maxSteps: 20_000 });
    expect(r.verdict).toBe('not-linearizable');
    expect(r.failedPartition).toBe(1);
    expect(r.partitions[1]!.stuck?.id).toBe(102);
    expect(r.partitions[0]!.verdict).toBe('unknown');
    expect(r.partitions[0]!.operations).toBe(19);
    expect(r.steps).toBeLessThan(2_100); // one round: 1024 steps for the hard key, a few for 'bad'
    expect(r.stoppedBy).toBeUndefined();
    // Going on after the failure: the hard key exhausts the budget, the verdict stands.
    const all = checkLinearizability(kv, h, { maxSteps: 20_000, stopAtFirstFailure: false });
    expect(all.verdict).toBe('not-linearizable');
    expect(all.failedPartition).toBe(1);
    expect(all.stoppedBy).toBe('steps');
    expect(all.steps).toBe(20_000);
    expect(all.partitions.map((p) => p.verdict)).toEqual(['unknown', 'not-linearizable']);
    expect(formatLinearizability(all, kv)).toContain('1 other partition not decided (step budget exhausted)');
  });

  it('the step budget bounds the total over all partitions, and the schedule is deterministic', () => {
    const kv = kvModel<number>();
    const h = [...hardKey('p', 16, 0), ...hardKey('q', 16, 100), ...hardKey('r', 16, 200)];
    const r = checkLinearizability(kv, h, { maxSteps: 50_000 });
    expect(r.verdict).toBe('unknown');
    expect(r.stoppedBy).toBe('steps');
    expect(r.steps).toBe(50_000);
    expect(r.partitions.reduce((sum, p) => sum + p.steps, 0)).toBe(50_000);
    // Rounds of 1024, 2048, 4096 and 8192 steps each (3 x 15,360), then 3,920 more for the first key.
    expect(r.partitions.map((p) => p.steps)).toEqual([15_360 + 3_920, 15_360, 15_360]);
    expect(checkLinearizability(kv, h, { maxSteps: 50_000 })).toEqual(r);
  });

  it('the deadline is polled every 4096 steps over all partitions', () => {
    const kv = kvModel<number>();
    const h = [...hardKey('p', 16, 0), ...hardKey('q', 16, 100)];
    let polls = 0;
    const r = checkLinearizability(kv, h, { deadline: () => ++polls > 3 });
    expect(r.verdict).toBe('unknown');
    expect(r.stoppedBy).toBe('deadline');
    expect(r.steps).toBe(3 * 4096);
  });

  it('rejects a negative budget', () => {
    expect(() => checkLinearizability(reg, h, { maxSteps: -1 })).toThrow(ConfigError);
  });
});

describe('hostile histories', () => {
  it('malformed operations throw ConfigError naming the operation', () => {
    const bad = [
      [{ id: 0, client: 'a', input: { f: 'read' }, call: 5, output: 1, ret: 2 }],
      [{ id: 0, client: 'a', input: { f: 'read' }, call: Number.NaN, output: 1, ret: 2 }],
      [op(0, 'a', { f: 'read' }, 0, 1, 1), op(0, 'b', { f: 'read' }, 0, 1, 1)],
      [{ id: 0, client: 'a', input: { f: 'read' }, call: 0, ret: 2 }],
      [{ id: 0, client: 'a', input: { f: 'read' }, call: 0, output: 3 }],
      [null],
    ] as unknown as RegOp[][];
    for (const h of bad) {
      let caught: unknown;
      try {
        checkLinearizability(reg, h);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).field).toBe('history[' + (h.length === 2 ? 1 : 0) + ']');
    }
    expect(() => checkLinearizability(reg, 'nope' as unknown as RegOp[])).toThrow(ConfigError);
  });
  it('a non-finite ret is rejected, naming the operation (it would let a stale read pass)', () => {
    // Not linearizable: the read returns 1 after the write of 2 returned.
    const stale: RegOp[] = [
      op(0, 'a', { f: 'write', value: 1 }, 0, null, 1),
      op(1, 'a', { f: 'write', value: 2 }, 2, null, 3),
      op(2, 'b', { f: 'read' }, 4, 1, 5),
    ];
    expect(checkLinearizability(reg, stale).verdict).toBe('not-linearizable');
    for (const ret of [Infinity, -Infinity, Number.NaN]) {
      // With ret = Infinity the write of 2 would overlap the read, and could follow it.
      const h = stale.map((o) => (o.id === 1 ? { ...o, ret } : o));
      let caught: unknown;
      try {
        checkLinearizability(reg, h);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).field).toBe('history[1]');
      expect((caught as ConfigError).message).toBe(`history[1]: ret must be a finite number, got ${String(ret)} (operation id 1, client "a")`);
      expect(historyProblems(h)).toContain(`history[1] (id 1): ret must be a finite number, got ${String(ret)}`);
    }
  });
  it('historyProblems also reports a client with two operations open', () => {
    expect(historyProblems([op(0, 'a', { f: 'read' }, 0, 1, 5), op(1, 'a', { f: 'read' }, 2, 1, 3)])).toEqual([
      'client "a": operation 1 starts at 2 while operation 0 is still open',
    ]);
    expect(historyProblems([])).toEqual([]);
  });
  it('inputs the model does not know can never be placed (no crash)', () => {
    const h = [op(0, 'a', { f: 'explode' }, 0, 1, 1)] as unknown as RegOp[];
    expect(checkLinearizability(reg, h).verdict).toBe('not-linearizable');
    expect(checkLinearizability(kvModel<number>(), h as never).verdict).toBe('not-linearizable');
    expect(checkLinearizability(setModel<number>(), h as never).verdict).toBe('not-linearizable');
    expect(checkLinearizability(queueModel<number>(), h as never).verdict).toBe('not-linearizable');
  });
});

/**
 * A concurrent history of any model from a real execution: each operation takes effect at a
 * point inside its interval (unknown-outcome ones maybe never), outputs from `truth`; sometimes
 * one output is replaced by a random one.
 */
function concurrentHistory<S, I, O>(model: Model<S, I, O>, input: fc.Arbitrary<I>, truth: (s: S, i: I) => O, anyOutput: fc.Arbitrary<O>) {
  return fc
    .array(
      fc.record({
        input,
        call: fc.integer({ min: 0, max: 12 }),
        len: fc.integer({ min: 0, max: 6 }),
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        unknown: fc.constantFrom(false, false, false, true),
        tookEffect: fc.boolean(),
      }),
      { minLength: 1, maxLength: 7 },
    )
    .chain((specs) => fc.tuple(fc.constant(specs), fc.option(fc.tuple(fc.nat(specs.length - 1), anyOutput), { nil: undefined })))
    .map(([specs, corrupt]) => {
      const order = specs.map((s, i) => ({ i, point: s.call + s.len * s.at })).sort((x, y) => x.point - y.point || x.i - y.i);
      const outputs = new Array<O>(specs.length);
      let state = model.init();
      for (const { i } of order) {
        const s = specs[i]!;
        outputs[i] = truth(state, s.input);
        if (s.unknown && !s.tookEffect) continue;
        state = model.step(state, s.input, outputs[i])[1];
      }
      if (corrupt !== undefined) outputs[corrupt[0]] = corrupt[1];
      return specs.map((s, i): Operation<I, O> => op(i, `c${i}`, s.input, s.call, s.unknown ? undefined : outputs[i]!, s.unknown ? undefined : s.call + s.len));
    });
}

describe('properties', () => {
  it('queue and set: agree with an exhaustive search', () => {
    const q = queueModel<number>();
    const qInput = fc.oneof(fc.constant({ f: 'dequeue' as const }), fc.record({ f: fc.constant('enqueue' as const), value: fc.integer({ min: 0, max: 2 }) }));
    const qHistory = concurrentHistory(q, qInput, (s, i) => (i.f === 'dequeue' ? (s.length === 0 ? null : (JSON.parse(s[0]!) as number)) : null), fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }));
    fc.assert(
      fc.property(qHistory, (h) => {
        expect(checkLinearizability(q, h).verdict).toBe(bruteForce(q, h) ? 'linearizable' : 'not-linearizable');
      }),
      { numRuns: runs(500) },
    );
    const set = setModel<number>();
    const sInput = fc.oneof(fc.constant({ f: 'read' as const }), fc.record({ f: fc.constantFrom('add' as const, 'remove' as const), value: fc.integer({ min: 0, max: 2 }) }));
    const sHistory = concurrentHistory(set, sInput, (s, i) => (i.f === 'read' ? s.map((k) => JSON.parse(k) as number) : null), fc.uniqueArray(fc.integer({ min: 0, max: 2 })));
    fc.assert(
      fc.property(sHistory, (h) => {
        expect(checkLinearizability(set, h).verdict).toBe(bruteForce(set, h) ? 'linearizable' : 'not-linearizable');
      }),
      { numRuns: runs(500) },
    );
  });

  it('sequential executions of the model are linearizable (register, kv, set, queue)', () => {
    const regOps = fc.oneof(
      fc.constant({ f: 'read' as const }),
      fc.record({ f: fc.constant('write' as const), value: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ f: fc.constant('cas' as const), from: fc.integer({ min: 0, max: 3 }), to: fc.integer({ min: 0, max: 3 }) }),
    );
    const sequential = <S, I, O>(model: Model<S, I, O>, inputs: I[], truth: (s: S, i: I) => O): Operation<I, O>[] => {
      let s = model.init();
      return inputs.map((input, i) => {
        const output = truth(s, input);
        s = model.step(s, input, output)[1];
        return op(i, `c${i % 3}`, input, 2 * i, output, 2 * i + 1);
      });
    };
    const regTruth = (s: number | null, i: RegisterInput<number>): RegisterOutput<number> => (i.f === 'read' ? s : i.f === 'cas' ? s === i.from : null);
    fc.assert(
      fc.property(fc.array(regOps, { maxLength: 40 }), (inputs) => {
        expect(checkLinearizability(reg, sequential(reg, inputs, regTruth)).verdict).toBe('linearizable');
      }),
    );
    const kv = kvModel<number>();
    fc.assert(
      fc.property(fc.array(fc.tuple(regOps, fc.constantFrom('x', 'y', 'z')), { maxLength: 40 }), (pairs) => {
        const inputs = pairs.map(([i, key]) => ({ ...i, key }));
        const h = sequential(kv, inputs, (s, i) => regTruth(s[i.key] ?? null, i));
        expect(checkLinearizability(kv, h).verdict).toBe('linearizable');
      }),
    );
    const set = setModel<number>();
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant({ f: 'read' as const }), fc.record({ f: fc.constantFrom('add' as const, 'remove' as const), value: fc.integer({ min: 0, max: 4 }) })), { maxLength: 40 }),
        (inputs) => {
          const h = sequential(set, inputs, (s, i) => (i.f === 'read' ? s.map((k) => JSON.parse(k) as number).reverse() : null));
          expect(checkLinearizability(set, h).verdict).toBe('linearizable');
        },
      ),
    );
    const q = queueModel<number>();
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant({ f: 'dequeue' as const }), fc.record({ f: fc.constant('enqueue' as const), value: fc.integer({ min: 0, max: 4 }) })), { maxLength: 40 }), (inputs) => {
        const h = sequential(q, inputs, (s, i) => (i.f === 'dequeue' ? (s.length === 0 ? null : (JSON.parse(s[0]!) as number)) : null));
        expect(checkLinearizability(q, h).verdict).toBe('linearizable');
      }),
    );
  });

  it('a read of a value never written makes any history not linearizable', () => {
    fc.assert(
      fc.property(registerHistory, fc.nat(), (h, at) => {
        const read = op(h.length, 'reader', { f: 'read' as const }, at % 20, 99, (at % 20) + 1);
        expect(checkLinearizability(reg, [...h, read]).verdict).toBe('not-linearizable');
      }),
      { numRuns: runs(200) },
    );
  });

  it('the verdict does not depend on the order of the history array', () => {
    fc.assert(
      fc.property(registerHistory.chain((h) => fc.tuple(fc.constant(h), fc.shuffledSubarray(h, { minLength: h.length, maxLength: h.length }))), ([h, shuffled]) => {
        expect(checkLinearizability(reg, shuffled).verdict).toBe(checkLinearizability(reg, h).verdict);
      }),
      { numRuns: runs(300) },
    );
  });

  it('agrees with an exhaustive search without memoization or pruning', () => {
    let linearizable = 0;
    fc.assert(
      fc.property(registerHistory, (h) => {
        const expected = bruteForce(reg, h);
        if (expected) linearizable++;
        const r = checkLinearizability(reg, h);
        expect(r.verdict).toBe(expected ? 'linearizable' : 'not-linearizable');
      }),
      { numRuns: runs(1500) },
    );
    // the generator exercises both verdicts
    expect(linearizable).toBeGreaterThan(runs(300));
    expect(linearizable).toBeLessThan(runs(1400));
  });
});
