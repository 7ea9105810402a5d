// Starts the local components that tests talk to, once per test run: DynamoDB Local (AWS's own
// emulator). Tests find it with `inject("dynamodbEndpoint")`.
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "./packages/local/src/dynamodb-local.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ddb = await startDynamoDbLocal();
  project.provide("dynamodbEndpoint", ddb.endpoint);
  return async () => {
    await ddb.stop();
  };
}
