// Fails when a function in src/ is longer than the limit (80 lines), unless its body is one flat
// `switch` dispatch. `--list N` prints the N longest functions instead of checking.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import process from 'node:process';
import ts from 'typescript';

export const LIMIT = 80;
/** A flat dispatch's case: a call or two, at most this many lines. */
const CASE_LINES = 6;
const args = process.argv.slice(2);
const listAt = args.indexOf('--list');
const list = listAt >= 0 ? Number(args[listAt + 1] ?? 20) : 0;
const rootArg = args.find((a, i) => !a.startsWith('--') && (listAt < 0 || i !== listAt + 1));
const root = join(rootArg ?? new URL('..', import.meta.url).pathname, 'src');

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : /\.(ts|mts|cts)$/.test(name) ? [full] : [];
  });
}

/** A body that is only a `switch` (after at most three other statements) whose cases are each a few lines. */
function isFlatSwitch(body, sf) {
  if (body === undefined || !ts.isBlock(body)) return false;
  const stmts = body.statements;
  const sw = stmts.filter((s) => ts.isSwitchStatement(s));
  if (sw.length !== 1) return false;
  const others = stmts.filter((s) => !ts.isSwitchStatement(s));
  if (others.length > 3) return false;
  const span = (n) => sf.getLineAndCharacterOfPosition(n.end).line - sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  return sw[0].caseBlock.clauses.every((c) => span(c) <= CASE_LINES);
}

function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) return p.name.getText(sf);
  return '(anonymous)';
}

const found = [];
for (const file of files(root)) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const lines = end - start + 1;
      found.push({ where: `src/${relative(root, file).split(sep).join('/')}:${start + 1}`, name: nameOf(node, sf), lines, flat: isFlatSwitch(node.body, sf) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
found.sort((a, b) => b.lines - a.lines);
if (list > 0) {
  for (const f of found.slice(0, list)) console.log(`${String(f.lines).padStart(5)}  ${f.where}  ${f.name}${f.flat ? '  (flat switch)' : ''}`);
  process.exit(0);
}
const long = found.filter((f) => f.lines > LIMIT && !f.flat);
if (long.length > 0) {
  console.error(`check:functions: ${long.length} function(s) over ${LIMIT} lines (split them, or make the body one flat switch):\n${long.map((f) => `${f.where} ${f.name}: ${f.lines} lines`).join('\n')}`);
  process.exit(1);
}
console.log(`check:functions: no function in src/ is over ${LIMIT} lines except flat switch dispatches`);
