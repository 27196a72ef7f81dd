/**
 * Trace exports: JSON lines, ShiViz logs and Mermaid sequence diagrams (the HTML space-time
 * diagram is in html.ts).
 *
 * @packageDocumentation
 */
import { ConfigError, describeValue, type NodeId } from '../core/index.js';
import { faultNode, faultText, nodesOf, round3, short, typeOf } from './trace-text.js';
import type { TraceEvent, Violation } from './types.js';

/**
 * Serializes a trace as JSON lines: one event per line, each line a JSON object, with a trailing
 * newline. Deterministic: the same trace always gives the same bytes.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['a', 'b'];
 * const r = simulate({ seed: 1, nodes: ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids } })), commands: [{ at: 0, node: 'a', input: { type: 'elect' } }], maxTimeMs: 100 });
 * import { toJsonLines, fromJsonLines } from 'distkit/sim';
 * const text = toJsonLines(r.trace);
 * // One event per line; fromJsonLines reads it back.
 * [text.split('\n')[0], fromJsonLines(text).length === r.trace.length]; //=> ['{"kind":"command","time":0,"node":"a","input":{"type":"elect"}}', true]
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
 * import { simulate } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['a', 'b'];
 * const r = simulate({ seed: 1, nodes: ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids } })), commands: [{ at: 0, node: 'a', input: { type: 'elect' } }], maxTimeMs: 100 });
 * import { toShiViz, type ShiVizOptions } from 'distkit/sim';
 * const o: ShiVizOptions = { header: false, ticks: false };
 * // ShiViz's log format: each line an event with its host and vector clock.
 * toShiViz(r.trace, o).split('\n').slice(0, 2); //=> ['a "command elect @0ms {\'type\':\'elect\'}" {"a":1}', 'a "send election to b @0ms {\'type\':\'election\'}" {"a":2}']
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
 * import { simulate } from 'distkit/sim';
 * import { bully } from 'distkit/election';
 * const ids = ['a', 'b'];
 * const r = simulate({ seed: 1, nodes: ids.map((id) => ({ id, machine: bully, config: { id, nodes: ids } })), commands: [{ at: 0, node: 'a', input: { type: 'elect' } }], maxTimeMs: 100 });
 * import { toMermaid, type MermaidOptions } from 'distkit/sim';
 * const o: MermaidOptions = { maxEvents: 3 };
 * toMermaid(r.trace, o).split('\n'); //=> ['sequenceDiagram', '  participant n0 as a', '  participant n1 as b', '  n0->>n1: election (1.567 ms)', '  Note over n1: leader @1.567ms', '  n1->>n0: coordinator (5.37 ms)', '  Note over n0,n1: 2 more events not shown', '']
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
 *   seed: 3,
 *   nodes: [{ id: 'c', machine: threePhaseCoordinator, config: { id: 'c' } }, ...parts.map((id) => ({ id, machine: threePhaseParticipant, config: { id, autoVote: 'yes' as const } }))],
 *   commands: [{ at: 0, node: 'c', input: { type: 'begin', txId: 't1', participants: parts } }],
 *   nemesis: { partitionRate: 4 },
 *   invariants: commitInvariants(),
 * });
 * formatViolation(r.violation!, 2).split('\n')[0]; //=> 'invariant "atomicity: no participant commits while another aborts" violated at 2006.136 ms (step 12, seed 3): t1: c decided commit, a aborted, b committed'
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
