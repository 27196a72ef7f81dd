// The page around the HTML space-time diagram: the stable colour of each message kind, the
// legend, the zoom and fit controls, the tooltip, and the small inline script that drives them.
// Everything is inline: the page loads nothing.
import type { Drawing } from './html-draw.js';
import type { Layout } from './html-layout.js';
import { esc, round3 } from './trace-text.js';
import type { Violation } from './types.js';

/**
 * Message-kind colours (D3's category10 without its red, plus navy, teal and magenta: red marks drops
 * and the violation). A type keeps its colour from trace to trace: it is picked by a hash of the name.
 */
export const KIND_PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79', '#00a087', '#d6279a'] as const;

/** FNV-1a over the UTF-16 code units of a name: the seed of its colour. */
function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A colour per message type: each by the hash of its name; when two types of one trace collide,
 * the later name (in sorted order) takes the next free colour. Beyond the palette's size colours
 * repeat.
 */
export function kindColors(types: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<number>();
  for (const t of [...types].sort()) {
    let i = hashName(t) % KIND_PALETTE.length;
    if (used.size < KIND_PALETTE.length) while (used.has(i)) i = (i + 1) % KIND_PALETTE.length;
    used.add(i);
    out.set(t, KIND_PALETTE[i]!);
  }
  return out;
}

const STYLE = `body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
header { padding: 12px 16px 6px; border-bottom: 1px solid #ddd; }
h1 { font-size: 18px; margin: 0 0 4px; }
p { margin: 4px 0; }
.summary span { margin-right: 12px; color: #555; }
.violation-text { color: #c92a2a; font-weight: 600; }
.toolbar { display: flex; gap: 6px; align-items: center; margin: 6px 0; flex-wrap: wrap; }
button { font: inherit; border: 1px solid #bbb; background: #f8f9fa; border-radius: 4px; padding: 1px 8px; cursor: pointer; }
button:hover { background: #e9ecef; }
#scale { color: #666; font-size: 12px; margin-left: 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; font-size: 13px; }
.legend .kind { padding: 0 6px; }
.legend .kind.off { opacity: 0.35; text-decoration: line-through; }
.legend .kind small { color: #777; }
.legend i { display: inline-block; width: 18px; height: 4px; vertical-align: middle; margin-right: 4px; border-radius: 2px; }
.legend .sym { color: #444; }
.scroll { overflow: auto; }
.plane { position: relative; }
.labels { position: sticky; left: 0; width: 100px; z-index: 3; background: rgba(255, 255, 255, 0.9); border-right: 1px solid #ddd; }
.lane-label { position: absolute; right: 8px; font-weight: 600; font-size: 13px; white-space: nowrap; max-width: 92px; overflow: hidden; text-overflow: ellipsis; }
#diagram { position: absolute; left: 0; top: 0; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
#axis line { stroke: #eee; }
#axis text { fill: #999; font-size: 10px; }
.lane line { stroke: #adb5bd; stroke-width: 1.5; }
.msg line { stroke-width: 1.3; stroke-opacity: 0.85; }
.msg.reply line { stroke-width: 0.9; stroke-opacity: 0.6; }
.msg:hover line { stroke-width: 3.5; stroke-opacity: 1; }
.msg.dropped line { stroke-dasharray: 4 3; stroke-opacity: 0.7; }
.msg.corrupted line { stroke-dasharray: 1 2; stroke-width: 2; }
.event { fill: #868e96; }
.command { fill: #7048e8; }
.tick { fill: #aaa; }
.band.crash { fill: #e03131; opacity: 0.16; }
.band.pause { fill: #868e96; opacity: 0.25; }
.band.cut { fill: #f08c00; opacity: 0.14; }
.band.side-0 { fill: #339af0; opacity: 0.16; }
.band.side-1 { fill: #f76707; opacity: 0.16; }
.band.side-2 { fill: #37b24d; opacity: 0.16; }
.band.side-3 { fill: #ae3ec9; opacity: 0.16; }
.side-label { font-weight: 700; font-size: 12px; fill: #495057; }
.role-span.role-leader { fill: #fcc419; stroke: #e67700; stroke-width: 0.5; }
.role-span.role-candidate { fill: #be4bdb; opacity: 0.7; }
.role-span.role-other { fill: #4dabf7; opacity: 0.7; }
.role-mark circle { stroke: #fff; stroke-width: 1.5; }
.role-mark text { font-weight: 700; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.role-leader circle { fill: #fcc419; stroke: #e67700; }
.role-candidate circle { fill: #be4bdb; }
.role-other circle { fill: #4dabf7; }
.role-crashed circle { fill: #e03131; }
.role-crashed text { fill: #c92a2a; }
.role-restarted circle { fill: #2b8a3e; }
.role-restarted text { fill: #2b8a3e; }
.fault-label { fill: #c92a2a; font-size: 10px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.violation line { stroke: #e03131; stroke-width: 3; stroke-dasharray: 6 3; }
.violation text { fill: #c92a2a; font-weight: 700; font-size: 12px; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
#tip { position: fixed; z-index: 10; max-width: 460px; background: #212529; color: #f8f9fa; padding: 6px 9px; border-radius: 5px; font-size: 12px; pointer-events: none; box-shadow: 0 2px 8px rgba(0,0,0,.3); }
#tip b { display: block; margin-bottom: 2px; font-size: 13px; }
#tip .k { color: #ffd43b; }
#tip div { white-space: pre-wrap; overflow-wrap: anywhere; }`;

// The page's behaviour: zoom (rescales the time axis), fit, legend toggles, tooltips, and the
// violation scrolled into view on load. Plain DOM, no dependencies.
const SCRIPT = `(() => {
const svg = document.getElementById('diagram'), scroll = document.getElementById('scroll'), plane = document.getElementById('plane');
const cfg = JSON.parse(svg.dataset.cfg), k0 = cfg.k;
let k = k0;
const moving = Array.from(svg.querySelectorAll('#shapes [data-t]'));
const r3 = (x) => Math.round(x * 1000) / 1000;
const X = (t) => r3(cfg.left + t * k);
const place = (e) => {
  const d = e.dataset, t = +d.t, u = d.u === undefined ? t : +d.u, dx = +(d.dx || 0);
  if (e.tagName === 'line') { e.setAttribute('x1', X(t)); e.setAttribute('x2', r3(X(u) + dx)); }
  else if (e.tagName === 'rect') { e.setAttribute('x', r3(X(t) + dx)); if (d.u !== undefined) e.setAttribute('width', Math.max(2, r3(X(u) - X(t)))); }
  else if (e.tagName === 'circle') e.setAttribute('cx', X(t));
  else if (e.tagName === 'text') e.setAttribute('x', r3(X(t) + dx));
  else if (e.tagName === 'g') e.setAttribute('transform', 'translate(' + X(t) + ' ' + d.y + ')');
};
const niceStep = (raw) => { if (!(raw > 0)) return 1; const p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p; return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p; };
const axis = () => {
  const step = niceStep(100 / k); let s = '';
  for (let i = 0; i * step <= cfg.end + 1e-9; i++) { const t = r3(i * step), x = X(t); s += '<line x1="' + x + '" y1="' + (cfg.top - 4) + '" x2="' + x + '" y2="' + (cfg.height - 10) + '"/><text x="' + x + '" y="' + (cfg.top - 30) + '" text-anchor="middle">' + t + ' ms</text>'; }
  document.getElementById('axis').innerHTML = s;
};
const layout = () => {
  const w = Math.ceil(cfg.left + cfg.end * k + cfg.right);
  svg.setAttribute('width', w); svg.setAttribute('viewBox', '0 0 ' + w + ' ' + cfg.height); plane.style.width = w + 'px';
  moving.forEach(place); axis();
  svg.dataset.scale = k; document.getElementById('scale').textContent = (k >= 1 ? k.toFixed(1) : k.toPrecision(2)) + ' px/ms';
};
const maxK = Math.min(200, 4e6 / cfg.end), minK = Math.min(k0, 200 / cfg.end);
const zoom = (nk) => {
  const c = (scroll.scrollLeft + scroll.clientWidth / 2 - cfg.left) / k;
  k = Math.min(maxK, Math.max(minK, nk)); layout();
  scroll.scrollLeft = cfg.left + c * k - scroll.clientWidth / 2;
};
const fit = () => zoom((scroll.clientWidth - cfg.left - cfg.right) / cfg.end);
const act = { 'zoom-in': () => zoom(k * 1.5), 'zoom-out': () => zoom(k / 1.5), 'zoom-fit': fit, 'zoom-reset': () => zoom(k0), 'goto-violation': () => show() };
for (const id in act) { const b = document.getElementById(id); if (b) b.addEventListener('click', act[id]); }
document.addEventListener('keydown', (e) => { if (e.target.tagName === 'INPUT') return; if (e.key === '+' || e.key === '=') zoom(k * 1.5); else if (e.key === '-') zoom(k / 1.5); else if (e.key === '0') fit(); });
for (const b of document.querySelectorAll('.legend .kind')) b.addEventListener('click', () => { b.classList.toggle('off'); svg.classList.toggle('hide-' + b.dataset.kind); });
const tip = document.getElementById('tip');
const move = (ev) => {
  const x = Math.max(4, Math.min(ev.clientX + 14, innerWidth - tip.offsetWidth - 8));
  const y = ev.clientY + 18 + tip.offsetHeight > innerHeight ? Math.max(4, ev.clientY - tip.offsetHeight - 10) : ev.clientY + 18;
  tip.style.left = x + 'px'; tip.style.top = y + 'px';
};
const showTip = (el) => {
  const [head, ...rest] = el.dataset.tip.split('\\n');
  const b = document.createElement('b'); b.textContent = head; tip.replaceChildren(b);
  for (const line of rest) {
    const div = document.createElement('div'), i = line.indexOf(': ');
    if (i > 0 && i < 32) { const key = document.createElement('span'); key.className = 'k'; key.textContent = line.slice(0, i) + ':'; div.append(key, ' ' + line.slice(i + 2)); }
    else div.textContent = line;
    tip.append(div);
  }
  tip.hidden = false;
};
svg.addEventListener('mouseover', (ev) => { const el = ev.target.closest('[data-tip]'); if (el) { showTip(el); move(ev); } else tip.hidden = true; });
svg.addEventListener('mousemove', (ev) => { if (!tip.hidden) move(ev); });
svg.addEventListener('mouseleave', () => { tip.hidden = true; });
const show = () => { const v = document.getElementById('violation'); if (v) v.scrollIntoView({ block: 'nearest', inline: 'center' }); };
show();
})();`;

/** What {@link htmlPage} puts together. */
export interface PageParts {
  readonly title: string;
  readonly summary: readonly string[];
  readonly violation: Violation | undefined;
  readonly omitted: string;
  readonly layout: Layout;
  readonly drawing: Drawing;
  readonly axis: string;
  readonly violationSvg: string;
}

/** The legend: one toggle per message kind (with its count), then the shapes. */
function legendHtml(d: Drawing, colors: ReadonlyMap<string, string>): string {
  const kinds = [...d.kinds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const entries = kinds.map(([type, k]) => `<button class="kind" data-kind="${k.cls}" data-type="${esc(type)}" title="show or hide ${esc(type)}"><i style="background:${colors.get(type)!}"></i>${esc(type)} <small>${k.count}</small></button>`);
  const symbols = [
    '<span class="sym">⇢✕ dropped</span>',
    '<span class="sym"><i style="background:#fcc419;height:8px;border:1px solid #e67700"></i>leader</span>',
    '<span class="sym"><i style="background:#be4bdb;height:6px"></i>candidate</span>',
    '<span class="sym" style="color:#c92a2a">✖ crashed</span>',
    '<span class="sym" style="color:#2b8a3e">↻ restarted</span>',
    '<span class="sym"><i style="background:#339af0;opacity:.5;height:10px"></i><i style="background:#f76707;opacity:.5;height:10px"></i>partition sides A, B</span>',
    '<span class="sym">● output</span>',
    '<span class="sym" style="color:#7048e8">■ command</span>',
  ];
  return `<div class="legend"><span>message kinds:</span>${entries.join('')}<span>·</span>${symbols.join('')}</div>`;
}

/** Per-kind stroke colours, arrowheads and hide rules. */
function kindStyles(d: Drawing, colors: ReadonlyMap<string, string>): { css: string; markers: string } {
  let css = '';
  let markers = '';
  for (const [type, k] of d.kinds) {
    const c = colors.get(type)!;
    css += `.${k.cls} line { stroke: ${c}; }\n.hide-${k.cls} .${k.cls} { display: none; }\n`;
    markers += `<marker id="a-${k.cls}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${c}"/></marker>`;
  }
  markers += '<marker id="cross" viewBox="0 0 10 10" refX="5" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9"><path d="M 1 1 L 9 9 M 9 1 L 1 9" stroke="#c92a2a" stroke-width="2"/></marker>';
  return { css, markers };
}

function violationHtml(v: Violation | undefined): string {
  if (v === undefined) return '';
  return `<p class="violation-text">Violation of <b>${esc(v.invariant)}</b> at ${round3(v.time)} ms (step ${v.step}): ${esc(v.message)} <button id="goto-violation">show</button></p>`;
}

/** The standalone page: header (summary, violation, controls, legend) over the scrolling diagram. */
export function htmlPage(p: PageParts): string {
  const l = p.layout;
  const d = p.drawing;
  const colors = kindColors([...d.kinds.keys()]);
  const styles = kindStyles(d, colors);
  const cfg = { left: l.left, right: l.right, top: l.top, height: l.height, end: l.end, k: l.k };
  const labels = l.nodes.map((id) => `<div class="lane-label" data-node="${esc(id)}" style="top:${l.y(id) - 9}px" title="${esc(id)}">${esc(id)}</div>`).join('');
  const lanes = l.nodes.map((id) => `<g class="lane" data-node="${esc(id)}"><line data-t="0" data-u="${l.end}" x1="${l.left}" y1="${l.y(id)}" x2="${l.svgWidth - l.right}" y2="${l.y(id)}"/></g>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title>
<style>
${STYLE}
${styles.css}</style>
</head>
<body>
<header>
<h1>${esc(p.title)}</h1>
<p class="summary">${p.summary.map((s) => `<span>${s}</span>`).join('')}</p>
${violationHtml(p.violation)}${p.omitted}
<div class="toolbar"><button id="zoom-out" title="zoom out (-)">−</button><button id="zoom-in" title="zoom in (+)">+</button><button id="zoom-fit" title="fit the whole run in the window (0)">fit</button><button id="zoom-reset" title="initial scale">1:1</button><span id="scale">${round3(l.k)} px/ms</span><span id="hint" style="color:#888;font-size:12px">hover a shape for its fields; click a kind to hide it</span></div>
${legendHtml(d, colors)}
</header>
<div class="scroll" id="scroll"><div class="plane" id="plane" style="width:${l.svgWidth}px;height:${l.height}px">
<div class="labels" style="height:${l.height}px">${labels}</div>
<svg id="diagram" xmlns="http://www.w3.org/2000/svg" width="${l.svgWidth}" height="${l.height}" viewBox="0 0 ${l.svgWidth} ${l.height}" data-cfg="${esc(JSON.stringify(cfg))}" data-scale="${cfg.k}">
<defs>${styles.markers}</defs>
<g id="axis">${p.axis}</g>
<g id="shapes">
${d.bands.join('\n')}
${lanes}
${d.spans.join('\n')}
${d.shapes.join('\n')}
${d.marks.join('\n')}
${p.violationSvg}
</g>
</svg>
</div></div>
<div id="tip" role="tooltip" hidden></div>
<script>
${SCRIPT}
</script>
</body>
</html>
`;
}
