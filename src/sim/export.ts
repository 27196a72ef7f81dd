/**
 * Trace exports: JSON lines, ShiViz logs, Mermaid sequence diagrams and a standalone HTML
 * space-time diagram.
 *
 * @packageDocumentation
 */
import { ConfigError, describeValue, type NodeId } from '../core/index.js';
import type { Fault, SimResult, SimStats, TraceEvent, Violation } from './types.js';

/**
 * Serializes a trace as JSON lines: one event per line, each line a JSON object, with a trailing
 * newline. Deterministic: the same trace always gives the same bytes.
 *
 * @example
 * ```ts
 * import { simulate, toJsonLines } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const r = simulate({ seed: 1, nodes: [{ id: 'a', machine: bully, config: { id: 'a', nodes: ['a'] } }] });
 * toJsonLines(r.trace); // '{"kind":"...",...}\n...'
 * ```
 */
export function toJsonLines(trace: readonly TraceEvent[]): string {
  let out = '';
  for (const e of trace) out += JSON.stringify(e) + '\n';
  return out;
}

const KINDS = new Set(['send', 'deliver', 'drop', 'tick', 'command', 'output', 'persist', 'fault', 'invoke', 'complete', 'fail', 'timeout']);

/**
 * Parses JSON lines written by {@link toJsonLines} back into trace events. Blank lines are
 * skipped; a line that is not a JSON object with a known `kind` and a numeric `time` throws a
 * `ConfigError` naming the line.
 *
 * @example
 * ```ts
 * import { fromJsonLines } from 'distkit/sim';
 * fromJsonLines('{"kind":"tick","time":5,"node":"a","now":5}\n').length; //=> 1
 * ```
 */
export function fromJsonLines(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new ConfigError(`line ${i + 1}`, 'is not valid JSON');
    }
    const o = e as { kind?: unknown; time?: unknown };
    if (e === null || typeof e !== 'object' || typeof o.kind !== 'string' || !KINDS.has(o.kind) || typeof o.time !== 'number') {
      throw new ConfigError(`line ${i + 1}`, `is not a trace event (need a known kind and a numeric time), got ${describeValue(e)}`);
    }
    out.push(e as TraceEvent);
  }
  return out;
}

function short(x: unknown, max = 120): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? String(x);
  } catch {
    s = String(x);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function typeOf(m: unknown): string {
  const t = m !== null && typeof m === 'object' ? (m as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? t : short(m, 24);
}

function faultText(f: Fault): string {
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

function faultNode(f: Fault): NodeId | undefined {
  return f.type === 'crash' || f.type === 'restart' || f.type === 'pause' || f.type === 'resume' || f.type === 'clock' ? f.node : undefined;
}

/**
 * The regular expression to paste into ShiViz's log-parsing field for logs from {@link toShiViz}.
 * It matches lines like `a "send ping to b" {"a":3,"b":1}`.
 *
 * @example
 * ```ts
 * import { SHIVIZ_REGEX } from 'distkit/sim';
 * SHIVIZ_REGEX; //=> '(?<host>\\S+) "(?<event>.*)" (?<clock>\\{.*\\})'
 * ```
 */
export const SHIVIZ_REGEX = '(?<host>\\S+) "(?<event>.*)" (?<clock>\\{.*\\})';

/**
 * Options of {@link toShiViz}.
 *
 * @example
 * ```ts
 * import type { ShiVizOptions } from 'distkit/sim';
 * const o: ShiVizOptions = { header: true, ticks: false };
 * ```
 */
export interface ShiVizOptions {
  /** Prepend the regex line and an empty delimiter line, the layout of a file ShiViz loads directly. Default false. */
  readonly header?: boolean;
  /** Include timer ticks as local events. Default false. */
  readonly ticks?: boolean;
}

/**
 * Converts a trace to a ShiViz log (Beschastnikh et al., "Debugging distributed systems", CACM
 * 2016): one line per event, `host "description" {vector clock as JSON}`. Vector clocks follow
 * Fidge/Mattern: every event increments its node's entry; a delivery first merges the clock the
 * sender had at the send. Sends, deliveries, outputs, commands, per-node faults (and, optionally,
 * ticks) become events; drops and network-wide faults (partitions, heals) cannot be shown by
 * ShiViz and are left out. Parse it with {@link SHIVIZ_REGEX}.
 *
 * @example
 * ```ts
 * import { toShiViz, SHIVIZ_REGEX, type TraceEvent } from 'distkit/sim';
 * const trace: TraceEvent[] = [
 *   { kind: 'send', time: 0, node: 'a', to: 'b', id: 0, message: { type: 'ping' } },
 *   { kind: 'deliver', time: 3, node: 'b', from: 'a', id: 0, message: { type: 'ping' } },
 * ];
 * toShiViz(trace).split('\n')[1]; //=> 'b "deliver ping from a @3ms" {"a":1,"b":1}'
 * ```
 */
export function toShiViz(trace: readonly TraceEvent[], options: ShiVizOptions = {}): string {
  const clocks = new Map<NodeId, Record<NodeId, number>>();
  const atSend = new Map<number, Record<NodeId, number>>();
  const clockOf = (node: NodeId): Record<NodeId, number> => {
    let c = clocks.get(node);
    if (c === undefined) {
      c = {};
      clocks.set(node, c);
    }
    return c;
  };
  const clean = (s: string): string => s.replace(/["\r\n]/g, "'");
  let out = options.header === true ? `${SHIVIZ_REGEX}\n\n` : '';
  const emit = (node: NodeId, text: string, merge?: Record<NodeId, number>): Record<NodeId, number> => {
    const c = clockOf(node);
    if (merge !== undefined) for (const k of Object.keys(merge)) c[k] = Math.max(c[k] ?? 0, merge[k]!);
    c[node] = (c[node] ?? 0) + 1;
    out += `${node} "${clean(text)}" ${JSON.stringify(c)}\n`;
    return c;
  };
  for (const e of trace) {
    switch (e.kind) {
      case 'send':
        atSend.set(e.id, { ...emit(e.node, `send ${typeOf(e.message)} to ${e.to} @${e.time}ms ${short(e.message)}`) });
        break;
      case 'deliver':
        emit(e.node, `deliver ${typeOf(e.message)} from ${e.from} @${e.time}ms`, atSend.get(e.id));
        break;
      case 'output':
        emit(e.node, `${typeOf(e.output)} @${e.time}ms ${short(e.output)}`);
        break;
      case 'command':
        if (e.ignored === undefined) emit(e.node, `command ${typeOf(e.input)} @${e.time}ms ${short(e.input)}`);
        break;
      case 'tick':
        if (options.ticks === true) emit(e.node, `tick now=${e.now} @${e.time}ms`);
        break;
      case 'fault': {
        const node = faultNode(e.fault);
        if (node !== undefined) emit(node, `${faultText(e.fault)} @${e.time}ms`);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/**
 * Options of {@link toMermaid}.
 *
 * @example
 * ```ts
 * import type { MermaidOptions } from 'distkit/sim';
 * const o: MermaidOptions = { maxEvents: 200 };
 * ```
 */
export interface MermaidOptions {
  /** At most this many diagram lines (arrows and notes); a final note counts the rest. Default 500. */
  readonly maxEvents?: number;
  /** Draw dropped messages as lost arrows (`-x`). Default true. */
  readonly drops?: boolean;
}

/**
 * Converts a trace to a Mermaid sequence diagram: one participant per node, an arrow per
 * delivered message (drawn when it arrives, labelled with its type and delay), a crossed arrow per
 * dropped message, and notes for outputs and faults.
 *
 * @example
 * ```ts
 * import { toMermaid, type TraceEvent } from 'distkit/sim';
 * const trace: TraceEvent[] = [
 *   { kind: 'send', time: 0, node: 'a', to: 'b', id: 0, message: { type: 'ping' } },
 *   { kind: 'deliver', time: 3, node: 'b', from: 'a', id: 0, message: { type: 'ping' } },
 * ];
 * toMermaid(trace).split('\n')[0]; //=> 'sequenceDiagram'
 * ```
 */
export function toMermaid(trace: readonly TraceEvent[], options: MermaidOptions = {}): string {
  const max = options.maxEvents ?? 500;
  const drops = options.drops ?? true;
  const nodes = nodesOf(trace);
  const alias = new Map(nodes.map((id, i) => [id, `n${i}`]));
  const label = (s: string): string => s.replace(/[;#\r\n]/g, ' ').replace(/:/g, '꞉');
  const lines = ['sequenceDiagram'];
  for (const id of nodes) lines.push(`  participant ${alias.get(id)!} as ${label(id)}`);
  const sentAt = new Map<number, number>();
  let count = 0;
  let skipped = 0;
  const add = (line: string): void => {
    if (count >= max) {
      skipped++;
      return;
    }
    count++;
    lines.push(line);
  };
  for (const e of trace) {
    switch (e.kind) {
      case 'send':
        sentAt.set(e.id, e.time);
        break;
      case 'deliver': {
        const dt = e.time - (sentAt.get(e.id) ?? e.time);
        add(`  ${alias.get(e.from)!}->>${alias.get(e.node)!}: ${label(`${typeOf(e.message)} (${round3(dt)} ms)`)}`);
        break;
      }
      case 'drop':
        if (drops && alias.has(e.to)) add(`  ${alias.get(e.from)!}-x${alias.get(e.to)!}: ${label(`${typeOf(e.message)} dropped (${e.reason})`)}`);
        break;
      case 'output':
        add(`  Note over ${alias.get(e.node)!}: ${label(`${typeOf(e.output)} @${e.time}ms`)}`);
        break;
      case 'fault': {
        const node = faultNode(e.fault);
        const over = node !== undefined ? alias.get(node)! : nodes.length > 1 ? `${alias.get(nodes[0]!)!},${alias.get(nodes[nodes.length - 1]!)!}` : alias.get(nodes[0]!) ?? 'n0';
        add(`  Note over ${over}: ${label(`${faultText(e.fault)} @${e.time}ms`)}`);
        break;
      }
      default:
        break;
    }
  }
  if (skipped > 0 && nodes.length > 0) {
    const over = nodes.length > 1 ? `${alias.get(nodes[0]!)!},${alias.get(nodes[nodes.length - 1]!)!}` : alias.get(nodes[0]!)!;
    lines.push(`  Note over ${over}: ${skipped} more events not shown`);
  }
  return lines.join('\n') + '\n';
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Node ids in order of first appearance. */
function nodesOf(trace: readonly TraceEvent[], known: readonly NodeId[] = []): NodeId[] {
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

/**
 * Options of {@link toHtml}.
 *
 * @example
 * ```ts
 * import type { HtmlOptions } from 'distkit/sim';
 * const o: HtmlOptions = { title: 'seed 42', maxMessages: 2000 };
 * ```
 */
export interface HtmlOptions {
  /** Page title and heading. Default `'distkit simulation'`. */
  readonly title?: string;
  /** Lanes in this order (others are appended as they appear). Default: order of first appearance. */
  readonly nodes?: readonly NodeId[];
  /** Draw at most this many messages, outputs and commands (the earliest); the page says how many were left out. Default 5000. */
  readonly maxMessages?: number;
  /** Diagram width in pixels (time axis). Default: grows with the trace, 900 to 8000. */
  readonly widthPx?: number;
  /** Draw timer ticks as small marks. Default false. */
  readonly ticks?: boolean;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function isResult(x: SimResult | readonly TraceEvent[]): x is SimResult {
  return !Array.isArray(x);
}

/**
 * Renders a trace (or a whole {@link SimResult}) as a standalone HTML page with an inline SVG
 * space-time diagram (Lamport's diagrams, time running left to right): one lane per node,
 * an arrow per delivered message, a dashed arrow ending in a cross per dropped message, shaded
 * spans for crashed and paused nodes and for partitions and one-way cuts, dots for outputs, and
 * the violation (if any) marked in red. Every shape has an SVG `<title>`, so hovering shows its
 * details. No scripts, fonts or other external assets.
 *
 * @example
 * ```ts
 * import { simulate, toHtml } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const nodes = ['a', 'b'];
 * const r = simulate({ seed: 1, nodes: nodes.map((id) => ({ id, machine: bully, config: { id, nodes } })), commands: [{ at: 0, node: 'a', input: { type: 'elect' } }] });
 * const html = toHtml(r, { title: 'bully, seed 1' }); // write it to a .html file and open it
 * ```
 */
export function toHtml(input: SimResult | readonly TraceEvent[], options: HtmlOptions = {}): string {
  const trace = isResult(input) ? input.trace : input;
  const stats: SimStats | undefined = isResult(input) ? input.stats : undefined;
  const violation: Violation | undefined = isResult(input) ? input.violation : undefined;
  const title = options.title ?? 'distkit simulation';
  const nodes = nodesOf(trace, options.nodes ?? (isResult(input) ? input.nodes : []));
  const lane = new Map(nodes.map((id, i) => [id, i]));
  const maxMessages = options.maxMessages ?? 5000;

  let end = 0;
  for (const e of trace) if (e.time > end) end = e.time;
  if (stats !== undefined && stats.timeMs > end) end = stats.timeMs;
  if (end <= 0) end = 1;
  const count = trace.length;
  const width = options.widthPx ?? Math.min(8000, Math.max(900, Math.round(count * 6)));
  const left = 110;
  const right = 30;
  const top = 40;
  const laneGap = 70;
  const height = top + Math.max(1, nodes.length) * laneGap + 10;
  const svgWidth = left + width + right;
  const x = (t: number): number => round3(left + (t / end) * width);
  const y = (id: NodeId): number => top + (lane.get(id) ?? 0) * laneGap + laneGap / 2;

  const shapes: string[] = [];
  const bands: string[] = [];
  // Fault spans.
  const crashedAt = new Map<NodeId, number>();
  const pausedAt = new Map<NodeId, number>();
  let netFault: { at: number; text: string } | undefined;
  const span = (cls: string, id: NodeId, from: number, to: number, text: string): void => {
    const yy = y(id);
    bands.push(`<rect class="fault ${cls}" x="${x(from)}" y="${yy - laneGap / 2 + 6}" width="${Math.max(2, round3(x(to) - x(from)))}" height="${laneGap - 12}"><title>${esc(text)}</title></rect>`);
  };
  const netSpan = (from: number, to: number, text: string): void => {
    bands.push(`<rect class="fault partition" x="${x(from)}" y="${top}" width="${Math.max(2, round3(x(to) - x(from)))}" height="${nodes.length * laneGap}"><title>${esc(text)}</title></rect>`);
  };
  const sends = new Map<number, { time: number; from: NodeId; to: NodeId }>();
  let drawn = 0;
  let omitted = 0;
  for (const e of trace) {
    switch (e.kind) {
      case 'send':
        sends.set(e.id, { time: e.time, from: e.node, to: e.to });
        break;
      case 'deliver': {
        const s = sends.get(e.id);
        if (s === undefined) break;
        if (drawn >= maxMessages) {
          omitted++;
          break;
        }
        drawn++;
        const tip = `${typeOf(e.message)} ${e.from} → ${e.node}${e.corrupted === true ? ' (corrupted in transit)' : ''}\nsent ${s.time} ms, delivered ${e.time} ms (#${e.id})\n${short(e.message, 400)}`;
        shapes.push(`<g class="msg${e.corrupted === true ? ' corrupted' : ''}"><line x1="${x(s.time)}" y1="${y(e.from)}" x2="${x(e.time)}" y2="${y(e.node)}" marker-end="url(#arrow)"/><title>${esc(tip)}</title></g>`);
        break;
      }
      case 'drop': {
        if (drawn >= maxMessages) {
          omitted++;
          break;
        }
        drawn++;
        const s = sends.get(e.id);
        const t0 = s?.time ?? e.time;
        const known = lane.has(e.to);
        const y2 = known ? (e.time > t0 ? y(e.to) : (y(e.from) + y(e.to)) / 2) : y(e.from) - laneGap / 3;
        const x2 = e.time > t0 ? x(e.time) : x(t0) + 12;
        const tip = `${typeOf(e.message)} ${e.from} → ${e.to} dropped (${e.reason}) at ${e.time} ms (#${e.id})\n${short(e.message, 400)}`;
        shapes.push(`<g class="msg dropped"><line x1="${x(t0)}" y1="${y(e.from)}" x2="${round3(x2)}" y2="${round3(y2)}" marker-end="url(#cross)"/><title>${esc(tip)}</title></g>`);
        break;
      }
      case 'output':
        if (drawn >= maxMessages) {
          omitted++;
          break;
        }
        drawn++;
        shapes.push(`<circle class="event" cx="${x(e.time)}" cy="${y(e.node)}" r="4"><title>${esc(`${e.node} @${e.time} ms\n${short(e.output, 400)}`)}</title></circle>`);
        break;
      case 'tick':
        if (options.ticks === true) shapes.push(`<rect class="tick" x="${x(e.time) - 0.5}" y="${y(e.node) - 4}" width="1" height="8"><title>${esc(`tick ${e.node} now=${e.now} @${e.time} ms`)}</title></rect>`);
        break;
      case 'command':
      case 'invoke':
        if (e.kind === 'command' && e.ignored !== undefined) break;
        if (drawn >= maxMessages) {
          omitted++;
          break;
        }
        drawn++;
        shapes.push(`<rect class="command" x="${x(e.time) - 3}" y="${y(e.node) - 3}" width="6" height="6"><title>${esc(`${e.kind} on ${e.node} @${e.time} ms\n${short(e.input, 400)}`)}</title></rect>`);
        break;
      case 'fault': {
        const f = e.fault;
        const text = `${faultText(f)} @${e.time} ms`;
        if (f.type === 'crash' && !crashedAt.has(f.node)) crashedAt.set(f.node, e.time);
        else if (f.type === 'restart' && crashedAt.has(f.node)) {
          span('crash', f.node, crashedAt.get(f.node)!, e.time, `${f.node} crashed ${crashedAt.get(f.node)!}–${e.time} ms`);
          crashedAt.delete(f.node);
        } else if (f.type === 'pause' && !pausedAt.has(f.node)) pausedAt.set(f.node, e.time);
        else if (f.type === 'resume' && pausedAt.has(f.node)) {
          span('pause', f.node, pausedAt.get(f.node)!, e.time, `${f.node} paused ${pausedAt.get(f.node)!}–${e.time} ms`);
          pausedAt.delete(f.node);
        } else if (f.type === 'partition' || f.type === 'oneWay') {
          if (netFault !== undefined) netSpan(netFault.at, e.time, netFault.text);
          netFault = { at: e.time, text: netFault !== undefined && f.type === 'oneWay' ? `${netFault.text}; ${text}` : text };
        } else if (f.type === 'heal' && netFault !== undefined) {
          netSpan(netFault.at, e.time, `${netFault.text}; healed @${e.time} ms`);
          netFault = undefined;
        }
        const n = faultNode(f);
        shapes.push(`<text class="fault-label" x="${x(e.time) + 2}" y="${n !== undefined ? y(n) - laneGap / 2 + 16 : top - 6}">${esc(f.type)}<title>${esc(text)}</title></text>`);
        break;
      }
      default:
        break;
    }
  }
  for (const [id, t] of crashedAt) span('crash', id, t, end, `${id} crashed from ${t} ms to the end`);
  for (const [id, t] of pausedAt) span('pause', id, t, end, `${id} paused from ${t} ms to the end`);
  if (netFault !== undefined) netSpan(netFault.at, end, `${netFault.text} (not healed)`);

  const lanes = nodes
    .map((id) => `<g class="lane" data-node="${esc(id)}"><line x1="${left}" y1="${y(id)}" x2="${left + width}" y2="${y(id)}"/><text x="${left - 10}" y="${y(id) + 4}" text-anchor="end">${esc(id)}</text></g>`)
    .join('\n');
  const axis: string[] = [];
  const stepMs = niceStep(end / 10);
  for (let t = 0; t <= end + 1e-9; t += stepMs) {
    axis.push(`<g class="axis"><line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${height - 10}"/><text x="${x(t)}" y="${top - 10}" text-anchor="middle">${round3(t)} ms</text></g>`);
  }
  const vmark =
    violation !== undefined
      ? `<g class="violation"><line x1="${x(violation.time)}" y1="${top}" x2="${x(violation.time)}" y2="${height - 10}"/><title>${esc(`${violation.invariant}: ${violation.message} @${violation.time} ms`)}</title></g>`
      : '';
  const summary: string[] = [];
  if (isResult(input)) {
    summary.push(`seed <b>${esc(String(input.seed))}</b>`, `stop: ${esc(input.stopReason)}`);
    if (stats !== undefined) {
      summary.push(`${stats.steps} steps`, `${round3(stats.timeMs)} ms virtual`, `${stats.messages.sent} sent`, `${stats.messages.delivered} delivered`, `${stats.messages.dropped} dropped`, `${stats.messages.duplicated} duplicated`, `${stats.faults} faults`);
    }
  }
  const vtext = violation !== undefined ? `<p class="violation-text">Violation of <b>${esc(violation.invariant)}</b> at ${violation.time} ms: ${esc(violation.message)}</p>` : '';
  const more = omitted > 0 ? `<p>${omitted} later messages and events not drawn (maxMessages ${maxMessages}).</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 6px; }
.summary span { margin-right: 12px; }
.scroll { overflow-x: auto; border: 1px solid #ddd; }
svg text { font: 12px system-ui, sans-serif; fill: #333; }
.lane line { stroke: #888; stroke-width: 1.5; }
.axis line { stroke: #eee; }
.axis text { fill: #999; font-size: 10px; }
.msg line { stroke: #2d6cdf; stroke-width: 1.2; }
.msg:hover line { stroke: #f08c00; stroke-width: 3; }
.msg.dropped line { stroke: #c92a2a; stroke-dasharray: 4 3; }
.msg.corrupted line { stroke: #e8590c; stroke-dasharray: 1 2; stroke-width: 2; }
.event { fill: #2b8a3e; }
.command { fill: #7048e8; }
.tick { fill: #aaa; }
.fault.crash { fill: #e03131; opacity: 0.18; }
.fault.pause { fill: #868e96; opacity: 0.25; }
.fault.partition { fill: #f59f00; opacity: 0.12; }
.fault-label { fill: #c92a2a; font-size: 10px; }
.violation line { stroke: #e03131; stroke-width: 2; stroke-dasharray: 6 3; }
.violation-text { color: #c92a2a; }
.legend span { margin-right: 14px; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="summary">${summary.map((s) => `<span>${s}</span>`).join('')}</p>
${vtext}${more}
<p class="legend"><span style="color:#2d6cdf">→ message</span><span style="color:#c92a2a">⇢✕ dropped</span><span style="color:#e8590c">⋯ corrupted</span><span style="color:#2b8a3e">● output</span><span style="color:#7048e8">■ command</span><span style="color:#e03131">▒ crashed</span><span style="color:#868e96">▒ paused</span><span style="color:#f59f00">▒ partition</span> (hover for details)</p>
<div class="scroll">
<svg xmlns="http://www.w3.org/2000/svg" width="${svgWidth}" height="${height}" viewBox="0 0 ${svgWidth} ${height}">
<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#2d6cdf"/></marker>
<marker id="cross" viewBox="0 0 10 10" refX="5" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9"><path d="M 1 1 L 9 9 M 9 1 L 1 9" stroke="#c92a2a" stroke-width="2"/></marker>
</defs>
${axis.join('\n')}
${bands.join('\n')}
${lanes}
${shapes.join('\n')}
${vmark}
</svg>
</div>
</body>
</html>
`;
}

function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/**
 * One trace event as a short line of text, e.g. `12.5 ms  b <- a  ping {"type":"ping","round":1}`.
 *
 * @example
 * ```ts
 * import { describeEvent } from 'distkit/sim';
 * describeEvent({ kind: 'drop', time: 3, node: 'a', from: 'a', to: 'b', id: 0, message: { type: 'ping' }, reason: 'loss' });
 * //=> '3 ms  a -> b  ping dropped (loss)'
 * ```
 */
export function describeEvent(e: TraceEvent): string {
  const t = `${e.time} ms  `;
  switch (e.kind) {
    case 'send':
      return `${t}${e.node} -> ${e.to}  send ${short(e.message, 200)}${e.copies !== undefined ? ` (x${e.copies})` : ''}`;
    case 'deliver':
      return `${t}${e.node} <- ${e.from}  ${typeOf(e.message)} ${short(e.message, 200)}${e.corrupted === true ? ' (corrupted)' : ''}`;
    case 'drop':
      return `${t}${e.from} -> ${e.to}  ${typeOf(e.message)} dropped (${e.reason})`;
    case 'tick':
      return `${t}${e.node}  tick now=${e.now}`;
    case 'command':
      return `${t}${e.node}  command ${short(e.input, 200)}${e.ignored !== undefined ? ` (ignored: ${e.ignored})` : ''}`;
    case 'output':
      return `${t}${e.node}  output ${short(e.output, 200)}`;
    case 'persist':
      return `${t}${e.node}  persist`;
    case 'fault':
      return `${t}fault: ${faultText(e.fault)}`;
    case 'invoke':
      return `${t}${e.client} -> ${e.node}  invoke #${e.op} ${short(e.input, 200)}`;
    case 'complete':
      return `${t}${e.client} <- ${e.node}  complete #${e.op} ${short(e.output, 200)}`;
    case 'fail':
      return `${t}${e.client} <- ${e.node}  failed #${e.op}`;
    case 'timeout':
      return `${t}${e.client}  timed out #${e.op} (unknown outcome)`;
  }
}

/**
 * A violation as a readable report: what failed, where, the seed to replay, and the last events.
 * Handy as a test-failure message: `expect(r.ok, r.violation && formatViolation(r.violation)).toBe(true)`.
 *
 * @example
 * ```ts
 * import { simulate, formatViolation } from 'distkit/sim';
 * import { commitInvariants, threePhaseCoordinator, threePhaseParticipant } from 'distkit/txn';
 * // Three-phase commit under partitions, which it was never built for.
 * const parts = ['a', 'b'];
 * const r = simulate({
 *   seed: 4,
 *   nodes: [{ id: 'c', machine: threePhaseCoordinator, config: { id: 'c' } }, ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, autoVote: 'yes' as const } }))],
 *   commands: [{ at: 0, node: 'c', input: { type: 'begin', txId: 't1', participants: parts } }],
 *   nemesis: { partitionRate: 4 },
 *   invariants: commitInvariants(),
 * });
 * if (r.violation) console.log(formatViolation(r.violation));
 * // invariant "atomicity: no participant commits while another aborts" violated at … ms (step …, seed 4): t1: a committed, b aborted
 * // last 20 events: ...
 * ```
 */
export function formatViolation(v: Violation, lastEvents = 20): string {
  const lines = [`invariant "${v.invariant}" violated at ${v.time} ms (step ${v.step}, seed ${JSON.stringify(v.seed)}): ${v.message}`];
  const events = v.lastEvents.slice(-lastEvents);
  if (events.length > 0) {
    lines.push(`last ${events.length} events:`);
    for (const e of events) lines.push(`  ${describeEvent(e)}`);
  }
  lines.push(`replay: simulate(violation.replay), or the same options with seed ${JSON.stringify(v.seed)}`);
  return lines.join('\n');
}
