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
  let out = options.header === true ? `${SHIVIZ_REGEX}\n\n` : '';
  for (const e of trace) {
    const line = shiVizEvent(e, options.ticks === true);
    if (line === undefined) continue;
    const [node, text] = line;
    // Vector clocks: a node's own entry counts its events; a delivery merges the sender's clock at the send.
    let c = clocks.get(node);
    if (c === undefined) clocks.set(node, (c = {}));
    const merge = e.kind === 'deliver' ? atSend.get(e.id) : undefined;
    if (merge !== undefined) for (const k of Object.keys(merge)) c[k] = Math.max(c[k] ?? 0, merge[k]!);
    c[node] = (c[node] ?? 0) + 1;
    if (e.kind === 'send') atSend.set(e.id, { ...c });
    out += `${node} "${text.replace(/["\r\n]/g, "'")}" ${JSON.stringify(c)}\n`;
  }
  return out;
}

// The node and the text of a trace event's ShiViz line, or `undefined` for an event it leaves out.
function shiVizEvent(e: TraceEvent, ticks: boolean): [NodeId, string] | undefined {
  switch (e.kind) {
    case 'send':
      return [e.node, `send ${typeOf(e.message)} to ${e.to} @${e.time}ms ${short(e.message)}`];
    case 'deliver':
      return [e.node, `deliver ${typeOf(e.message)} from ${e.from} @${e.time}ms`];
    case 'output':
      return [e.node, `${typeOf(e.output)} @${e.time}ms ${short(e.output)}`];
    case 'command':
      return e.ignored === undefined ? [e.node, `command ${typeOf(e.input)} @${e.time}ms ${short(e.input)}`] : undefined;
    case 'tick':
      return ticks ? [e.node, `tick now=${e.now} @${e.time}ms`] : undefined;
    case 'fault': {
      const node = faultNode(e.fault);
      return node !== undefined ? [node, `${faultText(e.fault)} @${e.time}ms`] : undefined;
    }
    default:
      return undefined;
  }
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
  const nodes = nodesOf(trace);
  const alias = new Map(nodes.map((id, i) => [id, `n${i}`]));
  // A note over every lane: from the first participant to the last.
  const overAll = nodes.length > 1 ? `${alias.get(nodes[0]!)!},${alias.get(nodes[nodes.length - 1]!)!}` : alias.get(nodes[0]!);
  const lines = ['sequenceDiagram'];
  for (const id of nodes) lines.push(`  participant ${alias.get(id)!} as ${mermaidLabel(id)}`);
  const sentAt = new Map<number, number>();
  let skipped = 0;
  for (const e of trace) {
    if (e.kind === 'send') sentAt.set(e.id, e.time);
    const line = mermaidLine(e, { alias, overAll: overAll ?? 'n0', drops: options.drops ?? true, sentAt });
    if (line === undefined) continue;
    if (lines.length - 1 - nodes.length >= max) skipped++;
    else lines.push(line);
  }
  if (skipped > 0 && nodes.length > 0) lines.push(`  Note over ${overAll!}: ${skipped} more events not shown`);
  return lines.join('\n') + '\n';
}

function mermaidLabel(s: string): string {
  return s.replace(/[;#\r\n]/g, ' ').replace(/:/g, '꞉');
}

// A trace event's line of the sequence diagram, or `undefined` for an event it leaves out.
function mermaidLine(e: TraceEvent, d: { alias: ReadonlyMap<NodeId, string>; overAll: string; drops: boolean; sentAt: ReadonlyMap<number, number> }): string | undefined {
  const { alias } = d;
  switch (e.kind) {
    case 'deliver': {
      const dt = e.time - (d.sentAt.get(e.id) ?? e.time);
      return `  ${alias.get(e.from)!}->>${alias.get(e.node)!}: ${mermaidLabel(`${typeOf(e.message)} (${round3(dt)} ms)`)}`;
    }
    case 'drop':
      return d.drops && alias.has(e.to) ? `  ${alias.get(e.from)!}-x${alias.get(e.to)!}: ${mermaidLabel(`${typeOf(e.message)} dropped (${e.reason})`)}` : undefined;
    case 'output':
      return `  Note over ${alias.get(e.node)!}: ${mermaidLabel(`${typeOf(e.output)} @${e.time}ms`)}`;
    case 'fault': {
      const node = faultNode(e.fault);
      return `  Note over ${node !== undefined ? alias.get(node)! : d.overAll}: ${mermaidLabel(`${faultText(e.fault)} @${e.time}ms`)}`;
    }
    default:
      return undefined;
  }
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
  const result = isResult(input) ? input : undefined;
  const layout = new Layout(trace, result, options);
  const drawing = new Drawing(layout, options.maxMessages ?? 5000, options.ticks === true);
  for (const e of trace) drawing.event(e);
  drawing.finish();
  return htmlPage({
    title: options.title ?? 'distkit simulation',
    summary: summaryOf(result),
    notes: violationText(result?.violation) + drawing.omittedText(),
    layout,
    svg: [axisSvg(layout), drawing.bands.join('\n'), lanesSvg(layout), drawing.shapes.join('\n'), violationMark(layout, result?.violation)],
  });
}

// The diagram's geometry: lanes top to bottom, time left to right.
class Layout {
  readonly nodes: NodeId[];
  readonly end: number;
  readonly width: number;
  readonly left = 110;
  readonly top = 40;
  readonly laneGap = 70;
  readonly height: number;
  readonly svgWidth: number;
  private readonly lane: Map<NodeId, number>;

  constructor(trace: readonly TraceEvent[], result: SimResult | undefined, options: HtmlOptions) {
    this.nodes = nodesOf(trace, options.nodes ?? result?.nodes ?? []);
    this.lane = new Map(this.nodes.map((id, i) => [id, i]));
    let end = 0;
    for (const e of trace) if (e.time > end) end = e.time;
    if (result !== undefined && result.stats.timeMs > end) end = result.stats.timeMs;
    this.end = end <= 0 ? 1 : end;
    this.width = options.widthPx ?? Math.min(8000, Math.max(900, Math.round(trace.length * 6)));
    this.height = this.top + Math.max(1, this.nodes.length) * this.laneGap + 10;
    this.svgWidth = this.left + this.width + 30;
  }

  hasLane(id: NodeId): boolean {
    return this.lane.has(id);
  }

  x(t: number): number {
    return round3(this.left + (t / this.end) * this.width);
  }

  y(id: NodeId): number {
    return this.top + (this.lane.get(id) ?? 0) * this.laneGap + this.laneGap / 2;
  }
}

// The shapes of the trace's events, and the shaded spans of faults.
class Drawing {
  readonly shapes: string[] = [];
  readonly bands: string[] = [];
  private readonly sends = new Map<number, { time: number; from: NodeId; to: NodeId }>();
  private readonly crashedAt = new Map<NodeId, number>();
  private readonly pausedAt = new Map<NodeId, number>();
  private netFault: { at: number; text: string } | undefined;
  private drawn = 0;
  private omitted = 0;

  constructor(
    private readonly l: Layout,
    private readonly maxMessages: number,
    private readonly ticks: boolean,
  ) {}

  event(e: TraceEvent): void {
    switch (e.kind) {
      case 'send':
        this.sends.set(e.id, { time: e.time, from: e.node, to: e.to });
        return;
      case 'deliver':
        if (this.sends.has(e.id) && this.room()) this.deliver(e);
        return;
      case 'drop':
        if (this.room()) this.drop(e);
        return;
      case 'output':
        if (this.room()) this.shapes.push(`<circle class="event" cx="${this.l.x(e.time)}" cy="${this.l.y(e.node)}" r="4"><title>${esc(`${e.node} @${e.time} ms\n${short(e.output, 400)}`)}</title></circle>`);
        return;
      case 'tick':
        if (this.ticks) this.shapes.push(`<rect class="tick" x="${this.l.x(e.time) - 0.5}" y="${this.l.y(e.node) - 4}" width="1" height="8"><title>${esc(`tick ${e.node} now=${e.now} @${e.time} ms`)}</title></rect>`);
        return;
      case 'command':
      case 'invoke':
        if (e.kind === 'command' && e.ignored !== undefined) return;
        if (this.room()) this.shapes.push(`<rect class="command" x="${this.l.x(e.time) - 3}" y="${this.l.y(e.node) - 3}" width="6" height="6"><title>${esc(`${e.kind} on ${e.node} @${e.time} ms\n${short(e.input, 400)}`)}</title></rect>`);
        return;
      case 'fault':
        this.fault(e.fault, e.time);
        return;
      default:
        return;
    }
  }

  /** Closes the spans still open at the end. */
  finish(): void {
    const end = this.l.end;
    for (const [id, t] of this.crashedAt) this.span('crash', id, t, end, `${id} crashed from ${t} ms to the end`);
    for (const [id, t] of this.pausedAt) this.span('pause', id, t, end, `${id} paused from ${t} ms to the end`);
    if (this.netFault !== undefined) this.netSpan(this.netFault.at, end, `${this.netFault.text} (not healed)`);
  }

  omittedText(): string {
    return this.omitted > 0 ? `<p>${this.omitted} later messages and events not drawn (maxMessages ${this.maxMessages}).</p>` : '';
  }

  // Whether one more message or event may be drawn (counting the ones left out).
  private room(): boolean {
    if (this.drawn >= this.maxMessages) {
      this.omitted++;
      return false;
    }
    this.drawn++;
    return true;
  }

  private deliver(e: Extract<TraceEvent, { kind: 'deliver' }>): void {
    const l = this.l;
    const s = this.sends.get(e.id)!;
    const tip = `${typeOf(e.message)} ${e.from} → ${e.node}${e.corrupted === true ? ' (corrupted in transit)' : ''}\nsent ${s.time} ms, delivered ${e.time} ms (#${e.id})\n${short(e.message, 400)}`;
    this.shapes.push(`<g class="msg${e.corrupted === true ? ' corrupted' : ''}"><line x1="${l.x(s.time)}" y1="${l.y(e.from)}" x2="${l.x(e.time)}" y2="${l.y(e.node)}" marker-end="url(#arrow)"/><title>${esc(tip)}</title></g>`);
  }

  private drop(e: Extract<TraceEvent, { kind: 'drop' }>): void {
    const l = this.l;
    const t0 = this.sends.get(e.id)?.time ?? e.time;
    const y2 = l.hasLane(e.to) ? (e.time > t0 ? l.y(e.to) : (l.y(e.from) + l.y(e.to)) / 2) : l.y(e.from) - l.laneGap / 3;
    const x2 = e.time > t0 ? l.x(e.time) : l.x(t0) + 12;
    const tip = `${typeOf(e.message)} ${e.from} → ${e.to} dropped (${e.reason}) at ${e.time} ms (#${e.id})\n${short(e.message, 400)}`;
    this.shapes.push(`<g class="msg dropped"><line x1="${l.x(t0)}" y1="${l.y(e.from)}" x2="${round3(x2)}" y2="${round3(y2)}" marker-end="url(#cross)"/><title>${esc(tip)}</title></g>`);
  }

  private fault(f: Fault, time: number): void {
    const text = `${faultText(f)} @${time} ms`;
    this.faultSpan(f, time, text);
    const n = faultNode(f);
    const yy = n !== undefined ? this.l.y(n) - this.l.laneGap / 2 + 16 : this.l.top - 6;
    this.shapes.push(`<text class="fault-label" x="${this.l.x(time) + 2}" y="${yy}">${esc(f.type)}<title>${esc(text)}</title></text>`);
  }

  // Opens or closes the shaded span a fault starts or ends.
  private faultSpan(f: Fault, time: number, text: string): void {
    const { crashedAt, pausedAt } = this;
    if (f.type === 'crash' && !crashedAt.has(f.node)) crashedAt.set(f.node, time);
    else if (f.type === 'restart' && crashedAt.has(f.node)) {
      this.span('crash', f.node, crashedAt.get(f.node)!, time, `${f.node} crashed ${crashedAt.get(f.node)!}–${time} ms`);
      crashedAt.delete(f.node);
    } else if (f.type === 'pause' && !pausedAt.has(f.node)) pausedAt.set(f.node, time);
    else if (f.type === 'resume' && pausedAt.has(f.node)) {
      this.span('pause', f.node, pausedAt.get(f.node)!, time, `${f.node} paused ${pausedAt.get(f.node)!}–${time} ms`);
      pausedAt.delete(f.node);
    } else if (f.type === 'partition' || f.type === 'oneWay') {
      const open = this.netFault;
      if (open !== undefined) this.netSpan(open.at, time, open.text);
      this.netFault = { at: time, text: open !== undefined && f.type === 'oneWay' ? `${open.text}; ${text}` : text };
    } else if (f.type === 'heal' && this.netFault !== undefined) {
      this.netSpan(this.netFault.at, time, `${this.netFault.text}; healed @${time} ms`);
      this.netFault = undefined;
    }
  }

  private span(cls: string, id: NodeId, from: number, to: number, text: string): void {
    const l = this.l;
    const gap = l.laneGap;
    this.bands.push(`<rect class="fault ${cls}" x="${l.x(from)}" y="${l.y(id) - gap / 2 + 6}" width="${Math.max(2, round3(l.x(to) - l.x(from)))}" height="${gap - 12}"><title>${esc(text)}</title></rect>`);
  }

  private netSpan(from: number, to: number, text: string): void {
    const l = this.l;
    this.bands.push(`<rect class="fault partition" x="${l.x(from)}" y="${l.top}" width="${Math.max(2, round3(l.x(to) - l.x(from)))}" height="${l.nodes.length * l.laneGap}"><title>${esc(text)}</title></rect>`);
  }
}

function lanesSvg(l: Layout): string {
  return l.nodes
    .map((id) => `<g class="lane" data-node="${esc(id)}"><line x1="${l.left}" y1="${l.y(id)}" x2="${l.left + l.width}" y2="${l.y(id)}"/><text x="${l.left - 10}" y="${l.y(id) + 4}" text-anchor="end">${esc(id)}</text></g>`)
    .join('\n');
}

function axisSvg(l: Layout): string {
  const axis: string[] = [];
  const stepMs = niceStep(l.end / 10);
  for (let t = 0; t <= l.end + 1e-9; t += stepMs) {
    axis.push(`<g class="axis"><line x1="${l.x(t)}" y1="${l.top - 4}" x2="${l.x(t)}" y2="${l.height - 10}"/><text x="${l.x(t)}" y="${l.top - 10}" text-anchor="middle">${round3(t)} ms</text></g>`);
  }
  return axis.join('\n');
}

function violationMark(l: Layout, v: Violation | undefined): string {
  if (v === undefined) return '';
  return `<g class="violation"><line x1="${l.x(v.time)}" y1="${l.top}" x2="${l.x(v.time)}" y2="${l.height - 10}"/><title>${esc(`${v.invariant}: ${v.message} @${v.time} ms`)}</title></g>`;
}

function violationText(v: Violation | undefined): string {
  return v !== undefined ? `<p class="violation-text">Violation of <b>${esc(v.invariant)}</b> at ${v.time} ms: ${esc(v.message)}</p>` : '';
}

function summaryOf(r: SimResult | undefined): string[] {
  if (r === undefined) return [];
  const st: SimStats = r.stats;
  const m = st.messages;
  return [
    `seed <b>${esc(String(r.seed))}</b>`,
    `stop: ${esc(r.stopReason)}`,
    `${st.steps} steps`,
    `${round3(st.timeMs)} ms virtual`,
    `${m.sent} sent`,
    `${m.delivered} delivered`,
    `${m.dropped} dropped`,
    `${m.duplicated} duplicated`,
    `${st.faults} faults`,
  ];
}

const HTML_STYLE = `body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
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
.legend span { margin-right: 14px; }`;

const HTML_LEGEND = `<p class="legend"><span style="color:#2d6cdf">→ message</span><span style="color:#c92a2a">⇢✕ dropped</span><span style="color:#e8590c">⋯ corrupted</span><span style="color:#2b8a3e">● output</span><span style="color:#7048e8">■ command</span><span style="color:#e03131">▒ crashed</span><span style="color:#868e96">▒ paused</span><span style="color:#f59f00">▒ partition</span> (hover for details)</p>`;

const SVG_DEFS = `<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#2d6cdf"/></marker>
<marker id="cross" viewBox="0 0 10 10" refX="5" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9"><path d="M 1 1 L 9 9 M 9 1 L 1 9" stroke="#c92a2a" stroke-width="2"/></marker>
</defs>`;

// The standalone page around the diagram: no scripts, fonts or other external assets.
function htmlPage(p: { title: string; summary: readonly string[]; notes: string; layout: Layout; svg: readonly string[] }): string {
  const { svgWidth, height } = p.layout;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(p.title)}</title>
<style>
${HTML_STYLE}
</style>
</head>
<body>
<h1>${esc(p.title)}</h1>
<p class="summary">${p.summary.map((s) => `<span>${s}</span>`).join('')}</p>
${p.notes}
${HTML_LEGEND}
<div class="scroll">
<svg xmlns="http://www.w3.org/2000/svg" width="${svgWidth}" height="${height}" viewBox="0 0 ${svgWidth} ${height}">
${SVG_DEFS}
${p.svg.join('\n')}
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
