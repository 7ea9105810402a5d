// The DynamoDB adapters against DynamoDB Local (started once per test run by the global setup),
// through the real AWS SDK: each passes the same contract suite as the memory adapters.
import { describeChainRecordsContract } from "@ledgerquest/runtime/testing/chain-records";
import { describeCommandInboxContract } from "@ledgerquest/runtime/testing/command-inbox";
import { describeEntityStoreContract } from "@ledgerquest/runtime/testing/entity-store";
import { describeJournalContract } from "@ledgerquest/runtime/testing/journal";
import { describeLeaderboardsContract } from "@ledgerquest/runtime/testing/leaderboards";
import { beforeAll } from "vitest";
import { DynamoDbChainRecordStore } from "../src/adapters/dynamodb-chain-records.js";
import { DynamoDbCommandInbox } from "../src/adapters/dynamodb-command-inbox.js";
import { ensureTables } from "../src/adapters/dynamodb-common.js";
import { DynamoDbEntityStore } from "../src/adapters/dynamodb-entity-store.js";
import { DynamoDbJournal } from "../src/adapters/dynamodb-journal.js";
import { DynamoDbLeaderboardStore } from "../src/adapters/dynamodb-leaderboards.js";
import { dynamoDbLocal } from "./support/dynamodb-local.js";

const { client, doc, tables } = dynamoDbLocal("contract-");

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
