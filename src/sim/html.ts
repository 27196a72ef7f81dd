/**
 * The standalone HTML space-time diagram of a trace: lanes with sticky node names, messages
 * coloured by type with a legend, role changes, partition sides, the violation scrolled into view,
 * zoom and fit controls and readable tooltips. One self-contained page, no network.
 *
 * @packageDocumentation
 */
import type { NodeId } from '../core/index.js';
import { Drawing } from './html-draw.js';
import { htmlPage } from './html-page.js';
import { Layout, axisSvg } from './html-layout.js';
import { esc, round3 } from './trace-text.js';
import type { SimResult, SimStats, TraceEvent, Violation } from './types.js';

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
  /** Initial width of the time axis in pixels (the page zooms). Default: grows with the number of messages, 900 to 6000. */
  readonly widthPx?: number;
  /** Draw timer ticks as small marks. Default false. */
  readonly ticks?: boolean;
  /**
   * The role an output announces for the node that emitted it (`'leader'`, `'candidate'`,
   * `'follower'`, ...), or `undefined` for an output that announces none. Default
   * {@link roleOfOutput}.
   */
  readonly role?: (output: unknown, node: NodeId) => string | undefined;
}

/**
 * The role an output announces, as {@link toHtml} reads it by default: `{ type: 'role', role }`
 * (Raft, Multi-Paxos) gives `role`; `{ type: 'leader', leader }` (bully, ring election) gives
 * `'leader'` on the node it names and `'follower'` elsewhere; `{ type: 'leader' }` without a
 * `leader` field gives `'leader'`.
 *
 * @example
 * ```ts
 * import { roleOfOutput } from 'distkit/sim';
 * roleOfOutput({ type: 'role', role: 'candidate', term: 3 }, 'a'); //=> 'candidate'
 * roleOfOutput({ type: 'leader', leader: 'b' }, 'a'); //=> 'follower'
 * roleOfOutput({ type: 'applied', index: 4 }, 'a'); //=> undefined
 * ```
 */
export function roleOfOutput(output: unknown, node: NodeId): string | undefined {
  if (output === null || typeof output !== 'object') return undefined;
  const o = output as { type?: unknown; role?: unknown; leader?: unknown };
  if (o.type === 'role' && typeof o.role === 'string') return o.role;
  if (o.type !== 'leader') return undefined;
  if (o.leader === undefined) return 'leader';
  return o.leader === node ? 'leader' : 'follower';
}

function isResult(x: SimResult | readonly TraceEvent[]): x is SimResult {
  return !Array.isArray(x);
}

/**
 * Renders a trace (or a whole {@link SimResult}) as a standalone HTML page with an inline SVG
 * space-time diagram (Lamport's diagrams, time running left to right): one lane per node with its
 * name kept in view while scrolling, an arrow per delivered message coloured by the message's
 * `type` (a legend lists the types; clicking one hides it), a dashed arrow ending in a cross per
 * dropped message, role changes announced by outputs (leader, candidate; see
 * {@link HtmlOptions.role}) with the leader's span drawn on its lane, crashes, restarts and pauses,
 * each side of a partition shaded and lettered, and the violation (if any) marked in red and
 * scrolled into view when the page opens. Zoom and fit-to-window buttons rescale the time axis;
 * hovering a shape shows its fields. One file, no external assets; the same input always gives
 * the same bytes.
 *
 * @example
 * ```ts
 * import { simulate, toHtml } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const nodes = ['a', 'b'];
 * const r = simulate({ seed: 1, nodes: nodes.map((id) => ({ id, machine: bully, config: { id, nodes } })), commands: [{ at: 0, node: 'a', input: { type: 'elect' } }] });
 * const html = toHtml(r, { title: 'bully, seed 1' }); // write it to a .html file and open it
 * html.includes('class="role-mark role-leader"'); //=> true
 * ```
 */
export function toHtml(input: SimResult | readonly TraceEvent[], options: HtmlOptions = {}): string {
  const trace = isResult(input) ? input.trace : input;
  const result = isResult(input) ? input : undefined;
  const layout = new Layout(trace, result, options);
  const drawing = new Drawing(layout, { maxMessages: options.maxMessages ?? 5000, ticks: options.ticks === true, role: options.role ?? roleOfOutput });
  for (const e of trace) drawing.event(e);
  drawing.finish();
  return htmlPage({
    title: options.title ?? 'distkit simulation',
    summary: summaryOf(result),
    violation: result?.violation,
    omitted: drawing.omittedText(),
    layout,
    drawing,
    axis: axisSvg(layout),
    violationSvg: violationSvg(layout, result?.violation),
  });
}

function violationSvg(l: Layout, v: Violation | undefined): string {
  if (v === undefined) return '';
  const tip = esc(`violation: ${v.invariant}\ntime: ${round3(v.time)} ms\nstep: ${v.step}\nseed: ${String(v.seed)}\n${v.message}`);
  const label = v.invariant.length > 48 ? `${v.invariant.slice(0, 47)}…` : v.invariant;
  return (
    `<g id="violation" class="violation" data-tip="${tip}">` +
    `<line data-t="${v.time}" x1="${l.x(v.time)}" y1="${l.top - 14}" x2="${l.x(v.time)}" y2="${l.height - 6}"/>` +
    `<text data-t="${v.time}" data-dx="-6" x="${round3(l.x(v.time) - 6)}" y="${l.top - 16}" text-anchor="end">✖ ${esc(label)} @${round3(v.time)} ms</text></g>`
  );
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
