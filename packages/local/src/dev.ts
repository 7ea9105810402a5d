/**
 * The whole architecture on one machine: DynamoDB Local, a local S3, the AuditLog stream poller,
 * EventBridge and Step Functions endpoints, the WebSocket API and a dev identity provider, with
 * the project's own Lambda handlers running in this process. The handlers are the same modules
 * AWS runs; they find the local services through the AWS SDK's `AWS_ENDPOINT_URL_<SERVICE>`
 * variables and their configuration through the same `LQ_*` variables the CDK stacks set.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import {
  type DeliveryFaults,
  startLocalEventBridge,
  startLocalS3,
  startLocalStepFunctions,
} from "@ledgerquest/emulators";
import { LOCAL_ACCOUNT, LOCAL_REGION } from "@ledgerquest/emulators/protocol";
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  createDomainEvent,
  EVENT_BUS_NAME,
  EVENT_RULES,
  EXECUTION_STATUS_CHANGE,
  type GameModule,
  gameLoopDefinition,
  LIST_WORLDS_MAX,
  loopEndedPattern,
  matchesPattern,
  type RuntimeDeps,
} from "@ledgerquest/runtime";
import type { Context } from "aws-lambda";
import { startDashboardServer } from "./dashboard-server.js";
import { startDynamoDbLocal } from "./dynamodb-local.js";
import { GatewayClientPush } from "./gateway-client-push.js";
import { startDevIdentityProvider } from "./idp.js";
import { startStreamPoller } from "./stream-poller.js";
import { UsageMeter, type UsageSnapshot } from "./usage.js";
import { installDynamoDbMeter } from "./usage-dynamodb.js";
import { startWebSocketGateway } from "./websocket-gateway.js";

export interface LocalStackOptions {
  /** The game the handlers run: a project's `defineGame(...)` (its `ledgerquest.config.ts` names it). */
  readonly game: GameModule;
  /** Where DynamoDB Local's tables, S3's objects and the stream checkpoint live. Default `.ledgerquest`. */
  readonly dataDir?: string;
  /** Keep nothing on disk (tables in memory, S3 under a temporary folder). Default false. */
  readonly inMemory?: boolean;
  /** Ports; each defaults to a free one. */
  readonly ports?: {
    readonly dynamodb?: number;
    readonly s3?: number;
    readonly eventbridge?: number;
    readonly stepfunctions?: number;
    readonly websocket?: number;
    readonly idp?: number;
  };
  /** Ticks per game-loop lap (one tick Lambda invocation). Default 60: a second of game time. */
  readonly ticksPerBatch?: number;
  /** Seconds the game loop waits between laps. Default 1, so the world runs at about real time. */
  readonly waitSeconds?: number;
  /**
   * Pace each lap to its batch's game time (the tick handler's `LQ_PACE=realtime`): with small
   * batches and no wait, the world runs at clock speed and pushes come every batch. Default false.
   */
  readonly pace?: boolean;
  /**
   * Seconds between the loop supervisor's sweeps of every active world (AWS: every minute).
   * Default 10: a world whose loop stopped gets a new one within seconds.
   */
  readonly supervisorEverySeconds?: number;
  /** Faults to inject, for fault tests. Default none. */
  readonly faults?: {
    /** Duplicated and reordered event deliveries. */
    readonly events?: DeliveryFaults;
    /**
     * The address the handlers and services use for DynamoDB instead of DynamoDB Local's own: a
     * proxy in front of it (on `ports.dynamodb`) that can crash the stack at a chosen request.
     */
    readonly dynamodbEndpoint?: string;
  };
  /** Serve the dashboard's built page (and its `/config.json` and `/api/token`). Default: not. */
  readonly dashboard?: {
    readonly directory: string;
    /** Default a free one. */
    readonly port?: number;
    /**
     * Tried when `port` is not given; a free one if something holds it (taken between a check
     * and the listen, as by another stack starting at the same moment).
     */
    readonly preferredPort?: number;
    /** The world the page opens. Default `demo`. */
    readonly world?: string;
  };
  /**
   * How the game loop's pushes reach the players: `process`, straight into the gateway of this
   * process (`GatewayClientPush`); `sdk`, PostToConnection through the AWS SDK to the gateway's
   * `@connections` endpoint, as a deployment posts (0.4 to 0.7 ms of CPU a post: 200 players at
   * 20 Hz would take more than two cores). Default `process`.
   */
  readonly pushes?: "process" | "sdk";
  /** Powertools log level of the handlers. Default `WARN`: the stack's own lines say what happens. */
  readonly handlerLogLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR";
  /** A line per event worth telling (a service listening, a world started). Default: stdout. */
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  /** Every endpoint, by service. */
  readonly endpoints: {
    readonly dynamodb: string;
    readonly s3: string;
    readonly eventbridge: string;
    readonly stepfunctions: string;
    /** `ws://127.0.0.1:<port>/local`: where clients connect (`?world=<id>&token=<jwt>`). */
    readonly websocket: string;
    /** The `@connections` management endpoint. */
    readonly connections: string;
    readonly idp: string;
    /** `http://127.0.0.1:<port>/`: the dashboard, when the stack serves it. */
    readonly dashboard?: string;
  };
  /** The environment the handlers run with (and any SDK client or CLI should use). */
  readonly env: Readonly<Record<string, string>>;
  /** A dev token for a player, signed by the local identity provider. */
  token(playerId: string): Promise<string>;
  /**
   * The runtime's dependencies over this stack's services, running its game: what the handlers
   * use, for tools and tests that seed, verify or read worlds. Built once, on the first call.
   */
  runtimeDeps(): RuntimeDeps;
  /** Stops the WebSocket API (its clients see the connection drop), as an outage would. */
  stopGateway(): Promise<void>;
  /** Starts it again on the same port, after `stopGateway`. */
  startGateway(): Promise<void>;
  /** The events the local bus has received, oldest first (for tests and the dashboard). */
  busEvents(): readonly { readonly detailType: string; readonly detail: unknown }[];
  /** Starts a world's game loop (through the bus, as `World Activated` does in AWS). */
  activate(worldId: string, version: number): Promise<void>;
  /** Runs the loop supervisor's sweep now (as its schedule does), and says what it did. */
  supervise(): Promise<unknown>;
  /**
   * Stops DynamoDB Local and starts it again on the same port with the same tables, as an outage
   * of the store would look to the handlers (fault tests). Not for an in-memory stack.
   */
  restartDynamoDb(): Promise<void>;
  /**
   * What the run would have been billed for on AWS so far, in AWS's billing units (`usage.ts`):
   * what `ledgerquest cost` prices.
   */
  usage(): UsageSnapshot;
  /** Stops everything, in the order that loses nothing: the loop, clients, poller, services. */
  stop(): Promise<void>;
}

/** The region and account of the local stack's ARNs: one definition, the emulators' protocol's. */
export { LOCAL_ACCOUNT, LOCAL_REGION };

const STAGE = "local";
const STATE_MACHINE = "GameLoop";

function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Starts every local service and wires the handlers to them. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a named exception (docs/ARCHITECTURE.md, "Long functions")
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const ports = options.ports ?? {};
  const dataDir = resolve(options.dataDir ?? ".ledgerquest");
  // ─── usage meter (`ledgerquest cost`): every emulator counts into it, each handler call is a
  // metered Lambda invocation, and DynamoDB calls made inside one are metered too.
  const usage = new UsageMeter({
    settings: {
      game: options.game.name,
      tickMs: options.game.describe?.().tickMs ?? 1000 / 60,
      ticksPerLap: options.ticksPerBatch ?? 60,
      waitSeconds: options.waitSeconds ?? 1,
      pace: options.pace === true ? "realtime" : "none",
      supervisorEverySeconds: options.supervisorEverySeconds ?? 10,
    },
  });
  installDynamoDbMeter();
  // Shutdown runs in an order that loses nothing: the game loops first (a Tick under way
  // finishes its commit and its publishing), then clients, then the bus and the stream poller
  // (which saves its checkpoint), then the stores.
  const ORDER = [
    "supervisor",
    "stepfunctions",
    "dashboard",
    "gateway",
    "eventbridge",
    "poller",
    "idp",
    "s3",
    "dynamodb",
  ] as const;
  /** What a stop line says was stopped (and, where it matters, what the stop kept). */
  const STOPPED: Readonly<Record<(typeof ORDER)[number], string>> = {
    supervisor: "loop supervisor",
    stepfunctions: "Step Functions (every game loop's lap finished and committed)",
    dashboard: "dashboard",
    gateway: "WebSocket API (every connection closed)",
    eventbridge: "EventBridge",
    poller: "stream poller (its checkpoint saved)",
    idp: "identity provider",
    s3: "S3",
    dynamodb: "DynamoDB Local (every acknowledged write committed)",
  };
  const stops = new Map<(typeof ORDER)[number], () => Promise<void>>();
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const name of ORDER) {
      const stop = stops.get(name);
      if (stop === undefined) continue;
      stops.delete(name);
      try {
        await stop();
        log(`stopped ${STOPPED[name]}`);
      } catch (error) {
        log(`shutdown of ${name}: ${(error as Error).message}`);
      }
    }
  };
  try {
    if (!options.inMemory) mkdirSync(join(dataDir, "dynamodb"), { recursive: true });
    let ddb = await startDynamoDbLocal({
      ...(ports.dynamodb === undefined ? {} : { port: ports.dynamodb }),
      ...(options.inMemory ? {} : { dbPath: join(dataDir, "dynamodb") }),
      log,
    });
    stops.set("dynamodb", () => ddb.stop());
    // Everything reaches DynamoDB Local through this address: its own, or a fault test's proxy.
    const dynamodbEndpoint = options.faults?.dynamodbEndpoint ?? ddb.endpoint;
    log(
      `DynamoDB Local    ${ddb.endpoint}${options.inMemory ? " (in memory)" : ` (tables in ${join(dataDir, "dynamodb")})`}`,
    );

    const s3Dir = options.inMemory ? mkdtempSync(join(tmpdir(), "lq-s3-")) : join(dataDir, "s3");
    const bucket = "ledgerquest-assets";
    const s3 = await startLocalS3({
      directory: s3Dir,
      buckets: [bucket],
      accessKeyIds: ["local"],
      ...(ports.s3 === undefined ? {} : { port: ports.s3 }),
    });
    stops.set("s3", async () => {
      await s3.stop();
      // "In memory" keeps nothing: the objects' temporary folder goes with the stack.
      if (options.inMemory) rmSync(s3Dir, { recursive: true, force: true });
    });
    log(`S3                ${s3.endpoint} (bucket ${bucket})`);

    const idp = await startDevIdentityProvider(ports.idp === undefined ? {} : { port: ports.idp });
    stops.set("idp", () => idp.stop());
    log(`identity provider ${idp.url} (RS256, JWKS at ${idp.jwksUri})`);

    // The gateway must listen before the handlers' environment is fixed: `LQ_WEBSOCKET_ENDPOINT`
    // names it. Its handlers are bound once the modules are loaded, below.
    const routes: Record<string, (event: never, context: Context) => Promise<unknown>> = {};
    const route =
      (name: string) =>
      (event: unknown): Promise<never> => {
        const handler = routes[name];
        if (handler === undefined) throw new Error(`the ${name} handler is not loaded yet`);
        return usage.invoke(name, () =>
          handler(event as never, lambdaContext(name, API_GATEWAY_INTEGRATION_TIMEOUT_MS)),
        ) as Promise<never>;
      };
    const openGateway = (port: number | undefined) =>
      startWebSocketGateway({
        stage: STAGE,
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT,
        ...(port === undefined ? {} : { port }),
        usage,
        handlers: {
          authorizer: route("authorizer") as never,
          $connect: route("connect") as never,
          $disconnect: route("disconnect") as never,
          $default: route("command") as never,
          command: route("command") as never,
          query: route("query") as never,
        },
      });
    let gateway: Awaited<ReturnType<typeof startWebSocketGateway>> | undefined = await openGateway(
      ports.websocket,
    );
    const gatewayPort = gateway.port;
    stops.set("gateway", () => gateway?.stop() ?? Promise.resolve());

    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE}`;
    const env: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodbEndpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      LQ_ENTITY_TABLE: "EntityTable",
      LQ_AUDIT_TABLE: "AuditLog",
      LQ_EVENT_BUS: EVENT_BUS_NAME,
      LQ_ASSETS_BUCKET: bucket,
      LQ_S3_FORCE_PATH_STYLE: "true",
      LQ_WEBSOCKET_ENDPOINT: `http://127.0.0.1:${gatewayPort}/${STAGE}`,
      LQ_STATE_MACHINE_ARN: stateMachineArn,
      LQ_TICKS_PER_BATCH: String(options.ticksPerBatch ?? 60),
      LQ_WAIT_SECONDS: String(options.waitSeconds ?? 1),
      LQ_PACE: options.pace === true ? "realtime" : "none",
      POWERTOOLS_LOG_LEVEL: options.handlerLogLevel ?? "WARN",
      POWERTOOLS_SERVICE_NAME: "ledgerquest-local",
      ...idp.environment,
    };
    // Endpoints of services that start after this point are added below, before any handler runs.
    Object.assign(process.env, env);

    const { DynamoDbEntityStore, documentClient, ensureTables, logger, tableNames } = await import(
      "@ledgerquest/aws"
    );
    // The handlers' logger may have loaded before this stack set its level (it reads the level
    // once, when it loads): set it on the instance too.
    logger.setLogLevel(options.handlerLogLevel ?? "WARN");
    const ddbClient = new DynamoDBClient({
      endpoint: dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await ensureTables(ddbClient, tableNames(""));
    // Data kept from before the index of active worlds existed: index its active worlds, so the
    // loop supervisor sees them (a rewrite of an active world's flag is a no-op otherwise).
    const entities = new DynamoDbEntityStore(documentClient(ddbClient), {
      tables: tableNames(""),
    });
    for (const w of await entities.listWorlds(LIST_WORLDS_MAX))
      if (w.active) await entities.setWorldActive(w.worldId, true);

    const stepfunctions = await startLocalStepFunctions({
      ...(ports.stepfunctions === undefined ? {} : { port: ports.stepfunctions }),
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      usage,
      stateMachines: {
        [STATE_MACHINE]: {
          definition: gameLoopDefinition({
            tickFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:tick`,
          }),
          taskHandlers: {
            Tick: async (input) => {
              const output: unknown = await route("tick")(input);
              const { worldId, tick } = (output ?? {}) as { worldId?: unknown; tick?: unknown };
              if (typeof worldId === "string" && typeof tick === "number") {
                usage.worldTicked(worldId, tick);
              }
              return output;
            },
          },
        },
      },
      // Step Functions reports every status change on the default bus, where a rule
      // (`loopEndedPattern`) tells the supervisor of a loop that ended badly: the same here.
      onExecutionClosed: (execution) => {
        const event = {
          version: "0",
          id: crypto.randomUUID(),
          "detail-type": EXECUTION_STATUS_CHANGE,
          source: "aws.states",
          account: LOCAL_ACCOUNT,
          time: new Date().toISOString(),
          region: LOCAL_REGION,
          resources: [execution.executionArn],
          detail: {
            executionArn: execution.executionArn,
            stateMachineArn: execution.stateMachineArn,
            name: execution.name,
            status: execution.status,
            input: execution.input,
            error: execution.error ?? null,
            cause: execution.cause ?? null,
          },
        };
        if (execution.status === "FAILED" || execution.status === "TIMED_OUT")
          log(
            `game loop ${execution.name} ${execution.status}: ${execution.error ?? ""} ${execution.cause ?? ""}`,
          );
        // Stopping the stack aborts its loops: nothing to start again then.
        if (stopping || !matchesPattern(loopEndedPattern(stateMachineArn), event)) return;
        route("supervisor")(event).catch((error: unknown) =>
          log(`loop supervisor: ${(error as Error).message}`),
        );
      },
    });
    stops.set("stepfunctions", () => stepfunctions.close());
    log(
      `Step Functions    ${stepfunctions.url} (state machine ${STATE_MACHINE}, from the one-source ASL)`,
    );

    const eventbridge = await startLocalEventBridge({
      ...(ports.eventbridge === undefined ? {} : { port: ports.eventbridge }),
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      rules: EVENT_RULES,
      usage,
      ...(options.faults?.events === undefined ? {} : { faults: options.faults.events }),
      targets: {
        // The whole event, as EventBridge invokes a Lambda target; failures are retried by the bus.
        LoopSupervisor: (input) => route("supervisor")(input),
        // The leaderboard is kept by the AuditLog stream handler; the rule's Lambda target has
        // nothing more to do locally.
        LeaderboardProjector: () => undefined,
        OpsNotifier: (input) => log(`OPS ALERT: ${JSON.stringify(input)}`),
      },
    });
    stops.set("eventbridge", () => eventbridge.close());
    log(
      `EventBridge       ${eventbridge.url} (bus ${EVENT_BUS_NAME}, ${EVENT_RULES.length} rules)`,
    );

    Object.assign(env, {
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventbridge.url,
      AWS_ENDPOINT_URL_SFN: stepfunctions.url,
    });
    Object.assign(process.env, env);

    // The very modules Lambda runs, loaded now that their environment is complete.
    const [authorizer, connect, disconnect, command, query, tick, auditStream, supervisor] =
      await Promise.all([
        import("@ledgerquest/aws/handlers/authorizer"),
        import("@ledgerquest/aws/handlers/connect"),
        import("@ledgerquest/aws/handlers/disconnect"),
        import("@ledgerquest/aws/handlers/command"),
        import("@ledgerquest/aws/handlers/query"),
        import("@ledgerquest/aws/handlers/tick"),
        import("@ledgerquest/aws/handlers/audit-stream"),
        import("@ledgerquest/aws/handlers/supervisor"),
      ]);
    const { game } = options;
    Object.assign(routes, {
      // Fresh handlers, each reading this stack's environment: a second stack in the same
      // process (tests) does not talk to the first's services.
      authorizer: authorizer.lambdaHandler(),
      connect: connect.lambdaHandler(game),
      disconnect: disconnect.lambdaHandler(game),
      command: command.lambdaHandler(game),
      query: query.lambdaHandler(game),
      tick: tick.lambdaHandler(
        game,
        options.pushes === "sdk"
          ? {}
          : {
              // The gateway stopped (a fault test) has closed every connection: gone.
              push: new GatewayClientPush({
                postToConnection: (id, message) => gateway?.postToConnection(id, message) ?? "gone",
              }),
            },
      ),
      supervisor: supervisor.lambdaHandler(),
    });
    const { lazyRuntimeDeps } = await import("@ledgerquest/aws");
    const runtimeDeps = lazyRuntimeDeps(game, env);
    log(
      `WebSocket API     ws://127.0.0.1:${gatewayPort}/${STAGE} (@connections at ${env.LQ_WEBSOCKET_ENDPOINT})`,
    );

    const auditStreamHandler = auditStream.lambdaHandler();
    const poller = await startStreamPoller({
      client: new DynamoDBStreamsClient({
        endpoint: dynamodbEndpoint,
        region: LOCAL_REGION,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      }),
      dynamodb: ddbClient,
      tableName: "AuditLog",
      startingPosition: "TRIM_HORIZON",
      // The deployed mapping's filter: journal records only.
      filters: [auditStream.AUDIT_STREAM_FILTER_PATTERN],
      ...(options.inMemory
        ? {}
        : { checkpointFile: join(dataDir, "audit-stream.checkpoint.json") }),
      handler: (event) =>
        usage.invoke("audit-stream", () =>
          auditStreamHandler(event as never, lambdaContext("audit-stream", 60_000)),
        ),
      onError: (failure) => log(`stream poller: ${JSON.stringify(failure)}`),
    });
    stops.set("poller", () => poller.stop());
    log("stream poller     AuditLog stream -> audit-stream handler");

    const page = options.dashboard;
    const serveDashboard = (port: number | undefined) =>
      startDashboardServer({
        directory: page?.directory ?? "",
        ...(port === undefined ? {} : { port }),
        config: {
          websocketUrl: `ws://127.0.0.1:${gatewayPort}/${STAGE}`,
          world: page?.world ?? "demo",
          auth: "dev",
        },
        issueToken: (playerId, tokenOptions) => idp.issue(playerId, tokenOptions),
      });
    const dashboard =
      page === undefined
        ? undefined
        : await serveDashboard(page.port ?? page.preferredPort).catch((error: unknown) => {
            const taken = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
            if (page.port !== undefined || page.preferredPort === undefined || !taken) throw error;
            return serveDashboard(undefined);
          });
    if (dashboard !== undefined) {
      stops.set("dashboard", () => dashboard.close());
      log(`dashboard         ${dashboard.url}/`);
    }

    // The supervisor's schedule (EventBridge Scheduler's `rate(1 minute)` in AWS), more often here.
    const sweep = () =>
      route("supervisor")({
        version: "0",
        id: crypto.randomUUID(),
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: LOCAL_ACCOUNT,
        time: new Date().toISOString(),
        region: LOCAL_REGION,
        resources: [],
        detail: {},
      });
    const sweepTimer = setInterval(
      () =>
        void sweep().catch((error: unknown) => log(`loop supervisor: ${(error as Error).message}`)),
      (options.supervisorEverySeconds ?? 10) * 1000,
    );
    stops.set("supervisor", async () => clearInterval(sweepTimer));
    log(
      `loop supervisor   every ${options.supervisorEverySeconds ?? 10} s, on World Activated, and when a loop fails`,
    );

    const { EventBridgeClient } = await import("@aws-sdk/client-eventbridge");
    const { EventBridgePublisher } = await import("@ledgerquest/aws");
    const publisher = new EventBridgePublisher(
      new EventBridgeClient({
        endpoint: eventbridge.url,
        region: LOCAL_REGION,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      }),
      { eventBusName: EVENT_BUS_NAME },
    );

    return {
      endpoints: {
        dynamodb: dynamodbEndpoint,
        s3: s3.endpoint,
        eventbridge: eventbridge.url,
        stepfunctions: stepfunctions.url,
        websocket: `ws://127.0.0.1:${gatewayPort}/${STAGE}`,
        ...(dashboard === undefined ? {} : { dashboard: `${dashboard.url}/` }),
        connections: env.LQ_WEBSOCKET_ENDPOINT as string,
        idp: idp.url,
      },
      env,
      token: (playerId) => idp.token(playerId),
      runtimeDeps,
      busEvents: () =>
        eventbridge.events().map((e) => ({ detailType: e["detail-type"], detail: e.detail })),
      activate: async (worldId, version) => {
        const event = createDomainEvent("World Activated", { worldId, version });
        const { eventId, ...detail } = event.detail;
        await publisher.publish([
          {
            eventId,
            source: event.source,
            detailType: event.detailType,
            detail,
            timeMs: Date.now(),
          },
        ]);
      },
      supervise: () => sweep(),
      usage: () => usage.snapshot(),
      restartDynamoDb: async () => {
        if (options.inMemory)
          throw new Error("restartDynamoDb: an in-memory stack would lose its tables");
        await ddb.stop();
        ddb = await startDynamoDbLocal({ port: ddb.port, dbPath: join(dataDir, "dynamodb"), log });
      },
      stopGateway: async () => {
        await gateway?.stop();
        gateway = undefined;
      },
      startGateway: async () => {
        gateway ??= await openGateway(gatewayPort);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
