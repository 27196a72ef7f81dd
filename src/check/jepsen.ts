/**
 * A parser for Jepsen's textual history logs of a compare-and-set register.
 *
 * @packageDocumentation
 */
import type { Operation } from './history.js';
import type { RegisterInput, RegisterOutput } from './models.js';

/**
 * A line of a log the parser could not use, and why. The rest of the log is still parsed.
 *
 * @example
 * ```ts
 * import { parseJepsenLog } from 'distkit/check';
 * parseJepsenLog('3\t:ok\t:read\t1').problems[0]?.reason;
 * //=> 'response of process 3 matches no invocation'
 * ```
 */
export interface JepsenLogProblem {
  /** 1-based line number. */
  readonly line: number;
  /** The line's text (trimmed, at most 200 characters). */
  readonly text: string;
  /** What is wrong with it. */
  readonly reason: string;
}

/**
 * The result of {@link parseJepsenLog}: a register history and the problems met on the way.
 *
 * @example
 * ```ts
 * import { parseJepsenLog } from 'distkit/check';
 * const { history, problems } = parseJepsenLog('0\t:invoke\t:write\t1\n0\t:ok\t:write\t1');
 * history.length;  //=> 1
 * problems.length; //=> 0
 * ```
 */
export interface JepsenLog {
  /** The operations, with `call`/`ret` set to line numbers (event order). */
  readonly history: Operation<RegisterInput<number>, RegisterOutput<number>>[];
  /** Lines that were skipped or could not be matched. Empty for a clean log. */
  readonly problems: JepsenLogProblem[];
}

type F = 'read' | 'write' | 'cas';

interface Open {
  readonly id: number;
  readonly line: number;
  readonly input: RegisterInput<number>;
}

const LINE = /^(?:.*?jepsen\.util\s+-\s+)?(\S+)\s+:(\w[\w-]*)\s+:(\w[\w-]*)(?:\s+(.*?))?\s*$/;
const INT = /^-?\d+$/;

function parseInt32(text: string): number | undefined {
  if (!INT.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseInput(f: F, value: string): RegisterInput<number> | string {
  switch (f) {
    case 'read':
      return { f: 'read' };
    case 'write': {
      const v = parseInt32(value);
      return v === undefined ? `write value must be an integer, got ${JSON.stringify(value)}` : { f: 'write', value: v };
    }
    case 'cas': {
      const m = /^\[\s*(-?\d+)\s+(-?\d+)\s*\]$/.exec(value);
      const from = m ? parseInt32(m[1] as string) : undefined;
      const to = m ? parseInt32(m[2] as string) : undefined;
      return from === undefined || to === undefined ? `cas value must be [FROM TO], got ${JSON.stringify(value)}` : { f: 'cas', from, to };
    }
  }
}

/**
 * Parses a Jepsen log of a single compare-and-set register (the `jepsen.util` lines of the
 * etcd tests, as collected by Kingsbury's knossos and redistributed with porcupine):
 * `PROCESS TYPE F VALUE`, whitespace separated, optionally after an `INFO  jepsen.util - ` prefix.
 *
 * - `:invoke` opens an operation of PROCESS; its next `:ok`, `:fail` or `:info` closes it.
 * - `:ok` gives the output: the value read (`nil` → `null`), `true` for a cas.
 * - `:fail :cas` is a cas that returned `false` (its precondition was false). Any other `:fail`
 *   definitely had no effect and observed nothing, so it is left out of the history.
 * - `:info` (e.g. a timeout) and an operation still open at the end have an unknown outcome: no
 *   `ret`, no `output`.
 * - `:nemesis` lines and blank lines are skipped.
 *
 * Never throws: a malformed line, a response that matches no invocation, a response for a
 * different function than the open invocation, or an invocation while the process already has
 * one open is reported in `problems` and skipped (an invocation left without a usable response
 * is kept as unknown outcome).
 *
 * @example
 * ```ts
 * import { parseJepsenLog, checkLinearizability, registerModel } from 'distkit/check';
 * const log = [
 *   'INFO  jepsen.util - 0\t:invoke\t:write\t1',
 *   'INFO  jepsen.util - 1\t:invoke\t:read\tnil',
 *   'INFO  jepsen.util - 0\t:ok\t:write\t1',
 *   'INFO  jepsen.util - 1\t:ok\t:read\t1',
 * ].join('\n');
 * const { history } = parseJepsenLog(log);
 * checkLinearizability(registerModel<number>(), history).verdict; //=> 'linearizable'
 * ```
 */
export function parseJepsenLog(text: string): JepsenLog {
  const p: Parse = { history: [], problems: [], open: new Map(), nextId: 0 };
  if (typeof text !== 'string') {
    return { history: p.history, problems: [{ line: 0, text: '', reason: `expected the log as a string, got ${typeof text}` }] };
  }
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() !== '') parseLine(p, i + 1, raw);
  }
  for (const [proc, o] of p.open) closeUnknown(p, o, proc);
  p.history.sort((a, b) => a.id - b.id);
  return { history: p.history, problems: p.problems };
}

/** The parser's state: the history so far, the problems, and each process's open invocation. */
interface Parse {
  readonly history: Operation<RegisterInput<number>, RegisterOutput<number>>[];
  readonly problems: JepsenLogProblem[];
  readonly open: Map<string, Open>;
  nextId: number;
}

function report(p: Parse, line: number, raw: string, reason: string): void {
  p.problems.push({ line, text: raw.trim().slice(0, 200), reason });
}

/** Records an operation whose outcome is unknown (no return: it may or may not have happened). */
function closeUnknown(p: Parse, o: Open, client: string): void {
  p.history.push({ id: o.id, client, input: o.input, call: o.line });
}

/** One non-blank line: an invocation, a completion, or a problem. */
function parseLine(p: Parse, lineNo: number, raw: string): void {
  const m = LINE.exec(raw);
  if (m === null) return report(p, lineNo, raw, 'not a history line (expected PROCESS :TYPE :F VALUE)');
  const proc = m[1] as string;
  const type = m[2] as string;
  const fName = m[3] as string;
  const value = (m[4] ?? '').trim();
  if (proc === ':nemesis') return;
  if (fName !== 'read' && fName !== 'write' && fName !== 'cas') return report(p, lineNo, raw, `unknown function :${fName} (expected :read, :write or :cas)`);
  if (type === 'invoke') return invoke(p, lineNo, raw, proc, fName, value);
  if (type === 'ok' || type === 'fail' || type === 'info') return complete(p, lineNo, raw, proc, type, fName, value);
  report(p, lineNo, raw, `unknown type :${type} (expected :invoke, :ok, :fail or :info)`);
}

function invoke(p: Parse, lineNo: number, raw: string, proc: string, f: F, value: string): void {
  const input = parseInput(f, f === 'read' ? 'nil' : value);
  if (typeof input === 'string') return report(p, lineNo, raw, input);
  const already = p.open.get(proc);
  if (already !== undefined) {
    report(p, lineNo, raw, `process ${proc} invoked again while its operation from line ${already.line} is open; that one is kept as unknown outcome`);
    closeUnknown(p, already, proc);
  }
  p.open.set(proc, { id: p.nextId++, line: lineNo, input });
}

function complete(p: Parse, lineNo: number, raw: string, proc: string, type: 'ok' | 'fail' | 'info', f: F, value: string): void {
  const o = p.open.get(proc);
  if (o === undefined) return report(p, lineNo, raw, `response of process ${proc} matches no invocation`);
  if (o.input.f !== f) return report(p, lineNo, raw, `response :${f} of process ${proc} does not match its open :${o.input.f} invocation from line ${o.line}`);
  p.open.delete(proc);
  const done = (output: RegisterOutput<number>) => p.history.push({ id: o.id, client: proc, input: o.input, call: o.line, output, ret: lineNo });
  if (type === 'info') return closeUnknown(p, o, proc);
  if (type === 'fail') {
    if (f === 'cas') done(false);
    return; // other failures had no effect and observed nothing: nothing to check
  }
  if (f !== 'read') return void done(f === 'cas' ? true : null);
  const v = value === 'nil' ? null : parseInt32(value);
  if (v !== undefined) return void done(v);
  report(p, lineNo, raw, `read value must be an integer or nil, got ${JSON.stringify(value)}; the read is kept as unknown outcome`);
  closeUnknown(p, o, proc);
}
