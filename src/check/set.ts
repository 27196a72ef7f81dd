/**
 * Jepsen's set checker: did every acknowledged add survive into the final read?
 *
 * @packageDocumentation
 */
import { canonicalJson } from '../core/index.js';
import type { History, Operation } from './history.js';
import { assertHistory } from './linearizability.js';
import type { SetInput, SetOutput } from './models.js';

/**
 * The verdict of {@link checkSet}, with Jepsen's counts, so a failure says how bad it is.
 *
 * @example
 * ```ts
 * import { checkSet } from 'distkit/check';
 * checkSet([]).valid; //=> 'unknown'
 * ```
 */
export interface SetCheckResult<V> {
  /** `true` when nothing was lost and nothing unexpected was read; `'unknown'` with no final read. */
  readonly valid: boolean | 'unknown';
  /** Why the verdict is unknown. */
  readonly error?: string;
  /** The final read's operation id. */
  readonly finalRead?: number;
  /** Adds attempted (acknowledged or of unknown outcome). */
  readonly attemptCount: number;
  /** Adds acknowledged. */
  readonly acknowledgedCount: number;
  /** Elements of the final read that some add attempted. */
  readonly ok: readonly V[];
  /** Acknowledged adds missing from the final read. */
  readonly lost: readonly V[];
  /** Elements of the final read no add attempted. */
  readonly unexpected: readonly V[];
  /** Adds of unknown outcome that the final read shows did happen. */
  readonly recovered: readonly V[];
}

type SetOp<V> = Operation<SetInput<V>, SetOutput<V>>;

function index<V>(values: Iterable<V>): Map<string, V> {
  const m = new Map<string, V>();
  for (const v of values) m.set(canonicalJson(v), v);
  return m;
}

const minus = <V>(a: Map<string, V>, b: Map<string, V>): V[] => [...a].filter(([k]) => !b.has(k)).map(([, v]) => v);
const both = <V>(a: Map<string, V>, b: Map<string, V>): V[] => [...a].filter(([k]) => b.has(k)).map(([, v]) => v);

/**
 * Jepsen's `set` checker (jepsen.checker/set): clients add distinct elements and finally read
 * the whole set. With `attempts` every add in the history (acknowledged, or with no response:
 * outcome unknown; definitely failed adds are not in a history), `adds` the acknowledged ones and
 * `final` the last read to complete: `ok = final ∩ attempts`, `unexpected = final − attempts`,
 * `lost = adds − final`, `recovered = ok − adds`. Valid when nothing is lost and nothing
 * unexpected. Elements compare by canonical JSON; removes are ignored. Never throws on a
 * malformed operation: it is skipped.
 *
 * @example
 * ```ts
 * import { checkSet } from 'distkit/check';
 * const r = checkSet<number>([
 *   { id: 0, client: 'a', input: { f: 'add', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 'b', input: { f: 'add', value: 2 }, call: 0, output: null, ret: 2 },
 *   { id: 2, client: 'c', input: { f: 'add', value: 3 }, call: 1 },
 *   { id: 3, client: 'a', input: { f: 'read' }, call: 5, output: [1, 3], ret: 6 },
 * ]);
 * [r.valid, r.lost, r.recovered]; //=> [false, [2], [3]]
 * ```
 */
export function checkSet<V>(history: History<SetInput<V>, SetOutput<V>>): SetCheckResult<V> {
  assertHistory(history, setOpProblem);
  const attempts: V[] = [];
  const adds: V[] = [];
  let final: SetOp<V> | undefined;
  for (const op of history) {
    const f = op?.input?.f;
    if (f === 'add') {
      const value = (op.input as { value: V }).value;
      attempts.push(value);
      if (op.ret !== undefined) adds.push(value);
    } else if (f === 'read' && Array.isArray(op.output) && typeof op.ret === 'number' && (final === undefined || op.ret > (final.ret as number))) {
      final = op;
    }
  }
  const attempted = index(attempts);
  const acknowledged = index(adds);
  const counts = { attemptCount: attempted.size, acknowledgedCount: acknowledged.size };
  if (final === undefined) return { valid: 'unknown', error: 'the set was never read', ...counts, ok: [], lost: [], unexpected: [], recovered: [] };
  const read = index(final.output as readonly V[]);
  const okMap = index(both(read, attempted));
  const lost = minus(acknowledged, read);
  const unexpected = minus(read, attempted);
  return { valid: lost.length === 0 && unexpected.length === 0, finalRead: final.id, ...counts, ok: [...okMap.values()], lost, unexpected, recovered: minus(okMap, acknowledged) };
}

/** An `{ f }` input; a read's known output is the array of values it saw. */
function setOpProblem(op: Operation): string | undefined {
  if (op.input === null || typeof op.input !== 'object') return 'input: expected an { f } object';
  if ((op.input as { f?: unknown }).f === 'read' && op.output !== undefined && op.output !== null && !Array.isArray(op.output)) return 'output: a read outputs the array of values it saw';
  return undefined;
}
