// `ledgerquest export` and `ledgerquest restore` (the commands' cores) over the DynamoDB adapters
// against DynamoDB Local, as the local stack and AWS store a world: a world exported while its
// batch is half committed (projections written at v+1, world item at v) restores into a second
// stack (its own DynamoDB Local, as a second `ledgerquest dev` has) where `verify` and `replay`
// pass; a tampered file is refused, naming what was changed; a world that is not there exits 2.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { documentClient, dynamoDbStores, ensureTables, tableNames } from "@ledgerquest/aws";
import { arenaModule } from "@ledgerquest/example-arena";
import { type DynamoDbLocal, localClientConfig, startDynamoDbLocal } from "@ledgerquest/local";
import {
  createWorld,
  type EntityStore,
  ManualClock,
  MemoryBlobStore,
  MemoryClientPush,
  MemoryEventPublisher,
  type RuntimeDeps,
  runTickBatch,
  type WorldExport,
} from "@ledgerquest/runtime";
import { CrashError } from "@ledgerquest/runtime/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runExport, runRestore } from "../src/commands/export.js";
import { runReplay } from "../src/commands/replay.js";
import {
  type CommandIO,
  EXIT_COULD_NOT_CHECK,
  EXIT_FOUND_PROBLEMS,
  EXIT_OK,
  runVerify,
} from "../src/commands/verify.js";

const WORLD = `cut-${process.pid}`;
const PLAYER = "player_0001";

function capture(): { io: CommandIO; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    io: { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}

async function dynamoDeps(
  endpoint: string,
  prefix: string,
): Promise<RuntimeDeps & { clock: ManualClock }> {
  const client = new DynamoDBClient(localClientConfig(endpoint));
  const doc = documentClient(client);
  const tables = tableNames(prefix);
  await ensureTables(client, tables);
  return {
    ...dynamoDbStores(doc, tables),
    blobs: new MemoryBlobStore(),
    publisher: new MemoryEventPublisher(),
    push: new MemoryClientPush(),
    // Today, not the manual clock's default: DynamoDB Local's TTL sweep deletes stale items.
    clock: new ManualClock(Date.now()),
    game: arenaModule,
  };
}

let dir: string;
let second: DynamoDbLocal | undefined;
let source: RuntimeDeps & { clock: ManualClock };
let target: RuntimeDeps & { clock: ManualClock };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lq-export-"));
  source = await dynamoDeps(inject("dynamodbEndpoint"), "exportsrc-");
  // A second stack: its own DynamoDB Local and blob store. (Not a second pair of tables in the
  // same DynamoDB: the adapters' transaction tokens do not name the table, so a restore there
  // within ten minutes of the source's batches can be refused as a token reuse.)
  second = await startDynamoDbLocal();
  target = await dynamoDeps(second.endpoint, "exportdst-");
  await createWorld(source, {
    worldId: WORLD,
    // One seed whatever the id, so that every run plays the same game.
    seed: "export-cut",
    players: [PLAYER],
    settings: { bodies: 10, bots: 8, coins: 400 },
    inboxShards: 2,
  });
  for (let b = 0; b < 3; b++) {
    const r = await source.inbox.submit({
      worldId: WORLD,
      shard: 0,
      playerId: PLAYER,
      commandId: `m${b}`,
      type: "move",
      data: { dx: b % 2 === 0 ? 1 : -1, dy: 0.5 },
      nowMs: source.clock.nowMs(),
    });
    expect(r.result).toBe("accepted");
    source.clock.advance(1000);
    // The third batch dies after writing its record, entries and projections, before its commit.
    const store: EntityStore =
      b < 2
        ? source.store
        : new Proxy(source.store, {
            get(t, prop) {
              if (prop === "commitWorld")
                return async () => {
                  throw new CrashError("crash before store.commitWorld");
                };
              const v = Reflect.get(t, prop, t);
              return typeof v === "function" ? v.bind(t) : v;
            },
          });
    const run = runTickBatch(
      { ...source, store },
      { worldId: WORLD, token: `t#${b}`, maxTicks: 80 },
    );
    if (b < 2) await run;
    else await expect(run).rejects.toBeInstanceOf(CrashError);
  }
});

afterAll(async () => {
  await second?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("restore's file", () => {
  it("a file that is not there, or a directory, is named with what to give instead; nothing is read", async () => {
    const untouched = new Proxy({} as Parameters<typeof runRestore>[0], {
      get: (_, key) => {
        throw new Error(`the restore read deps.${String(key)}`);
      },
    });
    const dir = mkdtempSync(join(tmpdir(), "lq-restore-"));
    try {
      const missing = capture();
      expect(await runRestore(untouched, join(dir, "nope.json"), missing.io)).toBe(
        EXIT_COULD_NOT_CHECK,
      );
      expect(missing.err()).toBe(
        `restore: there is no file ${join(dir, "nope.json")}: give the path of a file \`ledgerquest export\` wrote\n`,
      );
      const folder = capture();
      expect(await runRestore(untouched, dir, folder.io)).toBe(EXIT_COULD_NOT_CHECK);
      expect(folder.err()).toContain(`restore: ${dir} is a directory`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("export and restore over DynamoDB Local", () => {
  it("exports a half-committed world as the cut at its version; restored, verify and replay pass", async () => {
    const world = await source.store.getWorld(WORLD);
    expect(world?.version).toBe(2);
    const pending = await source.journal.getBatch(WORLD, 3);
    expect(pending).toBeDefined();
    // Some projection was written by the batch that did not commit.
    const entries = await source.journal.readEntries(
      WORLD,
      pending?.ledgerFromSeq ?? 0,
      pending?.ledgerToSeq ?? 0,
    );
    const touched = entries.flatMap((e) => (e.kind === "transfer" ? [e.credit] : []));
    expect(touched.length).toBeGreaterThan(0);
    expect((await source.store.getAccount(WORLD, touched[0] as string))?.version).toBe(3);

    const file = join(dir, "world.json");
    const exported = capture();
    expect(await runExport(source, WORLD, file, exported.io), exported.err()).toBe(EXIT_OK);
    expect(exported.out()).toContain(`exported world ${WORLD} as of version 2`);
    const doc = JSON.parse(readFileSync(file, "utf8")) as WorldExport;
    expect(Math.max(...doc.accounts.map((a) => a.version))).toBeLessThanOrEqual(2);

    const restored = capture();
    expect(await runRestore(target, file, restored.io), restored.err()).toBe(EXIT_OK);
    expect(restored.out()).toContain(`restored world ${WORLD} as of version 2`);
    expect(restored.out()).toContain("verified in the target");

    const verify = capture();
    expect(await runVerify(target, WORLD, { json: true }, verify.io), verify.out()).toBe(EXIT_OK);
    const report = JSON.parse(verify.out()) as {
      units: { unit: string; minted: number; sunk: number; held: number }[];
    };
    for (const u of report.units) expect(u.held, u.unit).toBe(u.minted - u.sunk);
    const replay = capture();
    expect(await runReplay(target, WORLD, { json: true }, replay.io), replay.out()).toBe(EXIT_OK);
    expect(JSON.parse(replay.out())).toMatchObject({ ok: true, batches: 2 });
  });

  it("refuses a file whose balance was edited, naming the account; exits 2 for a world not there", async () => {
    const file = join(dir, "tampered.json");
    const good = join(dir, "good.json");
    expect(await runExport(source, WORLD, good, capture().io)).toBe(EXIT_OK);
    const doc = JSON.parse(readFileSync(good, "utf8")) as WorldExport;
    const account = `${PLAYER}:gold`;
    writeFileSync(
      file,
      JSON.stringify({
        ...doc,
        accounts: doc.accounts.map((a) =>
          a.accountId === account ? { ...a, credits: a.credits + 1, balance: a.balance + 1 } : a,
        ),
      }),
    );
    const refused = capture();
    expect(await runRestore(target, file, refused.io)).toBe(EXIT_FOUND_PROBLEMS);
    expect(refused.err()).toContain(
      "restore: the export's projections differ from what its journal and state give",
    );
    expect(refused.err()).toContain(`account ${account} differs`);

    const missing = capture();
    expect(await runExport(source, "no-such-world", join(dir, "x.json"), missing.io)).toBe(
      EXIT_COULD_NOT_CHECK,
    );
    expect(missing.err()).toContain('there is no world "no-such-world" here');
  });
});
