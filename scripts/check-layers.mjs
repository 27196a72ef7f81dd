// Fails when a module under src/ imports upward or sideways. The layers (docs/architecture.md):
//   core ← algorithms (clocks, hashing, mutex, election, txn, snapshot, consensus, resilience)
//        ← composites (replication, dataflow, messaging) ← sim, check ← cli;
//   node and redis may import anything and are imported by nothing but cli.
// Each folder lists what it may import besides itself; a folder missing here fails the check.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import process from 'node:process';

const ALGORITHMS = ['clocks', 'hashing', 'mutex', 'election', 'txn', 'snapshot', 'consensus'];
const COMPOSITES = ['replication', 'dataflow', 'messaging'];
const BELOW_TOOLS = ['core', ...ALGORITHMS, 'resilience', ...COMPOSITES];
export const ALLOWED = {
  core: [],
  ...Object.fromEntries(ALGORITHMS.map((m) => [m, ['core']])),
  resilience: ['core', 'hashing', 'election'],
  replication: ['core', 'clocks', 'hashing', 'consensus', 'election'],
  dataflow: ['core', 'snapshot', 'txn', 'hashing'],
  messaging: ['core', 'consensus', 'clocks'],
  check: [...BELOW_TOOLS],
  sim: [...BELOW_TOOLS, 'check'],
  node: [...BELOW_TOOLS, 'check', 'sim', 'redis'],
  redis: [...BELOW_TOOLS, 'check', 'sim', 'node'],
  cli: [...BELOW_TOOLS, 'check', 'sim', 'node', 'redis'],
};

const root = join(process.argv[2] ?? new URL('..', import.meta.url).pathname, 'src');
const IMPORT = /(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : /\.(ts|mts|cts)$/.test(name) ? [full] : [];
  });
}

/** The top-level folder of a path under src/, or '' for src/index.ts and other root files. */
function layerOf(path) {
  const rel = relative(root, path).split(sep);
  return rel.length > 1 ? rel[0] : '';
}

const problems = [];
for (const file of files(root)) {
  const from = layerOf(file);
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    const target = normalize(join(dirname(file), spec));
    if (relative(root, target).startsWith('..')) {
      problems.push(`${relative(root, file)}: imports ${spec}, outside src/`);
      continue;
    }
    const to = layerOf(target);
    if (from === '' || to === from) continue; // the root index re-exports the public subpaths
    const allowed = ALLOWED[from];
    if (allowed === undefined) problems.push(`${relative(root, file)}: folder src/${from}/ has no place in the layers (scripts/check-layers.mjs)`);
    else if (to === '') problems.push(`${relative(root, file)}: imports the root index (${spec}); import the module itself`);
    else if (!allowed.includes(to)) problems.push(`${relative(root, file)}: ${from} may not import ${to} (${spec})`);
  }
}
if (problems.length > 0) {
  console.error(`check:layers: ${problems.length} import(s) against the layers (core ← algorithms ← composites ← sim/check ← cli):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('check:layers: every import in src/ points down the layers');
