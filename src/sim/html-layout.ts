// The geometry of the HTML space-time diagram: lanes top to bottom, time left to right, and the
// time axis. The page's script applies the same formulas when it zooms.
import type { NodeId } from '../core/index.js';
import type { HtmlOptions } from './html.js';
import { nodesOf, round3 } from './trace-text.js';
import type { SimResult, TraceEvent } from './types.js';

/** The diagram's geometry: lanes top to bottom, time left to right. */
export class Layout {
  readonly nodes: NodeId[];
  /** The last time drawn, ms. */
  readonly end: number;
  /** Initial pixels per millisecond. */
  readonly k: number;
  readonly left = 110;
  readonly right = 40;
  readonly top = 48;
  readonly laneGap = 64;
  readonly height: number;
  readonly svgWidth: number;
  private readonly lane: Map<NodeId, number>;

  constructor(trace: readonly TraceEvent[], result: SimResult | undefined, options: HtmlOptions) {
    this.nodes = nodesOf(trace, options.nodes ?? result?.nodes ?? []);
    this.lane = new Map(this.nodes.map((id, i) => [id, i]));
    let end = 0;
    let messages = 0;
    for (const e of trace) {
      if (e.time > end) end = e.time;
      if (e.kind === 'send') messages++;
    }
    if (result !== undefined && result.stats.timeMs > end) end = result.stats.timeMs;
    this.end = end <= 0 ? 1 : end;
    const width = options.widthPx ?? Math.min(6000, Math.max(900, messages * 3));
    this.k = width / this.end;
    this.height = this.top + Math.max(1, this.nodes.length) * this.laneGap + 10;
    this.svgWidth = Math.ceil(this.left + this.end * this.k + this.right);
  }

  hasLane(id: NodeId): boolean {
    return this.lane.has(id);
  }

  x(t: number): number {
    return round3(this.left + t * this.k);
  }

  /** The y of a node's lane line. */
  y(id: NodeId): number {
    return this.top + (this.lane.get(id) ?? 0) * this.laneGap + this.laneGap / 2;
  }
}

/** Ticks every ~100 px; the page's script redraws them the same way when it zooms. */
export function axisSvg(l: Layout): string {
  const axis: string[] = [];
  const stepMs = niceStep(100 / l.k);
  for (let i = 0; i * stepMs <= l.end + 1e-9; i++) {
    const t = round3(i * stepMs);
    axis.push(`<line x1="${l.x(t)}" y1="${l.top - 4}" x2="${l.x(t)}" y2="${l.height - 10}"/><text x="${l.x(t)}" y="${l.top - 30}" text-anchor="middle">${t} ms</text>`);
  }
  return axis.join('');
}

/** A round step near `raw`: 1, 2 or 5 times a power of ten. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
