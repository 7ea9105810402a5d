// Every active world has exactly one running game loop, on the whole local stack: worlds made
// without a World Activated event get a loop from the supervisor's sweep; a loop that is stopped
// is started again; a second loop for a world yields to the first; and after a restart of the
// stack, every world runs again and a command to any of them is applied, not just accepted.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { arenaModule } from "@ledgerquest/example-arena";
import {
  createWorld,
  loopNamePrefix,
  type RuntimeDeps,
  worldPrefixOfExecution,
} from "@ledgerquest/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { localClientConfig } from "../src/clients.js";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../src/dev.js";
import { openSocket, until } from "./support/wait.js";

const dataDir = mkdtempSync(join(tmpdir(), "lq-supervision-"));
let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The ports of the first start, kept for the second (see `start`). */
let ports: LocalStackOptions["ports"];

async function start(): Promise<{ stack: LocalStack; deps: RuntimeDeps; sfn: SFNClient }> {
  stack = await startLocalStack({
    game: arenaModule,
    dataDir,
    // The handler modules build their SDK clients once per process, from the endpoints of the
    // first stack: a restart in the same process must come back on the same ports (`npm start`
    // is a new process each time, and has no such need).
    ...(ports === undefined ? {} : { ports }),
    ticksPerBatch: 15,
    waitSeconds: 0,
    pace: true,
    supervisorEverySeconds: 1,
    log: () => undefined,
  });
  const portOf = (url: string) => Number(new URL(url).port);
  ports ??= {
    dynamodb: portOf(stack.endpoints.dynamodb),
    s3: portOf(stack.endpoints.s3),
    eventbridge: portOf(stack.endpoints.eventbridge),
    stepfunctions: portOf(stack.endpoints.stepfunctions),
    websocket: portOf(stack.endpoints.websocket.replace(/^ws/, "http")),
    idp: portOf(stack.endpoints.idp),
  };
  const sfn = new SFNClient(localClientConfig(stack.endpoints.stepfunctions));
  // The handlers' dependencies are built once per process from the environment, which each
  // stack sets anew: this module's reads go through the same DynamoDB Local the stack runs.
  return { stack, deps: stack.runtimeDeps(), sfn };
}

async function running(sfn: SFNClient, worldId: string): Promise<string[]> {
  const arn = stack?.env.LQ_STATE_MACHINE_ARN;
  const listed = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: "RUNNING" }),
  );
  return (listed.executions ?? [])
    .map((e) => e.name ?? "")
    .filter((n) => worldPrefixOfExecution(n) === loopNamePrefix(worldId));
}

const versionOf = async (deps: RuntimeDeps, worldId: string) =>
  (await deps.store.getWorld(worldId))?.version ?? -1;

async function advances(deps: RuntimeDeps, worldId: string, by = 2): Promise<void> {
  const from = await versionOf(deps, worldId);
  await until(`world ${worldId} to run`, async () =>
    (await versionOf(deps, worldId)) >= from + by ? true : undefined,
  );
}

describe("the loop supervisor on the local stack", () => {
  it("gives every active world one loop, restarts a stopped one, ends a duplicate, and runs them all again after a restart", async () => {
    let { deps, sfn } = await start();
    const settings = { bodies: 10, bots: 2, coins: 10 };
    for (const worldId of ["north", "south"]) {
      // No World Activated: only the supervisor's sweep can start these loops.
      await createWorld(deps, { worldId, players: ["player_0001", "player_0002"], settings });
    }
    await advances(deps, "north");
    await advances(deps, "south");
    expect(await running(sfn, "north")).toHaveLength(1);
    expect(await running(sfn, "south")).toHaveLength(1);

    // A loop that stops (an operator, a crash, an invalid hand-over) is started again.
    const [stopped] = await running(sfn, "north");
    await sfn.send(
      new StopExecutionCommand({
        executionArn: `${stack?.env.LQ_STATE_MACHINE_ARN?.replace(":stateMachine:", ":execution:")}:${stopped}`,
        error: "Test",
        cause: "stopped by the test",
      }),
    );
    await until("a new loop for north", async () => {
      const now = await running(sfn, "north");
      return now.length === 1 && now[0] !== stopped ? true : undefined;
    });
    await advances(deps, "north");

    // A second loop for south (a duplicated start): it yields to the owner within a lap.
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack?.env.LQ_STATE_MACHINE_ARN,
        name: "south--s1",
        input: JSON.stringify({ worldId: "south", iteration: 0, predecessor: "" }),
      }),
    );
    await until("the duplicate to end", async () =>
      (await running(sfn, "south")).includes("south--s1") ? undefined : true,
    );
    expect(await running(sfn, "south")).toHaveLength(1);
    await advances(deps, "south");

    // A restart of the whole stack: nothing activates the worlds, and both run again.
    await stack?.stop();
    stack = undefined;
    const again = await start();
    const restarted = again.stack;
    ({ deps, sfn } = again);
    const before = await versionOf(deps, "south");
    await advances(deps, "north");
    await advances(deps, "south");
    // A command to the world that is not the "main" one is applied, not only acknowledged.
    const token = await restarted.token("player_0002");
    const { ws, frames } = await openSocket(
      `${restarted.endpoints.websocket}?world=south&token=${token}`,
    );
    ws.send(
      JSON.stringify({
        action: "command",
        id: "after-restart",
        type: "move",
        data: { dx: 1, dy: 0 },
      }),
    );
    await until("the ack", () =>
      frames.some((f) => (f as { type: string }).type === "ack") ? true : undefined,
    );
    expect(frames).toContainEqual({ type: "ack", id: "after-restart", result: "accepted" });
    await until("the command applied", async () => {
      const batches = await deps.journal.listBatches("south", before + 1, Number.MAX_SAFE_INTEGER);
      return batches.some((b) => b.commandsApplied > 0) ? true : undefined;
    });
    ws.close();
    // Two stacks started, and a dozen waits for loops on a busy machine: room for all of it.
  }, 600_000);
});
