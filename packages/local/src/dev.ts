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
import type { EventBridgePublisher } from "@ledgerquest/aws";
import {
  type DeliveryFaults,
  type ExecutionDescription,
  lambdaContext,
  startLocalEventBridge,
  startLocalS3,
  startLocalStepFunctions,
  startWebSocketGateway,
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
import { LOCAL_CREDENTIALS, localClientConfig } from "./clients.js";
import { startDashboardServer } from "./dashboard-server.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "./dynamodb-local.js";
import { GatewayClientPush } from "./gateway-client-push.js";
import { startDevIdentityProvider } from "./idp.js";
import { startStreamPoller } from "./stream-poller.js";
import { UsageMeter, type UsageSnapshot } from "./usage.js";
import { installDynamoDbMeter } from "./usage-dynamodb.js";

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
const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE}`;
const BUCKET = "ledgerquest-assets";

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
type Service = (typeof ORDER)[number];
/** What a stop line says was stopped (and, where it matters, what the stop kept). */
const STOPPED: Readonly<Record<Service, string>> = {
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

type Handler = (event: never, context: Context) => Promise<unknown>;
type Log = (line: string) => void;
type IdentityProvider = Awaited<ReturnType<typeof startDevIdentityProvider>>;
type WebSocketServer = Awaited<ReturnType<typeof startWebSocketGateway>>;
type StepFunctions = Awaited<ReturnType<typeof startLocalStepFunctions>>;
type EventBridge = Awaited<ReturnType<typeof startLocalEventBridge>>;
type Dashboard = Awaited<ReturnType<typeof startDashboardServer>>;
type AuditStreamModule = typeof import("@ledgerquest/aws/handlers/audit-stream");

/** The memory the local stack's handlers report in their Lambda context. */
const LAMBDA_MEMORY = { memoryLimitInMB: 1024 } as const;

/** The stops of the services started so far, run in `ORDER` by `stopAll`. */
class Shutdown {
  readonly #stops = new Map<Service, () => Promise<void>>();
  readonly #log: Log;
  #stopping = false;

  constructor(log: Log) {
    this.#log = log;
  }

  /** Whether `stopAll` has begun. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Registers `name`'s stop, right after it has started: a start that fails later stops it. */
  add(name: Service, stop: () => Promise<void>): void {
    this.#stops.set(name, stop);
  }

  async stopAll(): Promise<void> {
    this.#stopping = true;
    for (const name of ORDER) {
      const stop = this.#stops.get(name);
      if (stop === undefined) continue;
      this.#stops.delete(name);
      try {
        await stop();
        this.#log(`stopped ${STOPPED[name]}`);
      } catch (error) {
        this.#log(`shutdown of ${name}: ${(error as Error).message}`);
      }
    }
  }
}

/**
 * The handlers the services invoke, by name, each call a metered Lambda invocation. The services
 * start first (the handlers' environment names them); the handlers are bound once their modules
 * are loaded, and a call before that fails.
 */
class Routes {
  readonly #handlers: Record<string, Handler> = {};
  readonly #usage: UsageMeter;

  constructor(usage: UsageMeter) {
    this.#usage = usage;
  }

  route(name: string): (event: unknown) => Promise<never> {
    return (event: unknown): Promise<never> => {
      const handler = this.#handlers[name];
      if (handler === undefined) throw new Error(`the ${name} handler is not loaded yet`);
      return this.#usage.invoke(name, () =>
        handler(
          event as never,
          lambdaContext(name, API_GATEWAY_INTEGRATION_TIMEOUT_MS, LAMBDA_MEMORY),
        ),
      ) as Promise<never>;
    };
  }

  bind(handlers: Readonly<Record<string, Handler>>): void {
    Object.assign(this.#handlers, handlers);
  }
}

/** What every step of the wiring reads, all of it set before the first service starts. */
interface Wiring {
  readonly options: LocalStackOptions;
  readonly log: Log;
  readonly dataDir: string;
  readonly usage: UsageMeter;
  readonly shutdown: Shutdown;
  readonly routes: Routes;
}

/**
 * The usage meter (`ledgerquest cost`): every emulator counts into it, each handler call is a
 * metered Lambda invocation, and DynamoDB calls made inside one are metered too.
 */
function usageMeterFor(options: LocalStackOptions): UsageMeter {
  return new UsageMeter({
    settings: {
      game: options.game.name,
      tickMs: options.game.describe?.().tickMs ?? 1000 / 60,
      ticksPerLap: options.ticksPerBatch ?? 60,
      waitSeconds: options.waitSeconds ?? 1,
      pace: options.pace === true ? "realtime" : "none",
      supervisorEverySeconds: options.supervisorEverySeconds ?? 10,
    },
  });
}

/** DynamoDB Local, which `restart` replaces by a new one on the same port with the same tables. */
class RestartableDynamoDb {
  #current: DynamoDbLocal;
  /** Its tables' folder; undefined in memory. */
  readonly #dbPath: string | undefined;
  readonly #log: Log;

  constructor(current: DynamoDbLocal, dbPath: string | undefined, log: Log) {
    this.#current = current;
    this.#dbPath = dbPath;
    this.#log = log;
  }

  get endpoint(): string {
    return this.#current.endpoint;
  }

  stop(): Promise<void> {
    return this.#current.stop();
  }

  async restart(): Promise<void> {
    if (this.#dbPath === undefined)
      throw new Error("restartDynamoDb: an in-memory stack would lose its tables");
    await this.#current.stop();
    this.#current = await startDynamoDbLocal({
      port: this.#current.port,
      dbPath: this.#dbPath,
      log: this.#log,
    });
  }
}

async function startDynamoDb({ options, log, dataDir, shutdown }: Wiring) {
  const dbPath = options.inMemory ? undefined : join(dataDir, "dynamodb");
  if (dbPath !== undefined) mkdirSync(dbPath, { recursive: true });
  const port = options.ports?.dynamodb;
  const ddb = new RestartableDynamoDb(
    await startDynamoDbLocal({
      ...(port === undefined ? {} : { port }),
      ...(dbPath === undefined ? {} : { dbPath }),
      log,
    }),
    dbPath,
    log,
  );
  shutdown.add("dynamodb", () => ddb.stop());
  log(
    `DynamoDB Local    ${ddb.endpoint}${dbPath === undefined ? " (in memory)" : ` (tables in ${dbPath})`}`,
  );
  return ddb;
}

async function startS3({ options, log, dataDir, shutdown }: Wiring) {
  const s3Dir = options.inMemory ? mkdtempSync(join(tmpdir(), "lq-s3-")) : join(dataDir, "s3");
  const port = options.ports?.s3;
  const s3 = await startLocalS3({
    directory: s3Dir,
    buckets: [BUCKET],
    accessKeyIds: [LOCAL_CREDENTIALS.accessKeyId],
    ...(port === undefined ? {} : { port }),
  });
  shutdown.add("s3", async () => {
    await s3.stop();
    // "In memory" keeps nothing: the objects' temporary folder goes with the stack.
    if (options.inMemory) rmSync(s3Dir, { recursive: true, force: true });
  });
  log(`S3                ${s3.endpoint} (bucket ${BUCKET})`);
  return s3;
}

async function startIdentityProvider({ options, log, shutdown }: Wiring) {
  const port = options.ports?.idp;
  const idp = await startDevIdentityProvider(port === undefined ? {} : { port });
  shutdown.add("idp", () => idp.stop());
  log(`identity provider ${idp.url} (RS256, JWKS at ${idp.jwksUri})`);
  return idp;
}

function listenGateway(
  routes: Routes,
  usage: UsageMeter,
  port: number | undefined,
): Promise<WebSocketServer> {
  return startWebSocketGateway({
    stage: STAGE,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    ...(port === undefined ? {} : { port }),
    usage,
    handlers: {
      authorizer: routes.route("authorizer") as never,
      $connect: routes.route("connect") as never,
      $disconnect: routes.route("disconnect") as never,
      $default: routes.route("command") as never,
      command: routes.route("command") as never,
      query: routes.route("query") as never,
    },
  });
}

/** The WebSocket API, which a fault test may stop (an outage) and start again on its port. */
class LocalGateway {
  readonly port: number;
  readonly #routes: Routes;
  readonly #usage: UsageMeter;
  #server: WebSocketServer | undefined;

  constructor(server: WebSocketServer, routes: Routes, usage: UsageMeter) {
    this.port = server.port;
    this.#server = server;
    this.#routes = routes;
    this.#usage = usage;
  }

  /** `ws://127.0.0.1:<port>/local`: where clients connect. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/${STAGE}`;
  }

  /** The `@connections` management endpoint. */
  get connections(): string {
    return `http://127.0.0.1:${this.port}/${STAGE}`;
  }

  postToConnection(connectionId: string, message: string): "sent" | "gone" {
    // The gateway stopped (a fault test) has closed every connection: gone.
    return this.#server?.postToConnection(connectionId, message) ?? "gone";
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
    this.#server = undefined;
  }

  async start(): Promise<void> {
    this.#server ??= await listenGateway(this.#routes, this.#usage, this.port);
  }

  /** The stack's stop: the server stopped, and kept (a `start` after it does nothing). */
  shutdown(): Promise<void> {
    return this.#server?.stop() ?? Promise.resolve();
  }
}

async function openGateway({ options, usage, shutdown, routes }: Wiring) {
  const server = await listenGateway(routes, usage, options.ports?.websocket);
  const gateway = new LocalGateway(server, routes, usage);
  shutdown.add("gateway", () => gateway.shutdown());
  return gateway;
}

/** The handlers' environment, as the CDK stacks set it, over the services started so far. */
function handlerEnvironment(
  options: LocalStackOptions,
  services: {
    readonly dynamodb: string;
    readonly s3: string;
    readonly gateway: LocalGateway;
    readonly idp: IdentityProvider;
  },
): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: services.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: services.dynamodb,
    AWS_ENDPOINT_URL_S3: services.s3,
    LQ_ENTITY_TABLE: "EntityTable",
    LQ_AUDIT_TABLE: "AuditLog",
    LQ_EVENT_BUS: EVENT_BUS_NAME,
    LQ_ASSETS_BUCKET: BUCKET,
    LQ_S3_FORCE_PATH_STYLE: "true",
    LQ_WEBSOCKET_ENDPOINT: services.gateway.connections,
    LQ_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
    LQ_TICKS_PER_BATCH: String(options.ticksPerBatch ?? 60),
    LQ_WAIT_SECONDS: String(options.waitSeconds ?? 1),
    LQ_PACE: options.pace === true ? "realtime" : "none",
    POWERTOOLS_LOG_LEVEL: options.handlerLogLevel ?? "WARN",
    POWERTOOLS_SERVICE_NAME: "ledgerquest-local",
    ...services.idp.environment,
  };
}

/** Makes the tables, and returns the DynamoDB client the stream poller shares. */
async function prepareTables(
  options: LocalStackOptions,
  dynamodbEndpoint: string,
): Promise<DynamoDBClient> {
  const { DynamoDbEntityStore, documentClient, ensureTables, logger, tableNames } = await import(
    "@ledgerquest/aws"
  );
  // The handlers' logger may have loaded before this stack set its level (it reads the level
  // once, when it loads): set it on the instance too.
  logger.setLogLevel(options.handlerLogLevel ?? "WARN");
  const ddbClient = new DynamoDBClient(localClientConfig(dynamodbEndpoint));
  await ensureTables(ddbClient, tableNames(""));
  // Data kept from before the index of active worlds existed: index its active worlds, so the
  // loop supervisor sees them (a rewrite of an active world's flag is a no-op otherwise).
  const entities = new DynamoDbEntityStore(documentClient(ddbClient), {
    tables: tableNames(""),
  });
  for (const w of await entities.listWorlds(LIST_WORLDS_MAX))
    if (w.active) await entities.setWorldActive(w.worldId, true);
  return ddbClient;
}

/** The game loop's Tick task: the tick handler, its world's tick counted by the usage meter. */
async function runTick(routes: Routes, usage: UsageMeter, input: unknown): Promise<unknown> {
  const output: unknown = await routes.route("tick")(input);
  const { worldId, tick } = (output ?? {}) as { worldId?: unknown; tick?: unknown };
  if (typeof worldId === "string" && typeof tick === "number") {
    usage.worldTicked(worldId, tick);
  }
  return output;
}

/** The `Step Functions Execution Status Change` event AWS puts on the default bus. */
function executionStatusChange(execution: ExecutionDescription) {
  return {
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
}

function onExecutionClosed(execution: ExecutionDescription, { log, shutdown, routes }: Wiring) {
  const event = executionStatusChange(execution);
  if (execution.status === "FAILED" || execution.status === "TIMED_OUT")
    log(
      `game loop ${execution.name} ${execution.status}: ${execution.error ?? ""} ${execution.cause ?? ""}`,
    );
  // Stopping the stack aborts its loops: nothing to start again then.
  if (shutdown.stopping || !matchesPattern(loopEndedPattern(STATE_MACHINE_ARN), event)) return;
  routes
    .route("supervisor")(event)
    .catch((error: unknown) => log(`loop supervisor: ${(error as Error).message}`));
}

async function startStepFunctions(wiring: Wiring) {
  const { options, log, usage, shutdown, routes } = wiring;
  const port = options.ports?.stepfunctions;
  const stepfunctions = await startLocalStepFunctions({
    ...(port === undefined ? {} : { port }),
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
    usage,
    stateMachines: {
      [STATE_MACHINE]: {
        definition: gameLoopDefinition({
          tickFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:tick`,
        }),
        taskHandlers: { Tick: (input) => runTick(routes, usage, input) },
      },
    },
    // Step Functions reports every status change on the default bus, where a rule
    // (`loopEndedPattern`) tells the supervisor of a loop that ended badly: the same here.
    onExecutionClosed: (execution) => onExecutionClosed(execution, wiring),
  });
  shutdown.add("stepfunctions", () => stepfunctions.close());
  log(
    `Step Functions    ${stepfunctions.url} (state machine ${STATE_MACHINE}, from the one-source ASL)`,
  );
  return stepfunctions;
}

async function startEventBridge({ options, log, usage, shutdown, routes }: Wiring) {
  const port = options.ports?.eventbridge;
  const eventbridge = await startLocalEventBridge({
    ...(port === undefined ? {} : { port }),
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
    rules: EVENT_RULES,
    usage,
    ...(options.faults?.events === undefined ? {} : { faults: options.faults.events }),
    targets: {
      // The whole event, as EventBridge invokes a Lambda target; failures are retried by the bus.
      LoopSupervisor: (input) => routes.route("supervisor")(input),
      // The leaderboard is kept by the AuditLog stream handler; the rule's Lambda target has
      // nothing more to do locally.
      LeaderboardProjector: () => undefined,
      OpsNotifier: (input) => log(`OPS ALERT: ${JSON.stringify(input)}`),
    },
  });
  shutdown.add("eventbridge", () => eventbridge.close());
  log(`EventBridge       ${eventbridge.url} (bus ${EVENT_BUS_NAME}, ${EVENT_RULES.length} rules)`);
  return eventbridge;
}

/**
 * Loads the very modules Lambda runs (their environment must be complete by now) and binds the
 * routes to them; returns the AuditLog stream handler's module, for the stream poller.
 */
async function loadHandlers(
  { options, routes }: Wiring,
  gateway: LocalGateway,
): Promise<AuditStreamModule> {
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
  routes.bind({
    // Fresh handlers, each reading this stack's environment: a second stack in the same
    // process (tests) does not talk to the first's services.
    authorizer: authorizer.lambdaHandler(),
    connect: connect.lambdaHandler(game),
    disconnect: disconnect.lambdaHandler(game),
    command: command.lambdaHandler(game),
    query: query.lambdaHandler(game),
    tick: tick.lambdaHandler(
      game,
      options.pushes === "sdk" ? {} : { push: new GatewayClientPush(gateway) },
    ),
    supervisor: supervisor.lambdaHandler(),
  });
  return auditStream;
}

async function startPoller(
  { options, log, dataDir, usage, shutdown }: Wiring,
  dynamodb: { readonly endpoint: string; readonly client: DynamoDBClient },
  auditStream: AuditStreamModule,
) {
  const auditStreamHandler = auditStream.lambdaHandler();
  const poller = await startStreamPoller({
    client: new DynamoDBStreamsClient(localClientConfig(dynamodb.endpoint)),
    dynamodb: dynamodb.client,
    tableName: "AuditLog",
    startingPosition: "TRIM_HORIZON",
    // The deployed mapping's filter: journal records only.
    filters: [auditStream.AUDIT_STREAM_FILTER_PATTERN],
    ...(options.inMemory ? {} : { checkpointFile: join(dataDir, "audit-stream.checkpoint.json") }),
    handler: (event) =>
      usage.invoke("audit-stream", () =>
        auditStreamHandler(event as never, lambdaContext("audit-stream", 60_000, LAMBDA_MEMORY)),
      ),
    onError: (failure) => log(`stream poller: ${JSON.stringify(failure)}`),
  });
  shutdown.add("poller", () => poller.stop());
  log("stream poller     AuditLog stream -> audit-stream handler");
  return poller;
}

/** Serves the dashboard's page, when the options ask for it. */
async function startDashboard(
  { options, log, shutdown }: Wiring,
  gateway: LocalGateway,
  idp: IdentityProvider,
): Promise<Dashboard | undefined> {
  const page = options.dashboard;
  if (page === undefined) return undefined;
  const serveDashboard = (port: number | undefined) =>
    startDashboardServer({
      directory: page.directory,
      ...(port === undefined ? {} : { port }),
      config: { websocketUrl: gateway.url, world: page.world ?? "demo", auth: "dev" },
      issueToken: (playerId, tokenOptions) => idp.issue(playerId, tokenOptions),
    });
  const dashboard = await serveDashboard(page.port ?? page.preferredPort).catch(
    (error: unknown) => {
      const taken = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (page.port !== undefined || page.preferredPort === undefined || !taken) throw error;
      return serveDashboard(undefined);
    },
  );
  shutdown.add("dashboard", () => dashboard.close());
  log(`dashboard         ${dashboard.url}/`);
  return dashboard;
}

/**
 * The supervisor's schedule (EventBridge Scheduler's `rate(1 minute)` in AWS), more often here.
 * Returns its sweep, which runs the supervisor once.
 */
function startSupervisorSchedule({ options, log, shutdown, routes }: Wiring) {
  const sweep = () =>
    routes.route("supervisor")({
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
  shutdown.add("supervisor", async () => clearInterval(sweepTimer));
  log(
    `loop supervisor   every ${options.supervisorEverySeconds ?? 10} s, on World Activated, and when a loop fails`,
  );
  return sweep;
}

/** A publisher onto the local bus, for `activate`. */
async function busPublisher(eventbridgeUrl: string): Promise<EventBridgePublisher> {
  const { EventBridgeClient } = await import("@aws-sdk/client-eventbridge");
  const { EventBridgePublisher } = await import("@ledgerquest/aws");
  return new EventBridgePublisher(new EventBridgeClient(localClientConfig(eventbridgeUrl)), {
    eventBusName: EVENT_BUS_NAME,
  });
}

/** Publishes `World Activated`, which starts the world's game loop through the bus. */
async function publishWorldActivated(
  publisher: EventBridgePublisher,
  worldId: string,
  version: number,
): Promise<void> {
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
}

/** What the wiring started, for the stack's API. */
interface Started {
  readonly dynamodbEndpoint: string;
  readonly ddb: RestartableDynamoDb;
  readonly s3: { readonly endpoint: string };
  readonly idp: IdentityProvider;
  readonly gateway: LocalGateway;
  readonly stepfunctions: StepFunctions;
  readonly eventbridge: EventBridge;
  readonly dashboard: Dashboard | undefined;
  readonly env: Record<string, string>;
  readonly runtimeDeps: () => RuntimeDeps;
  readonly sweep: () => Promise<unknown>;
  readonly publisher: EventBridgePublisher;
}

function localStack(started: Started, { usage, shutdown }: Wiring): LocalStack {
  const { ddb, idp, gateway, eventbridge, dashboard, env, publisher, sweep } = started;
  return {
    endpoints: {
      dynamodb: started.dynamodbEndpoint,
      s3: started.s3.endpoint,
      eventbridge: eventbridge.url,
      stepfunctions: started.stepfunctions.url,
      websocket: gateway.url,
      ...(dashboard === undefined ? {} : { dashboard: `${dashboard.url}/` }),
      connections: gateway.connections,
      idp: idp.url,
    },
    env,
    token: (playerId) => idp.token(playerId),
    runtimeDeps: started.runtimeDeps,
    busEvents: () =>
      eventbridge.events().map((e) => ({ detailType: e["detail-type"], detail: e.detail })),
    activate: (worldId, version) => publishWorldActivated(publisher, worldId, version),
    supervise: () => sweep(),
    usage: () => usage.snapshot(),
    restartDynamoDb: () => ddb.restart(),
    stopGateway: () => gateway.stop(),
    startGateway: () => gateway.start(),
    stop: () => shutdown.stopAll(),
  };
}

/** Starts the services in order, and the handlers over them. */
async function wire(wiring: Wiring): Promise<LocalStack> {
  const { options, log } = wiring;
  const ddb = await startDynamoDb(wiring);
  // Everything reaches DynamoDB Local through this address: its own, or a fault test's proxy.
  const dynamodbEndpoint = options.faults?.dynamodbEndpoint ?? ddb.endpoint;
  const s3 = await startS3(wiring);
  const idp = await startIdentityProvider(wiring);
  // The gateway must listen before the handlers' environment is fixed: `LQ_WEBSOCKET_ENDPOINT`
  // names it. Its handlers are bound once the modules are loaded, below.
  const gateway = await openGateway(wiring);
  const env = handlerEnvironment(options, {
    dynamodb: dynamodbEndpoint,
    s3: s3.endpoint,
    gateway,
    idp,
  });
  // Endpoints of services that start after this point are added below, before any handler runs.
  Object.assign(process.env, env);
  const ddbClient = await prepareTables(options, dynamodbEndpoint);
  const stepfunctions = await startStepFunctions(wiring);
  const eventbridge = await startEventBridge(wiring);
  Object.assign(env, {
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventbridge.url,
    AWS_ENDPOINT_URL_SFN: stepfunctions.url,
  });
  Object.assign(process.env, env);
  const auditStream = await loadHandlers(wiring, gateway);
  const { lazyRuntimeDeps } = await import("@ledgerquest/aws");
  const runtimeDeps = lazyRuntimeDeps(options.game, env);
  log(`WebSocket API     ${gateway.url} (@connections at ${env.LQ_WEBSOCKET_ENDPOINT})`);
  await startPoller(wiring, { endpoint: dynamodbEndpoint, client: ddbClient }, auditStream);
  const dashboard = await startDashboard(wiring, gateway, idp);
  const sweep = startSupervisorSchedule(wiring);
  const publisher = await busPublisher(eventbridge.url);
  return localStack(
    {
      dynamodbEndpoint,
      ddb,
      s3,
      idp,
      gateway,
      stepfunctions,
      eventbridge,
      dashboard,
      env,
      runtimeDeps,
      sweep,
      publisher,
    },
    wiring,
  );
}

/** Starts every local service and wires the handlers to them. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const usage = usageMeterFor(options);
  installDynamoDbMeter();
  const wiring: Wiring = {
    options,
    log,
    dataDir: resolve(options.dataDir ?? ".ledgerquest"),
    usage,
    shutdown: new Shutdown(log),
    routes: new Routes(usage),
  };
  try {
    return await wire(wiring);
  } catch (error) {
    // Everything already started is stopped.
    await wiring.shutdown.stopAll();
    throw error;
  }
}
