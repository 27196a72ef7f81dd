import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulate, toHtml, roleOfOutput, type SimNode, type TraceEvent } from 'distkit/sim';
import { echoMachine } from '../../src/cli/demo.js';
import { KIND_PALETTE, kindColors } from '../../src/sim/html-page.js';

const peers = ['a', 'b', 'c'];
const nodes: SimNode[] = peers.map((id) => ({ id, machine: echoMachine, config: { id, peers, rounds: 2 } }));
const run = () =>
  simulate({
    seed: 5,
    nodes,
    network: { loss: 0.2 },
    faults: [
      { at: 3, fault: { type: 'crash', node: 'c' } },
      { at: 20, fault: { type: 'restart', node: 'c' } },
      { at: 30, fault: { type: 'partition', groups: [['a'], ['b']] } },
      { at: 60, fault: { type: 'heal' } },
    ],
  });

const send = (time: number, id: number, from: string, to: string, message: unknown): TraceEvent[] => [
  { kind: 'send', time, node: from, to, id, message },
  { kind: 'deliver', time: time + 2, node: to, from, id, message },
];

/** The attribute values of `name` on every tag of the page whose class list contains `cls`. */
function attrs(html: string, cls: string, name: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<[a-z]+ ([^>]*)>/g)) {
    const a = m[1]!;
    const c = /class="([^"]*)"/.exec(a)?.[1]?.split(' ') ?? [];
    if (!c.includes(cls)) continue;
    const v = new RegExp(`${name}="([^"]*)"`).exec(a)?.[1];
    if (v !== undefined) out.push(v);
  }
  return out;
}

describe('toHtml: a self-contained, deterministic page', () => {
  it('loads nothing: no external scripts, styles, fonts or images; the script is inline', () => {
    const html = toHtml(run(), { title: 'x <y>' });
    expect(html).not.toMatch(/<link|@import|url\((?!#)|src=|<img|<iframe/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain('<title>x &lt;y&gt;</title>');
  });

  it('the same run gives the same bytes', () => {
    expect(toHtml(run())).toBe(toHtml(run()));
  });

  it('escapes hostile node names and message types', () => {
    const evil = '"><script>alert(1)</script>';
    const html = toHtml([...send(0, 0, evil, '__proto__', { type: evil, x: evil })]);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain('data-node="&quot;&gt;&lt;script&gt;');
    expect(html.match(/class="lane"/g)).toHaveLength(2);
  });
});

describe('toHtml: message kinds', () => {
  const trace = [...send(0, 0, 'a', 'b', { type: 'append', term: 2, entries: [1, 2, 3] }), ...send(5, 1, 'b', 'a', { type: 'appendResponse', term: 2 }), ...send(10, 2, 'a', 'b', { type: 'heartbeat', term: 2 }), ...send(12, 3, 'a', 'c', { type: 'heartbeat', term: 2 })];

  it('the legend has one entry per type with its count, and arrows take their kind`s class', () => {
    const html = toHtml(trace);
    expect(attrs(html, 'kind', 'data-type')).toEqual(['append', 'appendResponse', 'heartbeat']);
    expect(html).toMatch(/data-type="heartbeat"[^>]*>.*?heartbeat <small>2<\/small>/);
    const heartbeatClass = /data-kind="(k\d+)" data-type="heartbeat"/.exec(html)![1]!;
    expect(html.match(new RegExp(`<g class="msg ${heartbeatClass}[" ]`, 'g'))).toHaveLength(2);
    // Replies are drawn thinner.
    expect(html).toMatch(/<g class="msg k\d+ reply"/);
  });

  it('each kind has its own colour and arrowhead', () => {
    const html = toHtml(trace);
    const strokes = [...html.matchAll(/\.(k\d+) line \{ stroke: (#[0-9a-f]{6}); \}/g)].map((m) => m[2]);
    expect(strokes).toHaveLength(3);
    expect(new Set(strokes).size).toBe(3);
    expect(html.match(/<marker id="a-k\d+"/g)).toHaveLength(3);
  });

  it('colours are stable (picked by the name) and distinct within a trace while the palette lasts', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: KIND_PALETTE.length }), (types) => {
        const colors = kindColors(types);
        expect(new Set(colors.values()).size).toBe(types.length);
        expect(kindColors([...types].reverse())).toEqual(colors);
      }),
    );
    // A type's colour comes from its name: alone, or first in sorted order, it always gets the same one.
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 30 }), (types) => {
        const first = [...types].sort()[0]!;
        expect(kindColors(types).get(first)).toBe(kindColors([first]).get(first));
      }),
    );
    expect(kindColors(['heartbeat']).get('heartbeat')).toBe(kindColors(['zzz', 'heartbeat']).get('heartbeat'));
  });

  it('tooltips list the fields, not raw JSON', () => {
    const html = toHtml(trace);
    const tip = attrs(html, 'msg', 'data-tip')[0]!;
    expect(tip).toContain('append  a → b');
    expect(tip).toContain('term: 2');
    expect(tip).toContain('entries: [1, 2, 3] (3)');
    expect(tip).toContain('sent: 0 ms');
    expect(tip).not.toContain('{&quot;type');
  });
});

describe('toHtml: roles, faults, partitions, violation', () => {
  it('role outputs mark the change and draw the leader`s span until it steps down or crashes', () => {
    const trace: TraceEvent[] = [
      { kind: 'output', time: 1, node: 'a', output: { type: 'role', role: 'candidate', term: 1 } },
      { kind: 'output', time: 3, node: 'a', output: { type: 'role', role: 'leader', term: 1, leader: 'a' } },
      { kind: 'output', time: 3, node: 'b', output: { type: 'role', role: 'follower', term: 1, leader: 'a' } },
      { kind: 'fault', time: 50, fault: { type: 'crash', node: 'a' } },
      { kind: 'fault', time: 70, fault: { type: 'restart', node: 'a' } },
      { kind: 'output', time: 90, node: 'b', output: { type: 'leader', leader: 'b' } },
    ];
    const html = toHtml(trace);
    expect(attrs(html, 'role-leader', 'data-t')).toEqual(['3', '90', '3', '90']); // the two spans, then the two marks
    expect(attrs(html, 'role-span', 'data-u')).toEqual(['3', '50', '90']);
    expect(html).toContain('<text x="6" y="-8">leader t1</text>');
    expect(attrs(html, 'role-crashed', 'data-t')).toEqual(['50']);
    expect(attrs(html, 'role-restarted', 'data-t')).toEqual(['70']);
    expect(attrs(html, 'crash', 'data-u')).toEqual(['70']);
  });

  it('roleOfOutput reads role and leader outputs; a custom reader replaces it', () => {
    expect(roleOfOutput({ type: 'role', role: 'leader', term: 2, leader: 'a' }, 'a')).toBe('leader');
    expect(roleOfOutput({ type: 'leader', leader: 'a' }, 'a')).toBe('leader');
    expect(roleOfOutput({ type: 'leader', term: 4 }, 'b')).toBe('leader');
    expect(roleOfOutput({ type: 'leader', leader: 'a' }, 'b')).toBe('follower');
    expect(roleOfOutput(null, 'a')).toBeUndefined();
    expect(roleOfOutput({ type: 'role', role: 7 }, 'a')).toBeUndefined();
    const trace: TraceEvent[] = [{ kind: 'output', time: 1, node: 'a', output: { type: 'primary' } }];
    expect(attrs(toHtml(trace), 'role-mark', 'data-t')).toEqual([]);
    expect(attrs(toHtml(trace, { role: (o) => ((o as { type: string }).type === 'primary' ? 'primary' : undefined) }), 'role-other', 'data-t')).toEqual(['1', '1']);
  });

  it('a partition shades every lane by its side and letters the sides; nodes in no group form one more side', () => {
    const trace: TraceEvent[] = [
      ...send(0, 0, 'a', 'b', { type: 'x' }),
      ...send(0, 1, 'c', 'd', { type: 'x' }),
      { kind: 'fault', time: 10, fault: { type: 'partition', groups: [['a', 'c'], ['b']] } },
      { kind: 'fault', time: 30, fault: { type: 'heal' } },
      { kind: 'fault', time: 40, fault: { type: 'partition', groups: [['a'], ['b', 'c', 'd']] } },
    ];
    const html = toHtml(trace);
    const sides = [...html.matchAll(/<text class="side-label"[^>]*>([A-Z])<\/text>/g)].map((m) => m[1]);
    expect(sides).toEqual(['A', 'B', 'A', 'C', 'A', 'B', 'B', 'B']); // lanes a b c d, twice
    expect(attrs(html, 'side', 'data-u')).toEqual(['30', '30', '30', '30', '40', '40', '40', '40']);
    expect(attrs(html, 'side', 'data-tip')[3]).toContain('d on side C of a partition');
    expect(attrs(html, 'side', 'data-tip')[7]).toContain('to: the end (not healed)');
  });

  it('marks the violation with an id the page scrolls to', async () => {
    const { naiveLeaderMachine, oneLeaderPerTerm } = await import('../../src/cli/demo.js');
    const r = simulate({ seed: 10, nodes: peers.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers } })), network: { loss: 0.3 }, invariants: [oneLeaderPerTerm] });
    expect(r.ok).toBe(false);
    const html = toHtml(r);
    expect(html.match(/id="violation"/g)).toHaveLength(1);
    expect(html).toContain('<p class="violation-text">Violation of <b>at most one leader per term</b>');
    expect(html).toContain("scrollIntoView({ block: 'nearest', inline: 'center' })");
  });
});

describe('toHtml: limits', () => {
  it('draws at most maxMessages shapes and says how many were left out', () => {
    const html = toHtml(run(), { maxMessages: 10 });
    expect(html.match(/<g class="msg/g)).toHaveLength(10);
    expect(html).toMatch(/\d+ later messages and events not drawn/);
  });

  it('renders a bare trace too (lanes from the events)', () => {
    const html = toHtml([{ kind: 'send', time: 0, node: 'x', to: 'y', id: 0, message: 'm' }, { kind: 'deliver', time: 2, node: 'y', from: 'x', id: 0, message: 'm' }]);
    expect(html.match(/class="lane"/g)).toHaveLength(2);
  });
});
