// The DynamoDB adapters against DynamoDB Local (started once per test run by the global setup),
// through the real AWS SDK: each passes the same contract suite as the memory adapters.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describeChainRecordsContract } from "@ledgerquest/runtime/testing/chain-records";
import { describeCommandInboxContract } from "@ledgerquest/runtime/testing/command-inbox";
import { describeEntityStoreContract } from "@ledgerquest/runtime/testing/entity-store";
import { describeJournalContract } from "@ledgerquest/runtime/testing/journal";
import { describeLeaderboardsContract } from "@ledgerquest/runtime/testing/leaderboards";
import { beforeAll, inject } from "vitest";
import { DynamoDbChainRecordStore } from "../src/adapters/dynamodb-chain-records.js";
import { DynamoDbCommandInbox } from "../src/adapters/dynamodb-command-inbox.js";
import { documentClient, ensureTables, tableNames } from "../src/adapters/dynamodb-common.js";
import { DynamoDbEntityStore } from "../src/adapters/dynamodb-entity-store.js";
import { DynamoDbJournal } from "../src/adapters/dynamodb-journal.js";
import { DynamoDbLeaderboardStore } from "../src/adapters/dynamodb-leaderboards.js";

const client = new DynamoDBClient({
  endpoint: inject("dynamodbEndpoint"),
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});
const doc = documentClient(client);
const tables = tableNames("contract-");

beforeAll(async () => {
  await ensureTables(client, tables);
});

describeEntityStoreContract("DynamoDB Local", async () => ({
  store: new DynamoDbEntityStore(doc, { tables }),
}));
describeJournalContract("DynamoDB Local", async () => ({
  journal: new DynamoDbJournal(doc, { tables }),
}));
describeCommandInboxContract("DynamoDB Local", async () => ({
  inbox: new DynamoDbCommandInbox(doc, { tables }),
}));
describeChainRecordsContract("DynamoDB Local", async () => ({
  chains: new DynamoDbChainRecordStore(doc, { tables }),
}));
describeLeaderboardsContract("DynamoDB Local", async () => ({
  leaderboards: new DynamoDbLeaderboardStore(doc, { tables }),
}));
