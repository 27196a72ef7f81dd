// Imports every subpath of the built package from ESM and CommonJS, as a consumer would.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const subpaths = ['', '/core', '/clocks', '/hashing', '/consensus', '/mutex', '/election', '/txn', '/snapshot', '/resilience', '/sim', '/check', '/node', '/redis'];
let failed = false;
for (const sub of subpaths) {
  const name = `distkit${sub}`;
  const esm = await import(name);
  const cjs = require(name);
  const a = Object.keys(esm).filter((k) => k !== 'default').sort();
  const b = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    failed = true;
    console.error(`${name}: ESM and CJS export different names:\n  esm ${a.join(',')}\n  cjs ${b.join(',')}`);
  } else console.log(`${name}: ${a.length} exports (ESM = CJS)`);
}
if (failed) process.exit(1);
