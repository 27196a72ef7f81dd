// Turns the `//=> value` claims of documentation examples into checks: each claimed expression is
// evaluated and compared with the value written after `//=>`.
import { isDeepStrictEqual } from 'node:util';
import type { Example } from './doc-check.js';

/** One claim: the expression's source, and the value text after `//=>`. */
export interface Claim {
  readonly expression: string;
  readonly expected: string;
}

/** The result of one claim once the example ran. */
export interface ClaimResult extends Claim {
  readonly actual: unknown;
  readonly threw?: string;
}

const CLAIM = /^(.*?)\s*\/\/=>\s*(.*)$/;

/**
 * Rewrites an example so that every `expr; //=> value` line (or a `//=> value` line right after a
 * one-line statement) records `expr`'s value through `globalThis.__claim(index, () => expr)`.
 * Returns the program and its claims; an example without claims gives no claims.
 */
export function instrument(code: string): { program: string; claims: Claim[] } {
  const lines = code.split('\n');
  const claims: Claim[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = CLAIM.exec(lines[i]!);
    if (m === null) continue;
    let last = i;
    if (m[1]!.trim() === '') {
      lines[i] = '';
      last = i - 1;
      while (last >= 0 && lines[last]!.trim() === '') last--;
      if (last < 0) continue;
    }
    const first = statementStart(lines, last);
    const before = lines.slice(first, last + 1).join('\n').replace(/\s*\/\/=>.*$/, '');
    const expression = claimed(before);
    if (expression === undefined) continue;
    const decl = /^\s*(?:const|let)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=/.exec(before);
    const value = decl ? decl[1]! : expression;
    const record = `try { globalThis.__claim(${claims.length}, (${value})); } catch (e) { globalThis.__claimThrew(${claims.length}, e); }`;
    // The replacement keeps the line count (later claims' line numbers stay right).
    const replacement = decl ? [`${before}\n${record}`] : [record];
    lines.splice(first, last - first + 1, ...replacement, ...Array<string>(last - first).fill(''));
    claims.push({ expression: expression.trim().replace(/\s*\n\s*/g, ' '), expected: m[2]!.trim() });
  }
  return { program: lines.join('\n'), claims };
}

/** The first line of the statement that ends on line `last`: back until the brackets balance. */
function statementStart(lines: readonly string[], last: number): number {
  let depth = 0;
  for (let k = last; k >= 0; k--) {
    const text = lines[k]!.replace(/\/\/.*$/, '').replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '');
    for (const ch of text) {
      if (ch === ')' || ch === ']' || ch === '}') depth++;
      else if (ch === '(' || ch === '[' || ch === '{') depth--;
    }
    if (depth <= 0) return k;
  }
  return last;
}

/** The expression of a claimed statement, without `await`-less changes; undefined for other statements. */
function claimed(statement: string): string | undefined {
  const s = statement.replace(/\s*\/\/=>.*$/, '').trim().replace(/;$/, '');
  if (s === '') return undefined;
  const decl = /^(?:const|let)\s+[A-Za-z_$][\w$]*\s*(?::[^=]+)?=\s*(.*)$/.exec(s);
  if (decl) return decl[1];
  if (/^(?:if|for|while|return|import|export|type|interface|function|class)\b/.test(s)) return undefined;
  return s;
}

/**
 * Parses the value text after `//=>` as a JavaScript expression. A trailing remark in
 * parentheses (`//=> 3 (one per peer)`) is allowed; anything else that does not parse is prose.
 */
export function expectedValue(text: string): { ok: true; value: unknown } | { ok: false } {
  const remark = /^(.*?)\s+\([^()]*\)$/.exec(text);
  for (const candidate of remark ? [text, remark[1]!] : [text]) {
    try {
      return { ok: true, value: new Function(`return (${candidate.replace(/;$/, '')});`)() };
    } catch {
      // try the next reading
    }
  }
  return { ok: false };
}

/** Whether the actual value matches the claim (deep equality; a claimed string matches an Error's message too). */
export function matches(actual: unknown, expected: unknown): boolean {
  return isDeepStrictEqual(normalize(actual), normalize(expected));
}

function normalize(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : Number.isNaN(v) ? 'NaN' : v)) ?? 'null');
}

export type { Example };
