// DistributedQueue over a 3-replica replicatedQueue cluster: FIFO, idempotent enqueue, leases that
// come back when not acked, nack and dead letters, a waiting dequeue, and a plain Node process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DistributedQueue, QueueRequestError } from '../../src/messaging/index.js';

describe('DistributedQueue', { timeout: 20_000 }, () => {
  it('the notes\' producer and consumer: FIFO values, then undefined when empty', async () => {
    const queue = new DistributedQueue();
    try {
      await queue.enqueue('process_video_123');
      await queue.enqueue('send_email_456');
      const seen: unknown[] = [];
      for (let task = await queue.dequeue(); task !== undefined; task = await queue.dequeue()) {
        seen.push(task.value);
        expect(await task.ack()).toBe(true);
      }
      expect(seen).toEqual(['process_video_123', 'send_email_456']);
      expect(await queue.dequeue()).toBeUndefined();
    } finally {
      queue.close();
    }
  });

  it('an enqueue retried with the same idempotency key is stored once', async () => {
    const queue = new DistributedQueue();
    try {
      const ids = await Promise.all(Array.from({ length: 10 }, () => queue.enqueue({ job: 7 }, { idempotencyKey: 'job-7' })));
      expect(new Set(ids).size).toBe(1);
      const first = await queue.dequeue();
      expect(first?.value).toEqual({ job: 7 });
      await first?.ack();
      expect(await queue.dequeue()).toBeUndefined();
    } finally {
      queue.close();
    }
  });

  it('a message whose lease ends unacked is received again, with a larger token; the old ack is refused', async () => {
    const queue = new DistributedQueue({ queue: { visibilityTimeoutMs: 300 } });
    try {
      await queue.enqueue('work');
      const first = await queue.dequeue();
      expect(first).toMatchObject({ value: 'work', receiveCount: 1 });
      expect(await queue.dequeue()).toBeUndefined(); // leased: invisible
      const again = await queue.dequeue(1000); // waits for the lease to end
      expect(again).toMatchObject({ value: 'work', receiveCount: 2 });
      expect(again!.token).toBeGreaterThan(first!.token);
      expect(await again!.ack()).toBe(true);
      expect(await first!.ack()).toBe(false);
      expect(await queue.dequeue()).toBeUndefined();
    } finally {
      queue.close();
    }
  });

  it('nack gives a message back; after maxReceiveCount receives it is dead-lettered', async () => {
    const queue = new DistributedQueue({ queue: { maxReceiveCount: 2 } });
    try {
      await queue.enqueue('poison');
      const a = await queue.dequeue();
      expect(await a!.nack()).toBe(true);
      const b = await queue.dequeue();
      expect(b?.receiveCount).toBe(2);
      expect(await b!.nack()).toBe(true);
      expect(await queue.dequeue()).toBeUndefined();
    } finally {
      queue.close();
    }
  });

  it('a waiting dequeue gets a message enqueued meanwhile; one that waits in vain resolves undefined', async () => {
    const queue = new DistributedQueue({ pollMs: 10 });
    try {
      const waiting = queue.dequeue(2000);
      setTimeout(() => void queue.enqueue('late'), 50);
      expect((await waiting)?.value).toBe('late');
      const t0 = Date.now();
      expect(await queue.dequeue(100)).toBeUndefined();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    } finally {
      queue.close();
    }
  });

  it('refusals and bad arguments surface as errors', async () => {
    const queue = new DistributedQueue({ queue: { maxMessages: 1 } });
    try {
      await queue.enqueue(1);
      await expect(queue.enqueue(2)).rejects.toBeInstanceOf(QueueRequestError);
      await expect(queue.dequeue(-1)).rejects.toThrow(/waitMs/);
    } finally {
      queue.close();
    }
    await expect(queue.enqueue(3)).rejects.toThrow(/closed/);
  });
});

describe('DistributedQueue in a plain Node process', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  it('a waiting dequeue keeps the process alive until a message comes; then the process exits', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        import { DistributedQueue } from './src/messaging/index.ts';
        const queue = new DistributedQueue();
        setTimeout(() => void queue.enqueue('late'), 200).unref();
        const task = await queue.dequeue(10_000);
        console.log(task.value, await task.ack());
        `,
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('late true\n');
    expect(r.status).toBe(0);
  });
});
