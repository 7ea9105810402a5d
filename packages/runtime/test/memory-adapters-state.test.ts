import { MemoryCommandInbox } from "../src/adapters/memory/command-inbox.js";
import { MemoryEntityStore } from "../src/adapters/memory/entity-store.js";
import { MemoryJournal } from "../src/adapters/memory/journal.js";
import { describeCommandInboxContract } from "../src/testing/command-inbox.contract.js";
import { describeEntityStoreContract } from "../src/testing/entity-store.contract.js";
import { describeJournalContract } from "../src/testing/journal.contract.js";

describeEntityStoreContract("memory", async () => ({ store: new MemoryEntityStore() }));
describeJournalContract("memory", async () => ({ journal: new MemoryJournal() }));
describeCommandInboxContract("memory", async () => ({ inbox: new MemoryCommandInbox() }));
