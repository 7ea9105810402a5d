// The project's adapters and handlers against the emulators of @ledgerquest/emulators, over the
// real SDK and real HTTP: the publisher → the local bus → the LoopSupervisor target, the
// supervisor's handler over the SDK → the game loop on the local Step Functions.
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SFNClient } from "@aws-sdk/client-sfn";
import { startLocalEventBridge, startLocalStepFunctions } from "@ledgerquest/emulators";
import {
  createDomainEvent,
  DETAIL_TYPES,
  EVENT_RULES,
  GAME_LOOP_STATES,
  gameLoopDefinition,
  LOOP_START_SLOT_MS,
  loopExecutionName,
  loopNamePrefix,
  ManualClock,
  MemoryEntityStore,
  type TickTaskInput,
} from "@ledgerquest/runtime";
import { sampleWorld } from "@ledgerquest/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { EventBridgePublisher } from "../src/adapters/eventbridge-publisher.js";
import { StepFunctionsWorkflowStarter } from "../src/adapters/sfn-workflow-starter.js";
import { handleSupervisorEvent } from "../src/handlers/supervisor.js";

// Alike: io-adapters.test.ts's head and emulators' test/eventbridge.test.ts's (client settings and
// a close-after-each list, a few lines each file keeps).
const region = "us-east-1";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

const opened: { close(): Promise<void> | void }[] = [];

afterEach(async () => {
  const all = opened.splice(0);
  await Promise.all(all.reverse().map((o) => o.close()));
});

describe("the bus, the supervisor and the game loop", () => {
  it("starts one game loop for an activated world, however often it is activated", async () => {
    const ticks: TickTaskInput[] = [];
    const sfn = await startLocalStepFunctions({
      waitScale: 0,
      onExecutionClosed: () => {},
      stateMachines: {
        "ledgerquest-game-loop": {
          definition: gameLoopDefinition({ tickFunctionArn: "ledgerquest-tick" }),
          taskHandlers: {
            [GAME_LOOP_STATES.tick]: (payload) => {
              const input = payload as unknown as TickTaskInput;
              ticks.push(input);
              return {
                worldId: input.worldId,
                active: input.iteration < 2,
                tick: 1,
                waitSeconds: 0,
              };
            },
          },
        },
      },
    });
    opened.push(sfn);
    const sfnClient = new SFNClient({ region, credentials, endpoint: sfn.url });
    opened.push({ close: () => sfnClient.destroy() });
    const stateMachineArn = sfn.stateMachineArns["ledgerquest-game-loop"] ?? "";
    // A world id Step Functions would not take as a name: the loop's names must still be valid.
    const worldId = "tenant:a@world.1";
    const store = new MemoryEntityStore();
    await store.createWorld(sampleWorld(worldId));
    const supervisor = {
      stateMachineArn,
      deps: {
        store,
        loops: new StepFunctionsWorkflowStarter(sfnClient, { stateMachineArn }),
        clock: new ManualClock(1_700_000_000_000),
      },
    };

    const bus = await startLocalEventBridge({
      rules: EVENT_RULES,
      targets: {
        LoopSupervisor: (input) => handleSupervisorEvent(supervisor, input),
        LeaderboardProjector: () => {},
        OpsNotifier: () => {},
      },
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    opened.push(bus);
    const client = new EventBridgeClient({ region, credentials, endpoint: bus.url });
    opened.push({ close: () => client.destroy() });
    const publisher = new EventBridgePublisher(client, { baseDelayMs: 1 });
    const activated = createDomainEvent(DETAIL_TYPES.worldActivated, { worldId, version: 0 });
    const outgoing = {
      eventId: activated.detail.eventId,
      source: activated.source,
      detailType: activated.detailType,
      detail: activated.detail,
      timeMs: 1_700_000_000_000,
    };
    // Twice, as EventBridge may deliver it: one loop, not two.
    await publisher.publish([outgoing]);
    await publisher.publish([outgoing]);
    await bus.waitForIdle();

    const executions = sfn.executions();
    expect(executions).toHaveLength(1);
    const [execution] = executions;
    expect(execution?.name).toBe(
      loopExecutionName(worldId, `s${Math.floor(1_700_000_000_000 / LOOP_START_SLOT_MS)}`),
    );
    expect(JSON.parse(execution?.input ?? "")).toEqual({
      worldId,
      iteration: 0,
      predecessor: "",
      namePrefix: loopNamePrefix(worldId),
    });
    const done = await sfn.waitForExecution(execution?.executionArn ?? "");
    expect(done.status).toBe("SUCCEEDED");
    expect(ticks.map((t) => [t.worldId, t.iteration])).toEqual([
      [worldId, 0],
      [worldId, 1],
      [worldId, 2],
    ]);
  });
});
