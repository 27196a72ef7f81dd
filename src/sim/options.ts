// Validation of simulate() options: every problem throws a ConfigError naming the field.
import { ConfigError, describeValue } from '../core/index.js';
import type { ClockOptions, DelayModel, Fault, LinkOptions, NemesisOptions, SimNode, SimulateOptions, Workload } from './types.js';

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function nonNegative(x: unknown, field: string): void {
  if (!isFiniteNumber(x) || x < 0) throw new ConfigError(field, `must be a finite number >= 0, got ${describeValue(x)}`);
}

function probability(x: unknown, field: string): void {
  if (!isFiniteNumber(x) || x < 0 || x > 1) throw new ConfigError(field, `must be a probability in [0, 1], got ${describeValue(x)}`);
}

function range(x: unknown, field: string): void {
  if (!Array.isArray(x) || x.length !== 2) throw new ConfigError(field, `must be a [min, max] pair, got ${describeValue(x)}`);
  nonNegative(x[0], `${field}[0]`);
  nonNegative(x[1], `${field}[1]`);
  if ((x[0] as number) > (x[1] as number)) throw new ConfigError(field, `min ${x[0]} exceeds max ${x[1]}`);
}

function checkDelay(d: DelayModel, field: string): void {
  if (d === null || typeof d !== 'object') throw new ConfigError(field, `must be a delay model object, got ${describeValue(d)}`);
  if (typeof d.type === 'string' && Object.hasOwn(DELAY_KEYS, d.type)) onlyKeys(d, DELAY_KEYS[d.type], field);
  switch (d.type) {
    case 'fixed':
      nonNegative(d.ms, `${field}.ms`);
      return;
    case 'uniform':
      nonNegative(d.minMs, `${field}.minMs`);
      nonNegative(d.maxMs, `${field}.maxMs`);
      if (d.minMs > d.maxMs) throw new ConfigError(`${field}.minMs`, `exceeds maxMs (${d.minMs} > ${d.maxMs})`);
      return;
    case 'exponential':
      nonNegative(d.meanMs, `${field}.meanMs`);
      if (d.minMs !== undefined) nonNegative(d.minMs, `${field}.minMs`);
      return;
    default:
      throw new ConfigError(`${field}.type`, `must be 'fixed', 'uniform' or 'exponential', got ${describeValue((d as { type?: unknown }).type)}`);
  }
}

function checkLink(l: LinkOptions, field: string, known: readonly string[] = LINK_KEYS): void {
  object(l, field);
  onlyKeys(l, known, field);
  if (l.delay !== undefined) checkDelay(l.delay, `${field}.delay`);
  if (l.loss !== undefined) probability(l.loss, `${field}.loss`);
  if (l.duplicate !== undefined) probability(l.duplicate, `${field}.duplicate`);
  if (l.reorder !== undefined) probability(l.reorder, `${field}.reorder`);
  if (l.corrupt !== undefined) probability(l.corrupt, `${field}.corrupt`);
  if (l.reorderMaxMs !== undefined) nonNegative(l.reorderMaxMs, `${field}.reorderMaxMs`);
  if (l.fifo !== undefined && typeof l.fifo !== 'boolean') throw new ConfigError(`${field}.fifo`, `must be a boolean, got ${describeValue(l.fifo)}`);
  if (l.fifo === true && l.reorder !== undefined && l.reorder > 0) throw new ConfigError(`${field}.reorder`, 'cannot reorder a FIFO link; drop reorder or fifo');
}

// Options may come from plain JavaScript or JSON: shapes are checked too, so a wrong one is named
// instead of surfacing as a TypeError deep inside the run.
function object(x: unknown, field: string): void {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new ConfigError(field, `must be an object, got ${describeValue(x)}`);
}

// A misspelt or misplaced field (`network.links` for `links`) would otherwise be ignored silently.
// Checked on the data-shaped options only: a workload or a node is an object with behaviour and may
// carry members of its own (a workload's `observe`, say).
function onlyKeys(x: object, known: readonly string[], field: string): void {
  for (const key of Object.keys(x)) {
    if (!known.includes(key)) throw new ConfigError(field === '' ? key : `${field}.${key}`, `unknown option; known: ${known.join(', ')}`);
  }
}

const OPTION_KEYS = ['seed', 'nodes', 'network', 'links', 'clocks', 'faults', 'nemesis', 'commands', 'workload', 'invariants', 'finalChecks', 'maxTimeMs', 'maxSteps', 'stopWhen', 'onOutput', 'trace', 'lastEvents'];
const LINK_KEYS = ['delay', 'loss', 'duplicate', 'corrupt', 'reorder', 'reorderMaxMs', 'fifo'];
const OVERRIDE_KEYS = ['from', 'to', ...LINK_KEYS];
const NEMESIS_KEYS = ['crashRate', 'partitionRate', 'oneWayRate', 'pauseRate', 'slowRate', 'slowDelayMs', 'clockJumpRate', 'clockJumpMs', 'downMs', 'partitionMs', 'pauseMs', 'maxDown', 'nodes', 'fromMs', 'untilMs'];
const DELAY_KEYS: Readonly<Record<DelayModel['type'], readonly string[]>> = { fixed: ['type', 'ms'], uniform: ['type', 'minMs', 'maxMs'], exponential: ['type', 'meanMs', 'minMs'] };
const FAULT_KEYS: Readonly<Record<Fault['type'], readonly string[]>> = {
  crash: ['type', 'node'],
  restart: ['type', 'node'],
  pause: ['type', 'node'],
  resume: ['type', 'node'],
  clock: ['type', 'node', 'skewMs', 'drift'],
  oneWay: ['type', 'from', 'to'],
  partition: ['type', 'groups'],
  link: ['type', 'link'],
  heal: ['type'],
  linkReset: ['type'],
};

function list(x: unknown, field: string): void {
  if (x !== undefined && !Array.isArray(x)) throw new ConfigError(field, `must be an array, got ${describeValue(x)}`);
}

function knownNode(ids: ReadonlySet<string>, id: unknown, field: string): void {
  if (typeof id !== 'string' || !ids.has(id)) {
    throw new ConfigError(field, `unknown node id ${describeValue(id)}; known: ${[...ids].join(', ')}`);
  }
}

/** Checks a fault against the node ids. Exported for the shrinker and the CLI. */
export function checkFault(f: Fault, ids: ReadonlySet<string>, field: string): void {
  if (f === null || typeof f !== 'object') throw new ConfigError(field, `must be a fault object, got ${describeValue(f)}`);
  if (typeof f.type === 'string' && Object.hasOwn(FAULT_KEYS, f.type)) onlyKeys(f, FAULT_KEYS[f.type], field);
  switch (f.type) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
      knownNode(ids, f.node, `${field}.node`);
      return;
    case 'clock':
      knownNode(ids, f.node, `${field}.node`);
      if (f.skewMs !== undefined && !isFiniteNumber(f.skewMs)) throw new ConfigError(`${field}.skewMs`, `must be a finite number, got ${describeValue(f.skewMs)}`);
      if (f.drift !== undefined && (!isFiniteNumber(f.drift) || f.drift <= -1)) throw new ConfigError(`${field}.drift`, `must be a finite number > -1, got ${describeValue(f.drift)}`);
      return;
    case 'oneWay':
      knownNode(ids, f.from, `${field}.from`);
      knownNode(ids, f.to, `${field}.to`);
      return;
    case 'partition': {
      if (!Array.isArray(f.groups)) throw new ConfigError(`${field}.groups`, `must be an array of node id arrays, got ${describeValue(f.groups)}`);
      const seen = new Set<string>();
      f.groups.forEach((g, i) => {
        if (!Array.isArray(g)) throw new ConfigError(`${field}.groups[${i}]`, `must be an array of node ids, got ${describeValue(g)}`);
        g.forEach((id, j) => {
          knownNode(ids, id, `${field}.groups[${i}][${j}]`);
          if (seen.has(id)) throw new ConfigError(`${field}.groups[${i}][${j}]`, `node ${id} is in two groups`);
          seen.add(id);
        });
      });
      return;
    }
    case 'link': {
      const l = f.link;
      if (l === null || typeof l !== 'object') throw new ConfigError(`${field}.link`, `must be link options, got ${describeValue(l)}`);
      if (l.from !== undefined) knownNode(ids, l.from, `${field}.link.from`);
      if (l.to !== undefined) knownNode(ids, l.to, `${field}.link.to`);
      checkLink(l, `${field}.link`, OVERRIDE_KEYS);
      return;
    }
    case 'heal':
    case 'linkReset':
      return;
    default:
      throw new ConfigError(`${field}.type`, `unknown fault type ${describeValue((f as { type?: unknown }).type)}`);
  }
}

function checkNemesis(n: NemesisOptions, ids: ReadonlySet<string>): void {
  const f = 'nemesis';
  object(n, f);
  onlyKeys(n, NEMESIS_KEYS, f);
  for (const key of ['crashRate', 'partitionRate', 'oneWayRate', 'pauseRate', 'slowRate', 'slowDelayMs', 'clockJumpRate', 'clockJumpMs', 'fromMs', 'untilMs'] as const) {
    if (n[key] !== undefined) nonNegative(n[key], `${f}.${key}`);
  }
  for (const key of ['downMs', 'partitionMs', 'pauseMs'] as const) {
    if (n[key] !== undefined) range(n[key], `${f}.${key}`);
  }
  if (n.maxDown !== undefined && (!Number.isInteger(n.maxDown) || n.maxDown < 0)) {
    throw new ConfigError(`${f}.maxDown`, `must be an integer >= 0, got ${describeValue(n.maxDown)}`);
  }
  if (n.nodes !== undefined) {
    if (!Array.isArray(n.nodes)) throw new ConfigError(`${f}.nodes`, `must be an array of node ids, got ${describeValue(n.nodes)}`);
    n.nodes.forEach((id, i) => knownNode(ids, id, `${f}.nodes[${i}]`));
  }
}

/** Validates simulate() options; throws ConfigError naming the first bad field. */
export function validateOptions(o: SimulateOptions<unknown, unknown>): void {
  if (o === null || typeof o !== 'object') throw new ConfigError('options', `must be an object, got ${describeValue(o)}`);
  onlyKeys(o, OPTION_KEYS, '');
  if (!(isFiniteNumber(o.seed) || typeof o.seed === 'string')) throw new ConfigError('seed', `must be a finite number or a string, got ${describeValue(o.seed)}`);
  const ids = checkNodes(o.nodes);
  for (const key of ['links', 'faults', 'commands', 'invariants', 'finalChecks'] as const) list(o[key], key);
  if (o.network !== undefined) checkLink(o.network, 'network');
  o.links?.forEach((l, i) => {
    if (l.from !== undefined) knownNode(ids, l.from, `links[${i}].from`);
    if (l.to !== undefined) knownNode(ids, l.to, `links[${i}].to`);
    checkLink(l, `links[${i}]`, OVERRIDE_KEYS);
  });
  if (o.clocks !== undefined) checkClocks(o.clocks, ids);
  o.faults?.forEach((f, i) => {
    object(f, `faults[${i}]`);
    onlyKeys(f, ['at', 'fault'], `faults[${i}]`);
    nonNegative(f.at, `faults[${i}].at`);
    checkFault(f.fault, ids, `faults[${i}].fault`);
  });
  if (o.nemesis !== undefined) checkNemesis(o.nemesis, ids);
  o.commands?.forEach((c, i) => {
    object(c, `commands[${i}]`);
    onlyKeys(c, ['at', 'node', 'input'], `commands[${i}]`);
    nonNegative(c.at, `commands[${i}].at`);
    knownNode(ids, c.node, `commands[${i}].node`);
  });
  if (o.workload !== undefined) checkWorkload(o.workload);
  checkChecks(o);
  checkLimits(o);
}

// The nodes: a non-empty list of machines under distinct, non-empty ids. Returns the ids.
function checkNodes(nodes: readonly SimNode[]): Set<string> {
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ConfigError('nodes', `must be a non-empty array, got ${describeValue(nodes)}`);
  const ids = new Set<string>();
  nodes.forEach((n, i) => {
    if (n === null || typeof n !== 'object') throw new ConfigError(`nodes[${i}]`, `must be a node object, got ${describeValue(n)}`);
    if (typeof n.id !== 'string' || n.id === '') throw new ConfigError(`nodes[${i}].id`, `must be a non-empty string, got ${describeValue(n.id)}`);
    if (ids.has(n.id)) throw new ConfigError(`nodes[${i}].id`, `duplicate node id ${n.id}`);
    ids.add(n.id);
    if (n.startDown !== undefined && typeof n.startDown !== 'boolean') throw new ConfigError(`nodes[${i}].startDown`, `must be a boolean, got ${describeValue(n.startDown)}`);
    const m = n.machine as unknown as { init?: unknown; step?: unknown } | null;
    if (m === null || typeof m !== 'object' || typeof m.init !== 'function' || typeof m.step !== 'function') {
      throw new ConfigError(`nodes[${i}].machine`, 'must be a machine with init and step');
    }
  });
  return ids;
}

function checkClocks(clocks: Readonly<Record<string, ClockOptions>>, ids: ReadonlySet<string>): void {
  object(clocks, 'clocks');
  for (const [id, c] of Object.entries(clocks)) {
    knownNode(ids, id, `clocks.${id}`);
    object(c, `clocks.${id}`);
    onlyKeys(c, ['skewMs', 'drift'], `clocks.${id}`);
    if (c.skewMs !== undefined && !isFiniteNumber(c.skewMs)) throw new ConfigError(`clocks.${id}.skewMs`, `must be a finite number, got ${describeValue(c.skewMs)}`);
    if (c.drift !== undefined && (!isFiniteNumber(c.drift) || c.drift <= -1)) throw new ConfigError(`clocks.${id}.drift`, `must be a finite number > -1, got ${describeValue(c.drift)}`);
  }
}

function checkWorkload(w: Workload<unknown, unknown>): void {
  object(w, 'workload');
  if (typeof w.clients === 'number') {
    if (!Number.isInteger(w.clients) || w.clients < 0) throw new ConfigError('workload.clients', `must be an integer >= 0 or a list of names, got ${describeValue(w.clients)}`);
  } else if (!Array.isArray(w.clients) || w.clients.some((c) => typeof c !== 'string' || c === '') || new Set(w.clients).size !== w.clients.length) {
    throw new ConfigError('workload.clients', 'must be a count or a list of distinct non-empty names');
  }
  if (w.operations !== undefined && (!Number.isInteger(w.operations) || w.operations < 0)) throw new ConfigError('workload.operations', `must be an integer >= 0, got ${describeValue(w.operations)}`);
  if (w.startMs !== undefined) nonNegative(w.startMs, 'workload.startMs');
  if (w.thinkMs !== undefined) nonNegative(w.thinkMs, 'workload.thinkMs');
  if (w.timeoutMs !== undefined && (!isFiniteNumber(w.timeoutMs) || w.timeoutMs <= 0)) throw new ConfigError('workload.timeoutMs', `must be a number > 0, got ${describeValue(w.timeoutMs)}`);
  for (const fn of ['generate', 'command', 'complete'] as const) {
    if (typeof w[fn] !== 'function') throw new ConfigError(`workload.${fn}`, 'must be a function');
  }
}

// Invariants and final checks: each a { name, check } object.
function checkChecks(o: SimulateOptions<unknown, unknown>): void {
  const named = (c: { name?: unknown; check?: unknown } | null): boolean => c !== null && typeof c === 'object' && typeof c.name === 'string' && typeof c.check === 'function';
  o.invariants?.forEach((inv, i) => {
    if (!named(inv)) throw new ConfigError(`invariants[${i}]`, 'must be { name: string, check(states, view) }');
  });
  o.finalChecks?.forEach((c, i) => {
    if (!named(c)) throw new ConfigError(`finalChecks[${i}]`, 'must be { name: string, check(end) }');
  });
}

function checkLimits(o: SimulateOptions<unknown, unknown>): void {
  if (o.maxTimeMs !== undefined && (!isFiniteNumber(o.maxTimeMs) || o.maxTimeMs < 0)) throw new ConfigError('maxTimeMs', `must be a finite number >= 0, got ${describeValue(o.maxTimeMs)}`);
  if (o.maxSteps !== undefined && (!Number.isInteger(o.maxSteps) || o.maxSteps < 0)) throw new ConfigError('maxSteps', `must be an integer >= 0, got ${describeValue(o.maxSteps)}`);
  if (o.lastEvents !== undefined && (!Number.isInteger(o.lastEvents) || o.lastEvents < 0)) throw new ConfigError('lastEvents', `must be an integer >= 0, got ${describeValue(o.lastEvents)}`);
}
