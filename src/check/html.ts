/**
 * A standalone HTML view of a history and its linearizability verdict.
 *
 * @packageDocumentation
 */
import type { History, Operation } from './history.js';
import type { Model } from './models.js';
import { canonicalJson } from '../core/index.js';
import { formatLinearizability, type LinearizabilityResult } from './linearizability.js';

/**
 * Options of {@link linearizabilityToHtml}.
 *
 * @example
 * ```ts
 * import { registerModel, type LinearizabilityHtmlOptions } from 'distkit/check';
 * const options: LinearizabilityHtmlOptions<number | null, any, any> = { model: registerModel<number>(), title: 'etcd_001' };
 * ```
 */
export interface LinearizabilityHtmlOptions<S, I, O> {
  /** Used to describe operations and the state each failure met. */
  readonly model?: Model<S, I, O>;
  /** The page title. Default `'linearizability'`. */
  readonly title?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Renders a history as a standalone HTML page (inline SVG, no external assets): one lane per
 * client, one bar per operation from call to return (dashed to the right edge for an unknown
 * outcome), numbered by its place in the linearization the checker found. In a failing
 * partition the longest linearizable prefix is green and the operation that cannot be placed is
 * red. Hovering a bar shows its details. Times are drawn by rank, so sparse and dense stretches
 * read alike.
 *
 * @example
 * ```ts
 * import { checkLinearizability, linearizabilityToHtml, registerModel } from 'distkit/check';
 * const model = registerModel<number>();
 * const history = [{ id: 0, client: 'a', input: { f: 'read' as const }, call: 0, output: 5, ret: 1 }];
 * const html = linearizabilityToHtml(history, checkLinearizability(model, history), { model });
 * html.startsWith('<!DOCTYPE html>'); //=> true
 * ```
 */
export function linearizabilityToHtml<S, I, O>(
  history: History<I, O>,
  result: LinearizabilityResult<I, O>,
  options: LinearizabilityHtmlOptions<S, I, O> = {},
): string {
  const model = options.model;
  const title = options.title ?? 'linearizability';
  const describe = (op: Operation<I, O>): string =>
    model?.describeOperation ? model.describeOperation(op.input, op.output) : `${canonicalJson(op.input)} -> ${op.output === undefined ? '?' : canonicalJson(op.output)}`;

  // where each operation sits in its partition's linearization, and which ones are stuck
  const place = new Map<number, { partition: number; index: number; failing: boolean }>();
  const stuck = new Set<number>();
  result.partitions.forEach((p, partition) => {
    const failing = p.verdict === 'not-linearizable';
    p.linearization.forEach((op, index) => place.set(op.id, { partition, index, failing }));
    if (p.stuck !== undefined) stuck.add(p.stuck.id);
  });

  const times = [...new Set(history.flatMap((op) => (op.ret === undefined ? [op.call] : [op.call, op.ret])))].sort((a, b) => a - b);
  const rank = new Map(times.map((t, i) => [t, i]));
  const clients = [...new Set(history.slice().sort((a, b) => a.call - b.call || a.id - b.id).map((op) => op.client))];
  const lane = new Map(clients.map((c, i) => [c, i]));
  const step = 28;
  const laneHeight = 30;
  const left = 90;
  const width = left + (times.length + 2) * step;
  const height = 30 + clients.length * laneHeight;
  const x = (t: number): number => left + ((rank.get(t) ?? 0) + 0.5) * step;

  const bars = history.map((op) => {
    const y = 20 + (lane.get(op.client) ?? 0) * laneHeight;
    const x1 = x(op.call);
    const x2 = op.ret === undefined ? width - 4 : Math.max(x(op.ret), x1 + 6);
    const where = place.get(op.id);
    const isStuck = stuck.has(op.id);
    const fill = isStuck ? '#f4a6a6' : where === undefined ? '#e4e4e4' : where.failing ? '#a8dcab' : '#b9d3f0';
    const stroke = isStuck ? '#b00020' : '#555';
    const label = `${where !== undefined ? `${where.index + 1}. ` : ''}${describe(op)}`;
    const status = isStuck ? 'cannot be placed' : where !== undefined ? `linearized #${where.index + 1} in partition ${where.partition}` : 'not in the linearization found';
    const tip = `op ${op.id} (client ${op.client}): ${describe(op)}\ncall ${op.call}, ${op.ret === undefined ? 'unknown outcome' : `ret ${op.ret}`}\n${status}`;
    return (
      `<g class="op" data-id="${op.id}"><title>${escapeHtml(tip)}</title>` +
      `<rect x="${x1}" y="${y}" width="${x2 - x1}" height="20" rx="3" fill="${fill}" stroke="${stroke}"${op.ret === undefined ? ' stroke-dasharray="4 3"' : ''}/>` +
      `<text x="${x1 + 3}" y="${y + 14}">${escapeHtml(label)}</text></g>`
    );
  });
  const lanes = clients.map(
    (c, i) => `<text class="lane" x="4" y="${20 + i * laneHeight + 14}">${escapeHtml(c.length > 12 ? c.slice(0, 11) + '…' : c)}</text>`,
  );
  const summary = formatLinearizability(result, model);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font: 13px system-ui, sans-serif; margin: 16px; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; }
svg text { font: 11px ui-monospace, monospace; pointer-events: none; }
svg text.lane { font-weight: bold; }
g.op:hover rect { stroke-width: 2; }
.verdict-linearizable { color: #1b6e20; } .verdict-not-linearizable { color: #b00020; } .verdict-unknown { color: #8a6d00; }
</style></head><body>
<h1>${escapeHtml(title)}: <span class="verdict-${result.verdict}">${result.verdict}</span></h1>
<pre>${escapeHtml(summary)}</pre>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${lanes.join('\n')}
${bars.join('\n')}
</svg>
</body></html>
`;
}
