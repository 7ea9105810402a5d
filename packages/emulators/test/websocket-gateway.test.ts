// The WebSocket API emulator with real sockets (the test clients of `../src/testing.ts`, on `ws`),
// a REQUEST authorizer of the shape API Gateway calls, the real API Gateway Management API client,
// and small recording handlers. The project's own authorizer at this gateway, as the local stack
// wires it, is tested in packages/local/test/connect-authorizer.test.ts; the project's handlers
// and its ClientPush adapter over it, in packages/aws/test.
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { COMMAND_ROUTES } from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocketGatewayError } from "../src/errors.js";
import { LOCAL_ACCOUNT, LOCAL_REGION, ServiceTap } from "../src/protocol.js";
import {
  connectClient,
  type GatewayClient,
  handshakeStatus,
  refusedHandshake,
} from "../src/testing.js";
import {
  API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES,
  API_GATEWAY_MAX_FRAME_BYTES,
  startWebSocketGateway,
  type WebSocketAuthorizerEvent,
  type WebSocketAuthorizerHandler,
  type WebSocketAuthorizerResult,
  type WebSocketGateway,
  type WebSocketGatewayErrorSite,
  type WebSocketGatewayHandlers,
  type WebSocketRouteEvent,
  type WebSocketRouteHandler,
} from "../src/websocket-gateway/index.js";

const AWS_STYLE_ID = /^[A-Za-z0-9]{15}=$/;

// ---------------------------------------------------------------------------------------------
// Test doubles for the integrations

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

/** An Allow (or Deny) of `execute-api:Invoke` on `resource`, for `principalId`. */
function policy(
  principalId: string,
  effect: "Allow" | "Deny",
  resource: string,
  context?: Record<string, unknown>,
): WebSocketAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Statement: [{ Effect: effect, Action: "execute-api:Invoke", Resource: resource }],
    },
    ...(context === undefined ? {} : { context }),
  };
}

/**
 * A REQUEST authorizer as API Gateway calls it, its answer chosen by `?token=`: none is
 * `Unauthorized`; `broken` throws another error (as an authorizer whose issuer's keys are
 * unreachable does); `denied` is a Deny; any other token is an Allow on the method ARN for the
 * player it names, who is in the context. It records the events it is called with.
 */
function tokenAuthorizer(events: WebSocketAuthorizerEvent[]): WebSocketAuthorizerHandler {
  return async (event) => {
    events.push(event);
    const token = event.queryStringParameters.token;
    if (token === undefined) throw new Error("Unauthorized");
    if (token === "broken") throw new Error("the issuer's keys are unreachable");
    if (token === "denied") return policy("denied", "Deny", event.methodArn);
    return policy(token, "Allow", event.methodArn, { playerId: token });
  };
}

function managementClient(endpoint: string): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}

// ---------------------------------------------------------------------------------------------

let gateway: WebSocketGateway;
let management: ApiGatewayManagementApiClient;
const tap = new ServiceTap();
const recorder = new Recorder();
const authorizations: WebSocketAuthorizerEvent[] = [];
const errors: Array<{ readonly site: WebSocketGatewayErrorSite; readonly error: unknown }> = [];
let tags = 0;

/** The socket URL for a player, with a tag that finds its `$connect` event. */
function playerUrl(
  playerId: string,
  extra: Record<string, string> = {},
): { url: string; tag: string } {
  tags += 1;
  const tag = `t${tags}`;
  const query = new URLSearchParams({ world: "w1", tag, token: playerId, ...extra });
  return { url: `${gateway.url}?${query}`, tag };
}

interface Player {
  readonly client: GatewayClient;
  readonly connectionId: string;
}

/** A connected player and its connection id. */
async function player(playerId: string): Promise<Player> {
  const { url, tag } = playerUrl(playerId);
  const client = await connectClient(url);
  return { client, connectionId: recorder.connectOf(tag).requestContext.connectionId };
}

beforeAll(async () => {
  gateway = await startWebSocketGateway({
    stage: "test",
    handlers: { ...recordingHandlers(recorder), authorizer: tokenAuthorizer(authorizations) },
    onError: (error, site) => errors.push({ site, error }),
    tap,
  });
  management = managementClient(gateway.managementEndpoint);
});

afterAll(async () => {
  management.destroy();
  await gateway.stop();
});

describe("$connect", () => {
  it("admits a valid token, passing API Gateway's CONNECT event and the authorizer's context", async () => {
    const { url, tag } = playerUrl("player_0001");
    const client = await connectClient(url, { "User-Agent": "lq-test/1.0" });
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
    // The authorizer ran first, on the same connection, asked about `$connect`'s method ARN.
    const authorization = authorizations.find((a) => a.queryStringParameters.tag === tag);
    expect(authorization).toMatchObject({
      type: "REQUEST",
      methodArn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${gateway.apiId}/test/$connect`,
      queryStringParameters: { token: "player_0001", world: "w1", tag },
      stageVariables: {},
      requestContext: { routeKey: "$connect", connectionId: requestContext.connectionId },
    });
    expect(authorization?.headers["User-Agent"]).toBe("lq-test/1.0");
    expect(gateway.connections().map((c) => c.connectionId)).toContain(requestContext.connectionId);
    client.socket.close();
    await client.closed;
  });

  it("refuses a connection the authorizer finds Unauthorized with 401, before $connect runs", async () => {
    const before = recorder.of("$connect").length;
    expect(await refusedHandshake(`${gateway.url}?world=w1`)).toEqual({
      status: 401,
      body: JSON.stringify({ message: "Unauthorized" }),
    });
    expect(recorder.of("$connect")).toHaveLength(before);
  });

  it("refuses the handshake with $connect's own status and body when it answers non-2xx", async () => {
    const { url } = playerUrl("player_0001", { world: "nowhere" });
    const refusal = await refusedHandshake(url);
    expect(refusal.status).toBe(404);
    expect(JSON.parse(refusal.body)).toMatchObject({ type: "error", code: "unknown_world" });
  });

  it("refuses another path than the stage's with 403", async () => {
    const other = gateway.url.replace(/\/test$/, "/prod");
    expect((await refusedHandshake(`${other}?token=player_0001`)).status).toBe(403);
  });

  it("answers 403 when the authorizer's policy denies, before $connect runs", async () => {
    const before = recorder.of("$connect").length;
    expect(await refusedHandshake(`${gateway.url}?token=denied`)).toEqual({
      status: 403,
      body: JSON.stringify({ message: "Forbidden" }),
    });
    expect(recorder.of("$connect")).toHaveLength(before);
  });

  it("answers 500 when the authorizer throws anything but Unauthorized, and reports it", async () => {
    const before = errors.length;
    expect(await refusedHandshake(`${gateway.url}?token=broken`)).toEqual({
      status: 500,
      body: JSON.stringify({ message: null }),
    });
    expect(errors.slice(before).map((e) => e.site)).toEqual(["authorizer"]);
  });

  it("judges the authorizer's answer as API Gateway and IAM do", async () => {
    const answers: Record<string, (methodArn: string) => unknown> = {
      wildcard: () => ({
        principalId: "p",
        policyDocument: {
          Statement: {
            Effect: "Allow",
            Action: "execute-api:*",
            Resource: "arn:aws:execute-api:*:*:*/judged/*",
          },
        },
      }),
      "other-route": (arn) => policy("p", "Allow", arn.replace(/\$connect$/, "$default")),
      "deny-wins": (arn) => ({
        principalId: "p",
        policyDocument: {
          Statement: [
            { Effect: "Allow", Action: "execute-api:Invoke", Resource: arn },
            { Effect: "Deny", Action: "execute-api:*", Resource: "*" },
          ],
        },
      }),
      "nested-context": (arn) => policy("p", "Allow", arn, { roles: ["a"] }),
      "no-principal": (arn) => policy("", "Allow", arn),
      oversized: (arn) =>
        policy("p", "Allow", arn, { pad: "x".repeat(API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES) }),
    };
    const failures: WebSocketGatewayErrorSite[] = [];
    const judged = await startWebSocketGateway({
      stage: "judged",
      handlers: {
        authorizer: async (event) =>
          answers[event.queryStringParameters.token ?? ""]?.(
            event.methodArn,
          ) as WebSocketAuthorizerResult,
      },
      onError: (_error, site) => failures.push(site),
    });
    try {
      const status = (token: string) => handshakeStatus(`${judged.url}?token=${token}`);
      expect(await status("wildcard"), "an Allow by wildcards").toBe(101);
      expect(await status("other-route"), "an Allow of another route").toBe(403);
      expect(await status("deny-wins"), "an Allow and a Deny").toBe(403);
      expect(failures, "a decision is not a failure").toEqual([]);
      // What API Gateway cannot use is its configuration error: a 500, and a log line.
      expect(await status("nested-context"), "a context value that is not a scalar").toBe(500);
      expect(await status("no-principal"), "no principalId").toBe(500);
      expect(await status("oversized"), "an answer over 8 KB").toBe(500);
      expect(failures).toEqual(["authorizer", "authorizer", "authorizer"]);
    } finally {
      await judged.stop();
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
      alice.client.socket.send(frame);
      // The handler's body is the route response, back on the same socket.
      expect(await alice.client.nextJson()).toEqual({
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
    alice.client.socket.close();
  });

  it("sends nothing back when the handler's answer has no body", async () => {
    const bob = await player("player_0002");
    bob.client.socket.send("quiet");
    bob.client.socket.send("after");
    expect(await bob.client.nextJson()).toMatchObject({ route: "$default", bytes: 5 });
    bob.client.socket.close();
  });

  it("answers API Gateway's Internal server error frame when a handler throws", async () => {
    const carol = await player("player_0003");
    carol.client.socket.send("boom");
    const frame = await carol.client.nextJson();
    expect(frame).toEqual({
      message: "Internal server error",
      connectionId: carol.connectionId,
      requestId: expect.stringMatching(AWS_STYLE_ID),
    });
    expect(errors.some((e) => e.site === "$default")).toBe(true);
    carol.client.socket.close();
  });

  it("takes a 32 KB frame, and a 40 KB message sent as two frames", async () => {
    const dave = await player("player_0004");
    dave.client.socket.send("x".repeat(API_GATEWAY_MAX_FRAME_BYTES));
    expect(await dave.client.nextJson()).toMatchObject({ bytes: API_GATEWAY_MAX_FRAME_BYTES });
    dave.client.socket.send("y".repeat(20 * 1024), { fin: false });
    dave.client.socket.send("y".repeat(20 * 1024), { fin: true });
    expect(await dave.client.nextJson()).toMatchObject({ bytes: 40 * 1024 });
    dave.client.socket.close();
  });

  it("closes with 1009 on a frame over 32 KB, before any handler sees it", async () => {
    const erin = await player("player_0005");
    erin.client.socket.send(
      JSON.stringify({ action: "command", pad: "z".repeat(API_GATEWAY_MAX_FRAME_BYTES) }),
    );
    expect(await erin.client.closed).toEqual({ code: 1009, reason: "Message too big" });
    expect(recorder.messagesOf(erin.connectionId)).toEqual([]);
    await vi.waitFor(() => expect(recorder.disconnectsOf(erin.connectionId)).toHaveLength(1));
    expect(recorder.disconnectsOf(erin.connectionId)[0]?.requestContext).toMatchObject({
      disconnectStatusCode: 1009,
    });
  });

  it("closes with 1009 on a message over 128 KB, even in frames of 30 KB", async () => {
    const frank = await player("player_0006");
    for (let i = 0; i < 5; i += 1)
      frank.client.socket.send("f".repeat(30 * 1024), { fin: i === 4 });
    expect(await frank.client.closed).toEqual({ code: 1009, reason: "Message too big" });
    expect(recorder.messagesOf(frank.connectionId)).toEqual([]);
  });

  it("closes with 1003 on a binary frame, which API Gateway does not take", async () => {
    const gina = await player("player_0007");
    gina.client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await gina.client.closed).code).toBe(1003);
    expect(recorder.messagesOf(gina.connectionId)).toEqual([]);
  });

  it("answers Forbidden to a message no route takes when there is no $default", async () => {
    const bare = await startWebSocketGateway({
      handlers: { command: async () => ({ statusCode: 200, body: "ok" }) },
    });
    try {
      const client = await connectClient(bare.url);
      client.socket.send(JSON.stringify({ action: "command" }));
      expect(await client.next()).toBe("ok");
      client.socket.send("unrouted");
      expect(await client.nextJson()).toMatchObject({
        message: "Forbidden",
        connectionId: expect.stringMatching(AWS_STYLE_ID),
      });
      client.socket.close();
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
      const client = await connectClient(slow.url);
      client.socket.send("hello");
      expect(await client.nextJson()).toMatchObject({
        message: "Endpoint request timed out",
      });
      expect(failures).toEqual(["$default"]);
      client.socket.close();
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
      const client = await connectClient(busy.url);
      client.socket.send("slow");
      // Sent while the slow one holds the only invocation: throttled, answered at once.
      await new Promise((r) => setTimeout(r, 50));
      client.socket.send("second");
      expect(await client.nextJson()).toMatchObject({ message: "Internal server error" });
      expect(failures.some((m) => m.includes("throttled"))).toBe(true);
      release();
      expect(await client.next()).toBe("done slow");
      client.socket.send("third");
      expect(await client.next()).toBe("done third");
      client.socket.close();
    } finally {
      release();
      await busy.stop();
    }
  });
});

// Alike: its tests, one another (a handler held on a promise, then released; each test's limits
// and timings written out).
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
      const client = await connectClient(busy.url);
      client.socket.send("slow");
      await new Promise((r) => setTimeout(r, 50));
      client.socket.send("waits");
      // Released within the wait: the queued message runs after the slow one.
      await new Promise((r) => setTimeout(r, 100));
      release();
      expect(await client.next()).toBe("done slow");
      expect(await client.next()).toBe("done waits");
      client.socket.close();
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
      const client = await connectClient(late.url);
      client.socket.send("slow");
      await new Promise((r) => setTimeout(r, 50));
      client.socket.send("too late");
      // Throttled when its wait is up, while the slow one still holds the only invocation.
      expect(await client.nextJson()).toMatchObject({ message: "Internal server error" });
      releaseLate();
      expect(await client.next()).toBe("done slow");
      client.socket.close();
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
    expect(await hana.client.nextJson()).toEqual({ type: "state", tick: 7 });
    hana.client.socket.close();
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
    ivan.client.socket.close();
  });

  it("raises GoneException for a connection that closed, and for one that never was", async () => {
    const jane = await player("player_0010");
    jane.client.socket.close(1000, "bye");
    await jane.client.closed;
    await vi.waitFor(() => expect(recorder.disconnectsOf(jane.connectionId)).toHaveLength(1));
    await expect(
      management.send(
        new PostToConnectionCommand({ ConnectionId: jane.connectionId, Data: new Uint8Array([1]) }),
      ),
    ).rejects.toBeInstanceOf(GoneException);
    await expect(
      management.send(new GetConnectionCommand({ ConnectionId: "AAAAAAAAAAAAAAA=" })),
    ).rejects.toBeInstanceOf(GoneException);
  });

  it("closes the socket on DeleteConnection, which runs $disconnect", async () => {
    const kim = await player("player_0011");
    await management.send(new DeleteConnectionCommand({ ConnectionId: kim.connectionId }));
    expect((await kim.client.closed).code).toBe(1000);
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
    lee.client.socket.close();
  });
  it("records each request in its tap, the id as sent, and fails the ones a test chooses", async () => {
    const nora = await player("player_0014");
    const post = (text: string) =>
      management.send(
        new PostToConnectionCommand({
          ConnectionId: nora.connectionId,
          Data: new TextEncoder().encode(text),
        }),
      );
    const before = tap.received("PostToConnection").length;
    await post("first");
    const path = `/test/@connections/${encodeURIComponent(nora.connectionId)}`;
    expect(path).toMatch(/%3D$/);
    expect(tap.received("PostToConnection").slice(before)).toEqual([
      { ConnectionId: nora.connectionId, path },
    ]);
    tap.fail("PostToConnection", {
      status: 429,
      errorType: "LimitExceededException",
      message: "slow down",
    });
    await expect(post("second")).rejects.toMatchObject({
      name: "LimitExceededException",
      $metadata: { httpStatusCode: 429 },
    });
    await post("third");
    // The failed request was recorded, and never reached the connection.
    expect(tap.received("PostToConnection").slice(before)).toHaveLength(3);
    expect(await nora.client.next()).toBe("first");
    expect(await nora.client.next()).toBe("third");
    await management.send(new GetConnectionCommand({ ConnectionId: nora.connectionId }));
    expect(tap.received("GetConnection").at(-1)).toEqual({ ConnectionId: nora.connectionId, path });
    nora.client.socket.close();
  });
});

describe("$disconnect", () => {
  it("runs when the client closes, with the close code and the authorizer's context", async () => {
    const mia = await player("player_0013");
    mia.client.socket.close(1000, "done playing");
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
      connectClient(`${local.url}?tag=a`),
      connectClient(`${local.url}?tag=b`),
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
    await expect(connectClient(local.url)).rejects.toThrow(/ECONNREFUSED/);
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
