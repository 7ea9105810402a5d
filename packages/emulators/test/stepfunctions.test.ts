// The local Step Functions endpoint through the real `@aws-sdk/client-sfn` over real HTTP, running
// the one-source game-loop ASL with fake Tick handlers in place of the tick Lambda. The project's
// own StepFunctionsWorkflowStarter against it is tested with the adapters
// (packages/aws/test/io-adapters.test.ts).
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidName,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import {
  CommitConflictError,
  GAME_LOOP_STATES,
  gameLoopDefinition,
  loopExecutionName,
  loopNamePrefix,
  type TickTaskInput,
  type TickTaskOutput,
} from "@ledgerquest/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { LocalStepFunctionsError } from "../src/errors.js";
import {
  type LocalStepFunctionsOptions,
  type RunningLocalStepFunctions,
  startLocalStepFunctions,
  type TaskHandler,
} from "../src/stepfunctions.js";

// Alike: eventbridge.test.ts's head (client settings; each emulator's test file stands alone).
const region = "us-east-1";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const GAME_LOOP = "ledgerquest-game-loop";

const opened: { close(): Promise<void> | void }[] = [];

afterEach(async () => {
  const all = opened.splice(0);
  await Promise.all(all.reverse().map((o) => o.close()));
});

async function start(
  options: LocalStepFunctionsOptions,
): Promise<{ sfn: RunningLocalStepFunctions; client: SFNClient }> {
  const sfn = await startLocalStepFunctions({ onExecutionClosed: () => {}, ...options });
  opened.push(sfn);
  const client = new SFNClient({ region, credentials, endpoint: sfn.url });
  opened.push({ close: () => client.destroy() });
  return { sfn, client };
}

/** A fake tick Lambda: counts laps and says the world is inactive after `activeLaps` calls. */
function fakeTick(options: {
  readonly activeLaps: number;
  readonly waitSeconds?: number;
  readonly ticksPerLap?: number;
  /** Thrown instead of a result on these calls (1-based). */
  readonly throwOn?: ReadonlyMap<number, () => Error>;
}) {
  const calls: TickTaskInput[] = [];
  let invocations = 0;
  const handler: TaskHandler = (payload) => {
    invocations += 1;
    const failure = options.throwOn?.get(invocations);
    if (failure !== undefined) throw failure();
    const input = payload as unknown as TickTaskInput;
    calls.push(input);
    const result: TickTaskOutput = {
      worldId: input.worldId,
      active: calls.length < options.activeLaps,
      tick: calls.length * (options.ticksPerLap ?? 600),
      waitSeconds: options.waitSeconds ?? 0,
    };
    return result;
  };
  return { handler, calls, invocations: () => invocations };
}

async function gameLoop(
  tick: TaskHandler,
  options: { readonly maxIterations?: number; readonly waitScale?: number } = {},
) {
  const { sfn, client } = await start({
    waitScale: options.waitScale ?? 0.001,
    stateMachines: {
      [GAME_LOOP]: {
        definition: gameLoopDefinition({
          tickFunctionArn: "ledgerquest-tick",
          maxIterations: options.maxIterations,
        }),
        taskHandlers: { [GAME_LOOP_STATES.tick]: tick },
      },
    },
  });
  const stateMachineArn = sfn.stateMachineArns[GAME_LOOP] as string;
  const starter = {
    /** StartExecution as the game loop's starter sends it: `exists` for ExecutionAlreadyExists. */
    async start(name: string, input: unknown): Promise<"started" | "exists"> {
      try {
        await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return "started";
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists) return "exists";
        throw error;
      }
    },
  };
  const executionArn = (name: string) =>
    `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  return { sfn, client, stateMachineArn, starter, executionArn };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Alike: rejectionOf in runtime's testing/event-publisher.contract.ts (not exported) and in aws's
// test/io-adapters.test.ts.
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, and it resolved");
}

describe("the game loop on the local Step Functions", () => {
  it("runs a Tick per lap until the world goes inactive, then SUCCEEDS via Stopped", async () => {
    const tick = fakeTick({ activeLaps: 5 });
    const { sfn, client, starter, executionArn } = await gameLoop(tick.handler);

    expect(await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 })).toBe(
      "started",
    );
    const done = await sfn.waitForExecution(executionArn("loop-world-1"));
    expect(done.status).toBe("SUCCEEDED");
    expect(tick.calls.map((c) => c.iteration)).toEqual([0, 1, 2, 3, 4]);
    expect(tick.calls.every((c) => c.executionName === "loop-world-1")).toBe(true);

    const described = await client.send(
      new DescribeExecutionCommand({ executionArn: executionArn("loop-world-1") }),
    );
    expect(described.status).toBe("SUCCEEDED");
    expect(described.name).toBe("loop-world-1");
    expect(described.startDate).toBeInstanceOf(Date);
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(
      described.startDate?.getTime() ?? Number.POSITIVE_INFINITY,
    );
    expect(JSON.parse(described.input ?? "")).toEqual({ worldId: "world-1", iteration: 0 });
    expect(JSON.parse(described.output ?? "")).toEqual({
      worldId: "world-1",
      iteration: 5,
      predecessor: "",
      namePrefix: "world-1",
      result: { worldId: "world-1", active: false, tick: 3000, waitSeconds: 0 },
    });
    expect(described.error).toBeUndefined();

    // The name is spent: a start under it, with any input, is refused, and starts nothing.
    expect(await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 })).toBe(
      "exists",
    );
    expect(sfn.executions()).toHaveLength(1);
  });

  it("retries a Tick that lost a commit race (CommitConflictError), then carries on", async () => {
    const tick = fakeTick({
      activeLaps: 3,
      throwOn: new Map([[2, () => new CommitConflictError("world-1", 1, "a rival batch took v2")]]),
    });
    const { sfn, starter, executionArn } = await gameLoop(tick.handler);
    await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 });
    const done = await sfn.waitForExecution(executionArn("loop-world-1"));
    expect(done.status).toBe("SUCCEEDED");
    expect(tick.invocations()).toBe(4);
    // The retried lap ran again with the same input: same iteration, same execution name.
    expect(tick.calls.map((c) => c.iteration)).toEqual([0, 1, 2]);
  });

  it("ends in TickFailed when a Tick fails with an error no retrier takes", async () => {
    const tick = fakeTick({
      activeLaps: 100,
      throwOn: new Map([[3, () => new TypeError("cannot read the snapshot")]]),
    });
    const { sfn, client, starter, executionArn } = await gameLoop(tick.handler);
    await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 });
    const done = await sfn.waitForExecution(executionArn("loop-world-1"));
    expect(done.status).toBe("FAILED");
    expect(tick.invocations()).toBe(3);

    const described = await client.send(
      new DescribeExecutionCommand({ executionArn: executionArn("loop-world-1") }),
    );
    expect(described.status).toBe("FAILED");
    expect(described.error).toBe("TickFailed");
    expect(described.cause).toContain("The tick batch failed after its retries");
    expect(described.output).toBeUndefined();
  });

  it("gives up on a Tick that keeps losing commit races after its retries, as TickFailed", async () => {
    const always = new Map(
      Array.from({ length: 10 }, (_, i) => [i + 1, () => new CommitConflictError("w", 1, "lost")]),
    );
    const tick = fakeTick({ activeLaps: 100, throwOn: always });
    const { sfn, starter, executionArn } = await gameLoop(tick.handler);
    await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 });
    const done = await sfn.waitForExecution(executionArn("loop-world-1"));
    expect(done.status).toBe("FAILED");
    expect(done.error).toBe("TickFailed");
    // The first try and the retrier's MaxAttempts of 3.
    expect(tick.invocations()).toBe(4);
  });

  it("continues as a new execution with the deterministic name after maxIterations laps", async () => {
    const tick = fakeTick({ activeLaps: 7, ticksPerLap: 100 });
    const { sfn, client, stateMachineArn, starter, executionArn } = await gameLoop(tick.handler, {
      maxIterations: 3,
    });
    // A legal world id that no execution name may hold as it is (`:`, `@`, `.`, 128 characters):
    // the hand-over's name must still be one Step Functions takes.
    const worldId = `tenant:a@world.${"x".repeat(112)}`;
    const name = (tickAt: number) => loopExecutionName(worldId, `t${tickAt}`);
    await starter.start("loop-world-1", {
      worldId,
      iteration: 0,
      predecessor: "",
      namePrefix: loopNamePrefix(worldId),
    });

    // 3 laps (ticks 100..300) → <prefix>--t300; 3 more (400..600) → <prefix>--t600; 1 lap, inactive.
    await until(() => sfn.executions().length === 3, "the second hand-over");
    const last = await sfn.waitForExecution(executionArn(name(600)));
    expect(last.status).toBe("SUCCEEDED");
    const first = await sfn.waitForExecution(executionArn("loop-world-1"));
    const second = await sfn.waitForExecution(executionArn(name(300)));
    expect([first.status, second.status]).toEqual(["SUCCEEDED", "SUCCEEDED"]);

    // The successor takes the loop over from its predecessor.
    expect(JSON.parse(second.input)).toEqual({
      worldId,
      iteration: 0,
      predecessor: "loop-world-1",
      namePrefix: loopNamePrefix(worldId),
    });
    // The hand-over's output is the startExecution integration's result.
    expect(JSON.parse(first.output ?? "")).toEqual({
      ExecutionArn: executionArn(name(300)),
      StartDate: second.startDateMs,
    });
    expect(tick.calls.map((c) => [c.executionName, c.iteration, c.predecessor])).toEqual([
      ["loop-world-1", 0, ""],
      ["loop-world-1", 1, ""],
      ["loop-world-1", 2, ""],
      [name(300), 0, "loop-world-1"],
      [name(300), 1, "loop-world-1"],
      [name(300), 2, "loop-world-1"],
      [name(600), 0, name(300)],
    ]);

    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(listed.executions?.map((e) => [e.name, e.status])).toEqual([
      [name(600), "SUCCEEDED"],
      [name(300), "SUCCEEDED"],
      ["loop-world-1", "SUCCEEDED"],
    ]);
    const page = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2 }));
    expect(page.executions).toHaveLength(2);
    const rest = await client.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 2, nextToken: page.nextToken }),
    );
    expect(rest.executions?.map((e) => e.name)).toEqual(["loop-world-1"]);
    expect(rest.nextToken).toBeUndefined();
  });

  it("StopExecution ends a running loop: ABORTED with the error and cause given, no more Ticks", async () => {
    // A real wait of 60 s a lap: the loop sits in its Wait state until stopped.
    const tick = fakeTick({ activeLaps: 1_000, waitSeconds: 60 });
    const { sfn, client, starter, executionArn } = await gameLoop(tick.handler, { waitScale: 1 });
    await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 });
    await until(() => tick.calls.length === 1, "the first Tick");

    const running = await client.send(
      new DescribeExecutionCommand({ executionArn: executionArn("loop-world-1") }),
    );
    expect(running.status).toBe("RUNNING");
    expect(running.stopDate).toBeUndefined();
    // A repeat of the start while it runs is the same start.
    expect(await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 })).toBe(
      "started",
    );

    const stopped = await client.send(
      new StopExecutionCommand({
        executionArn: executionArn("loop-world-1"),
        error: "WorldShutdown",
        cause: "the operator stopped world-1",
      }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await client.send(
      new DescribeExecutionCommand({ executionArn: executionArn("loop-world-1") }),
    );
    expect(described).toMatchObject({
      status: "ABORTED",
      error: "WorldShutdown",
      cause: "the operator stopped world-1",
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tick.calls).toHaveLength(1);

    // Stopping a closed execution leaves it as it is.
    await client.send(new StopExecutionCommand({ executionArn: executionArn("loop-world-1") }));
    expect(sfn.describeExecution(executionArn("loop-world-1")).error).toBe("WorldShutdown");
    expect(await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 })).toBe(
      "exists",
    );
  });

  it("waits waitScale times the Wait state's seconds between laps", async () => {
    const stamps: number[] = [];
    const tick = fakeTick({ activeLaps: 3, waitSeconds: 2 });
    const timed: TaskHandler = (payload, context) => {
      stamps.push(performance.now());
      return tick.handler(payload, context);
    };
    const { sfn, starter, executionArn } = await gameLoop(timed, { waitScale: 0.05 });
    await starter.start("loop-world-1", { worldId: "world-1", iteration: 0 });
    await sfn.waitForExecution(executionArn("loop-world-1"));
    expect(stamps).toHaveLength(3);
    // 2 s scaled by 0.05: at least 100 ms between laps (a lower bound only; never an upper one).
    for (let i = 1; i < stamps.length; i++) {
      expect((stamps[i] as number) - (stamps[i - 1] as number)).toBeGreaterThanOrEqual(95);
    }
  });

  it("is started by a World Activated rule's target as EventBridge would: a start with no name", async () => {
    const tick = fakeTick({ activeLaps: 2 });
    const { sfn, client, stateMachineArn } = await gameLoop(tick.handler);
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ worldId: "world-9", iteration: 0 }),
      }),
    );
    expect(started.executionArn).toMatch(
      /^arn:aws:states:us-east-1:\d{12}:execution:ledgerquest-game-loop:[0-9a-f-]{36}$/,
    );
    const done = await sfn.waitForExecution(started.executionArn as string);
    expect(done.status).toBe("SUCCEEDED");
    expect(tick.calls.map((c) => c.worldId)).toEqual(["world-9", "world-9"]);
  });
});

describe("the local Step Functions API", () => {
  const hold = {
    Comment: "Holds until stopped",
    StartAt: "Hold",
    States: { Hold: { Type: "Wait", Seconds: 3600, End: true } },
  };

  it("answers StartExecution's errors with AWS's codes, which the SDK turns into its exceptions", async () => {
    const { sfn, client } = await start({ stateMachines: { hold: { definition: hold } } });
    const arn = sfn.stateMachineArns.hold as string;
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: `${arn}-nope` })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: "not-an-arn" })),
    ).rejects.toBeInstanceOf(InvalidArn);
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: arn, name: "a b" })),
    ).rejects.toBeInstanceOf(InvalidName);
    const badInput = await rejectionOf(
      client.send(new StartExecutionCommand({ stateMachineArn: arn, input: "{nope" })),
    );
    expect((badInput as Error).name).toBe("InvalidExecutionInput");
    await expect(
      client.send(
        new DescribeExecutionCommand({
          executionArn: sfn.service.executionArn("hold", "never-started"),
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    expect(sfn.executions()).toEqual([]);
  });

  it("describes its state machines with the definition as given", async () => {
    const { sfn, client } = await start({ stateMachines: { hold: { definition: hold } } });
    const described = await client.send(
      new DescribeStateMachineCommand({ stateMachineArn: sfn.stateMachineArns.hold }),
    );
    expect(described.name).toBe("hold");
    expect(described.type).toBe("STANDARD");
    expect(JSON.parse(described.definition ?? "")).toEqual(hold);
  });

  it("reports a task error as a Lambda function error: its name, and the JSON cause", async () => {
    const definition = {
      StartAt: "Work",
      States: {
        Work: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: "work", "Payload.$": "$" },
          End: true,
        },
      },
    };
    const { sfn, client } = await start({
      stateMachines: {
        work: {
          definition,
          taskHandlers: {
            Work: () => {
              throw new RangeError("out of range");
            },
          },
        },
      },
    });
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArns.work, input: "{}" }),
    );
    const done = await sfn.waitForExecution(started.executionArn as string);
    expect(done.status).toBe("FAILED");
    expect(done.error).toBe("RangeError");
    expect(JSON.parse(done.cause ?? "")).toMatchObject({
      errorType: "RangeError",
      errorMessage: "out of range",
    });
  });

  it("refuses at start a task nothing can run and a handler for no task, naming the state", async () => {
    const definition = gameLoopDefinition({ tickFunctionArn: "ledgerquest-tick" });
    const missing = await rejectionOf(
      startLocalStepFunctions({ stateMachines: { loop: { definition } } }),
    );
    expect(missing).toBeInstanceOf(LocalStepFunctionsError);
    expect((missing as Error).message).toMatch(/Task state Tick .*give taskHandlers\.Tick/);

    const stray = await rejectionOf(
      startLocalStepFunctions({
        stateMachines: {
          loop: { definition, taskHandlers: { Tick: () => ({}), Tock: () => ({}) } },
        },
      }),
    );
    expect((stray as Error).message).toMatch(/taskHandlers\.Tock .*no Task state named Tock/);

    const invalid = await rejectionOf(
      startLocalStepFunctions({
        stateMachines: { broken: { definition: { StartAt: "Nowhere", States: {} } } },
      }),
    );
    expect(invalid).toBeInstanceOf(LocalStepFunctionsError);
  });

  it("closes cleanly with executions running, and they end ABORTED", async () => {
    const sfn = await startLocalStepFunctions({
      onExecutionClosed: () => {},
      stateMachines: { hold: { definition: hold } },
    });
    const started = sfn.service.startExecution({
      stateMachineArn: sfn.stateMachineArns.hold as string,
    });
    await sfn.close();
    expect(sfn.describeExecution(started.executionArn).status).toBe("ABORTED");
  });
});
