import { describe, expect, it } from 'vitest';
import { checkLinearizability, linearizabilityToHtml, registerModel, type Operation, type RegisterInput, type RegisterOutput } from 'distkit/check';

type RegOp = Operation<RegisterInput<number>, RegisterOutput<number>>;
const model = registerModel<number>();

describe('linearizabilityToHtml', () => {
  const history: RegOp[] = [
    { id: 0, client: 'a', input: { f: 'write', value: 1 }, call: 0, output: null, ret: 10 },
    { id: 1, client: 'b', input: { f: 'read' }, call: 2, output: 1, ret: 4 },
    { id: 2, client: 'c', input: { f: 'write', value: 2 }, call: 12, output: null, ret: 14 },
    { id: 3, client: 'b', input: { f: 'read' }, call: 16, output: 1, ret: 18 },
    { id: 4, client: 'd<script>', input: { f: 'write', value: 9 }, call: 1 },
  ];
  const result = checkLinearizability(model, history);
  const html = linearizabilityToHtml(history, result, { model, title: 'stale <read>' });

  it('is a standalone page with one bar per operation', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<(script|link)\b/);
    expect(html).not.toMatch(/\b(src|href)=/); // no external assets
    expect(html.match(/<g class="op"/g)).toHaveLength(5);
    expect(html).toContain('<span class="verdict-not-linearizable">not-linearizable</span>');
  });

  it('marks the prefix, the stuck operation and unknown outcomes', () => {
    expect(html).toContain('op 3 (client b): read() -&gt; 1\ncall 16, ret 18\ncannot be placed');
    expect(html).toContain('linearized #1 in partition 0');
    expect(html).toContain('stroke="#b00020"');
    expect(html).toContain('stroke-dasharray="4 3"'); // op 4 has no ret
    expect(html).toContain('unknown outcome');
  });

  it('escapes client names, titles and descriptions', () => {
    expect(html).toContain('<title>stale &lt;read&gt;</title>');
    expect(html).toContain('d&lt;script&gt;');
    expect(html).not.toContain('d<script>');
  });

  it('renders without a model and for an empty history', () => {
    const plain = linearizabilityToHtml(history, result);
    expect(plain).toContain('{&quot;f&quot;:&quot;read&quot;} -&gt; 1');
    const empty = linearizabilityToHtml([], checkLinearizability(model, []));
    expect(empty).toContain('verdict-linearizable');
  });
});
