/**
 * DynamoDB Local for the tests: started once per test run by the global setup
 * (vitest.global-setup.ts), which hands its endpoint over as `inject("dynamodbEndpoint")`. Each
 * test file keeps to its own tables, under its own prefix, and creates them in its `beforeAll`
 * (`ensureTables(client, tables)`).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LOCAL_REGION } from "@ledgerquest/emulators/protocol";
import { inject } from "vitest";
import { documentClient, type TableNames, tableNames } from "../../src/adapters/dynamodb-common.js";

/** DynamoDB Local's `http://127.0.0.1:<port>`. */
export const dynamoDbEndpoint: string = inject("dynamodbEndpoint");

/** An SDK client's settings for a local service at `endpoint` (it checks no credentials). */
export function localClientConfig(endpoint: string = dynamoDbEndpoint): {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
} {
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
}

export interface DynamoDbLocal {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** The game's tables under the test file's prefix; created by `ensureTables(client, tables)`. */
  readonly tables: TableNames;
}

/** A client of DynamoDB Local, its document client, and the tables named under `prefix`. */
export function dynamoDbLocal(prefix: string): DynamoDbLocal {
  const client = new DynamoDBClient(localClientConfig());
  return { client, doc: documentClient(client), tables: tableNames(prefix) };
}
