// Waiting in tests of real sockets and processes: poll a condition until it holds or a deadline passes.
import { performance } from 'node:perf_hooks';

/** Resolves with `f()`'s first value that is neither `undefined` nor `false`, polling every 5 ms; rejects after `ms`. */
export function waitFor<T>(f: () => T | undefined | false, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + ms;
    const poll = () => {
      const v = f();
      if (v !== undefined && v !== false) resolve(v);
      else if (performance.now() > deadline) reject(new Error('timed out waiting'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
