// Fails when the isomorphic code (src/ outside node/, redis/ and cli/) reads the real clock or randomness,
// or imports a Node module. src/core/system.ts is the single allowed provider of real-world defaults.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import process from 'node:process';

const root = process.argv[2] ? join(process.argv[2], 'src/') : new URL('../src/', import.meta.url).pathname;
const allowed = new Set(['core/system.ts']);
const skipDirs = new Set(['node', 'redis', 'cli']);
const rules = [
  { re: /\bDate\.now\s*\(/, what: 'Date.now()' },
  { re: /\bnew\s+Date\s*\(\s*\)/, what: 'new Date()' },
  { re: /\bMath\.random\s*\(/, what: 'Math.random()' },
  { re: /\bperformance\.now\s*\(/, what: 'performance.now()' },
  { re: /\b(?:from|import|require)\s*\(?\s*['"](?:node:[\w/]+|fs|path|net|os|child_process|worker_threads|crypto|http|https|tls|dgram|url|util|stream|events|buffer|zlib)(?:\/[\w/]*)?['"]/, what: 'a Node module import' },
  { re: /\bprocess\.(?:env|hrtime|argv|exit|nextTick)\b/, what: 'process' },
];

const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const rel = relative(root, full).split(sep).join('/');
    if (statSync(full).isDirectory()) {
      if (dir === root.replace(/\/$/, '') || dir + '/' === root) {
        if (skipDirs.has(name)) continue;
      }
      walk(full);
    } else if (/\.(ts|mts|cts)$/.test(name) && !allowed.has(rel)) {
      const lines = readFileSync(full, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (/^\s*\*/.test(line)) return; // TSDoc examples may show host code
        for (const r of rules) if (r.re.test(code)) problems.push(`src/${rel}:${i + 1}: ${r.what}: ${line.trim()}`);
      });
    }
  }
}
walk(root.replace(/\/$/, ''));
if (problems.length > 0) {
  console.error(`check:purity: ${problems.length} problem(s) — time, randomness and Node modules must be inputs:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('check:purity: src/ outside node/, redis/, cli/ and core/system.ts reads no clock, no randomness and imports no Node module');
