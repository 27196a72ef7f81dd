/**
 * Checks of event-store histories: appends that race on the same expected revision have at most
 * one winner, and the history read as a compare-and-set register on each stream's revision is
 * linearizable.
 *
 * @packageDocumentation
 */
import { ConfigError, v } from '../core/index.js';
import type { History, Operation } from './history.js';
import type { RegisterInput, RegisterOutput } from './models.js';
import { assertHistory } from './linearizability.js';

/**
 * Operations of an event-store history: an `append` of `count` events to `stream` expecting it at
 * revision `expected` (a number, or `'no_stream'`), and a `read` of the stream's revision.
 *
 * @example
 * ```ts
 * import { checkAppendRaces } from 'distkit/check';
 * import type { AppendHistoryInput } from 'distkit/check';
 * // Two clients create the same stream at once: exactly one may win.
 * const create: AppendHistoryInput = { f: 'append', stream: 'acct', expected: 'no_stream', count: 1 };
 * const r = checkAppendRaces([
 *   { id: 0, client: 'a', input: create, call: 0, ret: 2, output: { ok: true, revision: 0 } },
 *   { id: 1, client: 'b', input: create, call: 1, ret: 3, output: { ok: false, actual: 0 } },
 * ]);
 * [r.valid, r.races]; //=> [true, [{ stream: 'acct', expected: 'no_stream', attempts: 2, winners: [0] }]]
 * ```
 */
export type AppendHistoryInput =
  | { readonly f: 'append'; readonly stream: string; readonly expected: number | 'no_stream'; readonly count: number }
  | { readonly f: 'read'; readonly stream: string };

/**
 * Outputs: an append either wins (`ok`, the stream's new revision) or fails with the actual
 * revision; a read returns the revision (`'no_stream'` when the stream does not exist).
 *
 * @example
 * ```ts
 * import { checkAppendRaces } from 'distkit/check';
 * import type { AppendHistoryOutput } from 'distkit/check';
 * // WrongExpectedVersion: the stream was already at revision 4.
 * const lost: AppendHistoryOutput = { ok: false, actual: 4 };
 * checkAppendRaces([{ id: 0, client: 'a', input: { f: 'append', stream: 'acct', expected: 3, count: 1 }, call: 0, ret: 1, output: lost }]).valid; //=> true
 * ```
 */
export type AppendHistoryOutput = { readonly ok: true; readonly revision: number } | { readonly ok: false; readonly actual: number | 'no_stream' } | number | 'no_stream';

/**
 * One group of appends that expected the same revision of the same stream, and the ids of the
 * winners (at most one may win).
 *
 * @example
 * ```ts
 * import { checkAppendRaces } from 'distkit/check';
 * import type { AppendRace } from 'distkit/check';
 * const append = (id: number, ok: boolean) => ({ id, client: `c${id}`, call: 0, ret: 1, input: { f: 'append' as const, stream: 'acct', expected: 3, count: 1 }, output: ok ? { ok: true as const, revision: 4 } : { ok: false as const, actual: 4 } });
 * const races: readonly AppendRace[] = checkAppendRaces([append(0, false), append(1, true), append(2, false)]).races;
 * races; //=> [{ stream: 'acct', expected: 3, attempts: 3, winners: [1] }]
 * ```
 */
export interface AppendRace {
  readonly stream: string;
  readonly expected: number | 'no_stream';
  readonly attempts: number;
  readonly winners: readonly number[];
}

/**
 * The verdict of {@link checkAppendRaces}.
 *
 * @example
 * ```ts
 * import { checkAppendRaces } from 'distkit/check';
 * import type { AppendRacesResult } from 'distkit/check';
 * const append = (id: number) => ({ id, client: `c${id}`, call: 0, ret: 1, input: { f: 'append' as const, stream: 'acct', expected: 'no_stream' as const, count: 1 }, output: { ok: true as const, revision: 0 } });
 * // Both creations claim success: a lost update.
 * const r: AppendRacesResult = checkAppendRaces([append(0), append(1)]);
 * [r.valid, r.problems]; //=> [false, ['stream "acct" expected no_stream: 2 appends won (ids 0, 1)']]
 * ```
 */
export interface AppendRacesResult {
  /** No race has two winners and every winner's revision is `expected + count`. */
  readonly valid: boolean;
  /** Every group of two or more appends with the same stream and expected revision. */
  readonly races: readonly AppendRace[];
  /** What is wrong, one line per problem. */
  readonly problems: readonly string[];
}

const before = (expected: number | 'no_stream'): number => (expected === 'no_stream' ? -1 : expected);

/**
 * Optimistic concurrency, checked directly (EventStoreDB's expected-revision rule): of the appends
 * to one stream that expected the same revision, at most one may succeed, and a successful append
 * of `count` events leaves the stream's last revision at `expected + count` (revisions count
 * from 0; `'no_stream'` counts as -1).
 *
 * @example
 * ```ts
 * import { checkAppendRaces } from 'distkit/check';
 * const append = (id: number, ok: boolean) => ({
 *   id, client: `c${id}`, call: 0, ret: 1,
 *   input: { f: 'append' as const, stream: 's', expected: 0, count: 1 },
 *   output: ok ? { ok: true as const, revision: 1 } : { ok: false as const, actual: 1 },
 * });
 * checkAppendRaces([append(0, true), append(1, false)]).valid; //=> true
 * checkAppendRaces([append(0, true), append(1, true)]).problems;
 * //=> ['stream "s" expected 0: 2 appends won (ids 0, 1)']
 * ```
 */
export function checkAppendRaces(history: History<AppendHistoryInput, AppendHistoryOutput>): AppendRacesResult {
  assertHistory(history, appendOpProblem);
  const groups = new Map<string, { stream: string; expected: number | 'no_stream'; attempts: number; winners: number[] }>();
  const problems: string[] = [];
  for (const op of history) {
    if (op.input.f !== 'append') continue;
    const { stream, expected, count } = op.input;
    const key = JSON.stringify([stream, expected]);
    const g = groups.get(key) ?? { stream, expected, attempts: 0, winners: [] };
    groups.set(key, g);
    g.attempts++;
    const out = op.output;
    if (typeof out === 'object' && out !== null && out.ok) {
      g.winners.push(op.id);
      if (out.revision !== before(expected) + count) problems.push(`append ${op.id} to ${JSON.stringify(stream)} expected ${expected} with ${count} events but reports revision ${out.revision}`);
    }
  }
  const races: AppendRace[] = [];
  for (const g of groups.values()) {
    if (g.attempts >= 2) races.push(g);
    if (g.winners.length > 1) problems.unshift(`stream ${JSON.stringify(g.stream)} expected ${g.expected}: ${g.winners.length} appends won (ids ${g.winners.join(', ')})`);
  }
  return { valid: problems.length === 0, races, problems };
}

/**
 * One stream's operations as a compare-and-set register holding the stream's revision (-1 for no
 * stream): an append expecting `e` with `n` events is `cas(e, e + n)` (true when it won, false when
 * it failed, unknown when its outcome is), a read is a read. Check the result with
 * `checkLinearizability(registerModel({ initial: -1 }), ...)`.
 *
 * @throws ConfigError when an operation has an output of the wrong shape.
 * @example
 * ```ts
 * import { appendsAsRegister, checkLinearizability, registerModel } from 'distkit/check';
 * const h = appendsAsRegister([
 *   { id: 0, client: 'a', input: { f: 'append', stream: 's', expected: 'no_stream', count: 1 }, call: 0, output: { ok: true, revision: 0 }, ret: 2 },
 *   { id: 1, client: 'b', input: { f: 'append', stream: 's', expected: 'no_stream', count: 1 }, call: 1, output: { ok: true, revision: 0 }, ret: 3 },
 * ], 's');
 * checkLinearizability(registerModel<number>({ initial: -1 }), h).verdict; //=> 'not-linearizable'
 * ```
 */
export function appendsAsRegister(history: History<AppendHistoryInput, AppendHistoryOutput>, stream: string): Operation<RegisterInput<number>, RegisterOutput<number>>[] {
  assertHistory(history, appendOpProblem);
  const out: Operation<RegisterInput<number>, RegisterOutput<number>>[] = [];
  for (const op of history) {
    if (op.input.stream !== stream) continue;
    const times = op.ret === undefined ? { call: op.call } : { call: op.call, ret: op.ret };
    if (op.input.f === 'read') {
      const o = op.output;
      if (o !== undefined && typeof o !== 'number' && o !== 'no_stream') throw new ConfigError(`history[id ${op.id}].output`, 'a read must output a revision or "no_stream"');
      out.push({ id: op.id, client: op.client, input: { f: 'read' }, ...times, ...(o === undefined ? {} : { output: o === 'no_stream' ? -1 : o }) });
      continue;
    }
    const from = before(op.input.expected);
    const o = op.output;
    if (o !== undefined && (typeof o !== 'object' || o === null)) throw new ConfigError(`history[id ${op.id}].output`, 'an append must output { ok, revision } or { ok: false, actual }');
    const input: RegisterInput<number> = { f: 'cas', from, to: from + op.input.count };
    out.push({ id: op.id, client: op.client, input, ...times, ...(o === undefined ? {} : { output: o.ok }) });
  }
  return out;
}

const revision = v.union(v.int({ min: 0 }), v.literal('no_stream'));
const appendInput = v.tagged(
  {
    append: v.object({ f: v.literal('append'), stream: v.string(), expected: revision, count: v.int({ min: 0 }) }),
    read: v.object({ f: v.literal('read'), stream: v.string() }),
  },
  'f',
);

/** An append or a read of a stream, with the output its kind allows. */
function appendOpProblem(op: Operation): string | undefined {
  const problem = appendInput(op.input, 'input');
  if (problem !== undefined || op.output === undefined) return problem;
  if ((op.input as { f: string }).f === 'read') return revision(op.output, 'output');
  const o = op.output as { ok?: unknown; revision?: unknown; actual?: unknown } | null;
  if (o === null || typeof o !== 'object') return 'output: an append outputs { ok: true, revision } or { ok: false, actual }';
  return o.ok === true ? v.int({ min: 0 })(o.revision, 'output.revision') : o.ok === false ? revision(o.actual, 'output.actual') : 'output.ok: expected true or false';
}
