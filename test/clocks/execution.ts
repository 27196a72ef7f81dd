// Random message-passing executions for the clock properties: N processes doing local, send and
// receive events, with the true happens-before relation computed from the run itself.
import fc from 'fast-check';

export type Event =
  | { readonly id: number; readonly proc: number; readonly kind: 'local' }
  | { readonly id: number; readonly proc: number; readonly kind: 'send'; readonly to: number }
  | { readonly id: number; readonly proc: number; readonly kind: 'receive'; readonly send: number };

export interface Execution {
  readonly processes: number;
  /** Events in the order they happened (a valid linearization of the run). */
  readonly events: readonly Event[];
  /** before[f] holds every e with e → f (Lamport 1978 §2's happened-before), e ≠ f. */
  readonly before: readonly ReadonlySet<number>[];
}

type Step = readonly [kind: number, proc: number, other: number];

function build(processes: number, steps: readonly Step[]): Execution {
  const events: Event[] = [];
  const before: Set<number>[] = [];
  const last: (number | undefined)[] = Array.from({ length: processes }, () => undefined);
  const inFlight: { send: number; to: number }[] = [];
  const add = (e: Event, causes: (number | undefined)[]) => {
    const set = new Set<number>();
    for (const c of causes) {
      if (c === undefined) continue;
      set.add(c);
      for (const x of before[c]!) set.add(x);
    }
    events.push(e);
    before.push(set);
    last[e.proc] = e.id;
  };
  for (const [kind, p0, other] of steps) {
    const proc = p0 % processes;
    const id = events.length;
    if (kind === 0) add({ id, proc, kind: 'local' }, [last[proc]]);
    else if (kind === 1) {
      const to = (proc + 1 + (other % (processes - 1))) % processes;
      add({ id, proc, kind: 'send', to }, [last[proc]]);
      inFlight.push({ send: id, to });
    } else {
      // Deliver some in-flight message (any order: the network reorders).
      if (inFlight.length === 0) continue;
      const [m] = inFlight.splice(other % inFlight.length, 1);
      add({ id, proc: m!.to, kind: 'receive', send: m!.send }, [last[m!.to], m!.send]);
    }
  }
  return { processes, events, before };
}

/** An arbitrary execution of 2..maxProcesses processes and up to maxSteps steps. */
export function executionArb(maxProcesses = 5, maxSteps = 40): fc.Arbitrary<Execution> {
  return fc
    .tuple(
      fc.integer({ min: 2, max: maxProcesses }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.nat()), { maxLength: maxSteps }),
    )
    .map(([n, steps]) => build(n, steps));
}

export const happenedBefore = (x: Execution, e: number, f: number): boolean => x.before[f]!.has(e);
