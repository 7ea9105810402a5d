/**
 * The EventBridge, API Gateway Management and Step Functions adapters, through the real SDK
 * clients over real HTTP (no SDK mocks) to the emulators of @ledgerquest/emulators, which the local
 * stack runs: EventBridge, Step Functions, and the WebSocket gateway's `@connections` API, with
 * real WebSocket clients connected to it (`@ledgerquest/emulators/testing`) whose frames are what
 * a post delivered. First the ports' contract suites, then what is particular to AWS (wire shapes,
 * backoff, error mapping), then the emulators' own AWS behaviours, which the local stack relies on.
 * What the adapters sent is read from the emulators' `ServiceTap`, which also injects failures.
 */

import {
  ApiGatewayManagementApiClient,
  type ApiGatewayManagementApiClientConfig,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
} from "@aws-sdk/client-apigatewaymanagementapi";
import {
  AccessDeniedException,
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  ExecutionAlreadyExists,
  InvalidName,
  SFNClient,
  type SFNClientConfig,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from "@aws-sdk/client-sfn";
import {
  type AcceptedEvent,
  type LocalStateMachine,
  startLocalEventBridge,
  startLocalStepFunctions,
  startWebSocketGateway,
  type WebSocketGateway,
} from "@ledgerquest/emulators";
import { type JsonObject, listen, ServiceTap } from "@ledgerquest/emulators/protocol";
import {
  clientPushHarness,
  connectClient,
  connectClients,
  type GatewayClient,
} from "@ledgerquest/emulators/testing";
import {
  type OutgoingEvent,
  PublishError,
  putEventsEntrySize,
  RuntimeError,
  StoreUnavailableError,
} from "@ledgerquest/runtime";
import { describeClientPushContract } from "@ledgerquest/runtime/testing/client-push";
import {
  asDelivered,
  describeEventPublisherContract,
  sampleEvent,
  sampleEvents,
} from "@ledgerquest/runtime/testing/event-publisher";
import { describeWorkflowStarterContract } from "@ledgerquest/runtime/testing/workflow-starter";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiGatewayClientPush } from "../src/adapters/apigw-client-push.js";
import {
  DEFAULT_EVENT_BUS_NAME,
  EVENT_ID_DETAIL_KEY,
  EventBridgePublisher,
  type EventBridgePublisherOptions,
  PUT_EVENTS_MAX_ENTRY_BYTES,
} from "../src/adapters/eventbridge-publisher.js";
import {
  executionNameFor,
  StepFunctionsWorkflowStarter,
} from "../src/adapters/sfn-workflow-starter.js";
import { AwsAdapterError } from "../src/errors.js";

// Alike: emulators.test.ts's head and the emulators' own tests' (eventbridge.test.ts,
// stepfunctions.test.ts): client settings and a close-after-each list, a few lines each file keeps.
const region = "us-east-1";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

/** Servers and clients a test made, closed after it. */
const opened: { close(): Promise<void> | void }[] = [];

afterEach(async () => {
  const all = opened.splice(0);
  await Promise.all(all.reverse().map((o) => o.close()));
});

function track<T extends { destroy(): void }>(client: T): T {
  opened.push({ close: () => client.destroy() });
  return client;
}

/** A URL where nothing listens: a server's, once closed. */
async function deadUrl(): Promise<string> {
  const server = await listen(() => ({ status: 500 }));
  await server.close();
  return server.url;
}

// Alike: rejectionOf in runtime's testing/event-publisher.contract.ts (not exported) and in
// emulators' test/stepfunctions.test.ts.
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, and it resolved");
}

// ---------------------------------------------------------------------------------------------
// EventBridge

/** The event id an entry carries in its detail (as the publisher puts it there). */
function eventIdOf(entry: JsonObject): string {
  try {
    const detail = JSON.parse(String(entry.Detail)) as { [key: string]: unknown };
    return String(detail[EVENT_ID_DETAIL_KEY]);
  } catch {
    return "";
  }
}

/** An accepted event as an `OutgoingEvent` seen by a consumer (the id stays in the detail). */
function asOutgoing(accepted: AcceptedEvent): OutgoingEvent {
  return {
    eventId: String(accepted.event.detail[EVENT_ID_DETAIL_KEY]),
    source: accepted.event.source,
    detailType: accepted.event["detail-type"],
    detail: accepted.event.detail,
    timeMs: accepted.timeMs,
  };
}

/**
 * The local EventBridge (its bus `eventBusName`, and `default`), its requests tapped: `calls()` are
 * the entries of each PutEvents request that reached it, in order, failed ones too.
 */
async function startBus(eventBusName: string = DEFAULT_EVENT_BUS_NAME) {
  const tap = new ServiceTap();
  const bus = await startLocalEventBridge({ eventBusName, rules: [], targets: {}, tap });
  opened.push(bus);
  const calls = () =>
    tap.received("PutEvents").map((input) => ({ entries: input.Entries as JsonObject[] }));
  return { bus, tap, calls };
}

async function localEventBridge(
  options: EventBridgePublisherOptions = {},
  clientConfig: EventBridgeClientConfig = {},
  eventBusName: string = DEFAULT_EVENT_BUS_NAME,
) {
  const { bus, tap, calls } = await startBus(eventBusName);
  const client = track(
    new EventBridgeClient({ region, credentials, endpoint: bus.url, ...clientConfig }),
  );
  // Short waits between resends keep the suite fast; the backoff itself is tested below.
  const publisher = new EventBridgePublisher(client, { baseDelayMs: 1, ...options });
  return { bus, tap, calls, client, publisher };
}

describeEventPublisherContract(
  "EventBridgePublisher over a local EventBridge endpoint",
  async () => {
    const { bus, calls, publisher } = await localEventBridge();
    return {
      publisher,
      maxAttempts: publisher.maxAttempts,
      received: () => bus.accepted().map(asOutgoing),
      calls: () => calls().map((call) => call.entries.map(eventIdOf)),
      failEvents: (eventIds, times) => {
        for (const id of eventIds) {
          bus.failEntries({
            matches: (entry) => eventIdOf(entry) === id,
            times,
            errorCode: "ThrottlingException",
            errorMessage: "Rate exceeded",
          });
        }
      },
    };
  },
);

describe("EventBridgePublisher on the wire", () => {
  it("sends each event as a PutEvents entry: bus, source, detail-type, time, and the id inside the detail", async () => {
    const { bus, calls, publisher } = await localEventBridge();
    const event = sampleEvent(3);
    await publisher.publish([event]);
    expect(calls()).toHaveLength(1);
    const entries = calls()[0]?.entries;
    expect(entries).toEqual([
      {
        EventBusName: DEFAULT_EVENT_BUS_NAME,
        Source: "ledgerquest.game",
        DetailType: "Level Up",
        Detail: JSON.stringify({ eventId: "world-1/7/3", ...event.detail }),
        // AWS JSON timestamps are epoch seconds; the milliseconds survive as a fraction.
        Time: event.timeMs / 1000,
      },
    ]);
    // What a rule or target of the bus sees.
    expect(bus.accepted()[0]?.event).toMatchObject({
      "detail-type": "Level Up",
      source: "ledgerquest.game",
      time: "2023-11-14T22:13:23Z",
      detail: { eventId: "world-1/7/3", playerId: "player_0003" },
    });
    expect(bus.accepted()[0]?.eventBusName).toBe(DEFAULT_EVENT_BUS_NAME);
  });

  it("publishes to the bus its options name, by name or by ARN", async () => {
    const { bus, client } = await localEventBridge({}, {}, "game-events");
    const arn = bus.eventBusArn;
    await new EventBridgePublisher(client, { eventBusName: "game-events" }).publish([
      sampleEvent(0),
    ]);
    await new EventBridgePublisher(client, { eventBusName: arn }).publish([sampleEvent(1)]);
    expect(bus.accepted().map((e) => e.eventBusName)).toEqual(["game-events", "game-events"]);
  });

  it("names the events of a bus that does not exist without resending them", async () => {
    const { calls, client } = await localEventBridge();
    const publisher = new EventBridgePublisher(client, {
      eventBusName: "no-such-bus",
      baseDelayMs: 1,
    });
    const error = await rejectionOf(publisher.publish(sampleEvents(2)));
    // The local bus's message names the buses it has.
    const noSuchBus = `Event bus no-such-bus does not exist. The local bus has: default, ${DEFAULT_EVENT_BUS_NAME}.`;
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).failed).toEqual([
      {
        eventId: "world-1/7/0",
        reason: `ResourceNotFoundException: ${noSuchBus}`,
      },
      {
        eventId: "world-1/7/1",
        reason: `ResourceNotFoundException: ${noSuchBus}`,
      },
    ]);
    expect(calls()).toHaveLength(1);
  });

  it("waits an exponential backoff with jitter before each resend", async () => {
    const waits: number[] = [];
    const { bus, calls, publisher } = await localEventBridge({
      baseDelayMs: 100,
      maxDelayMs: 300,
      maxAttempts: 5,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    bus.failEntries({ matches: () => true, times: Number.POSITIVE_INFINITY });
    const error = await rejectionOf(publisher.publish([sampleEvent(0)]));
    expect((error as PublishError).failed).toEqual([
      { eventId: "world-1/7/0", reason: "InternalFailure: Injected failure (after 5 attempts)" },
    ]);
    expect(calls()).toHaveLength(5);
    // Ceilings 100, 200, then capped at 300; each wait is in [ceiling / 2, ceiling].
    const ceilings = [100, 200, 300, 300];
    expect(waits).toHaveLength(ceilings.length);
    waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual((ceilings[i] as number) / 2);
      expect(ms).toBeLessThanOrEqual(ceilings[i] as number);
    });
  });

  it.each([
    "MalformedDetail",
    "InvalidArgument",
    "AccessDeniedException",
    "NotAuthorizedForSourceException",
  ])("does not resend an entry that failed with %s, which no retry fixes", async (code) => {
    const { bus, calls, publisher } = await localEventBridge();
    const events = sampleEvents(3);
    bus.failEntries({
      matches: (e) => eventIdOf(e) === "world-1/7/1",
      times: 1,
      errorCode: code,
      errorMessage: "no",
    });
    const error = await rejectionOf(publisher.publish(events));
    expect((error as PublishError).failed).toEqual([
      { eventId: "world-1/7/1", reason: `${code}: no` },
    ]);
    expect(calls()).toHaveLength(1);
    expect(bus.accepted().map(asOutgoing)).toEqual(
      [events[0], events[2]].map((e) => asDelivered(e as OutgoingEvent)),
    );
  });

  it("stops at a call that fails as a whole, naming its events and those not sent, with the SDK's error as cause", async () => {
    const { bus, tap, calls, publisher } = await localEventBridge();
    const events = sampleEvents(25);
    bus.failEntries({ matches: (e) => eventIdOf(e) === "world-1/7/2", times: 1 });
    tap.fail(
      "PutEvents",
      { status: 400, errorType: "AccessDeniedException", message: "not allowed" },
      1,
      1,
    );

    const error = await rejectionOf(publisher.publish(events));
    expect(error).toBeInstanceOf(PublishError);
    const failed = (error as PublishError).failed;
    // The entry that failed in the first call (its resend never came), the second call's ten,
    // and the third call's five, which were never sent.
    expect(failed.map((f) => f.eventId)).toEqual(
      events.filter((_, i) => i === 2 || i >= 10).map((e) => e.eventId),
    );
    expect(failed[0]?.reason).toBe("InternalFailure: Injected failure");
    expect(failed[1]?.reason).toBe(
      `PutEvents to ${DEFAULT_EVENT_BUS_NAME} failed: AccessDeniedException: not allowed`,
    );
    expect(failed[failed.length - 1]?.reason).toBe(
      "not sent: an earlier PutEvents call failed (AccessDeniedException)",
    );
    expect((error as PublishError).cause).toBeInstanceOf(AccessDeniedException);
    // A 400 is not retried by the SDK either: two requests in all.
    expect(calls()).toHaveLength(2);
    expect(bus.accepted().map(asOutgoing)).toEqual(
      events.filter((_, i) => i < 10 && i !== 2).map(asDelivered),
    );
  });

  it("leaves a server error to the SDK's own retries, which may overcome it", async () => {
    const { bus, tap, calls, publisher } = await localEventBridge();
    tap.fail("PutEvents", { status: 500, errorType: "InternalException", message: "oops" }, 1);
    const events = sampleEvents(4);
    await publisher.publish(events);
    expect(calls().map((c) => c.entries.map(eventIdOf))).toEqual([
      events.map((e) => e.eventId),
      events.map((e) => e.eventId),
    ]);
    expect(bus.accepted().map(asOutgoing)).toEqual(events.map(asDelivered));
  });

  it("names every event when the service cannot be reached, with the SDK's error as cause", async () => {
    const client = track(
      new EventBridgeClient({ region, credentials, endpoint: await deadUrl(), maxAttempts: 1 }),
    );
    const error = await rejectionOf(new EventBridgePublisher(client).publish(sampleEvents(12)));
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).failed.map((f) => f.eventId)).toEqual(
      sampleEvents(12).map((e) => e.eventId),
    );
    expect((error as PublishError).cause).toBeInstanceOf(Error);
  });

  it("takes an entry one byte under 256 KB and refuses one of 256 KB, as AWS counts entry size", async () => {
    const { bus, publisher } = await localEventBridge();
    const measured = publisher.toEntry(sampleEvent(0, { pad: "" }));
    if (!("bytes" in measured)) throw new Error(measured.reason);
    // The runtime's event definitions measure an entry the same way.
    const { Source = "", DetailType = "", Detail, Time } = measured.entry;
    expect(measured.bytes).toBe(putEventsEntrySize({ Source, DetailType, Detail, Time }));
    const room = PUT_EVENTS_MAX_ENTRY_BYTES - 1 - measured.bytes;
    const under = sampleEvent(0, { pad: "x".repeat(room) });
    // Event 2 has the same detail-type and field widths as event 0.
    const at = sampleEvent(2, { pad: "x".repeat(room + 1) });

    const error = await rejectionOf(publisher.publish([under, at]));
    expect((error as PublishError).failed).toEqual([
      {
        eventId: at.eventId,
        reason: `entry is ${PUT_EVENTS_MAX_ENTRY_BYTES} bytes; EventBridge takes less than ${PUT_EVENTS_MAX_ENTRY_BYTES} bytes`,
      },
    ]);
    // The endpoint measures the same way and took the other.
    expect(bus.accepted().map(asOutgoing)).toEqual([asDelivered(under)]);
  });

  it("finds its endpoint through AWS_ENDPOINT_URL_EVENTBRIDGE, as the local stack configures it", async () => {
    const { bus } = await startBus();
    const saved = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
    try {
      const client = track(new EventBridgeClient({ region, credentials }));
      await new EventBridgePublisher(client).publish([sampleEvent(0)]);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
      else process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = saved;
    }
    expect(bus.events()).toHaveLength(1);
  });

  it("refuses options that cannot work", async () => {
    const { client } = await localEventBridge();
    expect(() => new EventBridgePublisher(client, { maxAttempts: 0 })).toThrow(RangeError);
    expect(() => new EventBridgePublisher(client, { eventBusName: "" })).toThrow(RangeError);
  });
});

// Alike: emulators' test/eventbridge.test.ts (some of the same checks: here as what the adapters
// rely on, there as the emulator's own).
describe("the local EventBridge endpoint", () => {
  async function rawClient() {
    const { bus } = await startBus();
    return {
      bus,
      client: track(new EventBridgeClient({ region, credentials, endpoint: bus.url })),
    };
  }

  it("answers each entry in order with an event id or an error code, and counts the failures", async () => {
    const { bus, client } = await rawClient();
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: "s", DetailType: "d", Detail: '{"a":1}' },
          { Source: "s", DetailType: "d", Detail: "[1]" },
          { Source: "s", DetailType: "d" },
          { Source: "s", DetailType: "d", Detail: "{}", EventBusName: "missing" },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Entries?.slice(1).map((e) => e.ErrorCode)).toEqual([
      "MalformedDetail",
      "InvalidArgument",
      "ResourceNotFoundException",
    ]);
    expect(bus.events().map((e) => e.detail)).toEqual([{ a: 1 }]);
  });

  it("refuses more than 10 entries as a validation error", async () => {
    const { client } = await rawClient();
    const entries = Array.from({ length: 11 }, () => ({
      Source: "s",
      DetailType: "d",
      Detail: "{}",
    }));
    const error = await rejectionOf(client.send(new PutEventsCommand({ Entries: entries })));
    expect((error as Error).name).toBe("ValidationException");
  });

  it("hands accepted events to the targets of the rules they match", async () => {
    const seen: string[] = [];
    const bus = await startLocalEventBridge({
      rules: [
        {
          name: "ones",
          description: "events from the source one",
          eventPattern: { source: ["one"] },
          target: { kind: "lambda", ref: "OpsNotifier" },
        },
      ],
      targets: { OpsNotifier: (input) => seen.push((input as { source: string }).source) },
    });
    opened.push(bus);
    const client = track(new EventBridgeClient({ region, credentials, endpoint: bus.url }));
    await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: "one", DetailType: "d", Detail: "{}", EventBusName: bus.eventBusArn },
          { Source: "two", DetailType: "d", Detail: "{}", EventBusName: bus.eventBusArn },
        ],
      }),
    );
    await bus.waitForIdle();
    expect(seen).toEqual(["one"]);
  });

  it("refuses an unsigned request", async () => {
    const { bus } = await startBus();
    const response = await fetch(bus.url, {
      method: "POST",
      headers: {
        "x-amz-target": "AWSEvents.PutEvents",
        "content-type": "application/x-amz-json-1.1",
      },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe(
      "MissingAuthenticationTokenException",
    );
  });
});

// ---------------------------------------------------------------------------------------------
// API Gateway Management API

const STAGE = "prod";

/**
 * The emulated WebSocket gateway (stage `prod`, no routes: clients connect and receive pushes),
 * its `@connections` requests tapped, an SDK client of its management endpoint, and the adapter.
 */
async function localConnections(
  clientConfig: ApiGatewayManagementApiClientConfig = {},
  maxMessageBytes?: number,
) {
  const tap = new ServiceTap();
  const gateway = await startWebSocketGateway({ stage: STAGE, handlers: {}, tap });
  opened.push({ close: () => gateway.stop() });
  const client = track(
    new ApiGatewayManagementApiClient({
      region,
      credentials,
      endpoint: gateway.managementEndpoint,
      ...clientConfig,
    }),
  );
  const push = new ApiGatewayClientPush(
    client,
    maxMessageBytes === undefined ? {} : { maxMessageBytes },
  );
  return { gateway, tap, client, push };
}

/** One real WebSocket client connected to `gateway`, and its connection id. */
async function oneClient(gateway: WebSocketGateway): Promise<[string, GatewayClient]> {
  const clients = await connectClients(gateway, 1);
  return [...clients][0] as [string, GatewayClient];
}

/** The path an `@connections` request of `connectionId` takes, its trailing `=` percent-encoded. */
function connectionPath(connectionId: string): string {
  expect(connectionId).toMatch(/^[A-Za-z0-9]+=$/);
  return `/${STAGE}/@connections/${connectionId.slice(0, -1)}%3D`;
}

describeClientPushContract(
  "ApiGatewayClientPush over the emulated gateway's @connections",
  async () => {
    const gateway = await startWebSocketGateway({ stage: STAGE, handlers: {} });
    const client = new ApiGatewayManagementApiClient({
      region,
      credentials,
      endpoint: gateway.managementEndpoint,
    });
    const harness = await clientPushHarness(gateway, new ApiGatewayClientPush(client));
    return {
      ...harness,
      cleanup: async () => {
        client.destroy();
        await harness.cleanup?.();
      },
    };
  },
);

describe("ApiGatewayClientPush on the wire", () => {
  it("posts to {stage}/@connections/{id}, the id percent-encoded, the message as the raw body", async () => {
    const { gateway, tap, push } = await localConnections();
    const [id, socket] = await oneClient(gateway);
    expect(await push.post(id, "hi")).toBe("sent");
    expect(tap.received("PostToConnection")).toEqual([
      { ConnectionId: id, path: connectionPath(id) },
    ]);
    await socket.receivedCount(1);
    expect(socket.texts()).toEqual(["hi"]);
  });

  it("treats a wrong stage URL as a misconfiguration, not as a gone client", async () => {
    const { gateway, push } = await localConnections();
    const [id, socket] = await oneClient(gateway);
    const client = track(
      new ApiGatewayManagementApiClient({
        region,
        credentials,
        endpoint: gateway.managementEndpoint.replace(/\/prod$/, "/dev"),
      }),
    );
    const error = await rejectionOf(new ApiGatewayClientPush(client).post(id, "hi"));
    expect(error).toBeInstanceOf(AwsAdapterError);
    expect((error as Error).message).toBe(
      `PostToConnection to ${id} failed with ForbiddenException: Forbidden`,
    );
    expect((error as Error).cause).toMatchObject({ name: "ForbiddenException" });
    // Nothing reached the client: the next frame it gets is the next post's.
    expect(await push.post(id, "after")).toBe("sent");
    await socket.receivedCount(1);
    expect(socket.texts()).toEqual(["after"]);
  });

  it("turns throttling that outlasts the SDK's retries into StoreUnavailableError", async () => {
    const { gateway, tap, push } = await localConnections({ maxAttempts: 2 });
    const [id, socket] = await oneClient(gateway);
    tap.fail(
      "PostToConnection",
      { status: 429, errorType: "LimitExceededException", message: "slow down" },
      2,
    );
    const error = await rejectionOf(push.post(id, "hi"));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({
      service: "ApiGatewayManagementApi",
      operation: `PostToConnection to ${id}`,
    });
    expect((error as Error).cause).toMatchObject({ name: "LimitExceededException" });
    expect(tap.received("PostToConnection")).toHaveLength(2);
    // Neither attempt reached the client: the next frame it gets is the next post's.
    expect(await push.post(id, "after")).toBe("sent");
    await socket.receivedCount(1);
    expect(socket.texts()).toEqual(["after"]);
  });

  it("leaves a server error to the SDK's own retries, and the message arrives once", async () => {
    const { gateway, tap, push } = await localConnections();
    const [id, socket] = await oneClient(gateway);
    tap.fail(
      "PostToConnection",
      { status: 500, errorType: "InternalServerErrorException", message: "oops" },
      1,
    );
    expect(await push.post(id, "hi")).toBe("sent");
    expect(tap.received("PostToConnection")).toHaveLength(2);
    expect(await push.post(id, "next")).toBe("sent");
    await socket.receivedCount(2);
    expect(socket.texts()).toEqual(["hi", "next"]);
  });

  it("maps the service's own PayloadTooLargeException (413) to an AwsAdapterError", async () => {
    // An adapter told to allow more than API Gateway does meets the service's refusal.
    const { gateway, push } = await localConnections({}, 1024 * 1024);
    const [id, socket] = await oneClient(gateway);
    const error = await rejectionOf(push.post(id, "x".repeat(200 * 1024)));
    expect(error).toBeInstanceOf(AwsAdapterError);
    expect((error as Error).cause).toBeInstanceOf(PayloadTooLargeException);
    expect((error as Error).cause).toMatchObject({ $metadata: { httpStatusCode: 413 } });
    expect(await push.post(id, "after")).toBe("sent");
    await socket.receivedCount(1);
    expect(socket.texts()).toEqual(["after"]);
  });

  it("turns a service that does not answer into StoreUnavailableError", async () => {
    const client = track(
      new ApiGatewayManagementApiClient({
        region,
        credentials,
        endpoint: `${await deadUrl()}/prod`,
        maxAttempts: 1,
      }),
    );
    const error = await rejectionOf(new ApiGatewayClientPush(client).post("c1", "hi"));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
  });
});

describe("the emulated gateway's @connections, as the adapter's callers meet it", () => {
  it("describes a connection, and DeleteConnection closes it; then it is gone (410)", async () => {
    const { gateway, client, push } = await localConnections();
    const socket = await connectClient(gateway.url, { "User-Agent": "bot/1.0" });
    const [connection] = gateway.connections();
    const id = connection?.connectionId ?? "";
    const described = await client.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(described.ConnectedAt).toEqual(new Date(connection?.connectedAtMs ?? 0));
    expect(described.Identity).toEqual({ SourceIp: "127.0.0.1", UserAgent: "bot/1.0" });
    expect(described.LastActiveAt).toBeInstanceOf(Date);
    await client.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect((await socket.closed).code).toBe(1000);
    // The gateway forgets the connection once its close completes.
    await vi.waitFor(() => expect(gateway.connections()).toEqual([]));
    const error = await rejectionOf(client.send(new DeleteConnectionCommand({ ConnectionId: id })));
    expect(error).toBeInstanceOf(GoneException);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 410 } });
    expect(await push.post(id, "late")).toBe("gone");
    expect(socket.received).toEqual([]);
  });

  it("delivers a post as a text frame, its UTF-8 intact", async () => {
    const { gateway, push } = await localConnections();
    const [id, socket] = await oneClient(gateway);
    expect(await push.post(id, "über")).toBe("sent");
    await socket.receivedCount(1);
    expect(socket.texts()).toEqual(["über"]);
    expect(socket.received[0]).toEqual(new TextEncoder().encode("über"));
  });
});

// ---------------------------------------------------------------------------------------------
// Step Functions

const LOOP = "ledgerquest-game-loop";

/** A game loop stand-in whose executions hold (an hour's Wait) until stopped or closed. */
const HOLD: LocalStateMachine = {
  definition: { StartAt: "Hold", States: { Hold: { Type: "Wait", Seconds: 3600, End: true } } },
};

/**
 * The local Step Functions with the state machine `LOOP` (`HOLD`), its requests tapped:
 * `startRequests()` counts the StartExecution requests that reached it, failed ones too.
 */
async function localStepFunctions(clientConfig: SFNClientConfig = {}, nowMs?: () => number) {
  const tap = new ServiceTap();
  const sfn = await startLocalStepFunctions({
    stateMachines: { [LOOP]: HOLD },
    tap,
    onExecutionClosed: () => {},
    ...(nowMs === undefined ? {} : { nowMs }),
  });
  opened.push(sfn);
  const stateMachineArn = sfn.stateMachineArns[LOOP] as string;
  const client = track(new SFNClient({ region, credentials, endpoint: sfn.url, ...clientConfig }));
  const starter = new StepFunctionsWorkflowStarter(client, { stateMachineArn });
  const executionArn = (name: string) =>
    `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${executionNameFor(name)}`;
  const startRequests = () => tap.received("StartExecution").length;
  return { sfn, tap, client, starter, stateMachineArn, executionArn, startRequests };
}

describeWorkflowStarterContract(
  "StepFunctionsWorkflowStarter over the local Step Functions",
  async () => {
    const { sfn, starter, executionArn } = await localStepFunctions();
    return {
      starter,
      executions: () => sfn.executions().map((e) => ({ input: JSON.parse(e.input) as unknown })),
      finish: (name) => {
        sfn.service.stopExecution(executionArn(name));
      },
    };
  },
);

describe("execution names", () => {
  it("keeps a name Step Functions and CloudWatch Logs take as it is", () => {
    expect(executionNameFor("loop-world_1-g2")).toBe("loop-world_1-g2");
    expect(executionNameFor("a".repeat(80))).toBe("a".repeat(80));
  });

  it("replaces other characters, cuts to 80, and appends a digest of the whole name", () => {
    const mapped = executionNameFor("world:1/a");
    expect(mapped).toMatch(/^world_1_a-[0-9a-f]{16}$/);
    expect(executionNameFor("world:1/a")).toBe(mapped);
    expect(executionNameFor("world/1:a")).not.toBe(mapped);
    const long = executionNameFor("a".repeat(81));
    expect(long).toHaveLength(80);
    expect(long).toMatch(/^a{63}-[0-9a-f]{16}$/);
    expect(executionNameFor(`${"a".repeat(80)}b`)).not.toBe(long);
    expect(executionNameFor("Zoë 🎮")).toMatch(/^Zo__{3}-[0-9a-f]{16}$/);
  });
});

describe("StepFunctionsWorkflowStarter on the wire", () => {
  it("starts the configured state machine under the derived name with the input's JSON", async () => {
    const { sfn, starter, stateMachineArn } = await localStepFunctions();
    expect(await starter.start("loop:world-1", { worldId: "world-1", iteration: 0 })).toBe(
      "started",
    );
    expect(sfn.executions()).toEqual([
      expect.objectContaining({
        stateMachineArn,
        name: executionNameFor("loop:world-1"),
        input: '{"worldId":"world-1","iteration":0}',
        status: "RUNNING",
      }),
    ]);
  });

  it("maps a state machine that does not exist to an AwsAdapterError, without retrying", async () => {
    const { sfn, client, startRequests } = await localStepFunctions();
    const missing = `arn:aws:states:us-east-1:${sfn.service.account}:stateMachine:missing`;
    const error = await rejectionOf(
      new StepFunctionsWorkflowStarter(client, { stateMachineArn: missing }).start("loop-1", {
        worldId: "w",
      }),
    );
    expect(error).toBeInstanceOf(AwsAdapterError);
    expect((error as Error).message).toBe(
      `StartExecution of loop-1 on ${missing} failed with StateMachineDoesNotExist: State Machine Does Not Exist: '${missing}' (this local endpoint has ${sfn.stateMachineArns[LOOP]})`,
    );
    expect((error as Error).cause).toBeInstanceOf(StateMachineDoesNotExist);
    expect(startRequests()).toBe(1);
  });

  it("treats ExecutionLimitExceeded as transient: StoreUnavailableError", async () => {
    const { sfn, tap, starter } = await localStepFunctions();
    tap.fail(
      "StartExecution",
      { status: 400, errorType: "ExecutionLimitExceeded", message: "too many" },
      1,
    );
    const error = await rejectionOf(starter.start("loop-1", { worldId: "w" }));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ service: "StepFunctions" });
    expect((error as Error).cause).toMatchObject({ name: "ExecutionLimitExceeded" });
    expect(sfn.executions()).toEqual([]);
  });

  it("turns throttling that outlasts the SDK's retries into StoreUnavailableError", async () => {
    const { tap, starter, startRequests } = await localStepFunctions({ maxAttempts: 2 });
    tap.fail(
      "StartExecution",
      { status: 400, errorType: "ThrottlingException", message: "Rate exceeded" },
      5,
    );
    const error = await rejectionOf(starter.start("loop-1", { worldId: "w" }));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(startRequests()).toBe(2);
  });

  it("leaves a server error to the SDK's own retries, and starts one execution", async () => {
    const { sfn, tap, starter, startRequests } = await localStepFunctions();
    tap.fail("StartExecution", { status: 500, errorType: "InternalFailure", message: "oops" }, 1);
    expect(await starter.start("loop-1", { worldId: "w" })).toBe("started");
    expect(startRequests()).toBe(2);
    expect(sfn.executions()).toHaveLength(1);
  });

  it("turns a service that does not answer into StoreUnavailableError", async () => {
    const client = track(
      new SFNClient({ region, credentials, endpoint: await deadUrl(), maxAttempts: 1 }),
    );
    const starter = new StepFunctionsWorkflowStarter(client, {
      stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${LOOP}`,
    });
    const error = await rejectionOf(starter.start("loop-1", { worldId: "w" }));
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it("refuses input that is not a JSON object before any request", async () => {
    const { starter, startRequests } = await localStepFunctions();
    await expect(starter.start("loop-1", { n: 1n })).rejects.toThrow(/not JSON/);
    await expect(starter.start("loop-1", { toJSON: () => [1] })).rejects.toThrow(
      /must be a JSON object/,
    );
    expect(startRequests()).toBe(0);
  });

  it("finds its endpoint through AWS_ENDPOINT_URL_SFN, as the local stack configures it", async () => {
    const { sfn, stateMachineArn } = await localStepFunctions();
    // Alike: the EventBridge publisher's endpoint-from-environment test (the same env save/restore).
    const saved = process.env.AWS_ENDPOINT_URL_SFN;
    process.env.AWS_ENDPOINT_URL_SFN = sfn.url;
    try {
      const client = track(new SFNClient({ region, credentials }));
      expect(
        await new StepFunctionsWorkflowStarter(client, { stateMachineArn }).start("loop-1", {}),
      ).toBe("started");
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SFN;
      else process.env.AWS_ENDPOINT_URL_SFN = saved;
    }
    expect(sfn.executions()).toHaveLength(1);
  });

  it("refuses an empty state machine ARN", async () => {
    const { client } = await localStepFunctions();
    expect(() => new StepFunctionsWorkflowStarter(client, { stateMachineArn: "" })).toThrow(
      RuntimeError,
    );
  });
});

describe("the local Step Functions endpoint", () => {
  it("answers an idempotent repeat with the first start's ARN and date, and a changed one with ExecutionAlreadyExists", async () => {
    let nowMs = 1_700_000_000_000;
    const { sfn, client, stateMachineArn } = await localStepFunctions({}, () => nowMs);
    const start = (input: string) =>
      client.send(new StartExecutionCommand({ stateMachineArn, name: "run-1", input }));

    const first = await start('{"a":1}');
    nowMs += 5_000;
    const again = await start('{"a":1}');
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(new Date(1_700_000_000_000));
    expect(first.executionArn).toBe(
      `arn:aws:states:us-east-1:000000000000:execution:${LOOP}:run-1`,
    );
    // Same name, input that differs only in spacing: another input to Step Functions.
    expect(await rejectionOf(start('{"a": 1}'))).toBeInstanceOf(ExecutionAlreadyExists);
    sfn.service.stopExecution(first.executionArn as string);
    expect(await rejectionOf(start('{"a":1}'))).toBeInstanceOf(ExecutionAlreadyExists);
    expect(sfn.executions()).toHaveLength(1);
  });

  it("refuses names and inputs as StartExecution does", async () => {
    const { sfn, client, stateMachineArn } = await localStepFunctions();
    for (const name of ["a b", "a:b", "a/b", "x".repeat(81), "a\u0085b"]) {
      const error = await rejectionOf(
        client.send(new StartExecutionCommand({ stateMachineArn, name })),
      );
      expect(error, name).toBeInstanceOf(InvalidName);
    }
    const bad = await rejectionOf(
      client.send(new StartExecutionCommand({ stateMachineArn, input: "{nope" })),
    );
    expect((bad as Error).name).toBe("InvalidExecutionInput");
    // Without a name, Step Functions makes one up.
    const out = await client.send(new StartExecutionCommand({ stateMachineArn }));
    expect(out.executionArn).toMatch(/:execution:ledgerquest-game-loop:[0-9a-f-]{36}$/);
    expect(sfn.executions()[0]?.input).toBe("{}");
  });
});
