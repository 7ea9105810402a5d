/**
 * The runtime's dependencies over AWS, built from validated configuration once per cold start and
 * kept for the life of the process (the SDK clients keep their connections warm between
 * invocations).
 *
 * Endpoints are never configured here: every SDK client reads the standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables itself, so the local stack points the very same code at
 * its emulators by changing the environment only (ARCHITECTURE.md principle 3). The one
 * exception is the API Gateway Management API, whose endpoint is per WebSocket API and stage and
 * so is configuration in its own right (`LQ_WEBSOCKET_ENDPOINT`).
 */
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  type BlobStore,
  type ClientPush,
  type Clock,
  type GameModule,
  type RuntimeDeps,
  systemClock,
} from "@ledgerquest/runtime";
import * as z from "zod/mini";
import { ApiGatewayClientPush } from "./adapters/apigw-client-push.js";
import { DynamoDbCommandInbox } from "./adapters/dynamodb-command-inbox.js";
import { documentClient, type TableNames } from "./adapters/dynamodb-common.js";
import { DynamoDbEntityStore } from "./adapters/dynamodb-entity-store.js";
import { DynamoDbJournal } from "./adapters/dynamodb-journal.js";
import { EventBridgePublisher } from "./adapters/eventbridge-publisher.js";
import { sdkClientOptions } from "./adapters/sdk-clients.js";
import { type Environment, envUrl, readConfig, resourceVariables } from "./config.js";
import { ConfigError } from "./errors.js";
import { traceClient } from "./observability.js";

/** What the runtime's handlers are configured with. */
export interface RuntimeConfig {
  readonly tables: TableNames;
  readonly eventBus: string;
  readonly assetsBucket: string;
  /** The WebSocket API's stage URL, which the Management API's `@connections` hang under. */
  readonly websocketEndpoint: string;
  /**
   * The rules' name the deployment expects (`LQ_GAME`, `GameModule.name`), when it says: a bundle
   * built for another game then fails its first invocation instead of running the wrong rules.
   */
  readonly game?: string;
  /**
   * Address the bucket in the path rather than the host name. S3 itself wants virtual-hosted
   * names; a local S3 emulator on `localhost` cannot serve `<bucket>.localhost`.
   */
  readonly s3ForcePathStyle: boolean;
}

const LOOPBACK_HOST = /^(?:localhost|\[::1\]|127(?:\.\d{1,3}){3})$/;

/**
 * Whether `url` can be the Management API's endpoint: https, or plain http to this machine, where
 * the local stack serves `@connections`. Anywhere else, plain http would let anyone on the path
 * read and forge every message pushed to players.
 */
export function isAcceptableWebSocketEndpoint(url: URL): boolean {
  if (url.search !== "" || url.hash !== "") return false;
  return (
    url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOST.test(url.hostname))
  );
}

/**
 * The variables of `RuntimeConfig`. All the runtime's handlers take the same set, so one
 * deployment configuration fits every function; the SDK clients are cheap until first used.
 */
export const runtimeConfigSchema = z.pipe(
  z.extend(
    z.pick(resourceVariables, {
      LQ_ENTITY_TABLE: true,
      LQ_AUDIT_TABLE: true,
      LQ_EVENT_BUS: true,
      LQ_ASSETS_BUCKET: true,
    }),
    {
      LQ_WEBSOCKET_ENDPOINT: envUrl(
        "the WebSocket API's stage URL, https://{api-id}.execute-api.{region}.amazonaws.com/{stage} (http only to localhost or 127.x.x.x)",
        isAcceptableWebSocketEndpoint,
      ),
      LQ_GAME: z.optional(
        z
          .string()
          .check(z.regex(/^[a-z][a-z0-9_-]{0,47}@[0-9]{1,6}$/, "must be a game's `name@version`")),
      ),
      LQ_S3_FORCE_PATH_STYLE: z._default(
        z.enum(["true", "false"], {
          error: (issue) => `expected "true" or "false", got ${JSON.stringify(issue.input)}`,
        }),
        "false",
      ),
    },
  ),
  z.transform(
    (env): RuntimeConfig => ({
      tables: { entityTable: env.LQ_ENTITY_TABLE, auditLog: env.LQ_AUDIT_TABLE },
      eventBus: env.LQ_EVENT_BUS,
      assetsBucket: env.LQ_ASSETS_BUCKET,
      // The SDK appends `/@connections/{id}`: a trailing slash would double it.
      websocketEndpoint: env.LQ_WEBSOCKET_ENDPOINT.replace(/\/+$/, ""),
      ...(env.LQ_GAME === undefined ? {} : { game: env.LQ_GAME }),
      s3ForcePathStyle: env.LQ_S3_FORCE_PATH_STYLE === "true",
    }),
  ),
);

/**
 * A blob store that loads the S3 client on first use. World states live inline in the world item
 * up to 300 KB (`INLINE_STATE_BYTES_MAX`), so most invocations never touch S3, and the S3 client
 * is the largest SDK client in the bundle: loading it lazily (a separate chunk in the bundles)
 * keeps it out of every cold start that does not need it.
 */
class LazyBlobStore implements BlobStore {
  #store: Promise<BlobStore> | undefined;

  constructor(private readonly load: () => Promise<BlobStore>) {}

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await (await this.#get()).put(key, bytes);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return await (await this.#get()).get(key);
  }

  #get(): Promise<BlobStore> {
    this.#store ??= this.load().catch((error: unknown) => {
      // A failed load (a broken bundle) is tried again by the next call, not cached for good.
      this.#store = undefined;
      throw error;
    });
    return this.#store;
  }
}

export interface RuntimeDepsOverrides {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: a DynamoDB client configured from the environment. */
  readonly dynamodb?: DynamoDBClient;
  /** Default: PostToConnection to `LQ_WEBSOCKET_ENDPOINT` through the SDK. */
  readonly push?: ClientPush;
}

/** The ports the two tables hold (entity store, journal, command inbox), over one client. */
export function dynamoDbStores(
  doc: DynamoDBDocumentClient,
  tables: TableNames,
): {
  readonly store: DynamoDbEntityStore;
  readonly journal: DynamoDbJournal;
  readonly inbox: DynamoDbCommandInbox;
} {
  return {
    store: new DynamoDbEntityStore(doc, { tables }),
    journal: new DynamoDbJournal(doc, { tables }),
    inbox: new DynamoDbCommandInbox(doc, { tables }),
  };
}

/**
 * The runtime's dependencies for `config`, running `game`, over fresh SDK clients. The game is
 * the composition root's choice (a project's `ledgerquest.config.ts`), never this package's.
 */
export function createRuntimeDeps(
  config: RuntimeConfig,
  game: GameModule,
  overrides: RuntimeDepsOverrides = {},
): RuntimeDeps {
  if (config.game !== undefined && config.game !== game.name) {
    throw new ConfigError([
      {
        variable: "LQ_GAME",
        message: `the deployment expects the game ${config.game}, and this code runs ${game.name}: deploy the bundle built for it`,
      },
    ]);
  }
  const doc = documentClient(
    traceClient(overrides.dynamodb ?? new DynamoDBClient(sdkClientOptions("dynamodb"))),
  );
  return {
    ...dynamoDbStores(doc, config.tables),
    blobs: new LazyBlobStore(async () => {
      const [{ S3Client }, { S3BlobStore }] = await Promise.all([
        import("@aws-sdk/client-s3"),
        import("./adapters/s3-blob-store.js"),
      ]);
      return new S3BlobStore(
        traceClient(
          new S3Client({ ...sdkClientOptions("s3"), forcePathStyle: config.s3ForcePathStyle }),
        ),
        {
          bucket: config.assetsBucket,
        },
      );
    }),
    publisher: new EventBridgePublisher(
      traceClient(new EventBridgeClient(sdkClientOptions("eventbridge"))),
      {
        eventBusName: config.eventBus,
      },
    ),
    push:
      overrides.push ??
      new ApiGatewayClientPush(
        traceClient(
          new ApiGatewayManagementApiClient({
            ...sdkClientOptions("apigateway"),
            endpoint: config.websocketEndpoint,
          }),
        ),
      ),
    clock: overrides.clock ?? systemClock,
    game,
  };
}

/**
 * Returns a function that builds the dependencies from `env` on its first call and returns the
 * same ones after. A configuration error is thrown to the caller (the invocation fails, naming
 * every bad variable) and not kept: the next call reads the environment again.
 */
export function lazyRuntimeDeps(
  game: GameModule,
  env: Environment = process.env,
): () => RuntimeDeps {
  let deps: RuntimeDeps | undefined;
  return () => {
    deps ??= createRuntimeDeps(readConfig(runtimeConfigSchema, env), game);
    return deps;
  };
}
