/**
 * The SDK clients' timeouts (adapters/sdk-clients.ts) against an endpoint that accepts every
 * connection and never answers: a plain TCP server on loopback. Without the timeouts each of
 * these calls would wait forever (the SDK's default); with them each fails, through the real SDK
 * and the real adapter, with the adapter's typed error and the SDK's `TimeoutError` as its cause.
 * No assertion is about how long it took: only that the timer, and nothing else, ended the call.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SFNClient } from "@aws-sdk/client-sfn";
import { arenaModule } from "@ledgerquest/example-arena";
import { PublishError, StoreUnavailableError } from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { documentClient, tableNames } from "../src/adapters/dynamodb-common.js";
import { DynamoDbEntityStore } from "../src/adapters/dynamodb-entity-store.js";
import { EventBridgePublisher } from "../src/adapters/eventbridge-publisher.js";
import {
  SDK_CONNECTION_TIMEOUT_MS,
  SDK_REQUEST_TIMEOUT_MS,
  SDK_SOCKET_TIMEOUT_MS,
  SDK_TIMEOUTS,
  sdkClientOptions,
} from "../src/adapters/sdk-clients.js";
import { StepFunctionsWorkflowStarter } from "../src/adapters/sfn-workflow-starter.js";
import { createRuntimeDeps, runtimeConfigSchema } from "../src/wiring.js";

/** Accepts connections, reads whatever comes, answers nothing. */
let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Short timers so that each test ends soon; one attempt, so the SDK does not retry. */
const short = (service: Parameters<typeof sdkClientOptions>[0]) => ({
  ...sdkClientOptions(service, { requestTimeoutMs: 300, socketTimeoutMs: 600 }),
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
  maxAttempts: 1,
});

/** `call` fails with the adapter's `type` of error, caused by the SDK's TimeoutError. */
async function expectTimedOut(call: Promise<unknown>, type: new (...args: never[]) => Error) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as { cause?: { name?: string } }).cause?.name).toBe("TimeoutError");
}

// A regression (a client without the timeouts) hangs: fail it within this, not the suite's 120 s.
const HANG_LIMIT_MS = 30_000;

describe("a service that never answers", () => {
  it(
    "DynamoDB: the entity store fails with StoreUnavailableError caused by a TimeoutError",
    async () => {
      const store = new DynamoDbEntityStore(documentClient(new DynamoDBClient(short("dynamodb"))), {
        tables: tableNames("never-"),
      });
      await expectTimedOut(store.getWorld("w1"), StoreUnavailableError);
    },
    HANG_LIMIT_MS,
  );

  it(
    "DynamoDB: a client built from plain options by documentClient gets the timeouts too",
    async () => {
      const { requestHandler: _, ...plain } = short("dynamodb");
      const store = new DynamoDbEntityStore(documentClient(plain), {
        tables: tableNames("never-"),
      });
      // The default request timeout: one attempt of it.
      await expectTimedOut(store.getWorld("w1"), StoreUnavailableError);
    },
    HANG_LIMIT_MS,
  );

  it(
    "EventBridge: the publisher fails with PublishError caused by a TimeoutError",
    async () => {
      const publisher = new EventBridgePublisher(new EventBridgeClient(short("eventbridge")), {
        eventBusName: "ledgerquest.eventbus",
        maxAttempts: 1,
      });
      await expectTimedOut(
        publisher.publish([
          {
            eventId: "e1",
            source: "ledgerquest.game",
            detailType: "World Activated",
            detail: { worldId: "w1", version: 0 },
            timeMs: 0,
          },
        ]),
        PublishError,
      );
    },
    HANG_LIMIT_MS,
  );

  it(
    "Step Functions: the workflow starter fails with StoreUnavailableError caused by a TimeoutError",
    async () => {
      const loops = new StepFunctionsWorkflowStarter(new SFNClient(short("sfn")), {
        stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:loop",
      });
      await expectTimedOut(loops.start("w1-m1", { worldId: "w1" }), StoreUnavailableError);
    },
    HANG_LIMIT_MS,
  );

  it(
    "the handlers' own wiring (createRuntimeDeps) times out with the default timeouts",
    async () => {
      // The endpoint and a single attempt from the environment, as Lambda's would be read.
      vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", endpoint);
      vi.stubEnv("AWS_REGION", "us-east-1");
      vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
      vi.stubEnv("AWS_MAX_ATTEMPTS", "1");
      try {
        const deps = createRuntimeDeps(
          runtimeConfigSchema.parse({
            LQ_ENTITY_TABLE: "EntityTable",
            LQ_AUDIT_TABLE: "AuditLog",
            LQ_EVENT_BUS: "ledgerquest.eventbus",
            LQ_ASSETS_BUCKET: "assets",
            LQ_WEBSOCKET_ENDPOINT: "http://127.0.0.1:1/test",
          }),
          arenaModule,
        );
        await expectTimedOut(deps.store.getWorld("w1"), StoreUnavailableError);
      } finally {
        vi.unstubAllEnvs();
      }
    },
    HANG_LIMIT_MS,
  );
});

describe("sdkClientOptions", () => {
  it("gives every service a connection, request and idle timeout, the request one thrown", () => {
    for (const service of Object.keys(SDK_TIMEOUTS) as (keyof typeof SDK_TIMEOUTS)[]) {
      const { requestHandler } = sdkClientOptions(service);
      expect(requestHandler.connectionTimeout, service).toBe(SDK_CONNECTION_TIMEOUT_MS);
      expect(requestHandler.socketTimeout, service).toBe(SDK_SOCKET_TIMEOUT_MS);
      expect(requestHandler.requestTimeout, service).toBeGreaterThanOrEqual(SDK_REQUEST_TIMEOUT_MS);
      // Without it the SDK's handler only logs a warning when the request timeout passes.
      expect(requestHandler.throwOnRequestTimeout, service).toBe(true);
    }
    expect(() => sdkClientOptions("dynamodb", { requestTimeoutMs: 0 })).toThrow(RangeError);
  });

  it("is what every SDK client in the package's sources is built with", () => {
    const src = fileURLToPath(new URL("../src", import.meta.url));
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          // The server side of the AWS protocols (stand-in endpoints) builds no client.
          if (name !== "protocol") walk(path);
        } else if (name.endsWith(".ts")) files.push(path);
      }
    };
    walk(src);
    const constructions: string[] = [];
    const bare: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/new ([A-Za-z0-9]+Client)\(/g)) {
        const at = match.index ?? 0;
        // The constructor's argument, up to its closing parenthesis.
        let depth = 0;
        let end = at + match[0].length - 1;
        for (; end < text.length; end++) {
          if (text[end] === "(") depth++;
          else if (text[end] === ")" && --depth === 0) break;
        }
        const where = `${file.slice(src.length + 1)}: new ${match[1]}`;
        constructions.push(where);
        if (!text.slice(at, end).includes("sdkClientOptions(")) bare.push(where);
      }
    }
    expect(constructions.length).toBeGreaterThanOrEqual(8);
    expect(bare).toEqual([]);
  });
});
