/**
 * The stack under fault: a process of its own that the fault driver can kill at any instruction.
 * It starts the local stack on a kept data folder (the world continues across kills), creates the
 * world the first time, and tells the driver where everything listens (an IPC message). It
 * obeys the driver's messages: `restart-dynamodb` (a store outage mid-batch) and `stop` (a clean
 * shutdown, the only way it ends that is not a kill).
 *
 * Started by `fault-driver.ts` as `node stack-process.js` (through tsx from the sources), with its options as JSON
 * in `LQ_FAULT_STACK`.
 */

import type { DeliveryFaults } from "@ledgerquest/emulators";
import { createWorld } from "@ledgerquest/runtime";
import { startLocalStack } from "../dev.js";
import { type FaultGame, importGame } from "./driver.js";
import { seededRandom } from "./random.js";

export interface StackProcessOptions {
  readonly dataDir: string;
  readonly worldId: string;
  readonly players: readonly string[];
  readonly game: FaultGame;
  /** DynamoDB Local's own port, behind the driver's proxy. */
  readonly dynamodbPort: number;
  readonly dynamodbEndpoint: string;
  readonly events: Omit<DeliveryFaults, "random">;
  /** Seeds which deliveries are doubled and how they are delayed: a run's schedule is its seed's. */
  readonly eventsSeed: number;
}

export type StackProcessMessage =
  | {
      readonly type: "ready";
      readonly env: Readonly<Record<string, string>>;
      readonly websocket: string;
      readonly stepfunctions: string;
      readonly tokens: Readonly<Record<string, string>>;
    }
  | { readonly type: "done"; readonly what: string }
  | { readonly type: "failed"; readonly message: string };

function send(message: StackProcessMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.LQ_FAULT_STACK ?? "") as StackProcessOptions;
  const game = await importGame(options.game);
  const stack = await startLocalStack({
    game,
    dataDir: options.dataDir,
    ticksPerBatch: 15,
    waitSeconds: 0,
    pace: true,
    supervisorEverySeconds: 1,
    ports: { dynamodb: options.dynamodbPort },
    faults: {
      events: { ...options.events, random: seededRandom(options.eventsSeed) },
      dynamodbEndpoint: options.dynamodbEndpoint,
    },
    log: () => undefined,
  });
  const deps = stack.runtimeDeps();
  const { world } = await createWorld(deps, {
    worldId: options.worldId,
    players: [...options.players],
    ...(options.game.settings === undefined ? {} : { settings: options.game.settings }),
  });
  await stack.activate(options.worldId, world.version);
  const tokens: Record<string, string> = {};
  for (const p of options.players) tokens[p] = await stack.token(p);
  send({
    type: "ready",
    env: stack.env,
    websocket: stack.endpoints.websocket,
    stepfunctions: stack.endpoints.stepfunctions,
    tokens,
  });
  process.on("message", (message: { readonly type: string }) => {
    void (async () => {
      try {
        if (message.type === "restart-dynamodb") {
          await stack.restartDynamoDb();
          send({ type: "done", what: "restart-dynamodb" });
        } else if (message.type === "stop") {
          await stack.stop();
          send({ type: "done", what: "stop" });
          process.exit(0);
        }
      } catch (error) {
        send({ type: "failed", message: (error as Error).message });
      }
    })();
  });
}

main().catch((error: unknown) => {
  send({ type: "failed", message: (error as Error).stack ?? String(error) });
  process.exit(1);
});
