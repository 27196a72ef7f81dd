// Vector-clock merge and compare at 5 and 50 entries, side by side with @thi.ng/vclock and vectorclock.
import * as thing from '@thi.ng/vclock';
import { createRequire } from 'node:module';
import { compareVectorClocks, mergeVectorClocks, type VectorClock } from '../src/clocks/index.js';
import { compareOps, consume, opsFigure, ratio, type Figures } from './lib.js';

const require = createRequire(import.meta.url);
const vectorclock = require('vectorclock') as {
  merge(a: object, b: object): object;
  compare(a: object, b: object): number;
};

// Pairs of clocks over the same n node ids, as replicas exchanging gossip hold them: half the pairs
// ordered (b = a plus a few events), half concurrent (each side has events the other lacks). Clocks
// travel as JSON, so each one is JSON-parsed as a receiver would get it.
function pairs(n: number, count: number, seed: number): [VectorClock, VectorClock][] {
  let s = seed >>> 0;
  const rnd = (k: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 0x100000000) * k);
  };
  const ids = Array.from({ length: n }, (_, i) => `node-${i}`);
  const out: [VectorClock, VectorClock][] = [];
  for (let j = 0; j < count; j++) {
    const a: Record<string, number> = {};
    for (const id of ids) a[id] = 1000 + rnd(50);
    const b: Record<string, number> = { ...a };
    const x = ids[rnd(n)]!;
    b[x] = b[x]! + 1 + rnd(3);
    if (j % 2 === 1) {
      let y = ids[rnd(n)]!;
      if (y === x) y = ids[(ids.indexOf(x) + 1) % n]!;
      b[y] = b[y]! - 1;
    }
    const wire = (vc: Record<string, number>) => JSON.parse(JSON.stringify(vc)) as VectorClock;
    out.push(j % 4 < 2 ? [wire(a), wire(b)] : [wire(b), wire(a)]);
  }
  return out;
}

export default async function (): Promise<Figures> {
  const figures: Figures = {};
  for (const n of [5, 50]) {
    const ps = pairs(n, 64, n);
    const at = (i: number): [VectorClock, VectorClock] => ps[i & 63]!;
    const merge = compareOps(
      {
        distkit: (i) => {
          const [a, b] = at(i);
          consume(mergeVectorClocks(a, b));
        },
        thing: (i) => {
          const [a, b] = at(i);
          consume(thing.merge(a, b));
        },
        vectorclock: (i) => {
          const [a, b] = at(i);
          consume(vectorclock.merge(a, b));
        },
      },
      { timeMs: 1500, samples: 10 },
    );
    const compare = compareOps(
      {
        distkit: (i) => {
          const [a, b] = at(i);
          consume(compareVectorClocks(a, b));
        },
        thing: (i) => {
          const [a, b] = at(i);
          consume(thing.compare(a, b));
        },
        vectorclock: (i) => {
          const [a, b] = at(i);
          consume(vectorclock.compare(a, b));
        },
      },
      { timeMs: 1500, samples: 10 },
    );
    for (const [op, r] of [
      ['merge', merge],
      ['compare', compare],
    ] as const) {
      const key = `clocks.vector.${op}.n${n}`;
      figures[key] = opsFigure(r.distkit!);
      figures[`${key}.thi-ng-vclock`] = opsFigure(r.thing!);
      figures[`${key}.vectorclock`] = opsFigure(r.vectorclock!);
      figures[`${key}.vs.thi-ng-vclock`] = ratio(r.distkit!, r.thing!);
      figures[`${key}.vs.vectorclock`] = ratio(r.distkit!, r.vectorclock!);
    }
  }
  return figures;
}
