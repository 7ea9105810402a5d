// The local WebSocket API with real sockets (the `ws` client), the project's real `$connect`
// authorizer trusting the dev identity provider, the real API Gateway Management API client, and
// small recording handlers where the project's would need DynamoDB.
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import {
  ApiGatewayClientPush,
  authorizerConfigSchema,
  connectAuthorizerFromConfig,
  createAuthorizerHandler,
  type Environment,
  readConfig,
  withObservability,
} from "@ledgerquest/aws";
import { COMMAND_ROUTES } from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { type DevIdentityProvider, startDevIdentityProvider } from "../src/idp.js";
import {
  API_GATEWAY_MAX_FRAME_BYTES,
  startWebSocketGateway,
  type WebSocketAuthorizerHandler,
  type WebSocketGateway,
  WebSocketGatewayError,
  type WebSocketGatewayErrorSite,
  type WebSocketGatewayHandlers,
  type WebSocketRouteEvent,
  type WebSocketRouteHandler,
} from "../src/websocket-gateway/index.js";

const AWS_STYLE_ID = /^[A-Za-z0-9]{15}=$/;

// ---------------------------------------------------------------------------------------------
// Test doubles for the integrations, and a client

/** Every event each route received, in order. */
class Recorder {
  readonly events: WebSocketRouteEvent[] = [];

  of(routeKey: string): WebSocketRouteEvent[] {
    return this.events.filter((event) => event.requestContext.routeKey === routeKey);
  }

  /** The `$connect` event of the client that connected with `?tag=<tag>`. */
  connectOf(tag: string): WebSocketRouteEvent {
    const event = this.of("$connect").find((e) => e.queryStringParameters?.tag === tag);
    if (event === undefined) throw new Error(`no $connect with tag ${tag}`);
    return event;
  }

  disconnectsOf(connectionId: string): WebSocketRouteEvent[] {
    return this.of("$disconnect").filter((e) => e.requestContext.connectionId === connectionId);
  }

  messagesOf(connectionId: string): WebSocketRouteEvent[] {
    return this.events.filter(
      (e) =>
        e.requestContext.eventType === "MESSAGE" && e.requestContext.connectionId === connectionId,
    );
  }
}

function recordingHandlers(recorder: Recorder): WebSocketGatewayHandlers {
  const record =
    (answer: (event: WebSocketRouteEvent) => { statusCode: number; body?: string }) =>
    async (event: WebSocketRouteEvent) => {
      recorder.events.push(event);
      return answer(event);
    };
  const reply = (route: string) =>
    record((event) => ({
      statusCode: 200,
      body: JSON.stringify({
        route,
        playerId: event.requestContext.authorizer?.playerId,
        bytes: Buffer.byteLength(event.body ?? ""),
      }),
    }));
  const $default: WebSocketRouteHandler = async (event) => {
    if (event.body === "boom") {
      recorder.events.push(event);
      throw new Error("the integration failed");
    }
    if (event.body === "quiet") return await record(() => ({ statusCode: 200 }))(event);
    return await reply("$default")(event);
  };
  return {
    $connect: record((event) =>
      event.queryStringParameters?.world === "nowhere"
        ? {
            statusCode: 404,
            body: JSON.stringify({
              type: "error",
              code: "unknown_world",
              message: "no such world",
            }),
          }
        : { statusCode: 200, body: JSON.stringify({ type: "connected" }) },
    ),
    $disconnect: record(() => ({ statusCode: 200 })),
    $default,
    command: reply("command"),
  };
}

/** The project's authorizer Lambda, configured from `env` as it is in the cloud. */
function realAuthorizer(env: Environment): WebSocketAuthorizerHandler {
  return withObservability(
    createAuthorizerHandler(() =>
      connectAuthorizerFromConfig(readConfig(authorizerConfigSchema, env)),
    ),
  );
}

/** Messages a client received, waited for in order. */
class Inbox {
  readonly #messages: string[] = [];
  readonly #waiters: Array<(message: string) => void> = [];

  constructor(ws: WebSocket) {
    ws.on("message", (data: WebSocket.RawData) => {
      const text = Buffer.isBuffer(data) ? data.toString("utf8") : String(data);
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#messages.push(text);
      else waiter(text);
    });
  }

  next(timeoutMs = 5_000): Promise<string> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no message arrived")), timeoutMs);
      this.#waiters.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  async nextJson(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.next()) as Record<string, unknown>;
  }
}

interface Client {
  readonly ws: WebSocket;
  readonly inbox: Inbox;
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
}

interface Refusal {
  readonly status: number;
  readonly body: string;
}

/** Opens a socket; resolves to the client, or to the refused handshake's status and body. */
function dial(url: string, headers: Record<string, string> = {}): Promise<Client | Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const inbox = new Inbox(ws);
    const closed = new Promise<{ code: number; reason: string }>((resolveClose) =>
      ws.once("close", (code, reason) => resolveClose({ code, reason: reason.toString("utf8") })),
    );
    ws.once("open", () => resolve({ ws, inbox, closed }));
    ws.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => {
        // The handshake is over; dropping the half-made socket raises an error nobody needs.
        ws.on("error", () => {});
        ws.terminate();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    ws.once("error", reject);
  });
}

async function connected(url: string, headers?: Record<string, string>): Promise<Client> {
  const result = await dial(url, headers);
  if (!("ws" in result)) {
    throw new Error(`the handshake was refused with ${result.status}: ${result.body}`);
  }
  return result;
}

async function refused(url: string, headers?: Record<string, string>): Promise<Refusal> {
  const result = await dial(url, headers);
  if ("ws" in result) {
    result.ws.close();
    throw new Error("the handshake was accepted");
  }
  return result;
}

function managementClient(endpoint: string): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

// ---------------------------------------------------------------------------------------------

let idp: DevIdentityProvider;
let gateway: WebSocketGateway;
let management: ApiGatewayManagementApiClient;
const recorder = new Recorder();
const errors: Array<{ readonly site: WebSocketGatewayErrorSite; readonly error: unknown }> = [];
let tags = 0;

/** The socket URL for a player, with a tag that finds its `$connect` event. */
async function playerUrl(
  playerId: string,
  extra: Record<string, string> = {},
): Promise<{ url: string; tag: string }> {
  tags += 1;
  const tag = `t${tags}`;
  const query = new URLSearchParams({
    world: "w1",
    tag,
    token: await idp.token(playerId),
    ...extra,
  });
  return { url: `${gateway.url}?${query}`, tag };
}

/** A connected player and its connection id. */
async function player(playerId: string): Promise<Client & { readonly connectionId: string }> {
  const { url, tag } = await playerUrl(playerId);
  const client = await connected(url);
  return { ...client, connectionId: recorder.connectOf(tag).requestContext.connectionId };
}

beforeAll(async () => {
  idp = await startDevIdentityProvider();
  gateway = await startWebSocketGateway({
    stage: "test",
    handlers: { ...recordingHandlers(recorder), authorizer: realAuthorizer(idp.environment) },
    onError: (error, site) => errors.push({ site, error }),
  });
  management = managementClient(gateway.managementEndpoint);
});

afterAll(async () => {
  management.destroy();
  await gateway.stop();
  await idp.stop();
});

describe("$connect", () => {
  it("admits a valid token, passing API Gateway's CONNECT event and the authorizer's context", async () => {
    const { url, tag } = await playerUrl("player_0001");
    const client = await connected(url, { "User-Agent": "lq-test/1.0" });
    const event = recorder.connectOf(tag);
    const { requestContext } = event;
    expect(requestContext).toMatchObject({
      routeKey: "$connect",
      eventType: "CONNECT",
      messageDirection: "IN",
      stage: "test",
      apiId: gateway.apiId,
      domainName: `127.0.0.1:${gateway.port}`,
      identity: { sourceIp: "127.0.0.1", userAgent: "lq-test/1.0" },
      authorizer: {
        playerId: "player_0001",
        principalId: "player_0001",
        integrationLatency: expect.any(Number),
      },
    });
    expect(requestContext.connectionId).toMatch(AWS_STYLE_ID);
    expect(requestContext.requestId).toMatch(AWS_STYLE_ID);
    expect(requestContext.requestTime).toMatch(
      /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
    );
    expect(requestContext.connectedAt).toBeLessThanOrEqual(requestContext.requestTimeEpoch);
    expect(event.queryStringParameters).toMatchObject({ world: "w1", tag });
    expect(event.multiValueQueryStringParameters?.world).toEqual(["w1"]);
    expect(event.headers?.Host).toBe(`127.0.0.1:${gateway.port}`);
    expect(event.headers?.["X-Forwarded-For"]).toBe("127.0.0.1");
    expect(event.isBase64Encoded).toBe(false);
    expect(gateway.connections().map((c) => c.connectionId)).toContain(requestContext.connectionId);
    client.ws.close();
    await client.closed;
  });

  it("accepts the token in an Authorization header as well", async () => {
    tags += 1;
    const tag = `t${tags}`;
    const client = await connected(`${gateway.url}?world=w1&tag=${tag}`, {
      Authorization: `Bearer ${await idp.token("player_0002")}`,
    });
    expect(recorder.connectOf(tag).requestContext.authorizer?.playerId).toBe("player_0002");
    client.ws.close();
  });

  it("refuses a connection without a token with 401, before $connect runs", async () => {
    const before = recorder.of("$connect").length;
    expect(await refused(`${gateway.url}?world=w1`)).toEqual({
      status: 401,
      body: JSON.stringify({ message: "Unauthorized" }),
    });
    expect(recorder.of("$connect")).toHaveLength(before);
  });

  it("refuses a forged or an expired token with 401", async () => {
    const genuine = await idp.token("player_0001");
    const [header, payload] = genuine.split(".");
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()),
        sub: "admin",
      }),
    ).toString("base64url");
    const forged = `${header}.${forgedPayload}.${genuine.split(".")[2]}`;
    expect((await refused(`${gateway.url}?token=${forged}`)).status).toBe(401);

    const expired = await idp.token("player_0001", { expiresInSeconds: -60 });
    expect((await refused(`${gateway.url}?token=${expired}`)).status).toBe(401);
    expect((await refused(`${gateway.url}?token=not.a.jwt`)).status).toBe(401);
  });

  it("refuses the handshake with $connect's own status and body when it answers non-2xx", async () => {
    const { url } = await playerUrl("player_0001", { world: "nowhere" });
    const refusal = await refused(url);
    expect(refusal.status).toBe(404);
    expect(JSON.parse(refusal.body)).toMatchObject({ type: "error", code: "unknown_world" });
  });

  it("refuses another path than the stage's with 403", async () => {
    const token = await idp.token("player_0001");
    const other = gateway.url.replace(/\/test$/, "/prod");
    expect((await refused(`${other}?token=${token}`)).status).toBe(403);
  });

  it("answers 403 when the authorizer denies (a genuine token without a player id)", async () => {
    const denying = await startWebSocketGateway({
      handlers: {
        authorizer: realAuthorizer({ ...idp.environment, LQ_PLAYER_ID_CLAIM: "player" }),
        $connect: async () => ({ statusCode: 200 }),
      },
    });
    try {
      const refusal = await refused(`${denying.url}?token=${await idp.token("player_0001")}`);
      expect(refusal).toEqual({ status: 403, body: JSON.stringify({ message: "Forbidden" }) });
    } finally {
      await denying.stop();
    }
  });

  it("answers 500 when the authorizer cannot decide (its issuer's keys are unreachable)", async () => {
    const gone = await startDevIdentityProvider();
    const token = await gone.token("player_0001");
    await gone.stop();
    const failures: WebSocketGatewayErrorSite[] = [];
    const broken = await startWebSocketGateway({
      handlers: { authorizer: realAuthorizer(gone.environment) },
      onError: (_error, site) => failures.push(site),
    });
    try {
      expect((await refused(`${broken.url}?token=${token}`)).status).toBe(500);
      expect(failures).toEqual(["authorizer"]);
    } finally {
      await broken.stop();
    }
  });
});

describe("messages", () => {
  it("routes on $request.body.action: `command` to its route, anything else to $default", async () => {
    expect(COMMAND_ROUTES).toContain("command");
    const alice = await player("player_0001");
    const sent = [
      [JSON.stringify({ action: "command", id: "c-1", type: "move", data: { dx: 1 } }), "command"],
      [JSON.stringify({ action: "chat", text: "hi" }), "$default"],
      [JSON.stringify({ action: 5 }), "$default"],
      [JSON.stringify({ nested: { action: "command" } }), "$default"],
      [JSON.stringify(["command"]), "$default"],
      ["this is not JSON", "$default"],
    ] as const;
    for (const [frame, route] of sent) {
      alice.ws.send(frame);
      // The handler's body is the route response, back on the same socket.
      expect(await alice.inbox.nextJson()).toEqual({
        route,
        playerId: "player_0001",
        bytes: Buffer.byteLength(frame),
      });
    }
    const events = recorder.messagesOf(alice.connectionId);
    expect(events.map((e) => [e.body, e.requestContext.routeKey])).toEqual(sent);
    const connect = recorder.disconnectsOf(alice.connectionId);
    expect(connect).toEqual([]);
    for (const event of events) {
      expect(event.requestContext).toMatchObject({
        eventType: "MESSAGE",
        connectionId: alice.connectionId,
        stage: "test",
        apiId: gateway.apiId,
        // API Gateway passes the authorizer's context to every route, not only $connect.
        authorizer: { playerId: "player_0001", principalId: "player_0001" },
      });
      expect(event.requestContext.messageId).toMatch(AWS_STYLE_ID);
      expect(event.isBase64Encoded).toBe(false);
    }
    alice.ws.close();
  });

  it("sends nothing back when the handler's answer has no body", async () => {
    const bob = await player("player_0002");
    bob.ws.send("quiet");
    bob.ws.send("after");
    expect(await bob.inbox.nextJson()).toMatchObject({ route: "$default", bytes: 5 });
    bob.ws.close();
  });

  it("answers API Gateway's Internal server error frame when a handler throws", async () => {
    const carol = await player("player_0003");
    carol.ws.send("boom");
    const frame = await carol.inbox.nextJson();
    expect(frame).toEqual({
      message: "Internal server error",
      connectionId: carol.connectionId,
      requestId: expect.stringMatching(AWS_STYLE_ID),
    });
    expect(errors.some((e) => e.site === "$default")).toBe(true);
    carol.ws.close();
  });

  it("takes a 32 KB frame, and a 40 KB message sent as two frames", async () => {
    const dave = await player("player_0004");
    dave.ws.send("x".repeat(API_GATEWAY_MAX_FRAME_BYTES));
    expect(await dave.inbox.nextJson()).toMatchObject({ bytes: API_GATEWAY_MAX_FRAME_BYTES });
    dave.ws.send("y".repeat(20 * 1024), { fin: false });
    dave.ws.send("y".repeat(20 * 1024), { fin: true });
    expect(await dave.inbox.nextJson()).toMatchObject({ bytes: 40 * 1024 });
    dave.ws.close();
  });

  it("closes with 1009 on a frame over 32 KB, before any handler sees it", async () => {
    const erin = await player("player_0005");
    erin.ws.send(
      JSON.stringify({ action: "command", pad: "z".repeat(API_GATEWAY_MAX_FRAME_BYTES) }),
    );
    expect(await erin.closed).toEqual({ code: 1009, reason: "Message too big" });
    expect(recorder.messagesOf(erin.connectionId)).toEqual([]);
    await vi.waitFor(() => expect(recorder.disconnectsOf(erin.connectionId)).toHaveLength(1));
    expect(recorder.disconnectsOf(erin.connectionId)[0]?.requestContext).toMatchObject({
      disconnectStatusCode: 1009,
    });
  });

  it("closes with 1009 on a message over 128 KB, even in frames of 30 KB", async () => {
    const frank = await player("player_0006");
    for (let i = 0; i < 5; i += 1) frank.ws.send("f".repeat(30 * 1024), { fin: i === 4 });
    expect(await frank.closed).toEqual({ code: 1009, reason: "Message too big" });
    expect(recorder.messagesOf(frank.connectionId)).toEqual([]);
  });

  it("closes with 1003 on a binary frame, which API Gateway does not take", async () => {
    const gina = await player("player_0007");
    gina.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await gina.closed).code).toBe(1003);
    expect(recorder.messagesOf(gina.connectionId)).toEqual([]);
  });

  it("answers Forbidden to a message no route takes when there is no $default", async () => {
    const bare = await startWebSocketGateway({
      handlers: { command: async () => ({ statusCode: 200, body: "ok" }) },
    });
    try {
      const client = await connected(bare.url);
      client.ws.send(JSON.stringify({ action: "command" }));
      expect(await client.inbox.next()).toBe("ok");
      client.ws.send("unrouted");
      expect(await client.inbox.nextJson()).toMatchObject({
        message: "Forbidden",
        connectionId: expect.stringMatching(AWS_STYLE_ID),
      });
      client.ws.close();
    } finally {
      await bare.stop();
    }
  });

  it("answers Endpoint request timed out when a handler outlives the integration timeout", async () => {
    const failures: WebSocketGatewayErrorSite[] = [];
    const slow = await startWebSocketGateway({
      integrationTimeoutMs: 100,
      handlers: {
        $default: async () => {
          await new Promise((resolve) => setTimeout(resolve, 400));
          return { statusCode: 200, body: "too late" };
        },
      },
      onError: (_error, site) => failures.push(site),
    });
    try {
      const client = await connected(slow.url);
      client.ws.send("hello");
      expect(await client.inbox.nextJson()).toMatchObject({
        message: "Endpoint request timed out",
      });
      expect(failures).toEqual(["$default"]);
      client.ws.close();
    } finally {
      // stop() lets the slow invocation finish rather than abandoning it.
      await slow.stop();
    }
  });
});

describe("throttling", () => {
  it("answers Internal server error at once to a message beyond the concurrency limit, and takes the next after", async () => {
    const failures: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const busy = await startWebSocketGateway({
      messageConcurrencyMax: 1,
      messageQueueMax: 0,
      handlers: {
        $default: async (event) => {
          if (event.body === "slow") await held;
          return { statusCode: 200, body: `done ${event.body}` };
        },
      },
      onError: (error) => failures.push((error as Error).message),
    });
    try {
      const client = await connected(busy.url);
      client.ws.send("slow");
      // Sent while the slow one holds the only invocation: throttled, answered at once.
      await new Promise((r) => setTimeout(r, 50));
      client.ws.send("second");
      expect(await client.inbox.nextJson()).toMatchObject({ message: "Internal server error" });
      expect(failures.some((m) => m.includes("throttled"))).toBe(true);
      release();
      expect(await client.inbox.next()).toBe("done slow");
      client.ws.send("third");
      expect(await client.inbox.next()).toBe("done third");
      client.ws.close();
    } finally {
      release();
      await busy.stop();
    }
  });
});

describe("queueing", () => {
  it("a message beyond the limit waits its turn, and one that waited too long is throttled", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const busy = await startWebSocketGateway({
      messageConcurrencyMax: 1,
      // Long enough that a loaded machine's stalls never end the wait: only the release does.
      messageQueueWaitMsMax: 10_000,
      handlers: {
        $default: async (event) => {
          if (event.body === "slow") await held;
          return { statusCode: 200, body: `done ${event.body}` };
        },
      },
      onError: () => undefined,
    });
    try {
      const client = await connected(busy.url);
      client.ws.send("slow");
      await new Promise((r) => setTimeout(r, 50));
      client.ws.send("waits");
      // Released within the wait: the queued message runs after the slow one.
      await new Promise((r) => setTimeout(r, 100));
      release();
      expect(await client.inbox.next()).toBe("done slow");
      expect(await client.inbox.next()).toBe("done waits");
      client.ws.close();
    } finally {
      release();
      await busy.stop();
    }
    let releaseLate: () => void = () => {};
    const heldLong = new Promise<void>((r) => {
      releaseLate = r;
    });
    const late = await startWebSocketGateway({
      messageConcurrencyMax: 1,
      messageQueueWaitMsMax: 100,
      handlers: {
        $default: async (event) => {
          if (event.body === "slow") await heldLong;
          return { statusCode: 200, body: `done ${event.body}` };
        },
      },
      onError: () => undefined,
    });
    try {
      const client = await connected(late.url);
      client.ws.send("slow");
      await new Promise((r) => setTimeout(r, 50));
      client.ws.send("too late");
      // Throttled when its wait is up, while the slow one still holds the only invocation.
      expect(await client.inbox.nextJson()).toMatchObject({ message: "Internal server error" });
      releaseLate();
      expect(await client.inbox.next()).toBe("done slow");
      client.ws.close();
    } finally {
      releaseLate();
      await late.stop();
    }
  });
});

describe("@connections", () => {
  it("delivers PostToConnection from the real SDK client to the socket", async () => {
    const hana = await player("player_0008");
    await management.send(
      new PostToConnectionCommand({
        ConnectionId: hana.connectionId,
        Data: new TextEncoder().encode(JSON.stringify({ type: "state", tick: 7 })),
      }),
    );
    expect(await hana.inbox.nextJson()).toEqual({ type: "state", tick: 7 });
    // The project's ClientPush adapter, unchanged, over the same endpoint.
    const push = new ApiGatewayClientPush(management);
    expect(await push.post(hana.connectionId, "pushed")).toBe("sent");
    expect(await hana.inbox.next()).toBe("pushed");
    hana.ws.close();
  });

  it("answers GetConnection with connectedAt, identity and lastActiveAt", async () => {
    const ivan = await player("player_0009");
    const info = await management.send(
      new GetConnectionCommand({ ConnectionId: ivan.connectionId }),
    );
    const connectedAt = recorder.connectOf(`t${tags}`).requestContext.connectedAt;
    expect(info.ConnectedAt?.getTime()).toBe(connectedAt);
    expect(info.Identity).toEqual({ SourceIp: "127.0.0.1", UserAgent: undefined });
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    ivan.ws.close();
  });

  it("raises GoneException for a connection that closed, and for one that never was", async () => {
    const jane = await player("player_0010");
    jane.ws.close(1000, "bye");
    await jane.closed;
    await vi.waitFor(() => expect(recorder.disconnectsOf(jane.connectionId)).toHaveLength(1));
    await expect(
      management.send(
        new PostToConnectionCommand({ ConnectionId: jane.connectionId, Data: new Uint8Array([1]) }),
      ),
    ).rejects.toBeInstanceOf(GoneException);
    await expect(
      management.send(new GetConnectionCommand({ ConnectionId: "AAAAAAAAAAAAAAA=" })),
    ).rejects.toBeInstanceOf(GoneException);
    expect(await new ApiGatewayClientPush(management).post(jane.connectionId, "late")).toBe("gone");
  });

  it("closes the socket on DeleteConnection, which runs $disconnect", async () => {
    const kim = await player("player_0011");
    await management.send(new DeleteConnectionCommand({ ConnectionId: kim.connectionId }));
    expect((await kim.closed).code).toBe(1000);
    await vi.waitFor(() => expect(recorder.disconnectsOf(kim.connectionId)).toHaveLength(1));
  });

  it("refuses posts over 128 KB, another stage, and unsigned requests", async () => {
    const lee = await player("player_0012");
    await expect(
      management.send(
        new PostToConnectionCommand({
          ConnectionId: lee.connectionId,
          Data: new Uint8Array(128 * 1024 + 1),
        }),
      ),
    ).rejects.toBeInstanceOf(PayloadTooLargeException);
    const otherStage = managementClient(gateway.managementEndpoint.replace(/\/test$/, "/prod"));
    await expect(
      otherStage.send(
        new PostToConnectionCommand({ ConnectionId: lee.connectionId, Data: new Uint8Array([1]) }),
      ),
    ).rejects.toBeInstanceOf(ForbiddenException);
    otherStage.destroy();
    const unsigned = await fetch(
      `${gateway.managementEndpoint}/@connections/${encodeURIComponent(lee.connectionId)}`,
      { method: "POST", body: "hi" },
    );
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toBe("ForbiddenException");
    await unsigned.arrayBuffer();
    lee.ws.close();
  });
});

describe("$disconnect", () => {
  it("runs when the client closes, with the close code and the authorizer's context", async () => {
    const mia = await player("player_0013");
    mia.ws.close(1000, "done playing");
    await vi.waitFor(() => expect(recorder.disconnectsOf(mia.connectionId)).toHaveLength(1));
    const [event] = recorder.disconnectsOf(mia.connectionId);
    expect(event?.requestContext).toMatchObject({
      routeKey: "$disconnect",
      eventType: "DISCONNECT",
      disconnectStatusCode: 1000,
      disconnectReason: "done playing",
      authorizer: { playerId: "player_0013" },
    });
    expect(gateway.connections().map((c) => c.connectionId)).not.toContain(mia.connectionId);
  });

  it("runs for every open socket when the gateway stops, which closes them with 1001", async () => {
    const seen = new Recorder();
    const local = await startWebSocketGateway({ handlers: recordingHandlers(seen) });
    const clients = await Promise.all([
      connected(`${local.url}?tag=a`),
      connected(`${local.url}?tag=b`),
    ]);
    const ids = ["a", "b"].map((tag) => seen.connectOf(tag).requestContext.connectionId);
    await local.stop();
    for (const client of clients) expect((await client.closed).code).toBe(1001);
    // stop() returns only after the $disconnects ran.
    for (const id of ids) {
      expect(seen.disconnectsOf(id).map((e) => e.requestContext.disconnectStatusCode)).toEqual([
        1001,
      ]);
    }
    await expect(connected(local.url)).rejects.toThrow(/ECONNREFUSED/);
    await local.stop();
  });
});

describe("configuration", () => {
  it("refuses a bad stage name or timeout with a clear error", async () => {
    await expect(startWebSocketGateway({ handlers: {}, stage: "no/slash" })).rejects.toThrow(
      WebSocketGatewayError,
    );
    await expect(startWebSocketGateway({ handlers: {}, integrationTimeoutMs: 0 })).rejects.toThrow(
      /integrationTimeoutMs/,
    );
  });
});
