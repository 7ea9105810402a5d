/**
 * Ready events for `ledgerquest invoke --sample <handler>`: each of the shape AWS delivers to that
 * handler (API Gateway's WebSocket proxy and REQUEST authorizer events, the state machine's Tick
 * input, EventBridge's envelope, a DynamoDB Streams batch), filled for the project's game and, when
 * a local stack runs, with what only it can give: a signed token, a real journal record.
 */
import { randomUUID } from "node:crypto";
import { exampleOf } from "@ledgerquest/client";
import type { GameModule } from "@ledgerquest/runtime";
import { InvokeError } from "../errors.js";

/** The handlers `invoke` runs: the functions the stacks deploy (one bundle each). */
export const INVOKABLE_HANDLERS = [
  "authorizer",
  "connect",
  "disconnect",
  "command",
  "query",
  "tick",
  "audit-stream",
  "supervisor",
] as const;
export type InvokableHandler = (typeof INVOKABLE_HANDLERS)[number];

/** What a sample may draw on besides the game. */
export interface SampleContext {
  readonly game: GameModule;
  readonly worldId: string;
  readonly playerId: string;
  readonly region: string;
  /** A dev token for `playerId` (the running stack's identity provider), when one runs. */
  readonly token?: string;
  /** The world's last journal entry as DynamoDB stores it, when a stack runs and has one. */
  readonly journalImage?: Readonly<Record<string, unknown>>;
}

/** The connection the WebSocket samples name: `connect` makes it, the other routes use it. */
export const SAMPLE_CONNECTION_ID = "invokeConnection=";

/** A sample's placeholder where the running stack would have filled a value in. */
export const NO_STACK_TOKEN = "start `ledgerquest dev`, or paste `ledgerquest token <player>`";

function webSocketEvent(
  routeKey: "$connect" | "$disconnect" | "command" | "query",
  context: SampleContext,
  body?: unknown,
): Record<string, unknown> {
  const now = Date.now();
  const connect = routeKey === "$connect";
  const disconnect = routeKey === "$disconnect";
  return {
    requestContext: {
      routeKey,
      eventType: connect ? "CONNECT" : disconnect ? "DISCONNECT" : "MESSAGE",
      messageDirection: "IN",
      stage: "local",
      connectedAt: now,
      requestTimeEpoch: now,
      requestId: `invoke-${randomUUID()}`,
      connectionId: SAMPLE_CONNECTION_ID,
      apiId: "local",
      // What the $connect authorizer's context becomes on every route of the connection.
      authorizer: {
        principalId: context.playerId,
        playerId: context.playerId,
        operator: "false",
      },
      ...(connect || disconnect ? {} : { messageId: `m-${now}=` }),
    },
    isBase64Encoded: false,
    ...(connect ? { queryStringParameters: { world: context.worldId } } : {}),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

function streamRecord(context: SampleContext): Record<string, unknown> {
  const image = context.journalImage;
  if (image === undefined) {
    throw new InvokeError(
      `the audit-stream sample is a real journal record of world ${context.worldId}, read from a running local stack: start \`ledgerquest dev\` (and let the world pay something out), or write the event by hand`,
    );
  }
  return {
    Records: [
      {
        eventID: randomUUID(),
        eventName: "INSERT",
        eventVersion: "1.1",
        eventSource: "aws:dynamodb",
        awsRegion: context.region,
        dynamodb: {
          Keys: { pk: image.pk, sk: image.sk },
          NewImage: image,
          SequenceNumber: "100000000000000000001",
          StreamViewType: "NEW_AND_OLD_IMAGES",
        },
        eventSourceARN: `arn:aws:dynamodb:${context.region}:000000000000:table/AuditLog/stream/local`,
      },
    ],
  };
}

/** A ready event for `handler`. */
export function sampleEvent(handler: InvokableHandler, context: SampleContext): unknown {
  switch (handler) {
    case "authorizer":
      return {
        type: "REQUEST",
        methodArn: `arn:aws:execute-api:${context.region}:000000000000:local/local/$connect`,
        headers: {},
        queryStringParameters: { world: context.worldId, token: context.token ?? NO_STACK_TOKEN },
        requestContext: {
          routeKey: "$connect",
          eventType: "CONNECT",
          connectionId: SAMPLE_CONNECTION_ID,
          requestId: `invoke-${randomUUID()}`,
        },
      };
    case "connect":
      return webSocketEvent("$connect", context);
    case "disconnect":
      return webSocketEvent("$disconnect", context);
    case "command": {
      // The game's first command, its data built from its JSON Schema (as `dev` shows it).
      const type = context.game.commands.types[0] ?? "move";
      const data = exampleOf(context.game.describe?.().commandData?.[type]) ?? {};
      return webSocketEvent("command", context, {
        action: "command",
        id: `invoke-${Date.now()}`,
        type,
        data,
      });
    }
    case "query":
      return webSocketEvent("query", context, { action: "query", id: "invoke-q", type: "state" });
    case "tick":
      return {
        worldId: context.worldId,
        iteration: 0,
        executionName: `invoke-${Date.now()}`,
        predecessor: "",
      };
    case "supervisor":
      return {
        version: "0",
        id: randomUUID(),
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: "000000000000",
        time: new Date().toISOString(),
        region: context.region,
        resources: [],
        detail: {},
      };
    case "audit-stream":
      return streamRecord(context);
  }
}
