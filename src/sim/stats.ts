// The run's counters: messages in total and per message type, steps, faults, rejections.
import type { MessageCounts, SimStats } from './types.js';

function zeroCounts(): MessageCounts {
  return { sent: 0, delivered: 0, dropped: 0, duplicated: 0, corrupted: 0 };
}

/** A message's `type` when it is a string, else `'(untyped)'`. */
function messageType(m: unknown): string {
  if (m !== null && typeof m === 'object') {
    const t = (m as { type?: unknown }).type;
    if (typeof t === 'string') return t;
  }
  return '(untyped)';
}

/** Counters, updated as the run goes. */
export class Stats {
  steps = 0;
  faults = 0;
  rejected = 0;
  unmatchedResponses = 0;
  private readonly totals = zeroCounts();
  private readonly byType = new Map<string, MessageCounts>();

  /** Counts a sent message; returns the counters of its type, for its later fate. */
  sent(message: unknown): MessageCounts {
    const t = messageType(message);
    let counts = this.byType.get(t);
    if (counts === undefined) {
      counts = zeroCounts();
      this.byType.set(t, counts);
    }
    this.totals.sent++;
    counts.sent++;
    return counts;
  }

  duplicated(counts: MessageCounts): void {
    this.totals.duplicated++;
    counts.duplicated++;
  }

  dropped(counts: MessageCounts): void {
    this.totals.dropped++;
    counts.dropped++;
  }

  delivered(counts: MessageCounts, corrupted: boolean): void {
    this.totals.delivered++;
    counts.delivered++;
    if (!corrupted) return;
    this.totals.corrupted++;
    counts.corrupted++;
  }

  /** The counters as the result reports them (message types in code-unit order). */
  summary(timeMs: number): SimStats {
    return {
      steps: this.steps,
      timeMs,
      messages: this.totals,
      byType: Object.fromEntries([...this.byType.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      faults: this.faults,
      rejected: this.rejected,
      unmatchedResponses: this.unmatchedResponses,
    };
  }
}
