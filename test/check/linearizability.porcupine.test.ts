// porcupine's 50-client key-value histories (test/check/fixtures/porcupine, MIT): `c50-bad` is not
// linearizable, `c50-ok` is. In `c50-bad` key "0" stays undecided after millions of steps while
// five other keys each refute the history in 5,000 to 27,000 steps: with the budget shared among
// the partitions, the checker must find one of those instead of spending everything on key "0".
// The histories use get/put/append on strings, which `kvModel` (read/write/cas) cannot express,
// so the model is defined here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLinearizability, formatLinearizability, hashString, historyProblems, type History, type LinearizabilityResult, type Model, type Operation } from 'distkit/check';

type KvInput = { readonly f: 'get'; readonly key: string } | { readonly f: 'put' | 'append'; readonly key: string; readonly value: string };
/** A get returns the value (`''` when never written); put and append return nothing (`null`). */
type KvOutput = string | null;
type KvOp = Operation<KvInput, KvOutput>;

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/porcupine/${name}`, import.meta.url), 'utf8');

// One event per line: {:process 3, :type :invoke, :f :append, :key "9", :value "x 3 0 y"}
const EVENT = /^\{:process (\d+), :type :(invoke|ok), :f :(get|put|append), :key "([^"]*)", :value (?:nil|"([^"]*)")\}$/;

/**
 * Reads a porcupine kv log into a history: the line number is the time, an `:ok` completes the
 * open invocation of its process, and an invocation still open at the end has an unknown outcome.
 */
function parseKvLog(text: string): { history: KvOp[]; problems: string[] } {
  const history: KvOp[] = [];
  const problems: string[] = [];
  const open = new Map<string, { id: number; input: KvInput; call: number }>();
  let nextId = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = EVENT.exec(line);
    if (m === null) {
      problems.push(`line ${i + 1}: not an event: ${line}`);
      return;
    }
    const [, proc, type, f, key, value] = m as unknown as [string, string, 'invoke' | 'ok', 'get' | 'put' | 'append', string, string | undefined];
    if (type === 'invoke') {
      if (open.has(proc)) problems.push(`line ${i + 1}: process ${proc} invokes while an operation is open`);
      if (f !== 'get' && value === undefined) problems.push(`line ${i + 1}: ${f} without a value`);
      const input: KvInput = f === 'get' ? { f, key } : { f, key, value: value ?? '' };
      open.set(proc, { id: nextId++, input, call: i });
      return;
    }
    const inv = open.get(proc);
    if (inv === undefined || inv.input.f !== f || inv.input.key !== key) {
      problems.push(`line ${i + 1}: response matches no invocation of process ${proc}`);
      return;
    }
    open.delete(proc);
    history.push({ id: inv.id, client: proc, input: inv.input, call: inv.call, output: f === 'get' ? (value ?? '') : null, ret: i });
  });
  for (const [proc, inv] of open) history.push({ id: inv.id, client: proc, input: inv.input, call: inv.call });
  return { history, problems };
}

/**
 * A store of string registers with get, put and append, partitioned by key. The state is the
 * value of one key: the model is only meant to be used with its `partition`.
 */
const appendKv: Model<string, KvInput, KvOutput> = {
  init: () => '',
  step: (s, input, output) => {
    switch (input.f) {
      case 'get':
        return [output === undefined || output === s, s];
      case 'put':
        return [true, input.value];
      case 'append':
        return [true, s + input.value];
    }
  },
  readOnly: (input) => input.f === 'get',
  hash: hashString,
  equal: (a, b) => a === b,
  partition(history) {
    const byKey = new Map<string, KvOp[]>();
    for (const op of history) {
      let part = byKey.get(op.input.key);
      if (part === undefined) byKey.set(op.input.key, (part = []));
      part.push(op);
    }
    return [...byKey.keys()].sort().map((k) => byKey.get(k) as KvOp[]);
  },
  describeOperation: (input, output) =>
    input.f === 'get' ? `get(${JSON.stringify(input.key)}) -> ${output === undefined ? '?' : JSON.stringify(output)}` : `${input.f}(${JSON.stringify(input.key)}, ${JSON.stringify(input.value)})`,
  describeState: (s) => JSON.stringify(s),
};

const { partition: _byKey, ...wholeHistoryModel } = appendKv;

const keyOf = (part: History<KvInput, KvOutput>): string => (part[0] as KvOp).input.key;

describe('porcupine kv histories, 50 clients', () => {
  const bad = parseKvLog(fixture('c50-bad.txt'));
  const ok = parseKvLog(fixture('c50-ok.txt'));
  let okResult: LinearizabilityResult<KvInput, KvOutput> | undefined;
  const checkOk = () => (okResult ??= checkLinearizability(appendKv, ok.history, { maxSteps: 2_000_000 }));

  it('parse completely: every operation completed, one client per process', () => {
    expect(bad.problems).toEqual([]);
    expect(ok.problems).toEqual([]);
    expect(bad.history).toHaveLength(2024);
    expect(ok.history).toHaveLength(1712);
    for (const { history } of [bad, ok]) {
      expect(history.every((op) => op.ret !== undefined)).toBe(true);
      expect(new Set(history.map((op) => op.client)).size).toBe(50);
      expect(historyProblems(history)).toEqual([]);
    }
  });

  it('c50-bad is not linearizable, found on a key that refutes it quickly', () => {
    const r = checkLinearizability(appendKv, bad.history, { maxSteps: 200_000 });
    expect(r.verdict).toBe('not-linearizable');
    expect(r.partitions).toHaveLength(10);
    const failed = r.partitions[r.failedPartition as number];
    expect(failed?.verdict).toBe('not-linearizable');
    expect(failed?.stuck?.input.f).toBe('get');
    // Key "0" alone exhausts millions of steps undecided; the others get their share meanwhile.
    expect(keyOf(appendKv.partition!(bad.history)[r.failedPartition as number]!)).toBe('3');
    expect(r.steps).toBeLessThan(60_000);
    expect(formatLinearizability(r, appendKv)).toMatch(/^not linearizable \(\d+ steps\)\n {2}partition 3: no legal place for op \d+ \(client \d+, get\("3"\) -> /);
  });

  it('c50-bad: going on after the first failure finds the other failing keys', () => {
    const r = checkLinearizability(appendKv, bad.history, { maxSteps: 300_000, stopAtFirstFailure: false });
    expect(r.verdict).toBe('not-linearizable');
    expect(r.stoppedBy).toBe('steps');
    expect(r.steps).toBe(300_000);
    const keys = appendKv.partition!(bad.history).map(keyOf);
    const verdictByKey = Object.fromEntries(r.partitions.map((p, i) => [keys[i], p.verdict]));
    for (const key of ['1', '2', '3', '4', '6']) expect(verdictByKey[key], `key ${key}`).toBe('not-linearizable');
    expect(verdictByKey['0']).toBe('unknown');
  });

  it('c50-ok is linearizable, and each witness is a legal sequential order consistent with real time', () => {
    const r = checkOk();
    expect(r.verdict).toBe('linearizable');
    const parts = appendKv.partition!(ok.history);
    r.partitions.forEach((p, i) => {
      const part = parts[i]!;
      expect(p.linearization).toHaveLength(part.length);
      let state = appendKv.init();
      for (const op of p.linearization) {
        const [legal, next] = appendKv.step(state, op.input, op.output);
        expect(legal, `op ${op.id}`).toBe(true);
        state = next;
      }
      const position = new Map(p.linearization.map((op, k) => [op.id, k]));
      const outOfOrder: string[] = [];
      for (const a of part) {
        for (const b of part) if ((a.ret as number) < b.call && position.get(a.id)! > position.get(b.id)!) outOfOrder.push(`${a.id} after ${b.id}`);
      }
      expect(outOfOrder).toEqual([]);
    });
  });

  it('c50-ok: searching the partitions in slices costs exactly what searching each alone does', () => {
    const r = checkOk();
    const alone = appendKv.partition!(ok.history).map((part) => checkLinearizability(wholeHistoryModel, part).steps);
    expect(r.partitions.map((p) => p.steps)).toEqual(alone);
    expect(r.steps).toBe(alone.reduce((a, b) => a + b, 0));
    // the biggest partition needs far more than the first rounds' allowance: it was resumed
    expect(Math.max(...alone)).toBeGreaterThan(100_000);
  });
});
