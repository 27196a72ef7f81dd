import type { NodeId } from './machine.js';
import { DistkitError } from './errors.js';

/**
 * How nodes exchange messages. distkit never opens sockets itself: implement this over TCP,
 * WebSocket, HTTP, a broker or worker threads (an in-memory one and a `MessagePort` one ship in
 * core, a TCP one in `distkit/node`). Delivery is best effort: machines tolerate loss and reordering.
 *
 * @example
 * ```ts
 * import { createMemoryNetwork } from 'distkit/core';
 * const net = createMemoryNetwork<string>();
 * const a = net.transport('a');
 * const b = net.transport('b');
 * const got: string[] = [];
 * b.onMessage((from, msg) => got.push(`${from}: ${msg}`));
 * a.send('b', 'hello');
 * await net.settle();
 * got; //=> ['a: hello']
 * ```
 */
export interface Transport<M = unknown> {
  /** This endpoint's node id. */
  readonly id: NodeId;
  /** Queues `message` for node `to`. Never throws for an unknown or unreachable peer. */
  send(to: NodeId, message: M): void;
  /** Registers the handler for incoming messages; returns a function that unregisters it. */
  onMessage(handler: (from: NodeId, message: M) => void): () => void;
  /** Stops sending and receiving. */
  close(): void | Promise<void>;
}

/**
 * A set of in-process endpoints. Messages are delivered asynchronously (on a microtask), in FIFO
 * order per link, as plain-data copies (so no endpoint can mutate what another holds).
 *
 * @example
 * ```ts
 * import { createMemoryNetwork } from 'distkit/core';
 * const net = createMemoryNetwork<number>();
 * const [a, b] = [net.transport('a'), net.transport('b')];
 * const got: number[] = [];
 * b.onMessage((_from, n) => got.push(n));
 * net.partition(['a'], ['b', 'c']); // a can no longer reach b or c
 * a.send('b', 1);
 * await net.settle();
 * net.heal();
 * a.send('b', 2);
 * await net.settle();
 * got; //=> [2]
 * ```
 */
export interface MemoryNetwork<M = unknown> {
  /** Creates (or returns) the endpoint for `id`. */
  transport(id: NodeId): Transport<M>;
  /**
   * Drops messages between the groups (both directions) until {@link MemoryNetwork.heal}. A message
   * is judged when it arrives (a microtask after its send), so one sent just before a heal gets through.
   */
  partition(...groups: NodeId[][]): void;
  /** Removes all partitions. */
  heal(): void;
  /** Resolves when every message sent so far has been delivered or dropped. */
  settle(): Promise<void>;
  /** Counters of what the network did. */
  readonly stats: { sent: number; delivered: number; dropped: number };
}

/**
 * Creates an in-memory network for tests, demos and single-process deployments.
 *
 * @param options.copy - how messages are copied; default JSON round-trip (plain data only).
 * @example
 * ```ts
 * import { createMemoryNetwork } from 'distkit/core';
 * const net = createMemoryNetwork<{ n: number }>();
 * const [a, b] = [net.transport('a'), net.transport('b')];
 * const log: string[] = [];
 * b.onMessage((from, m) => log.push(`${from} sent ${m.n}`));
 * const sent = { n: 1 };
 * a.send('b', sent);
 * sent.n = 2; // messages are copied on send, as a real network would
 * await net.settle();
 * log; //=> ['a sent 1']
 * ```
 */
export function createMemoryNetwork<M = unknown>(options: { copy?: (m: M) => M } = {}): MemoryNetwork<M> {
  const net: MemoryNet<M> = {
    copy: options.copy ?? ((m: M) => JSON.parse(JSON.stringify(m)) as M),
    handlers: new Map(),
    endpoints: new Map(),
    groups: [],
    pending: 0,
    waiters: [],
    stats: { sent: 0, delivered: 0, dropped: 0 },
  };
  return {
    stats: net.stats,
    transport: (id) => net.endpoints.get(id) ?? memoryEndpoint(net, id),
    partition(...gs) {
      net.groups = gs.map((g) => g.slice());
    },
    heal() {
      net.groups = [];
    },
    settle() {
      // Handlers may send more; wait until the network is quiet.
      return new Promise((resolve) => {
        const check = () => {
          if (net.pending === 0) resolve();
          else net.waiters.push(check);
        };
        check();
      });
    },
  };
}

/** The shared state of one in-memory network. */
interface MemoryNet<M> {
  readonly copy: (m: M) => M;
  readonly handlers: Map<NodeId, Set<(from: NodeId, message: M) => void>>;
  readonly endpoints: Map<NodeId, Transport<M>>;
  groups: NodeId[][];
  pending: number;
  waiters: (() => void)[];
  readonly stats: { sent: number; delivered: number; dropped: number };
}

/** Whether a partition separates `from` and `to`. */
function blocked<M>(net: MemoryNet<M>, from: NodeId, to: NodeId): boolean {
  if (net.groups.length === 0) return false;
  const gf = net.groups.findIndex((g) => g.includes(from));
  const gt = net.groups.findIndex((g) => g.includes(to));
  return gf !== -1 && gt !== -1 && gf !== gt;
}

/** Delivers one message (a microtask after its send) and wakes `settle` when the network is quiet. */
function deliver<M>(net: MemoryNet<M>, from: NodeId, to: NodeId, data: M): void {
  const hs = net.handlers.get(to);
  if (!hs || hs.size === 0 || blocked(net, from, to)) net.stats.dropped++;
  else {
    net.stats.delivered++;
    for (const h of hs) {
      try {
        h(from, data);
      } catch {
        // A throwing handler must not break delivery to others.
      }
    }
  }
  net.pending--;
  if (net.pending === 0) {
    const w = net.waiters;
    net.waiters = [];
    for (const f of w) f();
  }
}

/** Creates the endpoint of node `id`. */
function memoryEndpoint<M>(net: MemoryNet<M>, id: NodeId): Transport<M> {
  let closed = false;
  const t: Transport<M> = {
    id,
    send(to, message) {
      if (closed) return;
      net.stats.sent++;
      const data = net.copy(message);
      net.pending++;
      void Promise.resolve().then(() => deliver(net, id, to, data));
    },
    onMessage(handler) {
      let set = net.handlers.get(id);
      if (!set) net.handlers.set(id, (set = new Set()));
      set.add(handler);
      return () => set.delete(handler);
    },
    close() {
      closed = true;
      net.handlers.delete(id);
      net.endpoints.delete(id);
    },
  };
  net.endpoints.set(id, t);
  return t;
}

/**
 * The subset of the DOM/worker `MessagePort` API that {@link createMessagePortTransport} needs.
 *
 * @example
 * ```ts
 * import type { MessagePortLike } from 'distkit/core';
 * const { port1 } = new MessageChannel();
 * const port: MessagePortLike = port1;
 * ```
 */
export interface MessagePortLike {
  /** Sends a structured-clonable value to the other end. */
  postMessage(message: unknown): void;
  // The listeners take `any` events so that both the DOM's and Node's MessagePort types fit.
  /** DOM-style listener registration (browsers, web workers). */
  addEventListener?(type: 'message', listener: (event: any) => void): void;
  /** DOM-style listener removal. */
  removeEventListener?(type: 'message', listener: (event: any) => void): void;
  /** Node-style listener registration (`worker_threads` ports). */
  on?(type: 'message', listener: (data: unknown) => void): void;
  /** Node-style listener removal. */
  off?(type: 'message', listener: (data: unknown) => void): void;
  /** Starts delivery on DOM ports that queue messages until started. */
  start?(): void;
  /** Closes the port. */
  close(): void;
}

/**
 * Thrown when a transport is used in a way it cannot support.
 *
 * @example
 * ```ts
 * import { TransportError } from 'distkit/core';
 * new TransportError('port for b has neither addEventListener nor on');
 * ```
 */
export class TransportError extends DistkitError {}

/**
 * A transport over `MessagePort`s (browsers, web workers, Node `worker_threads`): one port per
 * peer. Frames that are not `{ from, message }` envelopes are dropped and reported to `onError`,
 * as is a handler that throws (the other handlers still get the message). A send to a peer
 * without a port is dropped.
 *
 * @example
 * ```ts
 * import { createMessagePortTransport } from 'distkit/core';
 * const { port1, port2 } = new MessageChannel();
 * const a = createMessagePortTransport('a', { b: port1 });
 * const b = createMessagePortTransport('b', { a: port2 });
 * b.onMessage((from, m) => console.log(from, m));
 * a.send('b', { hello: 1 });
 * ```
 */
export function createMessagePortTransport<M = unknown>(
  id: NodeId,
  ports: Readonly<Record<NodeId, MessagePortLike>>,
  options: { onError?: (reason: string) => void } = {},
): Transport<M> {
  const handlers = new Set<(from: NodeId, message: M) => void>();
  const detach: (() => void)[] = [];
  const receive = (peer: NodeId) => (data: unknown) => {
    const frame = data as { from?: unknown; message?: unknown } | null;
    if (frame === null || typeof frame !== 'object' || frame.from !== peer || !('message' in frame)) {
      options.onError?.(`malformed frame from port of ${peer}`);
      return;
    }
    for (const h of handlers) {
      try {
        h(peer, frame.message as M);
      } catch (e) {
        // Thrown inside a port's listener it would surface as an uncaught exception.
        options.onError?.(`handler for a message from ${peer} threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  for (const [peer, port] of Object.entries(ports)) {
    const onData = receive(peer);
    if (port.addEventListener && port.removeEventListener) {
      const l = (e: { data: unknown }) => onData(e.data);
      port.addEventListener('message', l);
      port.start?.();
      detach.push(() => port.removeEventListener?.('message', l));
    } else if (port.on && port.off) {
      port.on('message', onData);
      detach.push(() => port.off?.('message', onData));
    } else {
      throw new TransportError(`port for ${peer} has neither addEventListener nor on`);
    }
  }
  return {
    id,
    send(to, message) {
      // Own keys only: a peer named `constructor` must not reach Object.prototype.
      if (Object.prototype.hasOwnProperty.call(ports, to)) ports[to]?.postMessage({ from: id, message });
    },
    onMessage(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    close() {
      for (const d of detach) d();
      for (const p of Object.values(ports)) p.close();
      handlers.clear();
    },
  };
}
