/**
 * The WebSocket and tick handlers against DynamoDB Local, with API Gateway WebSocket events of the
 * real shape (`APIGatewayProxyWebsocketEventV2` plus the `$connect` authorizer's context): first
 * the handlers' cores with injected dependencies, then the exported Lambda entry points configured
 * from the environment alone, talking to local endpoints of every service they use.
 */
import { randomUUID } from "node:crypto";
import {
  type RunningLocalEventBridge,
  startLocalEventBridge,
  startWebSocketGateway,
  type WebSocketAuthorizerHandler,
  type WebSocketGatewayErrorSite,
  type WebSocketRouteHandler,
} from "@ledgerquest/emulators";
import { connectClient } from "@ledgerquest/emulators/testing";
import { arenaModule } from "@ledgerquest/example-arena";
import {
  createWorld,
  type EntityStore,
  type InboxCommand,
  inboxShardOf,
  ManualClock,
  MemoryBlobStore,
  MemoryClientPush,
  MemoryEntityStore,
  MemoryEventPublisher,
  type RuntimeDeps,
} from "@ledgerquest/runtime";
import type {
  APIGatewayEventWebsocketRequestContextV2,
  APIGatewayProxyWebsocketEventV2WithRequestContext,
  Context,
} from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DynamoDbCommandInbox } from "../src/adapters/dynamodb-command-inbox.js";
import { ensureTables } from "../src/adapters/dynamodb-common.js";
import { DynamoDbEntityStore } from "../src/adapters/dynamodb-entity-store.js";
import { DynamoDbJournal } from "../src/adapters/dynamodb-journal.js";
import { readConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";
import {
  type CommandReplyFrame,
  lambdaHandler as commandLambda,
  handleCommand,
} from "../src/handlers/command.js";
import { lambdaHandler as connectLambda, handleConnect } from "../src/handlers/connect.js";
import { lambdaHandler as disconnectLambda, handleDisconnect } from "../src/handlers/disconnect.js";
import { handleQuery } from "../src/handlers/query.js";
import {
  AVERAGE_TICK_DURATION_METRIC,
  createTickHandler,
  DEFAULT_TICK_SETTINGS,
  InvalidTickInputError,
  type TickSettings,
  tickConfigSchema,
  tickHandlerDepsFromEnvironment,
  lambdaHandler as tickLambda,
} from "../src/handlers/tick.js";
import type { WebSocketResponse } from "../src/handlers/websocket.js";
import { MetricName, metrics } from "../src/observability.js";
import { createRuntimeDeps, runtimeConfigSchema } from "../src/wiring.js";
import { dynamoDbEndpoint, dynamoDbLocal } from "./support/dynamodb-local.js";
import { type LocalS3, startLocalS3 } from "./support/s3-local.js";

const { client, doc, tables } = dynamoDbLocal("handlers-");
const PLAYERS = ["player_0001", "player_0002"] as const;
const [ALICE, BOB] = PLAYERS;
const SETTINGS = { bodies: 10, bots: 2, coins: 10 };

type AuthorizedContext = APIGatewayEventWebsocketRequestContextV2 & {
  authorizer?: { principalId: string; integrationLatency: number; playerId: string };
};
type WebSocketTestEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<AuthorizedContext>;

/** An event as API Gateway sends it to a WebSocket route's Lambda proxy integration. */
function wsEvent(
  routeKey: "$connect" | "$disconnect" | "command" | "query" | "$default",
  connectionId: string,
  options: {
    readonly playerId?: string;
    /** As API Gateway hands the authorizer's boolean to later routes: the string "true". */
    readonly operator?: "true" | "false";
    readonly body?: string;
    readonly query?: Record<string, string>;
  } = {},
): WebSocketTestEvent {
  const now = Date.now();
  const requestContext: AuthorizedContext = {
    routeKey,
    messageId: routeKey === "$connect" || routeKey === "$disconnect" ? "" : "msg-1=",
    eventType:
      routeKey === "$connect" ? "CONNECT" : routeKey === "$disconnect" ? "DISCONNECT" : "MESSAGE",
    extendedRequestId: `ext-${randomUUID()}`,
    requestTime: new Date(now).toUTCString(),
    messageDirection: "IN",
    stage: "test",
    connectedAt: now - 1_000,
    requestTimeEpoch: now,
    requestId: `req-${randomUUID()}`,
    domainName: "abcdef1234.execute-api.eu-west-1.amazonaws.com",
    connectionId,
    apiId: "abcdef1234",
    ...(options.playerId === undefined
      ? {}
      : {
          authorizer: {
            principalId: options.playerId,
            integrationLatency: 12,
            playerId: options.playerId,
            ...(options.operator === undefined ? {} : { operator: options.operator }),
          },
        }),
  };
  return {
    requestContext,
    isBase64Encoded: false,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.query === undefined
      ? {}
      : {
          queryStringParameters: options.query,
          multiValueQueryStringParameters: Object.fromEntries(
            Object.entries(options.query).map(([k, v]) => [k, [v]]),
          ),
        }),
  };
}

const lambdaContext = (remainingMs = 60_000): Context =>
  ({
    functionName: "ledgerquest-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:ledgerquest-test",
    memoryLimitInMB: "1024",
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => remainingMs,
  }) as Context;

function frameOf(response: WebSocketResponse): CommandReplyFrame {
  expect(response.statusCode).toBe(200);
  return JSON.parse(response.body ?? "") as CommandReplyFrame;
}

/**
 * A `$connect` authorizer that admits the player `?player=` names, with the context the project's
 * authorizer gives (`playerId`); that one, which verifies tokens, is tested in authorizer.test.ts.
 */
const playerAuthorizer: WebSocketAuthorizerHandler = async (event) => {
  const playerId = event.queryStringParameters.player;
  if (playerId === undefined) throw new Error("Unauthorized");
  return {
    principalId: playerId,
    policyDocument: {
      Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: event.methodArn }],
    },
    context: { playerId },
  };
};

/**
 * `handler` as a gateway integration that also keeps its answers: the gateway acts on `$connect`'s
 * and ignores `$disconnect`'s, and the test checks both.
 */
function answersKept(handler: WebSocketRouteHandler, answers: unknown[]): WebSocketRouteHandler {
  return async (event, context) => {
    const answer = await handler(event, context);
    answers.push(answer);
    return answer;
  };
}

function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Every command in every inbox shard of the world. */
async function inboxOf(deps: RuntimeDeps, worldId: string): Promise<InboxCommand[]> {
  const out: InboxCommand[] = [];
  for (let shard = 0; shard < 4; shard++) {
    out.push(...(await deps.inbox.read(worldId, shard, 0, 900_000_000_000_000)));
  }
  return out;
}

function coreDeps(): RuntimeDeps & { clock: ManualClock } {
  return {
    store: new DynamoDbEntityStore(doc, { tables }),
    journal: new DynamoDbJournal(doc, { tables }),
    inbox: new DynamoDbCommandInbox(doc, { tables }),
    blobs: new MemoryBlobStore(),
    publisher: new MemoryEventPublisher(),
    push: new MemoryClientPush(),
    clock: new ManualClock(Date.now()),
    game: arenaModule,
  };
}

async function newWorld(deps: RuntimeDeps): Promise<string> {
  const worldId = uniqueId("world");
  await createWorld(deps, { worldId, players: [...PLAYERS], settings: SETTINGS });
  return worldId;
}

function metricValues(spy: { mock: { calls: unknown[][] } }, name: string): number[] {
  return spy.mock.calls.filter((call) => call[0] === name).map((call) => call[2] as number);
}

beforeAll(async () => {
  await ensureTables(client, tables);
});

afterEach(() => {
  vi.restoreAllMocks();
});

// Alike: the tests below, one another (connect, then command frames written out in full, so the
// frame each test is about stays in view).
describe("$connect", () => {
  it("joins the authorizer's player to the world in the query string", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const connectionId = `${uniqueId("c")}=`;
    const response = await handleConnect(
      deps,
      wsEvent("$connect", connectionId, { playerId: ALICE, query: { world: worldId } }),
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? "")).toEqual({
      type: "connected",
      worldId,
      tick: 0,
      version: 0,
      member: true,
    });
    const stored = await deps.store.getConnection(connectionId);
    expect(stored).toMatchObject({
      connectionId,
      playerId: ALICE,
      worldId,
      inboxShards: 4,
      member: true,
    });
  });

  it("refuses a player's connection past the game's cap with 429, storing nothing", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const ids = Array.from({ length: 5 }, () => uniqueId("c"));
    const statuses = [];
    for (const id of ids) {
      const r = await handleConnect(
        deps,
        wsEvent("$connect", id, { playerId: ALICE, query: { world: worldId } }),
      );
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect(await deps.store.getConnection(ids[4] as string)).toBeUndefined();
  });

  it("refuses a connection without the authorizer's identity with 401 and stores nothing", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const connectionId = uniqueId("c");
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await handleConnect(
      deps,
      // A player id elsewhere in the request (here the query) is not an identity.
      wsEvent("$connect", connectionId, { query: { world: worldId, playerId: ALICE } }),
    );
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body ?? "")).toMatchObject({ type: "error", code: "unauthorized" });
    expect(await deps.store.getConnection(connectionId)).toBeUndefined();
  });

  it("refuses an unknown world with 404 and a missing or bad world with 400", async () => {
    const deps = coreDeps();
    const cases: [Record<string, string> | undefined, number, string][] = [
      [{ world: uniqueId("no-such-world") }, 404, "unknown_world"],
      [undefined, 400, "invalid_request"],
      [{ world: "bad#world" }, 400, "invalid_request"],
    ];
    for (const [query, status, code] of cases) {
      const connectionId = uniqueId("c");
      const response = await handleConnect(
        deps,
        wsEvent("$connect", connectionId, {
          playerId: ALICE,
          ...(query === undefined ? {} : { query }),
        }),
      );
      expect(response.statusCode, JSON.stringify(query)).toBe(status);
      const body = JSON.parse(response.body ?? "") as { code: string; message: string };
      expect(body.code).toBe(code);
      expect(body.message.length).toBeGreaterThan(10);
      expect(await deps.store.getConnection(connectionId)).toBeUndefined();
    }
  });

  it("refuses two different world parameters rather than picking one", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const event = wsEvent("$connect", uniqueId("c"), {
      playerId: ALICE,
      query: { world: worldId },
    });
    const response = await handleConnect(deps, {
      ...event,
      multiValueQueryStringParameters: { world: [worldId, "other-world"] },
    });
    expect(response.statusCode).toBe(400);
  });

  it("$disconnect forgets the connection, and a second one is harmless", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const connectionId = uniqueId("c");
    await handleConnect(
      deps,
      wsEvent("$connect", connectionId, { playerId: ALICE, query: { world: worldId } }),
    );
    const event = wsEvent("$disconnect", connectionId, { playerId: ALICE });
    expect((await handleDisconnect(deps, event)).statusCode).toBe(200);
    expect(await deps.store.getConnection(connectionId)).toBeUndefined();
    expect((await handleDisconnect(deps, event)).statusCode).toBe(200);
  });
});

describe("commands", () => {
  async function connected(deps: RuntimeDeps, playerId: string) {
    const worldId = await newWorld(deps);
    const connectionId = uniqueId("c");
    const r = await handleConnect(
      deps,
      wsEvent("$connect", connectionId, { playerId, query: { world: worldId } }),
    );
    expect(r.statusCode).toBe(200);
    return { worldId, connectionId };
  }

  it("acks a command and queues it for the authorizer's player", async () => {
    const deps = coreDeps();
    const { worldId, connectionId } = await connected(deps, ALICE);
    deps.clock.advance(10);
    const frame = frameOf(
      await handleCommand(
        deps,
        wsEvent("command", connectionId, {
          playerId: ALICE,
          body: JSON.stringify({
            action: "command",
            id: "c-1",
            type: "move",
            data: { dx: 1, dy: 0 },
          }),
        }),
      ),
    );
    expect(frame).toEqual({ type: "ack", id: "c-1", result: "accepted" });
    const queued = await inboxOf(deps, worldId);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({
      playerId: ALICE,
      commandId: "c-1",
      type: "move",
      shard: inboxShardOf(ALICE, 4),
      data: { dx: 1, dy: 0 },
    });
  });

  it("a frame cannot act for another player", async () => {
    const deps = coreDeps();
    const { worldId, connectionId } = await connected(deps, ALICE);
    const spy = vi.spyOn(metrics, "addMetric");
    const send = async (body: unknown) =>
      frameOf(
        await handleCommand(
          deps,
          wsEvent("command", connectionId, { playerId: ALICE, body: JSON.stringify(body) }),
        ),
      );
    // Naming another player in the envelope is refused outright...
    expect(
      await send({
        action: "command",
        id: "s-1",
        type: "move",
        playerId: BOB,
        data: { dx: 1, dy: 0 },
      }),
    ).toMatchObject({ type: "error", code: "invalid_frame", id: "s-1" });
    expect(
      await send({
        action: "command",
        id: "s-2",
        type: "move",
        actor: BOB,
        data: { dx: 1, dy: 0 },
      }),
    ).toMatchObject({ type: "error", code: "invalid_frame", id: "s-2" });
    // ...and steering another player's body is forbidden by the game.
    expect(
      await send({
        action: "command",
        id: "s-3",
        type: "move",
        data: { dx: 1, dy: 0, entity: BOB },
      }),
    ).toMatchObject({ type: "error", code: "forbidden", id: "s-3" });
    expect(await inboxOf(deps, worldId)).toEqual([]);
    expect(metricValues(spy, MetricName.CommandsRejected)).toEqual([1, 1, 1]);

    // Bob's identity on Alice's connection is not Alice's connection: nothing is queued for Bob.
    const stolen = frameOf(
      await handleCommand(
        deps,
        wsEvent("command", connectionId, {
          playerId: BOB,
          body: JSON.stringify({
            action: "command",
            id: "s-4",
            type: "move",
            data: { dx: 1, dy: 0 },
          }),
        }),
      ),
    );
    expect(stolen).toMatchObject({ type: "error", code: "not_in_world" });
    expect(await inboxOf(deps, worldId)).toEqual([]);
  });

  it("answers bad frames with typed error frames and stores nothing", async () => {
    const deps = coreDeps();
    const { worldId, connectionId } = await connected(deps, ALICE);
    const spy = vi.spyOn(metrics, "addMetric");
    const cases: [string | undefined, string, string | undefined][] = [
      [undefined, "not_json", undefined],
      ["{not json", "not_json", undefined],
      [
        JSON.stringify({ action: "command", id: "b-1", type: "fly", data: {} }),
        "unknown_command",
        "b-1",
      ],
      [
        JSON.stringify({ action: "command", id: "b-2", type: "move", data: { dx: 5, dy: 0 } }),
        "invalid_data",
        "b-2",
      ],
      [JSON.stringify({ action: "command", id: "b 3", type: "move" }), "invalid_frame", undefined],
      ["x".repeat(9000), "frame_too_large", undefined],
    ];
    for (const [body, code, id] of cases) {
      const frame = frameOf(
        await handleCommand(
          deps,
          wsEvent("$default", connectionId, {
            playerId: ALICE,
            ...(body === undefined ? {} : { body }),
          }),
        ),
      );
      expect(frame, String(body).slice(0, 40)).toMatchObject({ type: "error", code });
      expect((frame as { id?: string }).id).toBe(id);
    }
    expect(await inboxOf(deps, worldId)).toEqual([]);
    expect(metricValues(spy, MetricName.CommandsRejected)).toHaveLength(cases.length);
  });

  it("reads a base64-encoded (binary) frame as UTF-8 text", async () => {
    const deps = coreDeps();
    const { worldId, connectionId } = await connected(deps, ALICE);
    deps.clock.advance(10);
    const body = JSON.stringify({
      action: "command",
      id: "bin-1",
      type: "move",
      data: { dx: 0, dy: 1 },
    });
    const event = wsEvent("$default", connectionId, { playerId: ALICE });
    const frame = frameOf(
      await handleCommand(deps, {
        ...event,
        body: Buffer.from(body).toString("base64"),
        isBase64Encoded: true,
      }),
    );
    expect(frame).toEqual({ type: "ack", id: "bin-1", result: "accepted" });
    expect(await inboxOf(deps, worldId)).toHaveLength(1);
  });

  it("answers a replayed command id with duplicate, and the first command stands", async () => {
    const deps = coreDeps();
    const { worldId, connectionId } = await connected(deps, ALICE);
    const send = async (data: unknown) => {
      deps.clock.advance(10);
      return frameOf(
        await handleCommand(
          deps,
          wsEvent("command", connectionId, {
            playerId: ALICE,
            body: JSON.stringify({ action: "command", id: "r-1", type: "move", data }),
          }),
        ),
      );
    };
    expect(await send({ dx: 1, dy: 0 })).toEqual({ type: "ack", id: "r-1", result: "accepted" });
    expect(await send({ dx: -1, dy: 0 })).toEqual({ type: "ack", id: "r-1", result: "duplicate" });
    const queued = await inboxOf(deps, worldId);
    expect(queued).toHaveLength(1);
    expect(queued[0]?.data).toEqual({ dx: 1, dy: 0 });
  });

  it("refuses frames on a connection without the authorizer's identity", async () => {
    const deps = coreDeps();
    const { worldId, connectionId } = await connected(deps, ALICE);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const frame = frameOf(
      await handleCommand(
        deps,
        wsEvent("command", connectionId, {
          body: JSON.stringify({
            action: "command",
            id: "n-1",
            type: "move",
            data: { dx: 1, dy: 0 },
          }),
        }),
      ),
    );
    expect(frame).toMatchObject({ type: "error", code: "not_in_world" });
    expect(await inboxOf(deps, worldId)).toEqual([]);
  });
});

describe("queries", () => {
  it("answers the connection's player over DynamoDB, and operators' queries only to operators", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const connectionId = uniqueId("c");
    await handleConnect(
      deps,
      wsEvent("$connect", connectionId, { playerId: ALICE, query: { world: worldId } }),
    );
    const ask = async (type: string, operator?: "true" | "false") =>
      frameOf(
        await handleQuery(
          deps,
          wsEvent("query", connectionId, {
            playerId: ALICE,
            ...(operator === undefined ? {} : { operator }),
            body: JSON.stringify({ action: "query", id: `q-${type}`, type }),
          }),
        ),
      ) as { type: string; query?: string; code?: string; data?: Record<string, unknown> };
    const state = await ask("state");
    expect(state).toMatchObject({ type: "result", query: "state", data: { worldId, version: 0 } });
    expect(state.data?.entities).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: "player", name: ALICE })]),
    );
    expect(await ask("verify")).toMatchObject({
      type: "result",
      query: "verify",
      data: { ok: true },
    });
    expect(await ask("worlds")).toMatchObject({ type: "error", code: "forbidden" });
    expect(await ask("worlds", "false")).toMatchObject({ type: "error", code: "forbidden" });
    const worlds = await ask("worlds", "true");
    expect(worlds.data?.worlds).toEqual(
      expect.arrayContaining([expect.objectContaining({ worldId, connections: 1 })]),
    );
    // No identity from the authorizer: nothing is answered.
    const anonymous = frameOf(
      await handleQuery(
        deps,
        wsEvent("query", connectionId, {
          body: JSON.stringify({ action: "query", id: "q", type: "state" }),
        }),
      ),
    );
    expect(anonymous).toMatchObject({ type: "error", code: "not_in_world" });
  });
});

describe("tick", () => {
  const settings: TickSettings = { maxTicks: 30, waitSeconds: 2, deadlineMarginMs: 2_000 };

  function tickWith(deps: RuntimeDeps, tickSettings: TickSettings = settings) {
    return createTickHandler(() => ({ deps, settings: tickSettings }));
  }

  it("runs a batch with the queued commands and returns exactly the TickTaskOutput", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const connectionId = uniqueId("c");
    await handleConnect(
      deps,
      wsEvent("$connect", connectionId, { playerId: ALICE, query: { world: worldId } }),
    );
    deps.clock.advance(10);
    await handleCommand(
      deps,
      wsEvent("command", connectionId, {
        playerId: ALICE,
        body: JSON.stringify({
          action: "command",
          id: "t-1",
          type: "move",
          data: { dx: 1, dy: 0 },
        }),
      }),
    );
    deps.clock.advance(1_000);
    const spy = vi.spyOn(metrics, "addMetric");
    const output = await tickWith(deps)(
      { worldId, iteration: 3, executionName: "exec-a" },
      lambdaContext(),
    );
    expect(output).toStrictEqual({
      worldId,
      active: true,
      tick: 30,
      waitSeconds: 2,
    });
    const world = await deps.store.getWorld(worldId);
    expect(world).toMatchObject({ version: 1, tick: 30, lastBatchToken: "exec-a#3" });
    expect(metricValues(spy, MetricName.TicksPerBatch)).toEqual([30]);
    expect(metricValues(spy, MetricName.CommandsApplied)).toEqual([1]);
    expect(metricValues(spy, MetricName.TickDurationMs)).toHaveLength(1);
    expect(metricValues(spy, AVERAGE_TICK_DURATION_METRIC)).toHaveLength(1);
    expect(metricValues(spy, MetricName.LedgerEntries)).toHaveLength(1);
  });

  it("a retry of the same lap finds its own commit and answers the same", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const tick = tickWith(deps);
    const input = { worldId, iteration: 0, executionName: "exec-b" };
    const first = await tick(input, lambdaContext());
    const again = await tick(input, lambdaContext());
    expect(again).toStrictEqual(first);
    expect((await deps.store.getWorld(worldId))?.version).toBe(1);
    const next = await tick({ ...input, iteration: 1 }, lambdaContext());
    expect(next.tick).toBe(60);
    expect((await deps.store.getWorld(worldId))?.lastBatchToken).toBe("exec-b#1");
  });

  /**
   * Runs `laps` laps of the game loop as the state machine does, on a manual clock: each drain
   * costs `drainMs` (a DynamoDB round trip) and each lap is followed by `gapMs` (Step Functions'
   * transitions and the next invocation's start). Returns the wall and game time after each lap.
   */
  async function runLaps(
    deps: RuntimeDeps & { clock: ManualClock },
    worldId: string,
    tickSettings: TickSettings,
    laps: number,
    costs: { readonly drainMs: number; readonly gapMs: number },
  ) {
    const inbox = deps.inbox;
    const slowDeps: RuntimeDeps & { clock: ManualClock } = {
      ...deps,
      inbox: {
        openWorld: (...a) => inbox.openWorld(...a),
        setAccepting: (...a) => inbox.setAccepting(...a),
        submit: (c) => inbox.submit(c),
        close: async (...a) => {
          deps.clock.advance(costs.drainMs);
          return await inbox.close(...a);
        },
        read: (...a) => inbox.read(...a),
      },
    };
    const tick = tickWith(slowDeps, tickSettings);
    const tickMs = arenaModule.describe?.().tickMs ?? 1000 / 60;
    const startMs = deps.clock.nowMs();
    const startTick = (await deps.store.getWorld(worldId))?.tick ?? 0;
    const after: { wallMs: number; gameMs: number }[] = [];
    for (let lap = 0; lap < laps; lap++) {
      const out = await tick(
        { worldId, iteration: lap, executionName: "exec-rt" },
        lambdaContext(),
      );
      after.push({ wallMs: deps.clock.nowMs() - startMs, gameMs: (out.tick - startTick) * tickMs });
      deps.clock.advance(costs.gapMs);
    }
    return after;
  }

  it("the deployed configuration keeps the wall clock's rate, the time between laps included", async () => {
    // What the infra deploys: the tick function's defaults (packages/infra sets them from
    // DEFAULT_TICK_SETTINGS; its tests check that).
    const deployed = readConfig(tickConfigSchema, {});
    expect(deployed).toEqual(DEFAULT_TICK_SETTINGS);
    expect(deployed.pace).toBe("realtime");
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    // Seven ten-second laps: every window of six consecutive laps is a minute or more.
    const after = await runLaps(deps, worldId, deployed, 7, { drainMs: 3, gapMs: 400 });
    for (let i = 0; i + 6 < after.length; i++) {
      const from = after[i] as { wallMs: number; gameMs: number };
      const to = after[i + 6] as { wallMs: number; gameMs: number };
      const wallMs = to.wallMs - from.wallMs;
      // A minute, give or take when each lap's end was seen: a lap ends once its last tick is
      // due, or a few milliseconds after when a drain (3 ms of this clock each) ran past it, and
      // where the drains fall among the ticks follows the real event loop (a CI run saw 59,988).
      expect(wallMs).toBeGreaterThanOrEqual(60_000 - 50);
      expect(Math.abs(to.gameMs - from.gameMs - wallMs) / wallMs).toBeLessThan(0.02);
    }
    // Without the catch-up the 400 ms between laps would be lost each time: 4% of every lap.
    const last = after[after.length - 1] as { wallMs: number; gameMs: number };
    expect(Math.abs(last.gameMs - last.wallMs)).toBeLessThan(400 + 20);
    const world = await deps.store.getWorld(worldId);
    expect(world?.pace).toBeDefined();
  });

  it("a world that stopped resumes where it was, giving up the gap rather than racing it", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const lap = { ...settings, maxTicks: 60, pace: "realtime" as const };
    await runLaps(deps, worldId, lap, 1, { drainMs: 0, gapMs: 0 });
    // The loop was down for a minute.
    deps.clock.advance(60_000);
    const before = deps.clock.nowMs();
    const tickMs = arenaModule.describe?.().tickMs ?? 1000 / 60;
    const out = await tickWith(deps, lap)(
      { worldId, iteration: 5, executionName: "exec-rt" },
      lambdaContext(),
    );
    expect(out.tick).toBe(120);
    // Its 60 ticks took their game time, not an instant: nothing raced through the gap.
    expect(deps.clock.nowMs() - before).toBeGreaterThanOrEqual(60 * tickMs - 20);
  });

  it("paced, the batch pushes while it runs, and the push after a command's tick names it as applied", async () => {
    // The connections in memory: a push that lists them from DynamoDB is in flight for real
    // milliseconds, while the manual clock's ticks take next to none, so how many slots it
    // skipped would depend on the machine's speed. In memory every slot is pushed.
    const deps = { ...coreDeps(), store: new MemoryEntityStore() };
    const worldId = await newWorld(deps);
    const connectionId = uniqueId("c");
    await handleConnect(
      deps,
      wsEvent("$connect", connectionId, { playerId: ALICE, query: { world: worldId } }),
    );
    (deps.push as MemoryClientPush).open(connectionId);
    deps.clock.advance(10);
    const ack = frameOf(
      await handleCommand(
        deps,
        wsEvent("command", connectionId, {
          playerId: ALICE,
          body: JSON.stringify({
            action: "command",
            id: "go-1",
            type: "move",
            data: { dx: 1, dy: 0 },
          }),
        }),
      ),
    );
    expect(ack).toMatchObject({ type: "ack", result: "accepted" });
    const lap = { ...settings, maxTicks: 120, pace: "realtime" as const };
    await tickWith(deps, lap)({ worldId, iteration: 0, executionName: "exec-pp" }, lambdaContext());
    const frames = (deps.push as MemoryClientPush).received(connectionId).map(
      (m) =>
        JSON.parse(m) as {
          tick: number;
          full: boolean;
          baseTick?: number;
          applied?: string[];
          batch?: unknown;
        },
    );
    // Frames came during the batch, one a slot (20 Hz: every third of the 120 ticks), not only
    // the one after its commit (which carries `batch`).
    expect(frames.filter((f) => f.batch === undefined).length).toBeGreaterThanOrEqual(30);
    expect(frames[0]?.full).toBe(true);
    for (let i = 1; i < frames.length; i++) {
      if (frames[i]?.full !== true) expect(frames[i]?.baseTick).toBe(frames[i - 1]?.tick);
    }
    expect(frames[frames.length - 1]?.tick).toBe(120);
    // Exactly one frame says the command was applied: the first after the tick that applied it.
    const naming = frames.filter((f) => f.applied?.includes("go-1"));
    expect(naming).toHaveLength(1);
    const record = await deps.journal.getBatch(worldId, 1);
    const appliedAt = record?.drains[0]?.tick ?? Number.NaN;
    expect(naming[0]?.tick).toBeGreaterThan(appliedAt);
  });

  it("not paced (LQ_PACE=none), a lap runs its ticks at once and pushes after its commit", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const before = deps.clock.nowMs();
    const out = await tickWith(deps, { ...settings, maxTicks: 60, pace: "none" })(
      { worldId, iteration: 0, executionName: "exec-np" },
      lambdaContext(),
    );
    expect(out.tick).toBe(60);
    expect(deps.clock.nowMs()).toBe(before);
  });

  it("stops at the invocation's deadline less the margin, after at least one tick", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const output = await tickWith(deps, { ...settings, maxTicks: 600 })(
      { worldId, iteration: 0, executionName: "exec-c" },
      // Less time left than the margin: the deadline has passed before the first tick.
      lambdaContext(1_500),
    );
    expect(output.tick).toBe(1);
  });

  it("an unknown world fails with the runtime's NotFoundError, by name", async () => {
    const deps = coreDeps();
    const error = await tickWith(deps)(
      { worldId: uniqueId("missing"), iteration: 0, executionName: "exec-d" },
      lambdaContext(),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe("NotFoundError");
  });

  it("refuses input that is not a TickTaskInput with InvalidTickInputError, changing nothing", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    const tick = tickWith(deps);
    for (const input of [
      undefined,
      { worldId, iteration: -1, executionName: "exec-e" },
      { worldId, iteration: 0 },
      { worldId: "bad#id", iteration: 0, executionName: "exec-e" },
      { worldId, iteration: "0", executionName: "exec-e" },
    ]) {
      const error = await tick(input, lambdaContext()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(input)).toBeInstanceOf(InvalidTickInputError);
      expect((error as Error).name).toBe("InvalidTickInputError");
    }
    expect((await deps.store.getWorld(worldId))?.version).toBe(0);
  });

  it("a batch that finished a rival's pending batch fails with CommitConflictError, counted", async () => {
    const deps = coreDeps();
    const worldId = await newWorld(deps);
    // A rival decided version 1 (its batch record is written) and crashed before its commit.
    const crashing: EntityStore = Object.create(deps.store) as EntityStore;
    crashing.commitWorld = async () => {
      throw new Error("crashed before the commit");
    };
    await expect(
      tickWith({ ...deps, store: crashing })(
        { worldId, iteration: 0, executionName: "rival" },
        lambdaContext(),
      ),
    ).rejects.toThrow("crashed before the commit");
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const spy = vi.spyOn(metrics, "addMetric");
    const error = await tickWith(deps)(
      { worldId, iteration: 0, executionName: "exec-f" },
      lambdaContext(),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe("CommitConflictError");
    expect(metricValues(spy, MetricName.CommitConflicts)).toEqual([1]);
    // The rival's batch was rolled forward, not lost: the next lap goes on from it.
    expect(await deps.store.getWorld(worldId)).toMatchObject({
      version: 1,
      lastBatchToken: "rival#0",
    });
  });

  it("reads its settings from the environment with defaults, and names every bad variable", () => {
    const base = {
      LQ_ENTITY_TABLE: "EntityTable",
      LQ_AUDIT_TABLE: "AuditLog",
      LQ_EVENT_BUS: "ledgerquest.eventbus",
      LQ_ASSETS_BUCKET: "ledgerquest-assets",
      LQ_WEBSOCKET_ENDPOINT: "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod",
    };
    expect(tickHandlerDepsFromEnvironment(arenaModule, base).settings).toEqual(
      DEFAULT_TICK_SETTINGS,
    );
    expect(
      tickHandlerDepsFromEnvironment(arenaModule, {
        ...base,
        LQ_TICKS_PER_BATCH: "120",
        LQ_WAIT_SECONDS: "5",
        LQ_DEADLINE_MARGIN_MS: "500",
        LQ_PACE: "realtime",
      }).settings,
    ).toEqual({ maxTicks: 120, waitSeconds: 5, deadlineMarginMs: 500, pace: "realtime" });
    let error: unknown;
    try {
      tickHandlerDepsFromEnvironment(arenaModule, {
        ...base,
        LQ_AUDIT_TABLE: undefined,
        LQ_TICKS_PER_BATCH: "5000",
        LQ_WAIT_SECONDS: "soon",
        LQ_PACE: "fast",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      "LQ_AUDIT_TABLE",
      "LQ_PACE",
      "LQ_TICKS_PER_BATCH",
      "LQ_WAIT_SECONDS",
    ]);
  });
});

describe("wiring", () => {
  const base = {
    LQ_ENTITY_TABLE: "EntityTable",
    LQ_AUDIT_TABLE: "AuditLog",
    LQ_EVENT_BUS: "ledgerquest.eventbus",
    LQ_ASSETS_BUCKET: "ledgerquest-assets",
    LQ_WEBSOCKET_ENDPOINT: "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod/",
  };

  it("reads the runtime's configuration; the game is the caller's, checked against LQ_GAME when set", () => {
    expect(readConfig(runtimeConfigSchema, base)).toEqual({
      tables: { entityTable: "EntityTable", auditLog: "AuditLog" },
      eventBus: "ledgerquest.eventbus",
      assetsBucket: "ledgerquest-assets",
      websocketEndpoint: "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod",
      s3ForcePathStyle: false,
    });
    expect(createRuntimeDeps(readConfig(runtimeConfigSchema, base), arenaModule).game).toBe(
      arenaModule,
    );
    const named = readConfig(runtimeConfigSchema, { ...base, LQ_GAME: "arena@2" });
    expect(createRuntimeDeps(named, arenaModule).game).toBe(arenaModule);
    // A bundle of another game refuses to run where the deployment expects this one.
    expect(() =>
      createRuntimeDeps(
        readConfig(runtimeConfigSchema, { ...base, LQ_GAME: "chess@1" }),
        arenaModule,
      ),
    ).toThrow(/expects the game chess@1.*runs arena@2/);
  });

  it("refuses an unknown game and a Management API endpoint in the clear off this machine", () => {
    let error: unknown;
    try {
      readConfig(runtimeConfigSchema, {
        ...base,
        LQ_GAME: "chess",
        LQ_WEBSOCKET_ENDPOINT: "http://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.variable).sort()).toEqual(["LQ_GAME", "LQ_WEBSOCKET_ENDPOINT"]);
    expect(problems.find((p) => p.variable === "LQ_GAME")?.message).toContain("name@version");
    expect(
      readConfig(runtimeConfigSchema, {
        ...base,
        LQ_WEBSOCKET_ENDPOINT: "http://127.0.0.1:3001/local",
      }).websocketEndpoint,
    ).toBe("http://127.0.0.1:3001/local");
  });

  describe("the blob store, loaded on first use", () => {
    let s3: LocalS3;
    beforeAll(async () => {
      s3 = await startLocalS3();
    });
    afterAll(async () => {
      await s3.stop();
    });

    it("stores and reads blobs in the configured bucket, endpoint from the environment", async () => {
      vi.stubEnv("AWS_ENDPOINT_URL_S3", s3.endpoint);
      vi.stubEnv("AWS_REGION", "us-east-1");
      vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
      try {
        const deps = createRuntimeDeps(
          readConfig(runtimeConfigSchema, {
            ...base,
            LQ_ASSETS_BUCKET: s3.bucket,
            LQ_S3_FORCE_PATH_STYLE: "true",
          }),
          arenaModule,
        );
        const bytes = new Uint8Array([1, 2, 3, 250]);
        await deps.blobs.put("worlds/w/state/abc", bytes);
        expect(await deps.blobs.get("worlds/w/state/abc")).toEqual(bytes);
        expect(await deps.blobs.get("worlds/w/state/none")).toBeUndefined();
      } finally {
        vi.unstubAllEnvs();
      }
    });
  });
});

describe("the exported Lambda entry points, configured by the environment alone", () => {
  let eventBridge: RunningLocalEventBridge;

  beforeAll(async () => {
    // The local EventBridge with the bus the handlers publish to (and no rules: only its log).
    eventBridge = await startLocalEventBridge({
      eventBusName: "ledgerquest.eventbus",
      rules: [],
      targets: {},
    });
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await eventBridge.close();
  });

  it("connect, command, tick and disconnect work end to end, a real client at the emulated gateway", async () => {
    const connectHandler = connectLambda(arenaModule);
    const commandHandler = commandLambda(arenaModule);
    const tickHandler = tickLambda(arenaModule);
    const disconnectHandler = disconnectLambda(arenaModule);
    const connects: unknown[] = [];
    const disconnects: unknown[] = [];
    const failures: WebSocketGatewayErrorSite[] = [];
    // The exported handlers are the gateway's integrations, as the ApiStack deploys them.
    const gateway = await startWebSocketGateway({
      stage: "test",
      handlers: {
        authorizer: playerAuthorizer,
        $connect: answersKept(connectHandler, connects),
        command: commandHandler,
        $disconnect: answersKept(disconnectHandler, disconnects),
      },
      onError: (_error, site) => failures.push(site),
    });
    // Set before the handlers' first invocation, which is when they read their configuration.
    const env: Record<string, string> = {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
      LQ_ENTITY_TABLE: tables.entityTable,
      LQ_AUDIT_TABLE: tables.auditLog,
      LQ_EVENT_BUS: "ledgerquest.eventbus",
      LQ_ASSETS_BUCKET: "ledgerquest-assets",
      LQ_WEBSOCKET_ENDPOINT: gateway.managementEndpoint,
      LQ_GAME: "arena@2",
      LQ_TICKS_PER_BATCH: "20",
      LQ_WAIT_SECONDS: "1",
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const deps = coreDeps();
      const worldId = await newWorld(deps);
      const player = await connectClient(`${gateway.url}?world=${worldId}&player=${ALICE}`);
      expect(connects).toMatchObject([{ statusCode: 200 }]);
      const connectionId = gateway.connections()[0]?.connectionId ?? "";
      expect(await deps.store.getConnection(connectionId)).toMatchObject({
        playerId: ALICE,
        worldId,
      });

      player.socket.send(
        JSON.stringify({ action: "command", id: "e-1", type: "move", data: { dx: 1, dy: 1 } }),
      );
      // The command route's answer comes back on the socket, as its route response.
      expect(await player.nextJson()).toEqual({ type: "ack", id: "e-1", result: "accepted" });
      // The system clock drives the exported handlers: let the command's arrival time pass.
      await new Promise((resolve) => setTimeout(resolve, 5));

      const output = await tickHandler(
        { worldId, iteration: 0, executionName: "exec-env" },
        lambdaContext(),
      );
      expect(output).toStrictEqual({ worldId, active: true, tick: 20, waitSeconds: 1 });
      expect(
        eventBridge
          .accepted()
          .filter((e) => e.eventBusName === "ledgerquest.eventbus")
          .map((e) => e.event)
          .some((e) => e["detail-type"] === "Tick Batch Committed" && e.detail.worldId === worldId),
      ).toBe(true);
      // The tick posted its pushes through the SDK to `@connections`; the client has them.
      const pushes = () =>
        player
          .texts()
          .slice(1)
          .map((text) => JSON.parse(text) as { type: string; tick: number });
      await player.until("the state of tick 20", () => pushes().some((p) => p.tick === 20));
      const pushed = pushes();
      // Paced (the default), the lap pushes while it runs and once more after its commit.
      expect(pushed.length).toBeGreaterThan(1);
      expect(pushed.every((p) => p.type === "state")).toBe(true);
      expect(pushed[pushed.length - 1]).toEqual(
        expect.objectContaining({ type: "state", tick: 20 }),
      );

      player.socket.close(1000, "done");
      await vi.waitFor(() => expect(disconnects).toMatchObject([{ statusCode: 200 }]));
      expect(await deps.store.getConnection(connectionId)).toBeUndefined();
      expect(failures).toEqual([]);
    } finally {
      await gateway.stop();
    }
  });
});
