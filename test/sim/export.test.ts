import { describe, expect, it } from 'vitest';
import { ConfigError } from 'distkit/core';
import {
  SHIVIZ_REGEX,
  fromJsonLines,
  simulate,
  toJsonLines,
  toMermaid,
  toShiViz,
  type SimNode,
  type TraceEvent,
} from 'distkit/sim';
import { echoMachine } from '../../src/cli/demo.js';

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
      { at: 30, fault: { type: 'partition', groups: [['a'], ['b', 'c']] } },
      { at: 60, fault: { type: 'heal' } },
    ],
  });

describe('JSON lines', () => {
  it('round-trips and is byte-identical across runs', () => {
    const r = run();
    const text = toJsonLines(r.trace);
    expect(text).toBe(toJsonLines(run().trace));
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(r.trace.length + 1);
    expect(fromJsonLines(text)).toEqual(JSON.parse(JSON.stringify(r.trace)));
  });

  it('rejects a bad line with a ConfigError naming it', () => {
    expect(() => fromJsonLines('{"kind":"tick","time":1,"node":"a","now":1}\nnot json')).toThrow(ConfigError);
    expect(() => fromJsonLines('{"kind":"bogus","time":1}')).toThrow(/line 1/);
    expect(() => fromJsonLines('[1,2]')).toThrow(/line 1/);
  });
});

describe('ShiViz', () => {
  it('every line matches the documented regex and vector clocks respect causality', () => {
    const r = run();
    const log = toShiViz(r.trace);
    const re = new RegExp(`^${SHIVIZ_REGEX}$`);
    const lines = log.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    const last = new Map<string, Record<string, number>>();
    for (const line of lines) {
      const m = re.exec(line);
      expect(m, line).not.toBeNull();
      const host = m!.groups!.host!;
      const clock = JSON.parse(m!.groups!.clock!) as Record<string, number>;
      const prev = last.get(host) ?? {};
      // Own entry increments by exactly one; no entry ever decreases.
      expect(clock[host]).toBe((prev[host] ?? 0) + 1);
      for (const k of Object.keys(prev)) expect(clock[k]!).toBeGreaterThanOrEqual(prev[k]!);
      last.set(host, clock);
    }
  });

  it('a delivery merges the sender clock at the send', () => {
    const trace: TraceEvent[] = [
      { kind: 'send', time: 0, node: 'a', to: 'b', id: 0, message: { type: 'ping' } },
      { kind: 'output', time: 1, node: 'a', output: { type: 'x' } },
      { kind: 'deliver', time: 3, node: 'b', from: 'a', id: 0, message: { type: 'ping' } },
    ];
    const lines = toShiViz(trace, { header: true }).split('\n');
    expect(lines[0]).toBe(SHIVIZ_REGEX);
    expect(lines[1]).toBe('');
    expect(lines[4]).toBe('b "deliver ping from a @3ms" {"a":1,"b":1}');
  });
});

describe('Mermaid', () => {
  it('has a participant per node, an arrow per delivery and crossed arrows for drops', () => {
    const r = run();
    const text = toMermaid(r.trace, { maxEvents: 10_000 });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('sequenceDiagram');
    expect(lines.filter((l) => l.trim().startsWith('participant'))).toHaveLength(3);
    expect(lines.filter((l) => l.includes('->>'))).toHaveLength(r.stats.messages.delivered);
    const drops = r.trace.filter((e) => e.kind === 'drop').length;
    expect(lines.filter((l) => l.includes('-x'))).toHaveLength(drops);
    expect(text).toContain('Note over n2: crash c');
    // No statement separators or comments can leak from message text.
    for (const l of lines.slice(1)) expect(l).not.toMatch(/[;#]/);
  });

  it('caps the diagram and says how much was left out', () => {
    const r = run();
    const text = toMermaid(r.trace, { maxEvents: 5 });
    expect(text).toMatch(/more events not shown/);
  });
});

describe('text reports', () => {
  it('describeEvent covers every kind and formatViolation names seed, time, invariant and events', async () => {
    const { describeEvent, formatViolation } = await import('distkit/sim');
    const { naiveLeaderMachine, oneLeaderPerTerm } = await import('../../src/cli/demo.js');
    const peers = ['a', 'b', 'c'];
    const r = simulate({ seed: 10, nodes: peers.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers } })), network: { loss: 0.3 }, invariants: [oneLeaderPerTerm] });
    const text = formatViolation(r.violation!, 5);
    expect(text).toMatch(/^invariant "at most one leader per term" violated at [\d.]+ ms \(step \d+, seed 10\): \w+ and \w+ are both leaders/);
    expect(text.split('\n')).toHaveLength(1 + 1 + 5 + 1);
    const all: TraceEvent[] = [
      { kind: 'send', time: 0, node: 'a', to: 'b', id: 0, message: { type: 'ping' }, copies: 2 },
      { kind: 'deliver', time: 1, node: 'b', from: 'a', id: 0, message: { type: 'ping' }, corrupted: true },
      { kind: 'drop', time: 1, node: 'a', from: 'a', to: 'b', id: 0, message: 'm', reason: 'loss' },
      { kind: 'tick', time: 2, node: 'a', now: 2 },
      { kind: 'command', time: 3, node: 'a', input: { type: 'x' }, ignored: 'crashed' },
      { kind: 'output', time: 3, node: 'a', output: { type: 'y' } },
      { kind: 'persist', time: 3, node: 'a' },
      { kind: 'fault', time: 4, fault: { type: 'partition', groups: [['a'], ['b']] } },
      { kind: 'invoke', time: 5, node: 'a', client: 'c0', op: 1, input: { f: 'read' } },
      { kind: 'complete', time: 6, node: 'a', client: 'c0', op: 1, output: 3 },
      { kind: 'fail', time: 6, node: 'a', client: 'c0', op: 2 },
      { kind: 'timeout', time: 7, node: 'a', client: 'c0', op: 3 },
    ];
    const lines = all.map(describeEvent);
    expect(lines[2]).toBe('1 ms  a -> b  "m" dropped (loss)');
    expect(lines[7]).toBe('4 ms  fault: partition [a] | [b]');
    expect(lines.every((l) => /^\d+ ms {2}\S/.test(l))).toBe(true);
  });
});
