// Node set-ups shared by the mutual-exclusion tests and the benchmark.
import type { NodeId } from 'distkit/core';
import { centralizedMutex, lamportMutex, maekawa, ricartAgrawala, tokenRing, leaseClient, leaseLockService } from 'distkit/mutex';
import { ids, type Sim } from '../support/event-sim.js';

export interface MutexSetup {
  name: string;
  /** Node ids of the n-node system and which of them run the workload. */
  make(n: number): { clients: NodeId[]; setup: (sim: Sim) => void };
}

export const setups: MutexSetup[] = [
  {
    name: 'centralized',
    make(n) {
      // n clients plus a dedicated coordinator, as in the textbook's count.
      const clients = ids(n);
      const nodes = ['coord', ...clients];
      return {
        clients,
        setup: (sim) => {
          for (const id of nodes) sim.add(id, centralizedMutex, centralizedMutex.init({ id, nodes, coordinator: 'coord', timeoutMs: 10_000 }));
        },
      };
    },
  },
  {
    name: 'token-ring',
    make(n) {
      const nodes = ids(n);
      return {
        clients: nodes,
        setup: (sim) => {
          for (const id of nodes) sim.add(id, tokenRing, tokenRing.init({ id, nodes: nodes, tokenTimeoutMs: 100_000 }));
        },
      };
    },
  },
  {
    name: 'ricart-agrawala',
    make(n) {
      const nodes = ids(n);
      return {
        clients: nodes,
        setup: (sim) => {
          for (const id of nodes) sim.add(id, ricartAgrawala, ricartAgrawala.init({ id, nodes }));
        },
      };
    },
  },
  {
    name: 'lamport',
    make(n) {
      const nodes = ids(n);
      return {
        clients: nodes,
        setup: (sim) => {
          for (const id of nodes) sim.add(id, lamportMutex, lamportMutex.init({ id, nodes }));
        },
      };
    },
  },
  {
    name: 'maekawa',
    make(n) {
      const nodes = ids(n);
      return {
        clients: nodes,
        setup: (sim) => {
          for (const id of nodes) sim.add(id, maekawa, maekawa.init({ id, nodes }));
        },
      };
    },
  },
  {
    name: 'lease',
    make(n) {
      const clients = ids(n, 'c');
      return {
        clients,
        setup: (sim) => {
          sim.add('lock', leaseLockService, leaseLockService.init({ id: 'lock', maxTtlMs: 1000, offerTimeoutMs: 100 }));
          sim.input('lock', { type: 'tick', now: 0 });
          for (const id of clients) sim.add(id, leaseClient, leaseClient.init({ id, service: 'lock', ttlMs: 200, retryMs: 100 }));
        },
      };
    },
  },
];
