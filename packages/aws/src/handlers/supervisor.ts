/**
 * The loop supervisor (`superviseGameLoops`): keeps exactly one game loop running for every active
 * world. EventBridge invokes it with one of three events:
 *
 * - `Scheduled Event` (source `aws.events`, every minute: `SUPERVISOR_SCHEDULE_EXPRESSION`): sweep
 *   every active world;
 * - `World Activated` (source `ledgerquest.game`, the start-game-loop rule): that world;
 * - `Step Functions Execution Status Change` of a game-loop execution that failed, timed out or was
 *   aborted (`loopEndedPattern`, on the default bus): the world named in the execution's input.
 *
 * Anything else is refused with `InvalidSupervisorEventError` (a rule pointing the wrong events
 * here is a deployment bug worth an error, not a silent sweep).
 */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import {
  DETAIL_TYPES,
  EXECUTION_STATUS_CHANGE,
  ID_PATTERN,
  parseEventBridgeEvent,
  type SuperviseDeps,
  type SuperviseReport,
  superviseGameLoops,
  systemClock,
} from "@ledgerquest/runtime";
import * as z from "zod/mini";
import { documentClient } from "../adapters/dynamodb-common.js";
import { DynamoDbEntityStore } from "../adapters/dynamodb-entity-store.js";
import { sdkClientOptions } from "../adapters/sdk-clients.js";
import { StepFunctionsWorkflowStarter } from "../adapters/sfn-workflow-starter.js";
import { type Environment, readConfig, resourceVariables } from "../config.js";
import { AwsAdapterError } from "../errors.js";
import { type LambdaHandler, logger, traceClient, withObservability } from "../observability.js";

/** A world named by an event could not be looked after (a store or Step Functions failure). */
export class SupervisorFailedError extends AwsAdapterError {
  override readonly name = "SupervisorFailedError";
}

/** The event is none of the three the supervisor takes. */
export class InvalidSupervisorEventError extends AwsAdapterError {
  override readonly name = "InvalidSupervisorEventError";
}

const SCHEDULED_EVENT = "Scheduled Event";

const statusChangeSchema = z.object({
  source: z.literal("aws.states"),
  "detail-type": z.literal(EXECUTION_STATUS_CHANGE),
  detail: z.object({
    stateMachineArn: z.string(),
    status: z.string(),
    input: z.nullable(z.optional(z.string())),
  }),
});

const loopInputSchema = z.object({ worldId: z.string().check(z.regex(ID_PATTERN)) });

/**
 * The worlds an event asks about: `undefined` for all of them (a sweep), else the one it names.
 * `stateMachineArn` is the game loop's: a status change of another machine is refused.
 */
export function worldsOfSupervisorEvent(
  event: unknown,
  stateMachineArn: string,
): readonly string[] | undefined {
  const envelope = (typeof event === "object" && event !== null ? event : {}) as {
    readonly source?: unknown;
    readonly "detail-type"?: unknown;
  };
  const detailType = envelope["detail-type"];
  if (detailType === SCHEDULED_EVENT && envelope.source === "aws.events") return undefined;
  if (detailType === EXECUTION_STATUS_CHANGE) {
    const parsed = statusChangeSchema.safeParse(event);
    if (!parsed.success)
      throw new InvalidSupervisorEventError(`a malformed ${EXECUTION_STATUS_CHANGE} event`);
    const { detail } = parsed.data;
    if (detail.stateMachineArn !== stateMachineArn) {
      throw new InvalidSupervisorEventError(
        `a status change of ${detail.stateMachineArn}, not of the game loop ${stateMachineArn}`,
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(detail.input ?? "");
    } catch (error) {
      throw new InvalidSupervisorEventError("the execution's input is not JSON", { cause: error });
    }
    const loop = loopInputSchema.safeParse(input);
    if (!loop.success)
      throw new InvalidSupervisorEventError("the execution's input names no world");
    return [loop.data.worldId];
  }
  if (typeof detailType === "string") {
    // A domain event: World Activated is the only one the supervisor takes.
    const domain = parseEventBridgeEvent(event);
    if (domain.detailType === DETAIL_TYPES.worldActivated) return [domain.detail.worldId];
  }
  throw new InvalidSupervisorEventError(
    `the supervisor takes scheduled events, World Activated and ${EXECUTION_STATUS_CHANGE}, not ${JSON.stringify(detailType)}`,
  );
}

export interface SupervisorHandlerDeps {
  readonly deps: SuperviseDeps;
  readonly stateMachineArn: string;
}

export async function handleSupervisorEvent(
  loaded: SupervisorHandlerDeps,
  event: unknown,
): Promise<SuperviseReport> {
  const worldIds = worldsOfSupervisorEvent(event, loaded.stateMachineArn);
  const report = await superviseGameLoops(loaded.deps, worldIds === undefined ? {} : { worldIds });
  // A world activated (a restore, `ledgerquest dev` continuing a world) is expected to need its
  // loop started again: news, not a warning.
  const activation =
    typeof event === "object" &&
    event !== null &&
    (event as { readonly "detail-type"?: unknown })["detail-type"] === DETAIL_TYPES.worldActivated;
  for (const start of report.starts) {
    // A world's first loop is news; a loop found stopped, for a world that had one, is a warning.
    const expected = start.predecessor === "" || activation;
    const say = expected ? logger.info.bind(logger) : logger.warn.bind(logger);
    say(
      start.result !== "started"
        ? "world had no running loop, and this slot's start was used already: the next sweep tries again"
        : start.predecessor === ""
          ? "started the world's game loop"
          : activation
            ? "the world was activated: started its game loop again"
            : "the world's game loop had stopped: started it again",
      { ...start },
    );
  }
  for (const failure of report.failures)
    logger.error("could not look after a world's loop: the next sweep tries again", failure);
  logger.info("supervised game loops", {
    checked: report.checked,
    running: report.running,
    started: report.starts.filter((s) => s.result === "started").length,
    inactive: report.inactive.length,
    failures: report.failures.length,
  });
  // An event about one world that could not be handled is EventBridge's to retry; a sweep that
  // looked after the other worlds is done (the next one tries the rest again).
  if (worldIds !== undefined && report.failures.length > 0) {
    throw new SupervisorFailedError(
      `could not look after the loop of ${report.failures.map((f) => f.worldId).join(", ")}`,
      { cause: report.failures[0]?.error },
    );
  }
  return report;
}

/** The supervisor's variables: the EntityTable and the game loop's state machine. */
export const supervisorConfigSchema = z.pick(resourceVariables, {
  LQ_ENTITY_TABLE: true,
  LQ_STATE_MACHINE_ARN: true,
});

export function supervisorDepsFromEnvironment(
  env: Environment = process.env,
): SupervisorHandlerDeps {
  const config = readConfig(supervisorConfigSchema, env);
  const doc = documentClient(traceClient(new DynamoDBClient(sdkClientOptions("dynamodb"))));
  return {
    stateMachineArn: config.LQ_STATE_MACHINE_ARN,
    deps: {
      store: new DynamoDbEntityStore(doc, { tables: { entityTable: config.LQ_ENTITY_TABLE } }),
      loops: new StepFunctionsWorkflowStarter(traceClient(new SFNClient(sdkClientOptions("sfn"))), {
        stateMachineArn: config.LQ_STATE_MACHINE_ARN,
      }),
      clock: systemClock,
    },
  };
}

export function createSupervisorHandler(
  load: () => SupervisorHandlerDeps,
): LambdaHandler<unknown, SuperviseReport> {
  let loaded: SupervisorHandlerDeps | undefined;
  return async (event) => {
    loaded ??= load();
    return await handleSupervisorEvent(loaded, event);
  };
}

/** A fresh Lambda entry point, configured from the environment (see `supervisorConfigSchema`). */
export function lambdaHandler(): LambdaHandler<unknown, SuperviseReport> {
  return withObservability(createSupervisorHandler(() => supervisorDepsFromEnvironment()));
}

/** The Lambda entry point (one per process; the local stack makes one per stack). */
export const handler = lambdaHandler();
