import type { Clock, Timers } from 'distkit/core';

/** A manual clock and timer queue: time only moves when a test says so. */
export class FakeTime implements Clock, Timers {
  t = 0;
  wall = 1_700_000_000_000;
  private seq = 0;
  private timers: { at: number; seq: number; cb: () => void }[] = [];
  now = (): number => this.t;
  wallNow = (): number => this.wall + this.t;
  setTimer = (delayMs: number, cb: () => void): (() => void) => {
    const entry = { at: this.t + Math.max(0, delayMs), seq: this.seq++, cb };
    this.timers.push(entry);
    return () => {
      const i = this.timers.indexOf(entry);
      if (i >= 0) this.timers.splice(i, 1);
    };
  };
  get pending(): number {
    return this.timers.length;
  }
  /** Moves time forward, firing due timers in order and letting promise reactions run between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.cb();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
