// `seedWorlds` over the DynamoDB adapters against DynamoDB Local (the real SDK, real conditional
// writes): created once, found the second time, with the starting balances in the ledger.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { documentClient, dynamoDbStores, ensureTables, tableNames } from "@ledgerquest/aws";
import { arenaModule } from "@ledgerquest/example-arena";
import { localClientConfig } from "@ledgerquest/local";
import {
  getState,
  InvalidWorldError,
  MemoryBlobStore,
  MemoryClientPush,
  MemoryEventPublisher,
  type RuntimeDeps,
  systemClock,
} from "@ledgerquest/runtime";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  describeSeedResult,
  numberedPlayerIds,
  type SeedWorldSpec,
  seedWorlds,
} from "../src/commands/seed.js";

const client = new DynamoDBClient(localClientConfig(inject("dynamodbEndpoint")));
const doc = documentClient(client);
const tables = tableNames("seed-");

function depsWith(publisher: MemoryEventPublisher): RuntimeDeps {
  return {
    ...dynamoDbStores(doc, tables),
    blobs: new MemoryBlobStore(),
    publisher,
    push: new MemoryClientPush(),
    clock: systemClock,
    game: arenaModule,
  };
}

// Small worlds: the figures do not matter here, only what seeding does with them.
const small = (worldId: string, players: SeedWorldSpec["players"]): SeedWorldSpec => ({
  worldId,
  players,
  settings: { bodies: 10, bots: 2, coins: 20 },
});

const activations = (publisher: MemoryEventPublisher) =>
  publisher.published.filter((e) => e.detailType === "World Activated");

beforeAll(async () => {
  await ensureTables(client, tables);
});

describe("seedWorlds", () => {
  it("creates the world with its players' starting gold through the ledger, then finds it", async () => {
    const publisher = new MemoryEventPublisher();
    const deps = depsWith(publisher);
    const spec = small("seed-demo", 3);

    const [first] = await seedWorlds(deps, { worlds: [spec] });
    expect(first).toMatchObject({
      worldId: "seed-demo",
      result: "created",
      version: 0,
      players: ["player_0001", "player_0002", "player_0003"],
      missingPlayers: [],
      activated: true,
    });
    expect(first?.sample?.balances.gold).toBe(100);
    expect(Object.keys(first?.sample?.quests ?? {}).length).toBeGreaterThan(0);
    const before = await getState(deps, { worldId: "seed-demo" });
    for (const playerId of numberedPlayerIds(3)) {
      const state = await getState(deps, { worldId: "seed-demo", playerId });
      expect(state?.player?.balances.gold, playerId).toBe(100);
    }
    // Its game loop is started through the bus, once.
    expect(activations(publisher)).toHaveLength(1);
    expect(activations(publisher)[0]?.detail).toMatchObject({ worldId: "seed-demo", version: 0 });
    expect(describeSeedResult(first as NonNullable<typeof first>, spec).join("\n")).toMatch(
      /world "seed-demo": created: 3 player\(s\) \(player_0001, player_0002, player_0003\) with 100 gold each/,
    );

    const [second] = await seedWorlds(deps, { worlds: [spec] });
    expect(second).toMatchObject({
      result: "exists",
      version: 0,
      missingPlayers: [],
      activated: false,
    });
    expect(describeSeedResult(second as NonNullable<typeof second>, spec)).toEqual([
      'world "seed-demo": exists (tick 0, version 0): left as it is',
    ]);
    // Nothing was paid twice, nor activated twice.
    const after = await getState(deps, { worldId: "seed-demo", playerId: "player_0001" });
    expect(after?.ledger).toEqual(before?.ledger);
    expect(after?.player?.balances.gold).toBe(100);
    expect(activations(publisher)).toHaveLength(1);
  });

  it("reports players an existing world lacks instead of pretending to add them", async () => {
    const deps = depsWith(new MemoryEventPublisher());
    await seedWorlds(deps, { worlds: [small("seed-few", 2)] });
    const [again] = await seedWorlds(deps, { worlds: [small("seed-few", 4)] });
    expect(again).toMatchObject({
      result: "exists",
      missingPlayers: ["player_0003", "player_0004"],
    });
    expect(
      await getState(deps, { worldId: "seed-few", playerId: "player_0003" }),
    ).not.toHaveProperty("player");
  });

  it("seeds several worlds, with players named as given, and can leave their loops stopped", async () => {
    const publisher = new MemoryEventPublisher();
    const deps = depsWith(publisher);
    const results = await seedWorlds(deps, {
      worlds: [small("seed-a", ["player_bot_0001", "player_bot_0002"]), small("seed-b", 1)],
      activate: false,
    });
    expect(results.map((r) => [r.worldId, r.result, r.activated])).toEqual([
      ["seed-a", "created", false],
      ["seed-b", "created", false],
    ]);
    expect(activations(publisher)).toHaveLength(0);
    const bot = await getState(deps, { worldId: "seed-a", playerId: "player_bot_0002" });
    expect(bot?.player?.balances.gold).toBe(100);
  });

  it("refuses a bad world id and writes nothing", async () => {
    const deps = depsWith(new MemoryEventPublisher());
    await expect(seedWorlds(deps, { worlds: [small("no spaces", 1)] })).rejects.toThrow(
      InvalidWorldError,
    );
    expect(await deps.store.getWorld("no spaces")).toBeUndefined();
  });

  it("names players as the deployment guide does", () => {
    expect(numberedPlayerIds(3)).toEqual(["player_0001", "player_0002", "player_0003"]);
    expect(numberedPlayerIds(2, 41)).toEqual(["player_0041", "player_0042"]);
  });
});
