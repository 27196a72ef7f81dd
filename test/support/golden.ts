/**
 * Golden transcript tests in the style of etcd-io/raft's datadriven testdata: a script of
 * commands, each followed by `----` and the transcript it produced. `UPDATE_GOLDEN=1 npx vitest
 * run <file>` rewrites the expected transcripts from the current code; otherwise the test fails
 * on any difference.
 *
 * Commands (one per block, blocks separated by a blank line):
 *   input <node> <json>      a local command (stamped with the cluster's clock)
 *   tick <node>              tick a node at the current time
 *   tick-next [node ...]     move the clock to the earliest deadline and tick the nodes due
 *   advance <ms>             move the clock
 *   deliver [from [to]]      deliver the messages in flight (optionally only from/to)
 *   drop [from [to]]         drop the messages in flight (optionally only from/to)
 *   stabilize                deliver until nothing is in flight
 *   crash <node> / restart <node>
 *   state <node> [field ...] print the node's state (or some fields of it) as JSON
 *   # ...                    a comment line (kept, no output)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { createTestCluster, type ClusterNode, type InFlight, type TestCluster } from '../../src/sim/index.js';

export interface GoldenCommandContext {
  readonly cluster: TestCluster;
  readonly args: readonly string[];
  readonly rest: string;
}

export type ExtraCommands = Readonly<Record<string, (ctx: GoldenCommandContext) => string[] | void>>;

interface Block {
  readonly comments: string[];
  readonly command: string;
}

function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let comments: string[] = [];
  let inOutput = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (inOutput) {
      if (line === '') inOutput = false;
      continue;
    }
    if (line === '') continue;
    if (line.startsWith('#')) {
      comments.push(line);
      continue;
    }
    if (line === '----') {
      inOutput = true;
      continue;
    }
    blocks.push({ comments, command: line });
    comments = [];
  }
  if (comments.length > 0) blocks.push({ comments, command: '' });
  return blocks;
}

const matches = (args: readonly string[]) => (m: InFlight) =>
  (args[0] === undefined || m.from === args[0]) && (args[1] === undefined || m.to === args[1]);

function pick(state: unknown, fields: readonly string[]): unknown {
  if (fields.length === 0) return state;
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = (state as Record<string, unknown>)[f];
  return out;
}

function run(cluster: TestCluster, command: string, extra: ExtraCommands): string[] {
  const [name = '', ...args] = command.split(/\s+/);
  const rest = command.slice(name.length).trim();
  const start = cluster.transcript.length;
  let printed: string[] = [];
  switch (name) {
    case 'input': {
      const node = args[0]!;
      cluster.input(node, JSON.parse(rest.slice(node.length).trim()) as unknown);
      break;
    }
    case 'tick':
      cluster.tick(args[0]!);
      break;
    case 'tick-next':
      if (!cluster.tickNext(args.length > 0 ? args : undefined)) printed.push('no deadline');
      break;
    case 'advance':
      cluster.advance(Number(args[0]));
      break;
    case 'deliver':
      cluster.deliver(args.length > 0 ? matches(args) : undefined);
      break;
    case 'drop':
      cluster.drop(matches(args));
      break;
    case 'stabilize':
      cluster.stabilize();
      break;
    case 'crash':
      cluster.crash(args[0]!);
      break;
    case 'restart':
      cluster.restart(args[0]!);
      break;
    case 'state':
      printed.push(JSON.stringify(pick(cluster.state(args[0]!), args.slice(1))));
      break;
    default: {
      const handler = extra[name];
      if (handler === undefined) throw new Error(`unknown golden command ${JSON.stringify(name)}`);
      printed = handler({ cluster, args, rest }) ?? [];
    }
  }
  const lines = cluster.transcript.slice(start);
  return [...lines, ...printed];
}

/**
 * Runs a golden script against a fresh cluster and compares (or, with UPDATE_GOLDEN=1, rewrites)
 * its transcript.
 */
export function runGolden(file: string, nodes: readonly ClusterNode[], extra: ExtraCommands = {}): void {
  const text = readFileSync(file, 'utf8');
  const cluster = createTestCluster({ nodes });
  const out: string[] = [];
  for (const b of parseBlocks(text)) {
    out.push(...b.comments);
    if (b.command === '') continue;
    const lines = run(cluster, b.command, extra);
    out.push(b.command, '----', ...(lines.length > 0 ? lines : ['ok']), '');
  }
  const actual = out.join('\n').replace(/\n+$/, '') + '\n';
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(text);
}
