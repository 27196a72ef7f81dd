// Four MapReduce programs from the course notes' exercises, run through distkit's coordinator and
// worker machines with the in-process executor: word count, an inverted index, PageRank (one job
// per iteration) and log analysis (counters, a combiner and a range partitioner for sorted output).
//
//   node --import tsx examples/mapreduce-programs.ts
import { pathToFileURL } from 'node:url';
import { MapReduce, rangePartitioner, runMapReduce, sampleBoundaries, type MapReduceFunctions, type TaskContext } from 'distkit/dataflow';

/** Word count (the notes' `word_count_mapper` / `word_count_reducer`), with a combiner. */
export const wordCount: MapReduceFunctions<string, string, number, number> = {
  map: (line) => line.split(/\s+/).filter(Boolean).map((word): [string, number] => [word.toLowerCase(), 1]),
  combine: (_word, counts) => counts.reduce((a, b) => a + b, 0),
  reduce: (_word, counts) => counts.reduce((a, b) => a + b, 0),
};

/** A document for the inverted index. */
export interface Doc {
  readonly name: string;
  readonly text: string;
}

/** Inverted index (§2.3): word → the sorted names of the documents that contain it. */
export const invertedIndex: MapReduceFunctions<Doc, string, string, string[]> = {
  *map(doc) {
    for (const word of new Set(doc.text.split(/\W+/).filter(Boolean).map((w) => w.toLowerCase()))) yield [word, doc.name];
  },
  reduce: (_word, names) => [...new Set(names)].sort(),
};

/** A page of the link graph, with its current rank. */
export interface Page {
  readonly id: string;
  readonly rank: number;
  readonly links: readonly string[];
}

type RankMessage = { readonly links: readonly string[] } | { readonly share: number };

/**
 * One PageRank iteration as a MapReduce job (Page, Brin et al. 1999): each page sends
 * `rank / outDegree` to every page it links to and its link list to itself; a page's new rank is
 * `(1 - d) / N + d × Σ shares`. A dangling page spreads its rank over every page.
 */
export function pageRankStep(n: number, damping = 0.85, allIds: readonly string[] = []): MapReduceFunctions<Page, string, RankMessage, Page> {
  return {
    *map(page) {
      yield [page.id, { links: page.links }];
      const targets = page.links.length > 0 ? page.links : allIds;
      for (const to of targets) yield [to, { share: page.rank / targets.length }];
    },
    reduce(id, messages) {
      let links: readonly string[] = [];
      let sum = 0;
      for (const m of messages) {
        if ('links' in m) links = m.links;
        else sum += m.share;
      }
      return { id, links, rank: (1 - damping) / n + damping * sum };
    },
  };
}

/** PageRank by iterated jobs: the reduce output of one iteration is the map input of the next. */
export function pageRank(links: Readonly<Record<string, readonly string[]>>, iterations: number, workers = 4): Map<string, number> {
  const ids = Object.keys(links).sort();
  let pages: Page[] = ids.map((id) => ({ id, rank: 1 / ids.length, links: links[id]! }));
  for (let i = 0; i < iterations; i++) {
    pages = [...runMapReduce(pageRankStep(ids.length, 0.85, ids), pages, { workers }).output.values()];
  }
  return new Map(pages.map((p) => [p.id, p.rank]));
}

/** Log analysis: requests and bytes per status class; malformed lines are counted, not fatal. */
export const statusBytes: MapReduceFunctions<string, string, [number, number], { requests: number; bytes: number }> = {
  map(line: string, ctx: TaskContext) {
    const m = /^\S+ \S+ \S+ \[[^\]]+\] "[^"]*" (\d{3}) (\d+|-)$/.exec(line);
    if (m === null) {
      ctx.count('malformed lines');
      return [];
    }
    ctx.count('requests');
    return [[`${m[1]![0]}xx`, [1, m[2] === '-' ? 0 : Number(m[2])]]];
  },
  combine: (_k, xs) => xs.reduce<[number, number]>((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]),
  reduce: (_k, xs) => {
    const [requests, bytes] = xs.reduce<[number, number]>((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
    return { requests, bytes };
  },
};

/** Log analysis: hits per path, totally ordered across partitions by a sampled range partitioner. */
export function hitsByPath(lines: readonly string[], partitions: number): { output: Map<string, number>; partitions: readonly (readonly (readonly [string, number])[])[] } {
  const pathOf = (line: string) => /"[A-Z]+ (\S+)/.exec(line)?.[1];
  const sample = lines.filter((_l, i) => i % 10 === 0).flatMap((l) => pathOf(l) ?? []);
  const fns: MapReduceFunctions<string, string, number, number> = {
    map: (line) => {
      const p = pathOf(line);
      return p === undefined ? [] : [[p, 1]];
    },
    combine: (_p, xs) => xs.reduce((a, b) => a + b, 0),
    reduce: (_p, xs) => xs.reduce((a, b) => a + b, 0),
    partition: rangePartitioner(sampleBoundaries(sample, partitions)),
  };
  const r = runMapReduce(fns, lines, { workers: 3, partitions });
  return { output: r.output, partitions: r.partitions };
}

/** A few lines of an access log in the Common Log Format. */
export const ACCESS_LOG = [
  '10.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 5120',
  '10.0.0.2 - - [07/Dec/2026:10:00:01 +0000] "GET /about.html HTTP/1.1" 200 2048',
  '10.0.0.1 - - [07/Dec/2026:10:00:02 +0000] "GET /missing HTTP/1.1" 404 512',
  'garbage line',
  '10.0.0.3 - - [07/Dec/2026:10:00:03 +0000] "POST /api/orders HTTP/1.1" 500 -',
  '10.0.0.2 - - [07/Dec/2026:10:00:04 +0000] "GET /index.html HTTP/1.1" 304 0',
  '10.0.0.4 - - [07/Dec/2026:10:00:05 +0000] "GET /index.html HTTP/1.1" 200 5120',
];

/** Runs the four programs and prints what they computed. */
export function mapReduceDemo(print: (line: string) => void = console.log): void {
  const mapreduce = new MapReduce(4);
  const counts = mapreduce.execute(['Hello World', 'Hello MapReduce', 'World of Distributed Systems'], wordCount.map, wordCount.reduce);
  print(`word count: ${[...counts].map(([w, c]) => `${w}=${c}`).join(' ')}`);
  const index = runMapReduce(invertedIndex, [
    { name: 'a.txt', text: 'the quick brown fox' },
    { name: 'b.txt', text: 'the lazy dog' },
    { name: 'c.txt', text: 'a quick dog' },
  ]).output;
  print(`inverted index: quick -> ${index.get('quick')!.join(', ')}; dog -> ${index.get('dog')!.join(', ')}`);
  const ranks = pageRank({ a: ['b', 'c'], b: ['c'], c: ['a'], d: ['c'] }, 20);
  print(`pagerank: ${[...ranks].map(([p, r]) => `${p}=${r.toFixed(3)}`).join(' ')}`);
  const status = runMapReduce(statusBytes, ACCESS_LOG, { workers: 2 });
  print(`log analysis: ${[...status.output].sort().map(([k, v]) => `${k}: ${v.requests} requests, ${v.bytes} bytes`).join('; ')}`);
  print(`counters: ${JSON.stringify(status.counters)}`);
  print(`hits by path (sorted over 2 partitions): ${[...hitsByPath(ACCESS_LOG, 2).output].map(([p, n]) => `${p}=${n}`).join(' ')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) mapReduceDemo();
