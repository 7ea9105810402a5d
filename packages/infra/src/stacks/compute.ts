/**
 * ComputeStack: the handlers and the game loop.
 *
 * - each handler of `@ledgerquest/aws` as a NodejsFunction (Node 22, arm64) running the bundle its
 *   own bundle script builds, behind a `live` alias that CodeDeploy shifts to every new version
 *   (all at once in beta, 10% every 2 minutes in prod) and rolls back on its alarms;
 * - Powertools configured through the environment (service, namespace, log level);
 * - the game-loop state machine from the one-source ASL (`gameLoopDefinition`), its Tick task
 *   invoking the tick's live alias, with X-Ray tracing and logging;
 * - the EventBridge rules from `EVENT_RULES` (a world activated starts its loop; ledger alarms
 *   reach the operators' topic);
 * - the AuditLog stream handler on the table's stream, failures to an SQS queue;
 * - every permission granted by intent, to the one resource that needs it.
 */

import {
  AUDIT_STREAM_FILTER_PATTERN,
  DEFAULT_SERVICE_NAME,
  DEFAULT_TICK_SETTINGS,
  METRICS_NAMESPACE,
} from "@ledgerquest/aws";
import {
  EVENT_SOURCES,
  gameLoopDefinition,
  loopEndedPattern,
  SUPERVISOR_SCHEDULE_EXPRESSION,
  TARGET_REFS,
} from "@ledgerquest/runtime";
import { CfnOutput, Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import * as codedeploy from "aws-cdk-lib/aws-codedeploy";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { HANDLER_NAMES, type HandlerBundles, type HandlerName } from "../bundles.js";
import {
  ALERT_RETRY,
  CONTROL_RETRY,
  EventDelivery,
  GameEventRules,
  toCdkPattern,
} from "../constructs/event-bus.js";
import { type CanaryAlarmThresholds, GameFunction } from "../constructs/game-function.js";
import {
  grantReadWorldStates,
  grantWorldStates,
  worldStateObjects,
} from "../constructs/world-states.js";
import { OUTPUTS } from "../contract.js";
import {
  allowUnscopedActions,
  allowWildcardResource,
  STATE_MACHINE_UNSCOPED_ACTIONS,
} from "../nag.js";
import { qualifiedName, stateMachineArn, stateMachineName } from "../naming.js";
import type { StageSettings } from "../settings.js";
import type { ApiStack } from "./api.js";
import type { GameCoreStack } from "./core.js";

/** Where the definition names the tick's alias: a Step Functions definition substitution. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation substitutes it, not JS.
export const TICK_FUNCTION_ARN_SUBSTITUTION = "${TickFunctionArn}";

interface HandlerSpec {
  readonly description: string;
  readonly memorySizeMb: number;
  readonly timeout: Duration;
  readonly alarms: CanaryAlarmThresholds;
}

/** Sizes, timeouts and canary thresholds of each handler (a table: its entries are alike). */
export const HANDLER_SPECS: Readonly<Record<HandlerName, HandlerSpec>> = {
  authorizer: {
    description: "WebSocket $connect authorizer: verifies the player's Cognito JWT",
    memorySizeMb: 256,
    timeout: Duration.seconds(5),
    // A refused token is a thrown `Unauthorized` (API Gateway's 401), which Lambda counts as an
    // error: a flood of bad tokens must not roll a good version back, a broken one fails them all.
    alarms: { p99DurationMs: 1_000, errorRatePercent: 50 },
  },
  connect: {
    description: "WebSocket $connect: joins the player to a world",
    memorySizeMb: 512,
    timeout: Duration.seconds(10),
    alarms: { p99DurationMs: 2_000 },
  },
  disconnect: {
    description: "WebSocket $disconnect: forgets the connection",
    memorySizeMb: 512,
    timeout: Duration.seconds(10),
    alarms: { p99DurationMs: 2_000 },
  },
  command: {
    description: "WebSocket command route and $default: queues a player's command",
    memorySizeMb: 512,
    // API Gateway's integration timeout: the handler stops writing 10 s before it
    // (COMMAND_DEADLINE_MARGIN_MS, more than an SDK call's retries take), so a command it stores
    // is always answered.
    timeout: Duration.seconds(29),
    alarms: { p99DurationMs: 1_000 },
  },
  query: {
    description:
      "WebSocket query route: answers read-only questions (state, ledger, verify, replay)",
    // A verification reads the whole journal and a replay re-simulates: more time and memory
    // than a command, and apart from it so a slow question never holds commands up.
    memorySizeMb: 1024,
    timeout: Duration.seconds(29),
    alarms: { p99DurationMs: 15_000 },
  },
  tick: {
    description: "Game loop Tick task: runs a batch of fixed-step ticks and commits it once",
    // The benchmarks' figure (docs/benchmarks.md): about 0.58 vCPU, a 600-tick batch in ~3 s.
    memorySizeMb: 1024,
    timeout: Duration.seconds(60),
    alarms: { p99DurationMs: 30_000 },
  },
  "audit-stream": {
    description: "AuditLog stream: verifies each world's ledger chain, projects the leaderboard",
    memorySizeMb: 512,
    timeout: Duration.seconds(60),
    alarms: { p99DurationMs: 30_000 },
  },
  supervisor: {
    description:
      "Loop supervisor: every minute, on World Activated and when a loop fails, starts the game loop of every active world that has none",
    memorySizeMb: 256,
    timeout: Duration.seconds(60),
    alarms: { p99DurationMs: 30_000 },
  },
};

export interface ComputeStackProps extends StackProps {
  readonly settings: StageSettings;
  readonly core: GameCoreStack;
  readonly api: ApiStack;
  /** Each handler's bundle folder (`bundleLambdaHandlers`). */
  readonly bundles: HandlerBundles;
  /** Laps per game-loop execution before it continues as new. @default 1000 */
  readonly maxIterations?: number;
}

export class ComputeStack extends Stack {
  readonly functions: Readonly<Record<HandlerName, GameFunction>>;
  readonly gameLoop: sfn.StateMachine;
  readonly gameLoopLogGroup: logs.LogGroup;
  readonly rules: GameEventRules;
  /** The rules' dead-letter queue and delivery alarms. */
  readonly delivery: EventDelivery;
  readonly auditStreamFailures: sqs.Queue;
  readonly application: codedeploy.LambdaApplication;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const { settings, core, api } = props;

    const environments = handlerEnvironments(this, props);
    this.application = new codedeploy.LambdaApplication(this, "Deployments", {
      applicationName: `ledgerquest-${settings.stage}-functions`,
    });
    this.functions = this.addFunctions(props, environments);

    // ─── grants, by intent (access.ts: each on its keys only) ───────────────────────────────────
    this.grantPlayerHandlers(core);
    this.grantLoopHandlers(core, api);
    // The authorizer reads nothing of ours: Cognito's signing keys are public (JWKS over HTTPS).
    this.allowWebSocketInvokes(api);

    // ─── the AuditLog stream ───────────────────────────────────────────────────────────────────
    this.auditStreamFailures = this.addAuditStream(core);

    // ─── the game loop ─────────────────────────────────────────────────────────────────────────
    const loopName = stateMachineName(settings.stage, "game-loop");
    this.gameLoopLogGroup = new logs.LogGroup(this, "GameLoopLogs", {
      retention: settings.logRetentionDays as logs.RetentionDays,
    });
    this.gameLoop = this.addGameLoop(loopName, this.gameLoopLogGroup, props.maxIterations);
    this.grantLoopStarts(loopName);

    // ─── event rules: every target retried, then dead-lettered, and alarmed ──────────────────────
    this.delivery = new EventDelivery(this, "EventDelivery", {
      alarmTopic: core.opsTopic,
      alarmNamePrefix: qualifiedName(settings.stage, ""),
      name: "event-rules",
    });
    this.rules = this.addEventRules(core);

    const out = OUTPUTS.Compute;
    new CfnOutput(this, out.game, { value: settings.game ?? "unnamed" });
    new CfnOutput(this, out.gameLoopArn, { value: this.gameLoop.stateMachineArn });
  }

  /**
   * One `GameFunction` per handler (`HANDLER_NAMES`), sized by `HANDLER_SPECS`, deployed through
   * `this.application`: all at once or 10% every 2 minutes, as `settings.trafficShifting` says.
   * Only the tick reserves concurrency (`settings.tickReservedConcurrency`, default none).
   */
  private addFunctions(
    props: ComputeStackProps,
    environments: Readonly<Record<HandlerName, Record<string, string>>>,
  ): Record<HandlerName, GameFunction> {
    const { settings, core } = props;
    const deploymentConfig =
      settings.trafficShifting === "all-at-once"
        ? codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE
        : codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES;
    const functions = {} as Record<HandlerName, GameFunction>;
    for (const handler of HANDLER_NAMES) {
      const spec = HANDLER_SPECS[handler];
      functions[handler] = new GameFunction(this, handlerId(handler), {
        handler,
        codePath: props.bundles[handler],
        stage: settings.stage,
        description: spec.description,
        memorySizeMb: spec.memorySizeMb,
        timeout: spec.timeout,
        environment: environments[handler],
        logRetentionDays: settings.logRetentionDays,
        application: this.application,
        deploymentConfig,
        alarms: spec.alarms,
        alarmTopic: core.opsTopic,
        ...(handler === "tick" && settings.tickReservedConcurrency !== undefined
          ? { reservedConcurrency: settings.tickReservedConcurrency }
          : {}),
      });
    }
    return functions;
  }

  /** What the players' handlers need: `$connect`, `$disconnect`, commands and queries. */
  private grantPlayerHandlers(core: GameCoreStack): void {
    const { connect, disconnect, command, query } = this.functions;
    const { entities, journal } = core;
    // $connect: the world and the player's profile in it, then the connection, counted.
    entities.grantReadWorlds(connect.role);
    entities.grantReadProjections(connect.role);
    entities.grantOpenConnections(connect.role);
    entities.grantCloseConnections(disconnect.role);
    // A command: the connection (its rate limit taken in the same write), then the inbox.
    entities.grantReadConnections(command.role);
    entities.grantRateLimits(command.role);
    journal.grantSubmitCommands(command.role);
    // Queries read, and take their own rate limit's tokens: state, the journal, the inboxes
    // (replays), large world states, the list of worlds and their connections.
    entities.grantReadConnections(query.role);
    entities.grantRateLimits(query.role);
    entities.grantReadWorlds(query.role);
    entities.grantReadProjections(query.role);
    entities.grantListWorlds(query.role);
    entities.grantListConnections(query.role);
    journal.grantReadJournal(query.role);
    journal.grantReadInbox(query.role);
    grantReadWorldStates(core.assets, query.role);
    allowWildcardResource(
      query,
      worldStateObjects(core.assets),
      "Reading world states and genesis states: objects under worlds/ of the assets bucket (content-addressed keys).",
    );
  }

  /** What the game loop's handlers need: the tick, the AuditLog stream's verifier, the supervisor. */
  private grantLoopHandlers(core: GameCoreStack, api: ApiStack): void {
    const { tick, supervisor } = this.functions;
    const auditStream = this.functions["audit-stream"];
    const { entities, journal } = core;
    // A batch: the world and its inbox in, the journal (the only writer of it), the projections
    // and the world's commit out; connections to push to, and the gone ones forgotten.
    entities.grantReadWorlds(tick.role);
    entities.grantCommitWorlds(tick.role);
    entities.grantWriteProjections(tick.role);
    entities.grantListConnections(tick.role);
    entities.grantCloseConnections(tick.role);
    journal.grantReadJournal(tick.role);
    journal.grantAppend(tick.role);
    journal.grantDrainInbox(tick.role);
    grantWorldStates(core.assets, tick.role);
    allowWildcardResource(
      tick,
      worldStateObjects(core.assets),
      "World states are objects under worlds/ of the assets bucket, one per state (content-addressed keys).",
    );
    core.events.grantPublish(tick.role, EVENT_SOURCES.game);
    tick.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["execute-api:ManageConnections"],
        resources: [api.postToConnectionsArn],
      }),
    );
    allowWildcardResource(
      tick,
      api.postToConnectionsArn,
      "Pushing to players: POST to any connection of this one stage (connection ids are made per connection).",
    );
    // The verifier: the journal (gaps), worlds' commits, balances and profiles, its own items.
    entities.grantReadWorlds(auditStream.role);
    entities.grantReadProjections(auditStream.role);
    entities.grantVerifierState(auditStream.role);
    journal.grantReadJournal(auditStream.role);
    // It announces a world's ledger break (`Ledger Chain Broken`): operational events only.
    core.events.grantPublish(auditStream.role, EVENT_SOURCES.ops);
    allowUnscopedActions(
      auditStream,
      ["dynamodb:ListStreams"],
      "The stream event source: DynamoDB's ListStreams takes no resource (IAM service authorization reference); reading the stream is granted on its ARN.",
    );
    // The supervisor reads worlds (the index of active ones, and each world item it restarts).
    entities.grantListActiveWorlds(supervisor.role);
    entities.grantReadWorlds(supervisor.role);
  }

  /** API Gateway invokes the WebSocket handlers' aliases (ApiStack names them by ARN). */
  private allowWebSocketInvokes(api: ApiStack): void {
    const { authorizer, connect, disconnect, command, query } = this.functions;
    for (const fn of [authorizer, connect, disconnect, command, query]) {
      fn.alias.addPermission("InvokeFromWebSocketApi", {
        principal: new iam.ServicePrincipal("apigateway.amazonaws.com"),
        sourceArn: api.executeApiArn,
      });
    }
  }

  /**
   * The AuditLog stream handler on the table's stream, journal records only, in batches of up to
   * 100 from the trim horizon; a batch that keeps failing is bisected, retried 10 times within a
   * day, and its pointer then sent to the returned queue (kept 14 days, SQS-encrypted, TLS only).
   */
  private addAuditStream(core: GameCoreStack): sqs.Queue {
    const failures = new sqs.Queue(this, "AuditStreamFailures", {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(failures).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the failure destination of the AuditLog stream; its messages are pointers to stream records, replayed by an operator, never consumed automatically.",
    });
    this.functions["audit-stream"].alias.addEventSource(
      new DynamoEventSource(core.journal.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.days(1),
        onFailure: new SqsDlq(failures),
        // Journal records only: the inbox's and the loop's records are most of the stream.
        filters: [lambda.FilterCriteria.filter({ ...AUDIT_STREAM_FILTER_PATTERN })],
      }),
    );
    return failures;
  }

  /**
   * The game-loop state machine (standard, named `loopName`) from the one-source ASL, its Tick
   * task invoking the tick's live alias; traced, and logging errors without payloads to `logGroup`.
   * `maxIterations` laps before it continues as new (default: the definition's, 1000).
   */
  private addGameLoop(
    loopName: string,
    logGroup: logs.LogGroup,
    maxIterations: number | undefined,
  ): sfn.StateMachine {
    const { tick } = this.functions;
    const gameLoop = new sfn.StateMachine(this, "GameLoop", {
      stateMachineName: loopName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: "LedgerQuest game loop (packages/runtime/src/definitions/workflow.ts)",
      definitionBody: sfn.DefinitionBody.fromString(
        JSON.stringify(
          gameLoopDefinition({
            tickFunctionArn: TICK_FUNCTION_ARN_SUBSTITUTION,
            ...(maxIterations === undefined ? {} : { maxIterations }),
          }),
        ),
      ),
      definitionSubstitutions: { TickFunctionArn: tick.alias.functionArn },
      tracingEnabled: true,
      // Errors only, without payloads: a world's loop makes 11 history events a lap, every few
      // seconds, for as long as the world lives; ALL would cost more than the loop itself.
      logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    tick.alias.grantInvoke(gameLoop);
    allowUnscopedActions(
      gameLoop,
      STATE_MACHINE_UNSCOPED_ACTIONS,
      "Step Functions' logging (CloudWatch Logs vended-log delivery) and X-Ray tracing: these actions take no resource (Step Functions developer guide, IAM policies for logging and X-Ray).",
    );
    Validations.of(gameLoop).acknowledge({
      id: "AwsSolutions-SF1",
      reason:
        "Logging at ERROR without payloads: a world's loop makes 11 history events per lap, every few seconds, for as long as the world lives; logging ALL would cost more than the loop. Failures are logged in full by the tick Lambda.",
    });
    return gameLoop;
  }

  /**
   * Who may start the game loop `loopName`, by its ARN (built from its fixed name, so no cycle):
   * the loop itself, and the supervisor, which also lists its executions.
   */
  private grantLoopStarts(loopName: string): void {
    // ContinueAsNew starts a successor execution of this same state machine.
    this.gameLoop.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:StartExecution"],
        resources: [stateMachineArn(this, loopName)],
      }),
    );
    // The supervisor lists the loop's running executions and starts missing ones.
    this.functions.supervisor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["states:StartExecution", "states:ListExecutions"],
        resources: [stateMachineArn(this, loopName)],
      }),
    );
  }

  /**
   * The supervisor's rules (every minute, and when a loop ends badly) and the game's rules from
   * `EVENT_RULES` on the core bus, every target delivered through `this.delivery`: control
   * targets with `CONTROL_RETRY`, the operators' topic with `ALERT_RETRY`.
   */
  private addEventRules(core: GameCoreStack): GameEventRules {
    const toSupervisor = () =>
      new targets.LambdaFunction(
        this.functions.supervisor.alias,
        this.delivery.targetProps(CONTROL_RETRY),
      );
    const superviseLoops = new events.Rule(this, "SuperviseLoops", {
      description: "Every minute: start the game loop of every active world that has none.",
      schedule: events.Schedule.expression(SUPERVISOR_SCHEDULE_EXPRESSION),
      targets: [toSupervisor()],
    });
    this.delivery.watch("SuperviseLoops", superviseLoops);
    const loopEnded = new events.Rule(this, "LoopEnded", {
      description:
        "A game-loop execution failed, timed out or was aborted: the supervisor restarts it.",
      eventPattern: toCdkPattern(loopEndedPattern(this.gameLoop.stateMachineArn)),
      targets: [toSupervisor()],
    });
    this.delivery.watch("LoopEnded", loopEnded);

    return new GameEventRules(this, "Rules", {
      bus: core.events.bus,
      delivery: this.delivery,
      targets: {
        [TARGET_REFS.loopSupervisor]: toSupervisor(),
        [TARGET_REFS.opsNotifier]: new targets.SnsTopic(
          core.opsTopic,
          this.delivery.targetProps(ALERT_RETRY),
        ),
        // LeaderboardProjector: the AuditLog stream handler projects the leaderboard already.
      },
    });
  }
}

/**
 * Each handler's environment: Powertools' (service, namespace, and the log level, DEBUG but in
 * prod), and the runtime's configuration (`runtimeConfigSchema`, wiring.ts) for the handlers of
 * the runtime; the authorizer's Cognito settings; the supervisor's table and state machine.
 */
function handlerEnvironments(
  scope: Construct,
  props: ComputeStackProps,
): Record<HandlerName, Record<string, string>> {
  const { settings, core, api } = props;
  const powertools = {
    POWERTOOLS_SERVICE_NAME: DEFAULT_SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: settings.stage === "prod" ? "INFO" : "DEBUG",
  };
  // Every runtime handler reads the same set (`runtimeConfigSchema`, wiring.ts).
  const runtime = {
    ...powertools,
    LQ_ENTITY_TABLE: core.entities.table.tableName,
    LQ_AUDIT_TABLE: core.journal.table.tableName,
    LQ_EVENT_BUS: core.events.eventBusName,
    LQ_ASSETS_BUCKET: core.assets.bucketName,
    LQ_WEBSOCKET_ENDPOINT: api.webSocketStage.callbackUrl,
    // The handlers refuse to run another game than the one the deployment was built for.
    ...(settings.game === undefined ? {} : { LQ_GAME: settings.game }),
  };
  return {
    authorizer: {
      ...powertools,
      LQ_AUTH_PROVIDER: "cognito",
      LQ_COGNITO_USER_POOL_ID: api.userPool.userPoolId,
      LQ_COGNITO_CLIENT_ID: api.userPoolClientId,
      LQ_COGNITO_TOKEN_USE: "access",
    },
    connect: runtime,
    disconnect: runtime,
    command: runtime,
    query: runtime,
    tick: {
      ...runtime,
      LQ_TICKS_PER_BATCH: String(DEFAULT_TICK_SETTINGS.maxTicks),
      LQ_WAIT_SECONDS: String(DEFAULT_TICK_SETTINGS.waitSeconds),
      LQ_DEADLINE_MARGIN_MS: String(DEFAULT_TICK_SETTINGS.deadlineMarginMs),
      // Real time: a lap lasts its batch's game time (the tick function's timeout holds a lap
      // of the default ten seconds with room for loading and committing).
      LQ_PACE: DEFAULT_TICK_SETTINGS.pace ?? "realtime",
    },
    "audit-stream": runtime,
    supervisor: {
      ...powertools,
      LQ_ENTITY_TABLE: core.entities.table.tableName,
      // The state machine's name is fixed (`stateMachineName`), so its ARN is known before it
      // exists: the function and the state machine need not wait for each other.
      LQ_STATE_MACHINE_ARN: stateMachineArn(scope, stateMachineName(settings.stage, "game-loop")),
    },
  };
}

/** `audit-stream` → `AuditStream`: construct ids in the CDK's PascalCase. */
function handlerId(handler: HandlerName): string {
  return handler.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
