/**
 * Finds every machine the package exports, by walking each public subpath's exports: an object
 * with `init` and `step` functions is a machine; a factory (a function returning one) is listed
 * by name in FACTORIES and checked to really return a machine.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ExportedMachine {
  readonly module: string;
  readonly name: string;
}

/** Exported functions that build machines (their fixtures carry the built machine). */
export const FACTORIES: readonly string[] = ['pbftReplica', 'pbftClient', 'chandyLamport'];

const isMachine = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && typeof (v as { init?: unknown }).init === 'function' && typeof (v as { step?: unknown }).step === 'function';

export async function exportedMachines(): Promise<ExportedMachine[]> {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { exports: Record<string, unknown> };
  const out: ExportedMachine[] = [];
  for (const key of Object.keys(pkg.exports)) {
    if (key === './package.json' || key === '.') continue;
    const module = key.slice(2);
    if (module === 'node' || module === 'redis') continue; // adapters: no machines
    const mod = (await import(`../../src/${module}/index.ts`)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (isMachine(value) || (typeof value === 'function' && FACTORIES.includes(name))) out.push({ module, name });
    }
  }
  return out;
}
