// Text of trace events shared by the exports: a message's type, a fault as words, the nodes a
// trace names, HTML escaping, and a value's fields as readable lines for tooltips.
import type { NodeId } from '../core/index.js';
import type { Fault, TraceEvent } from './types.js';

/** JSON of a value cut to `max` characters. */
export function short(x: unknown, max = 120): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? String(x);
  } catch {
    s = String(x);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A message's or output's `type` field, else its short JSON. */
export function typeOf(m: unknown): string {
  const t = m !== null && typeof m === 'object' ? (m as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? t : short(m, 24);
}

/** A fault as words, e.g. `partition [a,b] | [c]`. */
export function faultText(f: Fault): string {
  switch (f.type) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
      return `${f.type} ${f.node}`;
    case 'partition':
      return `partition ${f.groups.map((g) => `[${g.join(',')}]`).join(' | ')}`;
    case 'oneWay':
      return `cut ${f.from} -> ${f.to}`;
    case 'heal':
      return 'heal';
    case 'clock':
      return `clock ${f.node}${f.skewMs !== undefined ? ` skew=${f.skewMs}ms` : ''}${f.drift !== undefined ? ` drift=${f.drift}` : ''}`;
    case 'link': {
      const { from, to, ...rest } = f.link;
      return `link ${from ?? '*'} -> ${to ?? '*'} ${short(rest, 80)}`;
    }
    case 'linkReset':
      return 'links reset';
  }
}

/** The node a per-node fault concerns; `undefined` for network-wide faults. */
export function faultNode(f: Fault): NodeId | undefined {
  return f.type === 'crash' || f.type === 'restart' || f.type === 'pause' || f.type === 'resume' || f.type === 'clock' ? f.node : undefined;
}

/** Rounds to three decimals (thousandths of a millisecond). */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Node ids in order of first appearance, after the `known` ones. */
export function nodesOf(trace: readonly TraceEvent[], known: readonly NodeId[] = []): NodeId[] {
  const seen = new Set<NodeId>(known);
  const out = known.slice();
  const add = (id: NodeId): void => {
    if (!seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  };
  for (const e of trace) {
    if (e.kind === 'fault') {
      const f = e.fault;
      const n = faultNode(f);
      if (n !== undefined) add(n);
      else if (f.type === 'partition') f.groups.forEach((g) => g.forEach(add));
      else if (f.type === 'oneWay') {
        add(f.from);
        add(f.to);
      }
      continue;
    }
    add(e.node);
  }
  return out;
}

/** Escapes text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** How many fields a tooltip lists before it says how many more there are. */
const MAX_TIP_FIELDS = 12;
/** How long one field's value may be in a tooltip, characters. */
const MAX_TIP_VALUE = 72;

/**
 * A value's fields as `key: value` lines (its `type` left out: the tooltip's heading names it).
 * Arrays show their length and their first items; nested objects their short JSON.
 */
export function fieldLines(x: unknown): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return [short(x, MAX_TIP_VALUE)];
  const keys = Object.keys(x).filter((k) => k !== 'type');
  const lines = keys.slice(0, MAX_TIP_FIELDS).map((k) => `${k}: ${fieldValue((x as Record<string, unknown>)[k])}`);
  if (keys.length > MAX_TIP_FIELDS) lines.push(`… ${keys.length - MAX_TIP_FIELDS} more fields`);
  return lines;
}

function fieldValue(v: unknown): string {
  const text = typeof v === 'string' ? v : compact(v, 3);
  const cut = text.length > MAX_TIP_VALUE ? `${text.slice(0, MAX_TIP_VALUE - 1)}…` : text;
  return Array.isArray(v) ? (v.length === 0 ? '[] (empty)' : `${cut} (${v.length})`) : cut;
}

/**
 * A value the way a reader writes it: `{index: 7, term: 1, data: {…}}`, keys unquoted, nesting
 * beyond `depth` levels elided, at most eight entries per level.
 */
function compact(v: unknown, depth: number): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  const entries = Array.isArray(v) ? v.map((x) => ['', x] as const) : Object.keys(v).map((k) => [k, (v as Record<string, unknown>)[k]] as const);
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  if (depth === 0) return `${open}…${close}`;
  const parts = entries.slice(0, 8).map(([k, x]) => (k === '' ? '' : `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: `) + compact(x, depth - 1));
  if (entries.length > 8) parts.push('…');
  return `${open}${parts.join(', ')}${close}`;
}
