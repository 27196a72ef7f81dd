// `npm run bench` runs every bench/<module>.bench.ts; `npm run bench -- clocks hashing` runs some.
// Each module's default export returns its figures; they are merged into bench/results.json.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Figures } from './lib.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const resultsPath = join(dir, 'results.json');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const selected = wanted.length === 0 ? files : files.filter((f) => wanted.includes(f.replace(/\.bench\.ts$/, '')));
if (wanted.length > 0 && selected.length !== wanted.length) {
  const known = files.map((f) => f.replace(/\.bench\.ts$/, ''));
  console.error(`bench: unknown module(s) ${wanted.filter((w) => !known.includes(w)).join(', ')}; known: ${known.join(', ')}`);
  process.exit(2);
}

const results: Figures = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Figures) : {};
for (const file of selected) {
  const name = file.replace(/\.bench\.ts$/, '');
  console.log(`bench: ${name} ...`);
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: () => Promise<Figures> | Figures };
  const figures = await mod.default();
  for (const [key, fig] of Object.entries(figures)) {
    results[key] = fig;
    console.log(`  ${key.padEnd(56)} ${String(fig.value).padStart(14)} ${fig.unit}`);
  }
}
const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(resultsPath, JSON.stringify(sorted, null, 2) + '\n');
console.log(`bench: wrote ${Object.keys(sorted).length} figures to bench/results.json`);
