// Type-level tests: the inference users rely on when they wire a machine into a host. They run
// under `npm run typecheck` (tsc over test/); at run time each `it` only checks that it compiles.
import { describe, expectTypeOf, it } from "vitest";
import {
  checkInvariants,
  checkMembers,
  createNode,
  positiveInt,
  reject,
  transition,
  v,
  type Infer,
  type Invariant,
  type InvariantViolation,
  type Machine,
  type PersistRecordOf,
  type RejectedOutput,
  type RunningNode,
  type SendOutput,
  type PersistOutput,
  type TickInput,
  type Transition,
  type Unstamped,
} from "../../src/core/index.js";
import {
  raft,
  type RaftDurable,
  type RaftInput,
  type RaftOutput,
  type RaftState,
} from "../../src/consensus/index.js";

type Ping = { readonly type: "ping"; readonly now: number; readonly n: number };
type Counter = Machine<
  { start: number },
  { count: number },
  Ping | TickInput,
  SendOutput<{ n: number }> | RejectedOutput
>;

describe("machine contract types", () => {
  it("Unstamped removes `now` from each member of an input union", () => {
    expectTypeOf<Unstamped<Ping | TickInput>>().toEqualTypeOf<
      Omit<Ping, "now"> | Omit<TickInput, "now">
    >();
    expectTypeOf<{ type: "ping"; n: 1 }>().toMatchTypeOf<Unstamped<Ping>>();
  });

  it("PersistRecordOf finds the persist record of an output union", () => {
    expectTypeOf<
      PersistRecordOf<SendOutput | PersistOutput<{ term: number }>>
    >().toEqualTypeOf<{ term: number }>();
    expectTypeOf<PersistRecordOf<SendOutput>>().toEqualTypeOf<never>();
  });

  it("transition and reject keep the state type", () => {
    expectTypeOf(transition({ count: 1 }, [])).toEqualTypeOf<
      Transition<{ count: number }, never>
    >();
    expectTypeOf(reject({ count: 1 }, "a", "why").outputs).toEqualTypeOf<
      readonly RejectedOutput[]
    >();
  });

  it("createNode infers state, input and output from the machine", () => {
    const counter: Counter = { name: 'counter', init: (c) => ({ count: c.start }), step: (s) => transition(s, []) };
    const node = createNode(counter, { start: 0 }, { send: () => undefined });
    expectTypeOf(node).toEqualTypeOf<
      RunningNode<
        { count: number },
        Ping | TickInput,
        SendOutput<{ n: number }> | RejectedOutput
      >
    >();
    expectTypeOf(node.input)
      .parameter(0)
      .toEqualTypeOf<Unstamped<Ping | TickInput>>();
    // @ts-expect-error -- an input the machine does not take
    void node.input({ type: "pong" });
  });

  it("a Raft node takes Raft commands without `now` and persists Raft records", () => {
    const node = createNode(
      raft,
      { id: "a", voters: ["a"], seed: 1 },
      {
        send: () => undefined,
        persist: async (r) => {
          expectTypeOf(r).toEqualTypeOf<PersistRecordOf<RaftOutput>>();
        },
      }
    );
    expectTypeOf(node.state).toEqualTypeOf<RaftState>();
    expectTypeOf(node.input).parameter(0).toEqualTypeOf<Unstamped<RaftInput>>();
    expectTypeOf(raft.durable).returns.toEqualTypeOf<RaftDurable>();
  });

  it("narrowing an output union on `type` gives the member", () => {
    const outputs = [] as readonly RaftOutput[];
    for (const o of outputs)
      if (o.type === "send") expectTypeOf(o.to).toBeString();
  });
});

describe("kit types", () => {
  it("checks infer what they validate", () => {
    const check = v.object({
      id: v.string(),
      n: v.int({ min: 0 }),
      tags: v.array(v.string()),
    });
    expectTypeOf<Infer<typeof check>>().toMatchTypeOf<{
      id: string;
      n: number;
      tags: readonly string[];
    }>();
  });

  it("options and membership checks return plain values", () => {
    expectTypeOf(positiveInt("n", 1, 2)).toBeNumber();
    expectTypeOf(checkMembers("a", ["a"])).toEqualTypeOf<string[]>();
  });

  it("an invariant over one state type checks only that type", () => {
    const inv: Invariant<{ term: number }> = {
      name: "n",
      check: (states) =>
        Object.values(states).every((s) => s.term >= 0)
          ? undefined
          : "negative",
    };
    expectTypeOf(checkInvariants([inv], { a: { term: 1 } })).toEqualTypeOf<
      InvariantViolation | undefined
    >();
    // @ts-expect-error -- the states must match the invariant's state type
    checkInvariants([inv], { a: { role: "leader" } });
    // @ts-expect-error -- a check returns a description or undefined, never a boolean
    const bad: Invariant<{ term: number }> = { name: "b", check: () => true };
    void bad;
  });
});
