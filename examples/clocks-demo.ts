// Three nodes exchange messages over the in-memory transport, stamping each event with a Lamport
// and a vector timestamp; then they run one Berkeley synchronization round.
//
//   node --import tsx examples/clocks-demo.ts
import { pathToFileURL } from 'node:url';
import { createMemoryNetwork, createNode, type Timers, type Unstamped } from 'distkit/core';
import {
  berkeley,
  compareVectorClocks,
  createLamportClock,
  incrementVectorClock,
  lamportReceive,
  lamportSend,
  lamportTick,
  mergeVectorClocks,
  parseLamportTimestamp,
  parseVectorClock,
  EMPTY_VECTOR_CLOCK,
  type BerkeleyInput,
  type BerkeleyOutput,
  type LamportClock,
  type VectorClock,
} from 'distkit/clocks';

/** What the nodes send each other: a text with both timestamps attached. */
interface Note {
  text: string;
  lamport: unknown;
  vector: unknown;
}

const fmtVector = (vc: VectorClock) =>
  `{${Object.keys(vc)
    .sort()
    .map((k) => `${k}:${vc[k]}`)
    .join(' ')}}`;
const fmtMs = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms`;

export async function clocksDemo(print: (line: string) => void): Promise<void> {
  const ids = ['alice', 'bob', 'carol'] as const;
  type Id = (typeof ids)[number];

  print('Lamport and vector clocks: three nodes exchange messages');
  const net = createMemoryNetwork<Note>();
  const lamport = {} as Record<Id, LamportClock>;
  const vector = {} as Record<Id, VectorClock>;
  const events: { label: string; vector: VectorClock }[] = [];
  const record = (id: Id, what: string) => {
    const line = `  ${id.padEnd(5)} ${what.padEnd(28)} lamport=${lamport[id].time}  vector=${fmtVector(vector[id])}`;
    print(line);
    events.push({ label: `${id}: ${what}`, vector: vector[id] });
  };
  const local = (id: Id, what: string) => {
    lamport[id] = lamportTick(lamport[id]);
    vector[id] = incrementVectorClock(vector[id], id);
    record(id, what);
  };
  const send = (from: Id, to: Id, text: string) => {
    const s = lamportSend(lamport[from]);
    lamport[from] = s.clock;
    vector[from] = incrementVectorClock(vector[from], from);
    net.transport(from).send(to, { text, lamport: s.timestamp, vector: vector[from] });
    record(from, `sends "${text}" to ${to}`);
  };
  for (const id of ids) {
    lamport[id] = createLamportClock(id);
    vector[id] = EMPTY_VECTOR_CLOCK;
    net.transport(id).onMessage((from, note) => {
      // Timestamps from the network are untrusted: validate before merging.
      const lt = parseLamportTimestamp(note.lamport);
      const vc = parseVectorClock(note.vector);
      if (!lt.ok || !vc.ok) {
        print(`  ${id} rejects a message from ${from}: ${!lt.ok ? lt.reason : !vc.ok ? vc.reason : ''}`);
        return;
      }
      lamport[id] = lamportReceive(lamport[id], lt.value);
      vector[id] = incrementVectorClock(mergeVectorClocks(vector[id], vc.value), id);
      record(id, `receives "${note.text}" from ${from}`);
    });
  }

  local('alice', 'writes a draft');
  send('alice', 'bob', 'draft v1');
  await net.settle();
  local('carol', 'edits her own copy');
  send('bob', 'carol', 'review');
  await net.settle();
  send('carol', 'alice', 'merged');
  await net.settle();
  // A forged timestamp is refused, never merged.
  net.transport('bob').send('alice', { text: 'forged', lamport: { time: -5, node: 'bob' }, vector: { bob: 1 } });
  await net.settle();

  const draft = events.find((e) => e.label.startsWith('alice: writes'))!;
  const edit = events.find((e) => e.label.startsWith('carol: edits'))!;
  const merged = events.find((e) => e.label.startsWith('alice: receives "merged"'))!;
  print(`  "${draft.label}" vs "${edit.label}": ${compareVectorClocks(draft.vector, edit.vector)}`);
  print(`  "${edit.label}" vs "${merged.label}": ${compareVectorClocks(edit.vector, merged.vector)}`);

  print('');
  print('Berkeley algorithm: alice polls, averages, and sends each node its adjustment');
  // Virtual time: each node's clock reads its monotonic time + an offset; each network hop takes 3 ms.
  const start = 1_000;
  const hopMs = 3;
  const nowOf: Record<Id, number> = { alice: start, bob: start, carol: start };
  const offsets: Record<Id, number> = { alice: 0, bob: 35, carol: -12 };
  const bnet = createMemoryNetwork<{ sentAt: number; message: unknown }>();
  const manualTimers: Timers = { setTimer: () => () => {} }; // the demo ticks by hand
  const nodes = ids.map((id) => {
    const transport = bnet.transport(id);
    const node = createNode(
      berkeley,
      { id, nodes: [...ids], master: 'alice', toleranceMs: 100 },
      {
        send: (to, message) => transport.send(to, { sentAt: nowOf[id], message }),
        clock: { now: () => nowOf[id] },
        timers: manualTimers,
        onOutput: (o: BerkeleyOutput) => {
          if (o.type === 'round') {
            const est = Object.entries(o.estimatesMs).map(([k, v]) => `${k} ${fmtMs(v)}`).join(', ');
            print(`  alice estimates (reading + RTT/2 - own clock): ${est}`);
            print(`  fault-tolerant average: ${fmtMs(o.averageMs)}`);
          } else if (o.type === 'adjust') {
            offsets[id] += o.deltaMs;
            print(`  ${id.padEnd(5)} adjusts its clock by ${fmtMs(o.deltaMs)}`);
          } else if (o.type === 'rejected') print(`  ${id} rejected a message: ${o.reason}`);
        },
      },
    );
    // The node stamps each input with its host's monotonic time (`clock.now`); the host adds the
    // reading of the clock being synchronized (`clockMs`), a different clock: the machine is pure,
    // the host owns both.
    transport.onMessage((from, { sentAt, message }) => {
      const now = Math.max(nowOf[id], sentAt + hopMs);
      nowOf[id] = now;
      void node.input({ type: 'message', from, message, clockMs: now + offsets[id] } satisfies Unstamped<BerkeleyInput>);
    });
    return node;
  });
  print(`  clocks before: ${ids.map((id) => `${id} ${fmtMs(offsets[id])}`).join(', ')}`);
  await nodes[0]!.input({ type: 'tick', clockMs: start + offsets.alice });
  for (let i = 0; i < 4; i++) {
    await bnet.settle();
    await Promise.all(nodes.map((n) => n.idle()));
  }
  print(`  clocks after:  ${ids.map((id) => `${id} ${fmtMs(offsets[id])}`).join(', ')}`);
  for (const n of nodes) n.stop();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await clocksDemo((line) => console.log(line));
}
