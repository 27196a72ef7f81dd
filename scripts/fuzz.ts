/**
 * The long hostile-input sweep over every exported machine: the conformance harness with more
 * inputs and seeds than `npm test` runs.
 *
 *   npm run fuzz -- --inputs 1000000 [--seed 1] [--only raft]
 *
 * Inputs are split over the fixtures of each machine and over seeds of 10,000 inputs each. Prints
 * one line per fixture (inputs, rejected, accepted, findings) and exits 1 on any finding.
 */
import { allFixtures } from '../test/conformance/fixtures/index.js';
import { fuzzMachine, localInputFindings, type Finding } from '../test/conformance/harness.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const total = Number(arg('inputs', '100000'));
const firstSeed = Number(arg('seed', '1'));
const only = arg('only', '');
const fixtures = allFixtures.filter((f) => only === '' || f.name === only);
const names = new Set(fixtures.map((f) => f.name));
const perMachine = Math.ceil(total / Math.max(1, names.size));
const findings: Finding[] = [];
let fed = 0;
const started = performance.now();
for (const fx of fixtures) {
  const sameName = fixtures.filter((f) => f.name === fx.name).length;
  let budget = Math.ceil(perMachine / sameName);
  let seed = firstSeed;
  let rejected = 0;
  let accepted = 0;
  let inputs = 0;
  const local = localInputFindings(fx);
  findings.push(...local);
  while (budget > 0) {
    const n = Math.min(10_000, budget);
    const r = fuzzMachine(fx, { inputs: n, seed });
    rejected += r.rejected;
    accepted += r.accepted;
    inputs += n;
    findings.push(...r.findings);
    budget -= n;
    seed++;
  }
  fed += inputs;
  const label = fx.variant ? `${fx.name} (${fx.variant})` : fx.name;
  const mine = findings.filter((f) => f.detail.startsWith(label)).length;
  console.log(`${label.padEnd(44)} inputs ${String(inputs).padStart(8)}  rejected ${String(rejected).padStart(8)}  accepted ${String(accepted).padStart(8)}  findings ${mine}`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`\n${fixtures.length} fixtures of ${names.size} machines, ${fed} inputs in ${seconds} s: ${findings.length} findings`);
for (const f of findings.slice(0, 50)) console.log(`- [${f.kind}] seed ${f.seed}: ${f.detail}${f.input ? `\n    input ${f.input}` : ''}`);
process.exit(findings.length === 0 ? 0 : 1);
