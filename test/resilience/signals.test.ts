// Cancellation plumbing: a child controller follows its parent's abort, and `invoke` turns a
// synchronous throw into a rejected promise.
import { describe, expect, it } from 'vitest';
import { invoke, linkedController, neverAborted, newController } from '../../src/resilience/signals.js';

describe('linkedController', () => {
  it('aborts the child when the parent aborts, with the parent reason', () => {
    const parent = newController();
    const { controller } = linkedController(parent.signal);
    expect(controller.signal.aborted).toBe(false);
    parent.abort('shutdown');
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBe('shutdown');
  });

  it('a parent already aborted gives an aborted child', () => {
    const parent = newController();
    parent.abort('gone');
    expect(linkedController(parent.signal).controller.signal.aborted).toBe(true);
  });

  it('after dispose the parent no longer reaches the child', () => {
    const parent = newController();
    const { controller, dispose } = linkedController(parent.signal);
    dispose();
    parent.abort();
    expect(controller.signal.aborted).toBe(false);
  });

  it('without a parent (or with neverAborted) the child aborts only by itself', () => {
    for (const p of [undefined, neverAborted]) {
      const { controller } = linkedController(p);
      expect(controller.signal.aborted).toBe(false);
      controller.abort('mine');
      expect(controller.signal.aborted).toBe(true);
    }
  });
});

describe('invoke', () => {
  it('resolves with the result, sync or async', async () => {
    expect(await invoke((c: number) => c + 1, 1)).toBe(2);
    expect(await invoke(async (c: number) => c * 3, 2)).toBe(6);
  });

  it('a synchronous throw becomes a rejection, not an exception', async () => {
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = invoke(() => {
        throw new Error('sync');
      }, null);
    }).not.toThrow();
    await expect(p).rejects.toThrow('sync');
  });
});
