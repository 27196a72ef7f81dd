// The shapes of the HTML space-time diagram, one trace event at a time: messages coloured by
// kind, outputs, commands, role changes and the spans they open, crashes, pauses, partition
// sides and one-way cuts. Every shape carries its times (`data-t`, `data-u`) so the page's script
// can move it when it zooms, and its tooltip text (`data-tip`).
import type { NodeId } from '../core/index.js';
import type { Layout } from './html-layout.js';
import { esc, faultNode, faultText, fieldLines, round3, short, typeOf } from './trace-text.js';
import type { Fault, TraceEvent } from './types.js';

/** What a {@link Drawing} needs besides the layout. */
export interface DrawingOptions {
  readonly maxMessages: number;
  readonly ticks: boolean;
  readonly role: (output: unknown, node: NodeId) => string | undefined;
}

/** A message type drawn: its CSS class and how many arrows it has. */
export interface Kind {
  readonly cls: string;
  /** A reply (`...Response`, `...Ack`, `pong`): drawn thinner. */
  readonly reply: boolean;
  count: number;
}

/** Names of replies, drawn thinner than the requests they answer. */
const RESPONSE = /(Response|Reply|Ack|Resp|Ok)$|^(ack|reply|pong)$/;

type Deliver = Extract<TraceEvent, { kind: 'deliver' }>;
type Drop = Extract<TraceEvent, { kind: 'drop' }>;

/** A time for a tooltip: thousandths of a millisecond at most. */
function ms(t: number): string {
  return `${round3(t)} ms`;
}

/** The CSS class of a role's span and marker: leader, candidate, follower or other. */
export function roleClass(role: string): string {
  const r = role.toLowerCase();
  if (r === 'leader' || r === 'follower' || r === 'crashed' || r === 'restarted') return r;
  return r.includes('candidate') ? 'candidate' : 'other';
}

/** The letter of a partition side: A, B, ... */
export function sideLetter(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : `S${i + 1}`;
}

/** The trace drawn as SVG fragments, in layers from back to front. */
export class Drawing {
  /** Crash, pause, partition-side and cut bands (the back layer). */
  readonly bands: string[] = [];
  /** Role spans on the lanes. */
  readonly spans: string[] = [];
  /** Messages, outputs, commands, ticks. */
  readonly shapes: string[] = [];
  /** Role markers and fault labels (the front layer). */
  readonly marks: string[] = [];
  /** Message types in order of first appearance. */
  readonly kinds = new Map<string, Kind>();
  private readonly sends = new Map<number, { time: number; from: NodeId; to: NodeId }>();
  private readonly crashedAt = new Map<NodeId, number>();
  private readonly pausedAt = new Map<NodeId, number>();
  private readonly roles = new Map<NodeId, { role: string; since: number }>();
  private sides: { at: number; groups: readonly (readonly NodeId[])[] } | undefined;
  private cuts: { at: number; from: NodeId; to: NodeId }[] = [];
  private drawn = 0;
  private omitted = 0;

  constructor(
    private readonly l: Layout,
    private readonly o: DrawingOptions,
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
        this.output(e.node, e.output, e.time);
        return;
      case 'tick':
        if (this.o.ticks) this.shapes.push(`<rect class="tick" data-t="${e.time}" data-dx="-0.5" x="${round3(this.l.x(e.time) - 0.5)}" y="${this.l.y(e.node) - 4}" width="1" height="8" data-tip="${esc(`tick on ${e.node}\nat: ${ms(e.time)}\nlocal now: ${ms(e.now)}`)}"/>`);
        return;
      case 'command':
      case 'invoke':
        if (e.kind === 'command' && e.ignored !== undefined) return;
        if (this.room()) this.command(e.kind === 'command' ? 'command' : `invoke by ${e.client}`, e.node, e.input, e.time);
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
    for (const [id, t] of this.crashedAt) this.band('crash', id, t, end, `${id} crashed\nfrom: ${ms(t)}\nto: the end`);
    for (const [id, t] of this.pausedAt) this.band('pause', id, t, end, `${id} paused\nfrom: ${ms(t)}\nto: the end`);
    for (const id of [...this.roles.keys()]) this.closeRole(id, end);
    this.closeSides(end, true);
    this.closeCuts(end, true);
  }

  omittedText(): string {
    return this.omitted > 0 ? `<p class="omitted">${this.omitted} later messages and events not drawn (maxMessages ${this.o.maxMessages}).</p>` : '';
  }

  // Whether one more message or event may be drawn (counting the ones left out).
  private room(): boolean {
    if (this.drawn >= this.o.maxMessages) {
      this.omitted++;
      return false;
    }
    this.drawn++;
    return true;
  }

  private kind(message: unknown): Kind {
    const type = typeOf(message);
    let k = this.kinds.get(type);
    if (k === undefined) this.kinds.set(type, (k = { cls: `k${this.kinds.size}`, reply: RESPONSE.test(type), count: 0 }));
    k.count++;
    return k;
  }

  private deliver(e: Deliver): void {
    const l = this.l;
    const s = this.sends.get(e.id)!;
    const k = this.kind(e.message);
    const head = `${typeOf(e.message)}  ${e.from} → ${e.node}${e.corrupted === true ? '  (corrupted in transit)' : ''}`;
    const tip = [head, `sent: ${ms(s.time)}`, `delivered: ${ms(e.time)} (${round3(e.time - s.time)} ms later)`, ...fieldLines(e.message), `message id: ${e.id}`].join('\n');
    this.shapes.push(
      `<g class="msg ${k.cls}${k.reply ? ' reply' : ''}${e.corrupted === true ? ' corrupted' : ''}" data-tip="${esc(tip)}"><line data-t="${s.time}" data-u="${e.time}" x1="${l.x(s.time)}" y1="${l.y(e.from)}" x2="${l.x(e.time)}" y2="${l.y(e.node)}" marker-end="url(#a-${k.cls})"/></g>`,
    );
  }

  private drop(e: Drop): void {
    const l = this.l;
    const t0 = this.sends.get(e.id)?.time ?? e.time;
    const k = this.kind(e.message);
    const y2 = l.hasLane(e.to) ? (e.time > t0 ? l.y(e.to) : (l.y(e.from) + l.y(e.to)) / 2) : l.y(e.from) - l.laneGap / 3;
    const u = e.time > t0 ? e.time : t0;
    const dx = e.time > t0 ? 0 : 12;
    const tip = [`${typeOf(e.message)}  ${e.from} → ${e.to}  DROPPED`, `reason: ${e.reason}`, `sent: ${ms(t0)}`, `dropped: ${ms(e.time)}`, ...fieldLines(e.message), `message id: ${e.id}`].join('\n');
    this.shapes.push(
      `<g class="msg dropped ${k.cls}${k.reply ? ' reply' : ''}" data-tip="${esc(tip)}"><line data-t="${t0}" data-u="${u}"${dx !== 0 ? ` data-dx="${dx}"` : ''} x1="${l.x(t0)}" y1="${l.y(e.from)}" x2="${round3(l.x(u) + dx)}" y2="${round3(y2)}" marker-end="url(#cross)"/></g>`,
    );
  }

  private output(node: NodeId, output: unknown, time: number): void {
    const role = this.o.role(output, node);
    if (role !== undefined) {
      this.setRole(node, role, time, output);
      return;
    }
    if (!this.room()) return;
    const tip = [`output ${typeOf(output)}  on ${node}`, `at: ${ms(time)}`, ...fieldLines(output)].join('\n');
    this.shapes.push(`<circle class="event" data-t="${time}" cx="${this.l.x(time)}" cy="${this.l.y(node)}" r="2.5" data-tip="${esc(tip)}"/>`);
  }

  private command(what: string, node: NodeId, input: unknown, time: number): void {
    const tip = [`${what} ${typeOf(input)}  on ${node}`, `at: ${ms(time)}`, ...fieldLines(input)].join('\n');
    this.shapes.push(`<rect class="command" data-t="${time}" data-dx="-3" x="${round3(this.l.x(time) - 3)}" y="${this.l.y(node) - 3}" width="6" height="6" data-tip="${esc(tip)}"/>`);
  }

  /** A role change: closes the node's previous span, opens the new one, marks the change. */
  private setRole(node: NodeId, role: string, time: number, output: unknown): void {
    const current = this.roles.get(node);
    if (current !== undefined && current.role === role) return;
    this.closeRole(node, time);
    this.roles.set(node, { role, since: time });
    if (roleClass(role) === 'follower') return;
    const term = termOf(output);
    // Candidates get a dot without a label: their short spans would crowd the leader's label.
    const label = roleClass(role) === 'candidate' ? '' : `${role}${term !== undefined ? ` ${term}` : ''}`;
    this.mark(node, time, roleClass(role), label, [`${node} becomes ${role}`, `at: ${ms(time)}`, ...fieldLines(output)].join('\n'));
  }

  private closeRole(node: NodeId, time: number): void {
    const r = this.roles.get(node);
    if (r === undefined) return;
    this.roles.delete(node);
    const cls = roleClass(r.role);
    if (cls === 'follower') return;
    const l = this.l;
    const tip = `${node} was ${r.role}\nfrom: ${ms(r.since)}\nto: ${ms(time)} (${round3(time - r.since)} ms)`;
    this.spans.push(`<rect class="role-span role-${cls}" data-t="${r.since}" data-u="${time}" x="${l.x(r.since)}" y="${l.y(node) - 4}" width="${Math.max(2, round3(l.x(time) - l.x(r.since)))}" height="8" data-tip="${esc(tip)}"/>`);
  }

  /** A labelled marker on a lane: a dot and a short text above it. */
  private mark(node: NodeId, time: number, cls: string, label: string, tip: string): void {
    const y = this.l.y(node);
    this.marks.push(`<g class="role-mark role-${cls}" data-t="${time}" data-y="${y}" transform="translate(${this.l.x(time)} ${y})" data-tip="${esc(tip)}"><circle r="5"/>${label !== '' ? `<text x="6" y="-8">${esc(label)}</text>` : ''}</g>`);
  }

  private fault(f: Fault, time: number): void {
    switch (f.type) {
      case 'crash':
      case 'restart':
        this.crashOrRestart(f.type, f.node, time);
        return;
      case 'pause':
      case 'resume':
        this.pauseOrResume(f.type, f.node, time);
        return;
      case 'partition':
        this.closeSides(time, false);
        this.sides = { at: time, groups: f.groups };
        return this.netLabel(time, f.groups.map((g, i) => `${sideLetter(i)}: ${g.join(' ')}`).join(' | '), faultText(f));
      case 'oneWay':
        this.cuts.push({ at: time, from: f.from, to: f.to });
        return this.netLabel(time, `cut ${f.from} ↛ ${f.to}`, faultText(f));
      case 'heal':
        this.closeSides(time, false);
        this.closeCuts(time, false);
        return this.netLabel(time, 'heal', 'heal: every partition and cut removed');
      default:
        this.label(faultNode(f), time, f.type, faultText(f));
    }
  }

  private crashOrRestart(type: 'crash' | 'restart', node: NodeId, time: number): void {
    const at = this.crashedAt.get(node);
    if (type === 'crash' && at === undefined) {
      this.crashedAt.set(node, time);
      this.closeRole(node, time);
      this.mark(node, time, 'crashed', '✖ crashed', `${node} crashed\nat: ${ms(time)}\n(its state is lost; what it persisted survives)`);
    } else if (type === 'restart' && at !== undefined) {
      this.band('crash', node, at, time, `${node} crashed\nfrom: ${ms(at)}\nto: ${ms(time)} (${round3(time - at)} ms down)`);
      this.crashedAt.delete(node);
      this.mark(node, time, 'restarted', '↻ restarted', `${node} restarted\nat: ${ms(time)}\n(recovers from what it persisted)`);
    }
  }

  private pauseOrResume(type: 'pause' | 'resume', node: NodeId, time: number): void {
    const at = this.pausedAt.get(node);
    if (type === 'pause' && at === undefined) this.pausedAt.set(node, time);
    else if (type === 'resume' && at !== undefined) {
      this.band('pause', node, at, time, `${node} paused\nfrom: ${ms(at)}\nto: ${ms(time)}`);
      this.pausedAt.delete(node);
    }
    this.label(node, time, type, `${type} ${node}`);
  }

  /** Shades each lane by the side of the partition its node was on, and letters the sides. */
  private closeSides(time: number, atEnd: boolean): void {
    const p = this.sides;
    if (p === undefined) return;
    this.sides = undefined;
    const l = this.l;
    const sideOf = (id: NodeId): number => {
      const i = p.groups.findIndex((g) => g.includes(id));
      return i >= 0 ? i : p.groups.length;
    };
    const sides = p.groups.map((g, i) => `side ${sideLetter(i)}: ${g.join(' ')}`).join('\n');
    for (const id of l.nodes) {
      const s = sideOf(id);
      const tip = `${id} on side ${sideLetter(s)} of a partition\nfrom: ${ms(p.at)}\nto: ${atEnd ? 'the end (not healed)' : `${ms(time)}`}\n${sides}${s === p.groups.length ? `\nside ${sideLetter(s)}: the nodes in no group` : ''}`;
      this.band(`side side-${s % 4}`, id, p.at, time, tip, sideLetter(s));
    }
  }

  private closeCuts(time: number, atEnd: boolean): void {
    for (const c of this.cuts) this.band('cut', c.from, c.at, time, `messages ${c.from} → ${c.to} cut\nfrom: ${ms(c.at)}\nto: ${atEnd ? 'the end (not healed)' : `${ms(time)}`}`, `↛ ${c.to}`);
    this.cuts = [];
  }

  private band(cls: string, id: NodeId, from: number, to: number, tip: string, letter?: string): void {
    const l = this.l;
    const y = l.y(id) - l.laneGap / 2 + 4;
    this.bands.push(`<rect class="band ${cls}" data-t="${from}" data-u="${to}" x="${l.x(from)}" y="${y}" width="${Math.max(2, round3(l.x(to) - l.x(from)))}" height="${l.laneGap - 8}" data-tip="${esc(tip)}"/>`);
    if (letter !== undefined) this.bands.push(`<text class="side-label" data-t="${from}" data-dx="4" x="${round3(l.x(from) + 4)}" y="${y + l.laneGap - 12}">${esc(letter)}</text>`);
  }

  /** A fault label at the top of a node's lane (or above all lanes when `node` is undefined). */
  private label(node: NodeId | undefined, time: number, text: string, tip: string): void {
    const y = node !== undefined && this.l.hasLane(node) ? this.l.y(node) - this.l.laneGap / 2 + 16 : this.l.top - 4;
    this.marks.push(`<text class="fault-label" data-t="${time}" data-dx="2" x="${round3(this.l.x(time) + 2)}" y="${y}" data-tip="${esc(`${tip}\nat: ${ms(time)}`)}">${esc(text)}</text>`);
  }

  private netLabel(time: number, text: string, tip: string): void {
    this.label(undefined, time, short(text, 60).replace(/^"|"$/g, ''), tip);
  }
}

/** The term (or ballot) an output names, for a role marker's label. */
function termOf(output: unknown): string | undefined {
  if (output === null || typeof output !== 'object') return undefined;
  const o = output as { term?: unknown; ballot?: unknown };
  if (typeof o.term === 'number') return `t${o.term}`;
  if (o.ballot !== null && typeof o.ballot === 'object') {
    const round = (o.ballot as { round?: unknown }).round;
    if (typeof round === 'number') return `b${round}`;
  }
  return undefined;
}
