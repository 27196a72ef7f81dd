// Every `//=> value` claim in the API reference's examples is run and compared with the value it
// claims: an example can type-check and still be wrong, and this catches that.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { examplesOf, root, sourcesIn } from '../support/doc-check.js';
import { expectedValue, instrument, matches, type Claim } from '../support/doctest.js';

const dir = join(root, 'test/docs/.doctest');
const modules = ['core', 'clocks', 'hashing', 'consensus', 'mutex', 'election', 'txn', 'snapshot', 'resilience', 'replication', 'dataflow', 'messaging', 'sim', 'check', 'redis'];

const examples = examplesOf(modules.flatMap((m) => sourcesIn(`src/${m}`)))
  .map((e) => ({ ...e, ...instrument(e.code) }))
  .filter((e) => e.claims.length > 0);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(program: string, index: number): Promise<{ values: Map<number, { value?: unknown; threw?: string }>; error?: string }> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `example${index}.ts`);
  writeFileSync(file, `${program}\nexport {};\n`);
  const values = new Map<number, { value?: unknown; threw?: string }>();
  const g = globalThis as { __claim?: unknown; __claimThrew?: unknown };
  g.__claim = (i: number, value: unknown) => values.set(i, { value });
  g.__claimThrew = (i: number, e: unknown) => values.set(i, { threw: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await import(/* @vite-ignore */ file);
    return { values };
  } catch (e) {
    return { values, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  } finally {
    quiet.mockRestore();
  }
}

function verdict(claim: Claim, got: { value?: unknown; threw?: string } | undefined): string | undefined {
  const want = expectedValue(claim.expected);
  if (!want.ok) return `the claimed value is not an expression: //=> ${claim.expected}`;
  if (got === undefined) return 'never evaluated';
  if (got.threw !== undefined) {
    return typeof want.value === 'string' && got.threw.includes(want.value) ? undefined : `threw ${got.threw}`;
  }
  return matches(got.value, want.value) ? undefined : `gave ${JSON.stringify(got.value)}`;
}

describe('documentation claims (//=>) hold', () => {
  it('finds the claims', () => {
    expect(examples.reduce((n, e) => n + e.claims.length, 0)).toBeGreaterThan(300);
  });

  it('every claim evaluates to the value it states', async () => {
    const wrong: string[] = [];
    for (const [i, e] of examples.entries()) {
      const { values, error } = await run(e.program, i);
      e.claims.forEach((claim, k) => {
        const problem = verdict(claim, values.get(k));
        if (problem !== undefined) wrong.push(`${e.name}: ${claim.expression} //=> ${claim.expected}: ${problem}${error && !values.has(k) ? ` (${error})` : ''}`);
      });
    }
    expect(wrong).toEqual([]);
  }, 300_000);
});
