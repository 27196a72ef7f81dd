/**
 * The generic conformance harness: drives any machine through its fixture's scripts, then feeds
 * it seeded hostile inputs from the states it reached and checks the machine contract on every
 * step. Used by the conformance test (every exported machine, in `npm test`) and by
 * `npm run fuzz` for long sweeps.
 */
import {
  ContractViolation,
  InvalidCommandError,
  Random,
  checkedStep,
  plainDataEqual,
  plainDataProblem,
  stampNow,
} from '../../src/core/index.js';
import type { MachineFixture, ScriptInput } from './fixture.js';

/** Ids named like Object.prototype members, and other awkward names. */
export const HOSTILE_IDS: readonly string[] = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '', ' ', 'x'.repeat(300)];

/** One problem the harness found. */
export interface Finding {
  readonly kind: 'throw' | 'contract' | 'roundtrip' | 'invariant' | 'flood' | 'local-input';
  readonly detail: string;
  readonly seed: number;
  readonly input?: string;
}

/** What one fuzz run of one fixture did. */
export interface FuzzReport {
  readonly fixture: string;
  readonly inputs: number;
  readonly rejected: number;
  readonly accepted: number;
  readonly startStates: number;
  readonly corpus: number;
  readonly findings: readonly Finding[];
  readonly floodBytes?: number;
}

const BIG = 2 ** 53;

/** A uniform integer in [min, max], both inclusive. */
function ri(rng: Random, min: number, max: number): number {
  return rng.int(min, max + 1);
}

function deepNest(depth: number): unknown {
  let x: unknown = 1;
  for (let i = 0; i < depth; i++) x = [x];
  return x;
}

function deepObject(depth: number): unknown {
  let x: unknown = { v: 1 };
  for (let i = 0; i < depth; i++) x = { v: x };
  return x;
}

/** Hostile scalar and structured values. Big ones are built lazily (they are costly to freeze). */
function hostileValue(rng: Random): unknown {
  const pick = ri(rng, 0, 39);
  switch (pick) {
    case 0:
      return '__proto__';
    case 1:
      return 'constructor';
    case 2:
      return 'toString';
    case 3:
      return NaN;
    case 4:
      return Infinity;
    case 5:
      return -Infinity;
    case 6:
      return -0;
    case 7:
      return BIG;
    case 8:
      return BIG - 1;
    case 9:
      return Number.MAX_SAFE_INTEGER;
    case 10:
      return -1;
    case 11:
      return 1.5;
    case 12:
      return '';
    case 13:
      return null;
    case 14:
      return undefined;
    case 15:
      return true;
    case 16:
      return {};
    case 17:
      return [];
    case 18:
      return JSON.parse('{"__proto__": {"polluted": 1}, "type": "x"}') as unknown;
    case 19:
      return { constructor: 'x', toString: 1, valueOf: null };
    case 20:
      return deepNest(ri(rng, 100, 6000));
    case 21:
      return deepObject(ri(rng, 100, 4000));
    case 22:
      return 'x'.repeat(ri(rng, 1000, 200_000));
    case 23:
      return new Array<number>(ri(rng, 1000, 100_000)).fill(1);
    case 24:
      return 1e308;
    case 25:
      return Number.MIN_SAFE_INTEGER;
    case 26:
      return [null, 'x', -1];
    case 27:
      return 0;
    case 28:
      return 1;
    case 29:
      return 2 ** 31;
    case 30:
      return 'hasOwnProperty';
    case 31:
      return 'valueOf';
    case 32:
      return { type: 'x', extra: 'y'.repeat(50_000) };
    case 33:
      return 3;
    case 34:
      return BIG - 2;
    case 35:
      return 4.000001;
    case 36:
      return [1, 2, 3];
    case 37:
      return 'a';
    case 38:
      return false;
    default:
      return { nested: { __proto__: null } };
  }
}

/** The paths of a message's fields (objects and arrays, up to depth 4, at most 64 paths). */
function fieldPaths(m: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (x: unknown, path: (string | number)[]) => {
    if (out.length >= 64 || path.length > 4) return;
    if (Array.isArray(x)) {
      x.slice(0, 4).forEach((y, i) => {
        out.push([...path, i]);
        walk(y, [...path, i]);
      });
    } else if (x !== null && typeof x === 'object') {
      for (const k of Object.keys(x)) {
        out.push([...path, k]);
        walk((x as Record<string, unknown>)[k], [...path, k]);
      }
    }
  };
  walk(m, []);
  return out;
}

function setPath(m: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  // An earlier mutation may have replaced a parent with a scalar: rebuild an object there.
  if (m === null || typeof m !== 'object') m = {};
  const [head, ...rest] = path;
  if (Array.isArray(m)) {
    const copy = m.slice();
    copy[head as number] = setPath(m[head as number], rest, value);
    return copy;
  }
  const copy = { ...(m as Record<string, unknown>) };
  Object.defineProperty(copy, head as string, {
    value: setPath((m as Record<string, unknown>)[head as string], rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

function stringValuedPaths(m: unknown): (string | number)[][] {
  return fieldPaths(m).filter((p) => {
    let x: unknown = m;
    for (const k of p) x = (x as Record<string, unknown>)[k];
    return typeof x === 'string';
  });
}

/** One hostile message, derived from the corpus or made from nothing. */
export function hostileMessage(rng: Random, corpus: readonly unknown[]): unknown {
  const base = corpus.length > 0 ? corpus[ri(rng, 0, corpus.length - 1)] : { type: 'x' };
  const r = ri(rng, 0, 99);
  if (r < 8) return hostileValue(rng); // the whole message is junk
  if (r < 13) return base; // a replay, unchanged
  if (r < 18) return { ...(base as object), type: rng.choice(['?', '__proto__', 'constructor', 'tick', 'message', 'persist']) };
  if (r < 24) {
    const extra = { ...(base as object) };
    Object.defineProperty(extra, rng.choice(['junk', '__proto__', 'constructor', 'payload']), {
      value: hostileValue(rng),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return extra;
  }
  if (r < 40) {
    // An id-like string field renamed to a prototype member.
    const paths = stringValuedPaths(base).filter((p) => p[p.length - 1] !== 'type');
    if (paths.length > 0) return setPath(base, paths[ri(rng, 0, paths.length - 1)]!, rng.choice(HOSTILE_IDS));
  }
  const paths = fieldPaths(base);
  if (paths.length === 0) return hostileValue(rng);
  let m = setPath(base, paths[ri(rng, 0, paths.length - 1)]!, hostileValue(rng));
  if ((rng.float() < 0.2) && paths.length > 1) m = setPath(m, paths[ri(rng, 0, paths.length - 1)]!, hostileValue(rng));
  return m;
}

function hostileSender(rng: Random, fx: MachineFixture): string {
  const r = ri(rng, 0, 99);
  if (r < 70 && fx.peers.length > 0) return fx.peers[ri(rng, 0, fx.peers.length - 1)]!;
  if (r < 80) return fx.self;
  if (r < 95) return rng.choice(HOSTILE_IDS);
  return `stranger-${ri(rng, 0, 1000)}`;
}

function describeInput(input: unknown): string {
  try {
    const s = JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? `${String(v)}n` : v));
    return s === undefined ? String(input) : s.length > 300 ? `${s.slice(0, 300)}…` : s;
  } catch (e) {
    return `<unprintable: ${String(e)}>`;
  }
}

interface Walker {
  state: unknown;
  now: number;
}

/** Runs the fixture's scripts; returns the states along them and the messages sent. */
export function runScripts(fx: MachineFixture): { states: unknown[]; sent: unknown[]; end: number } {
  const init = fx.machine.init(fx.config);
  const states: unknown[] = [init];
  const sent: unknown[] = [];
  const stepMs = fx.stepMs ?? 10;
  let end = 0;
  for (const script of fx.scripts ?? []) {
    let s = init;
    let now = 0;
    for (const input of script) {
      now += stepMs;
      const t = checkedStep(fx.machine, s, stampNow(input as object, now));
      s = t.state;
      states.push(s);
      for (const o of t.outputs) {
        const x = o as { type?: unknown; message?: unknown };
        if (x.type === 'send') sent.push(x.message);
      }
    }
    end = Math.max(end, now);
  }
  return { states, sent, end };
}

/**
 * Fuzzes one fixture with `inputs` hostile inputs from seed `seed`: peer messages (mutated
 * corpus messages, junk, forged and prototype-named senders), ticks, and the fixture's local
 * commands, walking from the scripted states. Every step goes through `checkedStep` and a JSON
 * round trip; peer input must never throw.
 */
export function fuzzMachine(fx: MachineFixture, options: { inputs: number; seed: number; maxFindings?: number }): FuzzReport {
  const label = fx.variant ? `${fx.name} (${fx.variant})` : fx.name;
  const findings: Finding[] = [];
  const maxFindings = options.maxFindings ?? 20;
  const { states: starts, sent, end } = runScripts(fx);
  const corpus = [...fx.messages.map((m) => m.message), ...sent];
  const rng = new Random(options.seed);
  let rejected = 0;
  let accepted = 0;
  const w: Walker = { state: starts[0], now: end + 1 };
  for (let i = 0; i < options.inputs && findings.length < maxFindings; i++) {
    if (i % 50 === 0 || (rng.float() < 0.02)) w.state = starts[ri(rng, 0, starts.length - 1)];
    w.now += ri(rng, 0, 20);
    const r = ri(rng, 0, 99);
    let input: Record<string, unknown>;
    let local = false;
    if (r < 85) {
      input = { type: 'message', from: hostileSender(rng, fx), message: hostileMessage(rng, corpus), now: w.now };
    } else if (r < 93 || (fx.commands ?? []).length === 0) {
      input = { type: 'tick', now: w.now };
      local = true;
    } else {
      input = { ...(rng.choice(fx.commands!) as object), now: w.now };
      local = true;
    }
    const before = w.state;
    let t;
    try {
      t = checkedStep(fx.machine, before, input);
    } catch (e) {
      if (local && e instanceof InvalidCommandError) continue; // a command the state does not allow
      const kind = e instanceof ContractViolation ? 'contract' : 'throw';
      findings.push({ kind, detail: `${label}: ${String(e)}`, seed: options.seed, input: describeInput(input) });
      continue;
    }
    const onlyRejected = t.outputs.length > 0 && t.outputs.every((o) => (o as { type?: unknown }).type === 'rejected');
    if (onlyRejected) rejected++;
    else accepted++;
    if (t.state !== before) {
      const text = JSON.stringify(t.state);
      if (!plainDataEqual(JSON.parse(text), t.state)) {
        findings.push({ kind: 'roundtrip', detail: `${label}: state does not survive a JSON round trip`, seed: options.seed, input: describeInput(input) });
        continue;
      }
      const problem = fx.stateProblem?.(t.state);
      if (problem !== undefined) {
        findings.push({ kind: 'invariant', detail: `${label}: ${problem}`, seed: options.seed, input: describeInput(input) });
        continue;
      }
      // Walk on from accepted states most of the time: deeper reachable states.
      if ((rng.float() < 0.8)) w.state = t.state;
    }
  }
  let floodBytes: number | undefined;
  if (fx.flood !== undefined && findings.length < maxFindings) {
    let s = starts[starts.length - 1];
    let now = end + 1;
    for (let i = 0; i < 3000; i++) {
      const m = fx.flood(i);
      now += 1;
      try {
        s = checkedStep(fx.machine, s, { type: 'message', from: m.from, message: m.message, now }).state;
      } catch (e) {
        findings.push({ kind: 'throw', detail: `${label}: flood message ${i} threw ${String(e)}`, seed: options.seed, input: describeInput(m) });
        break;
      }
    }
    floodBytes = JSON.stringify(s).length;
    const limit = fx.floodLimitBytes ?? 256 * 1024;
    if (floodBytes > limit) findings.push({ kind: 'flood', detail: `${label}: state grew to ${floodBytes} chars of JSON after 3,000 flood messages (limit ${limit})`, seed: options.seed });
  }
  return { fixture: label, inputs: options.inputs, rejected, accepted, startStates: starts.length, corpus: corpus.length, findings, ...(floodBytes === undefined ? {} : { floodBytes }) };
}

/** Local-input rules: an unknown command and a bad `now` throw `InvalidCommandError`. */
export function localInputFindings(fx: MachineFixture): Finding[] {
  const label = fx.variant ? `${fx.name} (${fx.variant})` : fx.name;
  const out: Finding[] = [];
  const s = fx.machine.init(fx.config);
  const cases: [string, unknown][] = [
    ['an unknown command', { type: 'no-such-command', now: 5 }],
    ['a tick with NaN now', { type: 'tick', now: NaN }],
    ['a tick with Infinity now', { type: 'tick', now: Infinity }],
    ['a tick without now', { type: 'tick' }],
    ['a message without now', { type: 'message', from: fx.peers[0] ?? 'x', message: fx.messages[0]?.message ?? {} }],
  ];
  for (const [what, input] of cases) {
    try {
      const t = fx.machine.step(s, input);
      out.push({ kind: 'local-input', detail: `${label}: ${what} returned ${t === undefined ? 'undefined' : 'a transition'} instead of throwing InvalidCommandError`, seed: 0 });
    } catch (e) {
      if (!(e instanceof InvalidCommandError)) out.push({ kind: 'local-input', detail: `${label}: ${what} threw ${String(e)}, not InvalidCommandError`, seed: 0 });
    }
  }
  const problem = plainDataProblem(s, 'init state');
  if (problem !== undefined) out.push({ kind: 'roundtrip', detail: `${label}: ${problem}`, seed: 0 });
  return out;
}

/** Every input a script holds, for documentation of the corpus. */
export type { ScriptInput };
