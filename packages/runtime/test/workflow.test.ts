import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  executionOfToken,
  GAME_LOOP_STATES,
  gameLoopDefinition,
  loopExecutionName,
  loopNamePrefix,
  type TickTaskInput,
  worldPrefixOfExecution,
} from "../src/definitions/workflow.js";

// aws-local-stepfunctions targets Node 22; on Node 20 it needs Promise.withResolvers.
const P = Promise as unknown as { withResolvers?: unknown };
if (P.withResolvers === undefined) {
  P.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const { StateMachine } = await import("aws-local-stepfunctions");
const require = createRequire(import.meta.url);
const aslValidator = require("asl-validator") as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

const ARN = "arn:aws:lambda:eu-west-1:123456789012:function:ledgerquest-tick:live";

describe("the game-loop state machine", () => {
  it("is valid ASL (asl-validator)", () => {
    const result = aslValidator(gameLoopDefinition({ tickFunctionArn: ARN }));
    expect(result.errorsText()).toBe("");
    expect(result.isValid).toBe(true);
  });

  it("rejects options that would break the history limit", () => {
    expect(() => gameLoopDefinition({ tickFunctionArn: ARN, maxIterations: 5000 })).toThrow(
      /history events/,
    );
    expect(() => gameLoopDefinition({ tickFunctionArn: "" })).toThrow(/tick Lambda/);
  });

  async function run(
    maxIterations: number,
    activeLaps: number,
    failFirst = 0,
    input: unknown = { worldId: "world-1", iteration: 0, predecessor: "", namePrefix: "world-1" },
  ) {
    const calls: TickTaskInput[] = [];
    const handedOver: unknown[] = [];
    let failures = 0;
    const machine = new StateMachine(
      gameLoopDefinition({ tickFunctionArn: ARN, maxIterations }) as never,
      {
        validationOptions: { checkArn: false },
      },
    );
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: {
          [GAME_LOOP_STATES.tick]: (input: unknown) => {
            const payload = (input as { Payload: TickTaskInput }).Payload;
            if (failures < failFirst) {
              failures++;
              const error = new Error("lost the race");
              error.name = "CommitConflictError";
              throw error;
            }
            calls.push(payload);
            return {
              Payload: {
                worldId: payload.worldId,
                active: calls.length < activeLaps,
                tick: calls.length * 600,
                waitSeconds: 1,
              },
            };
          },
          [GAME_LOOP_STATES.continueAsNew]: (input: unknown) => {
            handedOver.push(input);
            return {};
          },
        },
        waitTimeOverrides: { [GAME_LOOP_STATES.wait]: 0 },
        retryIntervalOverrides: { [GAME_LOOP_STATES.tick]: 0 },
      },
      context: {
        Execution: { Name: "exec-1" },
        StateMachine: { Id: "arn:aws:states:eu-west-1:123456789012:stateMachine:game-loop" },
      } as never,
    });
    const result = await execution.result;
    return { calls, handedOver, result };
  }

  it("runs a batch per lap until the world goes inactive", async () => {
    const { calls, handedOver } = await run(100, 5);
    expect(calls.map((c) => c.iteration)).toEqual([0, 1, 2, 3, 4]);
    expect(calls.every((c) => c.worldId === "world-1" && c.executionName === "exec-1")).toBe(true);
    expect(handedOver).toEqual([]);
  });

  it("gives an execution started by hand with the world alone the fields a Tick reads", async () => {
    const { calls } = await run(100, 2, 0, { worldId: "world-1" });
    expect(calls).toEqual([
      { worldId: "world-1", iteration: 0, executionName: "exec-1", predecessor: "" },
      { worldId: "world-1", iteration: 1, executionName: "exec-1", predecessor: "" },
    ]);
    // Its successors are named after its world id.
    const { handedOver } = await run(1, 1000, 0, { worldId: "world-1" });
    expect(handedOver).toMatchObject([{ Name: "world-1--t600", Input: { namePrefix: "world-1" } }]);
  });

  it("continues as a new execution when the lap budget is spent", async () => {
    const { calls, handedOver } = await run(3, 1000);
    expect(calls).toHaveLength(3);
    // The successor is named after the prefix and the tick, and takes over from this one.
    expect(handedOver).toEqual([
      {
        StateMachineArn: expect.any(String),
        Input: { worldId: "world-1", iteration: 0, predecessor: "exec-1", namePrefix: "world-1" },
        Name: "world-1--t1800",
      },
    ]);
  });

  it("retries a tick that lost a commit race, then carries on", async () => {
    const { calls } = await run(100, 2, 2);
    expect(calls).toHaveLength(2);
  });

  it("fails as TickFailed when the tick keeps failing, after its retries", async () => {
    const failure = await run(100, 5, 100).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // The Fail state's cause: the Catch routed the exhausted retries to TickFailed.
    expect(failure?.message).toContain("The tick batch failed after its retries");
  });
});

describe("execution names of a world's loop", () => {
  const VALID = /^[A-Za-z0-9_-]{1,80}$/;
  it("are valid Step Functions names for every legal world id, and say whose loop they are", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,128}$/),
        fc.integer({ min: 0, max: 999_999_999_999_999 }),
        (worldId, tick) => {
          const name = loopExecutionName(worldId, `t${tick}`);
          expect(name).toMatch(VALID);
          expect(worldPrefixOfExecution(name)).toBe(loopNamePrefix(worldId));
        },
      ),
    );
  });

  it("keep ids apart that differ only in characters a name cannot hold, or past its length", () => {
    const ids = [
      "a:b",
      "a_b",
      "a.b",
      "a@b",
      "x".repeat(128),
      `${"x".repeat(127)}y`,
      "tenant:a@world.1",
    ];
    const prefixes = new Set(ids.map(loopNamePrefix));
    expect(prefixes.size).toBe(ids.length);
    expect(loopNamePrefix("world-1")).toBe("world-1");
  });

  it("refuse a suffix that could make a name ambiguous", () => {
    expect(() => loopExecutionName("w", "t-1")).toThrow(RangeError);
    expect(() => loopExecutionName("w", "")).toThrow(RangeError);
    expect(worldPrefixOfExecution("some-other-execution")).toBeUndefined();
    expect(worldPrefixOfExecution("w--m1")).toBe("w");
  });

  it("a batch token names its execution, and a world's creation names none", () => {
    expect(executionOfToken("w--m29000000#17")).toBe("w--m29000000");
    expect(executionOfToken("")).toBeUndefined();
    expect(executionOfToken("create:w")).toBeUndefined();
    expect(executionOfToken("restore:w")).toBeUndefined();
  });
});
