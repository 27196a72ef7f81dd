import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  MemoryStore,
  StoreError,
  checkedStep,
  ContractViolation,
  createMemoryNetwork,
  createNode,
  reject,
  transition,
  type Machine,
  type MessageInput,
  type PersistOutput,
  type RejectedOutput,
  type SendOutput,
  type TickInput,
  type Timers,
} from 'distkit/core';

// A tiny counter protocol: each message bumps a durable counter and replies; ticks every 100ms.
type S = { id: string; count: number; deadline: number };
type In = MessageInput | TickInput;
type Out = SendOutput<{ n: number }> | PersistOutput<{ count: number }> | RejectedOutput | { type: 'ticked'; now: number };
const counter: Machine<{ id: string }, S, In, Out> = {
  name: 'counter',
  init(c) {
    if (!c.id) throw new ConfigError('id', 'must be a non-empty string');
    return { id: c.id, count: 0, deadline: 100 };
  },
  step(s, input) {
    if (input.type === 'tick') {
      if (input.now < s.deadline) return transition(s);
      return transition({ ...s, deadline: input.now + 100 }, [{ type: 'ticked', now: input.now }]);
    }
    const m = input.message as { n?: unknown };
    if (typeof m?.n !== 'number') return reject(s, input.from, 'n: expected a number');
    const count = s.count + 1;
    return transition({ ...s, count }, [
      { type: 'persist', record: { count } },
      { type: 'send', to: input.from, message: { n: count } },
    ]);
  },
  nextDeadline: (s) => s.deadline,
};

function manualTimers() {
  let now = 0;
  const timers: { at: number; cb: () => void; live: boolean }[] = [];
  const t: Timers = {
    setTimer(delay, cb) {
      const entry = { at: now + delay, cb, live: true };
      timers.push(entry);
      return () => {
        entry.live = false;
      };
    },
  };
  return {
    timers: t,
    clock: { now: () => now },
    armed: () => timers.filter((x) => x.live).length,
    advance(to: number) {
      now = to;
      for (const x of timers) if (x.live && x.at <= now) {
        x.live = false;
        x.cb();
      }
    },
  };
}

describe('createNode', () => {
  it('persists before sending', async () => {
    const log: string[] = [];
    const node = createNode(counter, { id: 'a' }, {
      send: (to, m) => log.push(`send ${to} ${JSON.stringify(m)}`),
      persist: async (r) => {
        await Promise.resolve();
        log.push(`persist ${JSON.stringify(r)}`);
      },
    }, {});
    await node.deliver('b', { n: 1 });
    expect(log).toEqual(['persist {"count":1}', 'send b {"n":1}']);
    node.stop();
  });

  it('refuses a transition that lists a send before its persist, and sends nothing', async () => {
    const sendFirst: Machine<{ id: string }, S, In, Out> = {
      ...counter,
      step: (s, input) => {
        const t = counter.step(s, input);
        return transition(t.state, [...t.outputs].reverse());
      },
    };
    const sent: unknown[] = [];
    const errors: unknown[] = [];
    const node = createNode(sendFirst, { id: 'a' }, { send: (_to, m) => sent.push(m), persist: () => {}, onError: (e) => errors.push(e) });
    await expect(node.deliver('b', { n: 1 })).rejects.toThrow(ContractViolation);
    await node.idle();
    expect(sent).toEqual([]);
    expect(String(errors[0])).toContain('persist after a send');
    node.stop();
  });

  it('does not deliver sends when persisting fails, and reports the error', async () => {
    const sent: unknown[] = [];
    const errors: unknown[] = [];
    const node = createNode(counter, { id: 'a' }, {
      send: (_to, m) => sent.push(m),
      persist: () => Promise.reject(new Error('disk full')),
      onError: (e) => errors.push(e),
    });
    await node.deliver('b', { n: 1 });
    expect(sent).toEqual([]);
    expect(String(errors[0])).toContain('disk full');
    node.stop();
  });

  it('arms exactly one timer from nextDeadline and feeds ticks with the clock', async () => {
    const mt = manualTimers();
    const events: unknown[] = [];
    const node = createNode(counter, { id: 'a' }, { send: () => {}, onOutput: (o) => events.push(o), clock: mt.clock, timers: mt.timers });
    expect(mt.armed()).toBe(1);
    mt.advance(100);
    await node.idle();
    expect(events).toEqual([{ type: 'ticked', now: 100 }]);
    expect(mt.armed()).toBe(1);
    node.stop();
    expect(mt.armed()).toBe(0);
  });

  it('a step that throws on a timer tick or a delivered message is reported to onError exactly once', async () => {
    const mt = manualTimers();
    const faulty: Machine<Record<string, never>, { deadline: number }, In, Out> = {
      name: 'faulty',
      init: () => ({ deadline: 10 }),
      step() {
        throw new Error('bug in step');
      },
      nextDeadline: (s) => s.deadline,
    };
    const errors: unknown[] = [];
    const node = createNode(faulty, {}, { send: () => {}, onError: (e) => errors.push(e), clock: mt.clock, timers: mt.timers });
    mt.advance(10);
    await node.idle();
    const net = createMemoryNetwork();
    node.listen(net.transport('a'));
    net.transport('b').send('a', { n: 1 });
    await net.settle();
    await node.idle();
    expect(errors.map((e) => (e as Error).message)).toEqual(['bug in step', 'bug in step']);
    await expect(node.input({ type: 'tick' })).rejects.toThrow('bug in step');
    node.stop();
  });

  it('reports rejected peer input through onOutput and keeps the state', async () => {
    const events: unknown[] = [];
    const mt = manualTimers(); // the clock stays at 0: no catch-up tick before the message
    const node = createNode(counter, { id: 'a' }, { send: () => {}, onOutput: (o) => events.push(o), clock: mt.clock, timers: mt.timers });
    const before = node.state;
    await node.deliver('evil', { n: 'x' });
    expect(node.state).toBe(before);
    expect(events).toEqual([{ type: 'rejected', from: 'evil', reason: 'n: expected a number' }]);
    node.stop();
  });

  it('stamps every input with the clock, so a timer a message starts counts from its arrival', async () => {
    // A machine that starts a 100 ms timer on every message, from the input's `now`.
    type TS = { deadline: number | null };
    const timed: Machine<Record<string, never>, TS, In, { type: 'timeout'; now: number }> = {
      name: 'timed',
      init: () => ({ deadline: null }),
      step(s, input) {
        if (input.type === 'message') return transition({ deadline: input.now + 100 });
        if (s.deadline !== null && input.now >= s.deadline) return transition({ deadline: null }, [{ type: 'timeout', now: input.now }]);
        return transition(s);
      },
      nextDeadline: (s) => s.deadline ?? undefined,
    };
    const mt = manualTimers();
    const events: unknown[] = [];
    const seen: unknown[] = [];
    const spy: typeof timed = { ...timed, step: (s, i) => (seen.push(i), timed.step(s, i)) };
    const node = createNode(spy, {}, { send: () => {}, onOutput: (o) => events.push(o), clock: mt.clock, timers: mt.timers });
    mt.advance(5000); // nothing due: no input stepped
    expect(seen).toEqual([]);
    await node.deliver('b', {});
    expect(seen).toEqual([{ type: 'message', from: 'b', message: {}, now: 5000 }]); // no synthetic tick first
    expect(node.state).toEqual({ deadline: 5100 }); // not 100, which would fire at once
    mt.advance(5099);
    await node.idle();
    expect(events).toEqual([]);
    mt.advance(5100);
    await node.idle();
    expect(events).toEqual([{ type: 'timeout', now: 5100 }]);
    expect(seen.at(-1)).toEqual({ type: 'tick', now: 5100 });
    node.stop();
  });

  it('stamps local commands given without now', async () => {
    const mt = manualTimers();
    const seen: unknown[] = [];
    const m: Machine<Record<string, never>, null, TickInput | { type: 'go'; now: number }, never> = {
      name: 'm',
      init: () => null,
      step: (s, i) => (seen.push(i), transition(s)),
    };
    const node = createNode(m, {}, { send: () => {}, clock: mt.clock, timers: mt.timers });
    mt.advance(42);
    await node.input({ type: 'go' });
    expect(seen).toEqual([{ type: 'go', now: 42 }]);
    node.stop();
  });

  it('runs over the in-memory network', async () => {
    const net = createMemoryNetwork();
    const ta = net.transport('a');
    const tb = net.transport('b');
    const replies: unknown[] = [];
    tb.onMessage((_from, m) => replies.push(m));
    const node = createNode(counter, { id: 'a' }, { send: (to, m) => ta.send(to, m) });
    node.listen(ta);
    tb.send('a', { n: 1 });
    tb.send('a', { n: 1 });
    await net.settle();
    await node.idle();
    await net.settle();
    expect(replies).toEqual([{ n: 1 }, { n: 2 }]);
    net.partition(['a'], ['b']);
    tb.send('a', { n: 1 });
    await net.settle();
    expect(net.stats.dropped).toBe(1);
    node.stop();
  });
});

describe('createNode: batching and group commit', () => {
  /** A persist whose promises the test settles by hand, recording every call. */
  function manualPersist() {
    const calls: { record: unknown; resolve: () => void; reject: (e: unknown) => void }[] = [];
    return {
      calls,
      persist: (record: unknown) =>
        new Promise<void>((resolve, reject) => {
          calls.push({ record, resolve, reject });
        }),
    };
  }
  const flush = () => new Promise((r) => setTimeout(r, 0));

  it('steps every queued input and starts all their persists before any completes', async () => {
    const disk = manualPersist();
    const log: string[] = [];
    const node = createNode(counter, { id: 'a' }, { send: (to, m) => log.push(`send ${to} ${JSON.stringify(m)}`), persist: disk.persist });
    const done = [node.deliver('b', { n: 1 }), node.deliver('c', { n: 1 }), node.deliver('d', { n: 1 })];
    await flush();
    // All three records handed to the storage at once, in order; nothing sent yet.
    expect(disk.calls.map((c) => c.record)).toEqual([{ count: 1 }, { count: 2 }, { count: 3 }]);
    expect(log).toEqual([]);
    disk.calls[2]!.resolve();
    disk.calls[0]!.resolve();
    await flush();
    expect(log).toEqual([]); // record 2 is not durable yet
    disk.calls[1]!.resolve();
    const outputs = await Promise.all(done);
    expect(log).toEqual(['send b {"n":1}', 'send c {"n":2}', 'send d {"n":3}']);
    expect(outputs.map((o) => o.map((x) => x.type))).toEqual([['persist', 'send'], ['persist', 'send'], ['persist', 'send']]);
    node.stop();
  });

  it('inputs that arrive while a batch is persisting form the next batch, stepped after its sends', async () => {
    const disk = manualPersist();
    const log: string[] = [];
    const node = createNode(counter, { id: 'a' }, { send: (to, m) => log.push(`send ${to} ${JSON.stringify(m)}`), persist: disk.persist });
    const first = node.deliver('b', { n: 1 });
    await flush();
    const later = [node.deliver('c', { n: 1 }), node.deliver('d', { n: 1 })];
    await flush();
    expect(disk.calls.length).toBe(1); // the second batch waits for the first
    disk.calls[0]!.resolve();
    await first;
    expect(log).toEqual(['send b {"n":1}']);
    await flush();
    expect(disk.calls.map((c) => c.record)).toEqual([{ count: 1 }, { count: 2 }, { count: 3 }]);
    disk.calls[1]!.resolve();
    disk.calls[2]!.resolve();
    await Promise.all(later);
    expect(log).toEqual(['send b {"n":1}', 'send c {"n":2}', 'send d {"n":3}']);
    node.stop();
  });

  it('a failed persist withholds the sends of its transition and of every later one in the batch', async () => {
    const disk = manualPersist();
    const sent: unknown[] = [];
    const errors: unknown[] = [];
    const node = createNode(counter, { id: 'a' }, { send: (_to, m) => sent.push(m), persist: disk.persist, onError: (e) => errors.push(e) });
    const done = [1, 2, 3, 4].map(() => node.deliver('b', { n: 1 }));
    await flush();
    disk.calls[0]!.resolve();
    disk.calls[1]!.reject(new Error('disk full'));
    disk.calls[2]!.resolve();
    disk.calls[3]!.resolve();
    const outputs = await Promise.all(done);
    expect(sent).toEqual([{ n: 1 }]);
    expect(errors.map(String)).toEqual(['Error: disk full']);
    // input() still resolves with that input's outputs.
    expect(outputs[3]!.find((o) => o.type === 'send')).toEqual({ type: 'send', to: 'b', message: { n: 4 } });
    // The next batch is unaffected.
    const next = node.deliver('b', { n: 1 });
    await flush();
    disk.calls[4]!.resolve();
    await next;
    expect(sent).toEqual([{ n: 1 }, { n: 5 }]);
    node.stop();
  });

  it('a persist that throws synchronously counts as failed; a step that throws rejects only its own input', async () => {
    let n = 0;
    const sent: unknown[] = [];
    const errors: unknown[] = [];
    const node = createNode(counter, { id: 'a' }, {
      send: (_to, m) => sent.push(m),
      persist: () => {
        if (++n === 2) throw new Error('EIO');
      },
      onError: (e) => errors.push(e),
    });
    const bad = createNode(
      { ...counter, step: (st: S, i: In) => (i.type === 'message' && (i.message as { boom?: boolean }).boom ? (() => { throw new Error('boom'); })() : counter.step(st, i)) },
      { id: 'a' },
      { send: (_to, m) => sent.push(m), onError: (e) => errors.push(e) },
    );
    await Promise.all([node.deliver('b', { n: 1 }), node.deliver('b', { n: 1 }), node.deliver('b', { n: 1 })]);
    expect(sent).toEqual([{ n: 1 }]);
    const results = await Promise.allSettled([bad.deliver('b', { n: 1 }), bad.deliver('b', { boom: true }), bad.deliver('b', { n: 1 })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(sent).toEqual([{ n: 1 }, { n: 1 }, { n: 2 }]);
    expect(errors.map(String)).toEqual(['Error: EIO', 'Error: boom']);
    node.stop();
    bad.stop();
  });

  it('batches: with a storage that syncs once per batch, 200 messages need far fewer syncs', async () => {
    let syncs = 0;
    let inFlight: Promise<void> | undefined;
    // Group commit: every record handed over while a sync is in flight rides on the next one.
    const persist = () => {
      inFlight ??= new Promise<void>((r) => setTimeout(r, 2)).then(() => {
        syncs++;
        inFlight = undefined;
      });
      return inFlight;
    };
    const replies: number[] = [];
    const node = createNode(counter, { id: 'a' }, { send: (_to, m) => replies.push((m as { n: number }).n), persist });
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      all.push(node.deliver('b', { n: 1 }));
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(all);
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(syncs).toBeLessThan(30);
    node.stop();
  });
});

describe('createNode: an input that arrives as a batch ends is not left waiting', () => {
  // A client answered by a batch's output sends its next request at once, a few microtasks
  // later. If that lands after the batch loop saw an empty inbox but before the node noticed the
  // loop had ended, the input used to wait for the next timer (a Raft heartbeat: ~100 ms a request).
  for (let hops = 0; hops <= 8; hops++) {
    it(`the next input, ${hops} microtasks after a send, is stepped without a timer`, async () => {
      const manual = manualTimers(); // never advanced: only the inbox can wake the node
      let node!: ReturnType<typeof createNode<{ id: string }, S, In, Out>>;
      let next: Promise<readonly Out[]> | undefined;
      const later = (n: number, f: () => void): void => {
        if (n === 0) return f();
        void Promise.resolve().then(() => later(n - 1, f));
      };
      node = createNode(counter, { id: 'a' }, {
        send: () => {
          if (next === undefined) later(hops, () => (next = node.deliver('c', { n: 2 })));
        },
        persist: async () => undefined,
        timers: manual.timers,
        clock: manual.clock,
      });
      await node.deliver('b', { n: 1 });
      await new Promise((r) => setTimeout(r, 20));
      expect(next).toBeDefined();
      const settled = await Promise.race([next!.then(() => 'stepped'), new Promise((r) => setTimeout(() => r('waiting'), 50))]);
      expect(settled).toBe('stepped');
      expect(node.state.count).toBe(2);
      node.stop();
    });
  }
});

describe('createNode: sends before persist and onDurable (Raft thesis §10.2.1)', () => {
  // Each message appends to a durable log; `early` messages' replies may leave before the write,
  // others wait. The write acknowledges itself with an `acked` input once durable.
  type PS = { log: number; acked: number[] };
  type PIn = MessageInput | TickInput | { type: 'acked'; upTo: number; now: number };
  type POut = SendOutput | PersistOutput<{ log: number }>;
  const writer: Machine<null, PS, PIn, POut> = {
    name: 'writer',
    init: () => ({ log: 0, acked: [] }),
    step(s, input) {
      if (input.type === 'tick') return transition(s);
      if (input.type === 'acked') return transition({ ...s, acked: [...s.acked, input.upTo] });
      const early = (input.message as { early?: boolean }).early === true;
      const log = s.log + 1;
      const send: SendOutput = early ? { type: 'send', to: input.from, message: log, beforePersist: true } : { type: 'send', to: input.from, message: log };
      return transition({ ...s, log }, [{ type: 'persist', record: { log }, onDurable: { type: 'acked', upTo: log } }, send]);
    },
  };
  const flush = () => new Promise((r) => setTimeout(r, 0));

  it('a beforePersist send leaves at once; a held send keeps later early ones behind it (order per node)', async () => {
    const calls: (() => void)[] = [];
    const sent: unknown[] = [];
    const node = createNode(writer, null, { send: (_to, m) => sent.push(m), persist: () => new Promise<void>((r) => calls.push(r)) });
    void node.deliver('b', { early: true });
    void node.deliver('b', { early: false });
    void node.deliver('b', { early: true });
    await flush();
    expect(calls.length).toBe(3);
    expect(sent).toEqual([1]); // 2 waits for durability, and 3 must not overtake it
    for (const r of calls) r();
    await node.idle();
    expect(sent).toEqual([1, 2, 3]);
    node.stop();
  });

  it('steps each onDurable input once its record is durable, never before', async () => {
    const calls: (() => void)[] = [];
    const node = createNode(writer, null, { send: () => undefined, persist: () => new Promise<void>((r) => calls.push(r)) });
    void node.deliver('b', { early: true });
    void node.deliver('b', { early: true });
    await flush();
    expect(node.state.acked).toEqual([]);
    calls[0]!();
    await flush();
    expect(node.state.acked).toEqual([]); // the batch's records settle together
    calls[1]!();
    await node.idle();
    expect(node.state.acked).toEqual([1, 2]);
    node.stop();
  });

  it('a failed write steps no onDurable input for it or for later records of its batch', async () => {
    const calls: { resolve: () => void; reject: (e: unknown) => void }[] = [];
    const errors: unknown[] = [];
    const node = createNode(writer, null, {
      send: () => undefined,
      persist: () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject })),
      onError: (e) => errors.push(e),
    });
    void node.deliver('b', { early: true });
    void node.deliver('b', { early: true });
    void node.deliver('b', { early: true });
    await flush();
    calls[0]!.resolve();
    calls[1]!.reject(new Error('disk full'));
    calls[2]!.resolve();
    await node.idle();
    expect(node.state.acked).toEqual([1]);
    expect(errors).toHaveLength(1);
    node.stop();
  });

  it('without a persist host, onDurable inputs are stepped at once', async () => {
    const node = createNode(writer, null, { send: () => undefined });
    await node.deliver('b', { early: false });
    await node.idle();
    expect(node.state.acked).toEqual([1]);
    node.stop();
  });
});

describe('checkedStep', () => {
  it('catches a machine that mutates its input state', () => {
    const bad: Machine<object, { n: number }, TickInput, never> = {
      name: 'bad',
      init: () => ({ n: 0 }),
      step(s) {
        (s as { n: number }).n++;
        return transition(s);
      },
    };
    expect(() => checkedStep(bad, { n: 0 }, { type: 'tick', now: 0 })).toThrow(TypeError);
  });

  it('catches non-JSON state and a rejection that changes state', () => {
    const mapState: Machine<object, unknown, TickInput, never> = { name: 'm', init: () => ({}), step: () => transition({ m: new Map() }) };
    expect(() => checkedStep(mapState, {}, { type: 'tick', now: 0 })).toThrow(ContractViolation);
    const sneaky: Machine<object, { n: number }, TickInput, RejectedOutput> = {
      name: 's',
      init: () => ({ n: 0 }),
      step: (s) => ({ state: { n: s.n + 1 }, outputs: [{ type: 'rejected', from: 'x', reason: 'r' }] }),
    };
    expect(() => checkedStep(sneaky, { n: 0 }, { type: 'tick', now: 0 })).toThrow(/rejected input changed the state/);
  });
});

describe('MemoryStore', () => {
  it('copies values and refuses non-plain data', async () => {
    const store = new MemoryStore();
    const v = { a: [1] };
    await store.put('k', v);
    v.a.push(2);
    expect(await store.get('k')).toEqual({ a: [1] });
    await expect(store.put('k', { m: new Map() })).rejects.toBeInstanceOf(StoreError);
    expect(await store.get('k')).toEqual({ a: [1] });
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
  });
});
