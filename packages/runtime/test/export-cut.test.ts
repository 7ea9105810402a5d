// Export as one consistent cut, and restore that verifies what it wrote (issue 12), over the memory
// adapters: a world exported while a batch is half committed (its projections written at v+1, the
// world item still at v) restores to a copy where verify and replay pass and every unit balances;
// tampered exports are refused with nothing written; an export that does not check is never
// returned; a target that loses what restore wrote fails the restore, and no world appears.
import { type JournalEntry, merkleRoot } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import {
  type AccountBalance,
  type CommandInbox,
  createMemoryDeps,
  createWorld,
  deactivateWorld,
  type EntityStore,
  ExportError,
  exportWorld,
  type ManualClock,
  type MemoryClientPush,
  MemoryJournal,
  pendingCommands,
  RestoreError,
  type RuntimeDeps,
  replayWorld,
  restoreWorld,
  runTickBatch,
  verifyWorld,
  type WorldExport,
} from "../src/index.js";
import { CrashError } from "../src/testing/commit-protocol.contract.js";
import { fixtureGame } from "./support/fixture-game.js";
import { rehash } from "./support/forge.js";

type Deps = RuntimeDeps & { clock: ManualClock; push: MemoryClientPush };

function fresh(): Deps {
  return createMemoryDeps(fixtureGame);
}

const WORLD = "cut";
const PLAYER = "player_0001";

/** A method of `target` replaced; everything else (private state included) is the target's. */
function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const v = Reflect.get(t, prop, t);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
}

let commandNo = 0;

async function move(deps: Deps, worldId: string): Promise<void> {
  const shard = 0;
  const r = await deps.inbox.submit({
    worldId,
    shard,
    playerId: PLAYER,
    commandId: `m${commandNo++}`,
    type: "move",
    data: { dx: commandNo % 2 === 0 ? 1 : -1, dy: 0.5 },
    nowMs: deps.clock.nowMs(),
  });
  expect(r.result).toBe("accepted");
  deps.clock.advance(5);
}

type Crash = "before the world commit" | "half way through the projections";

/**
 * A world at version 2 whose third batch crashed after writing its batch record and journal
 * entries and either all its projections (at version 3) or only one player's balance, as a
 * chunked write that died leaves it; then one more command arrives, which no batch drained.
 */
async function halfCommitted(crash: Crash, worldId = WORLD): Promise<Deps> {
  const deps = fresh();
  await createWorld(deps, {
    worldId,
    players: [PLAYER],
    settings: { runners: 4, coins: 40 },
    inboxShards: 2,
  });
  for (let b = 0; b < 3; b++) {
    await move(deps, worldId);
    await move(deps, worldId);
    deps.clock.advance(1000);
    const store =
      b < 2
        ? deps.store
        : overriding<EntityStore>(
            deps.store,
            crash === "before the world commit"
              ? {
                  commitWorld: async () => {
                    throw new CrashError("crash before store.commitWorld");
                  },
                }
              : {
                  putProjections: async (id, version, accounts) => {
                    const first = accounts.find((a) => a.owner !== "system");
                    if (first !== undefined)
                      await deps.store.putProjections(id, version, [first], []);
                    throw new CrashError("crash after the first projection chunk");
                  },
                },
          );
    const run = runTickBatch({ ...deps, store }, { worldId, token: `t#${b}`, maxTicks: 120 });
    if (b < 2) await run;
    else await expect(run).rejects.toBeInstanceOf(CrashError);
  }
  await move(deps, worldId);
  return deps;
}

/** Per unit: the sum of the balances, and held (outside the system) against minted - sunk. */
function supply(accounts: readonly AccountBalance[]) {
  const units = new Map<string, { sum: number; held: number; minted: number; sunk: number }>();
  for (const a of accounts) {
    const u = units.get(a.unit) ?? { sum: 0, held: 0, minted: 0, sunk: 0 };
    u.sum += a.balance;
    if (a.accountId === `mint:${a.unit}`) u.minted -= a.balance;
    else if (a.accountId === `sink:${a.unit}`) u.sunk += a.balance;
    else if (a.owner !== "system") u.held += a.balance;
    units.set(a.unit, u);
  }
  return units;
}

/** The live projections of every account the journal opened (what the old export wrote out). */
async function liveAccounts(deps: Deps, worldId: string) {
  const world = await deps.store.getWorld(worldId);
  const entries = await deps.journal.readEntries(worldId, 0, 1_000_000);
  const out: (AccountBalance & { version: number })[] = [];
  for (const e of entries) {
    if (e.kind !== "account") continue;
    const a = await deps.store.getAccount(worldId, e.id);
    if (a !== undefined) out.push(a);
  }
  return { world, out };
}

async function nothingWritten(target: Deps, worldId = WORLD): Promise<void> {
  expect(await target.store.getWorld(worldId)).toBeUndefined();
  expect(await target.journal.readEntries(worldId, 0, 10)).toEqual([]);
  expect(await target.store.getAccount(worldId, `${PLAYER}:gold`)).toBeUndefined();
}

describe("an export of a world whose batch is half committed", () => {
  it.each<Crash>(["before the world commit", "half way through the projections"])(
    "(crash %s) is the cut at the world's version: restored, verify and replay pass, every unit balances",
    async (crash) => {
      const source = await halfCommitted(crash);
      // The situation of the issue: projections ahead of the world item, the batch record there.
      const { world, out: live } = await liveAccounts(source, WORLD);
      expect(world?.version).toBe(2);
      expect(await source.journal.getBatch(WORLD, 3)).toBeDefined();
      expect(live.some((a) => a.version === 3)).toBe(true);
      if (crash === "half way through the projections") {
        // What an export that reads the projections as they are now shows: a unit off balance.
        expect([...supply(live).values()].some((u) => u.sum !== 0)).toBe(true);
      }
      // And verify on the live world passes: each projection ahead matches its batch's entries.
      expect((await verifyWorld(source, WORLD)).problems).toEqual([]);

      const doc = JSON.parse(JSON.stringify(await exportWorld(source, WORLD))) as WorldExport;
      expect(doc.version).toBe(2);
      expect(doc.world.version).toBe(2);
      expect(doc.batches.map((b) => b.version)).toEqual([1, 2]);
      expect(doc.journal).toHaveLength(world?.ledger.count ?? -1);
      expect(doc.accounts.every((a) => a.version <= 2)).toBe(true);
      expect(doc.players.every((p) => p.version <= 2)).toBe(true);
      for (const [unit, u] of supply(doc.accounts)) {
        expect(u.sum, unit).toBe(0);
        expect(u.held, unit).toBe(u.minted - u.sunk);
      }
      // The commands batch 3 drained, and the one after it, are the world's future: carried.
      expect(pendingCommands(doc)).toBe(3);

      const target = fresh();
      target.clock.set(source.clock.nowMs());
      const report = await restoreWorld(target, doc);
      expect(report).toMatchObject({ worldId: WORLD, version: 2, pendingCommands: 3 });
      expect(report.verify.problems).toEqual([]);
      const verified = await verifyWorld(target, WORLD);
      expect(verified.problems).toEqual([]);
      for (const u of verified.units) expect(u.held).toBe(u.minted - u.sunk);
      expect(verified.projectionsChecked).toBe(doc.accounts.length);
      const replayed = await replayWorld(target, WORLD);
      expect(replayed.mismatch).toBeUndefined();
      expect(replayed).toMatchObject({ ok: true, batches: 2 });
      // The restored world goes on, and its next batch applies the commands not applied yet.
      target.clock.advance(1000);
      const next = await runTickBatch(target, { worldId: WORLD, token: "after", maxTicks: 60 });
      expect(next).toMatchObject({ version: 3, commandsApplied: 3 });
      expect((await verifyWorld(target, WORLD)).problems).toEqual([]);
    },
  );
});

/** A world that ran two clean batches, and its export. */
async function exported(worldId = WORLD): Promise<{ source: Deps; doc: WorldExport }> {
  const source = fresh();
  await createWorld(source, {
    worldId,
    players: [PLAYER],
    settings: { runners: 4, coins: 40 },
  });
  for (let b = 0; b < 2; b++) {
    await move(source, worldId);
    source.clock.advance(1000);
    await runTickBatch(source, { worldId, token: `t#${b}`, maxTicks: 120 });
  }
  const doc = JSON.parse(JSON.stringify(await exportWorld(source, worldId))) as WorldExport;
  expect(doc.journal.length).toBeGreaterThan(doc.accounts.length); // coins were collected
  expect(doc.journal.some((e) => e.kind === "transfer" && e.reason === "pickup")).toBe(true);
  return { source, doc };
}

async function refused(doc: unknown, match: RegExp): Promise<RestoreError> {
  const target = fresh();
  const error = await restoreWorld(target, doc).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RestoreError);
  const problems = [(error as RestoreError).message, ...(error as RestoreError).problems];
  expect(problems.join("\n")).toMatch(match);
  await nothingWritten(target);
  return error as RestoreError;
}

describe("restore refuses a tampered export, writing nothing", () => {
  it("an entry's amount changed: its hash, or with the chain and digest recomputed, the state's ledger", async () => {
    const { doc } = await exported();
    const at = doc.journal.findLastIndex((e) => e.kind === "transfer" && e.reason === "pickup");
    const edited = doc.journal.map((e, i) =>
      i === at && e.kind === "transfer" ? { ...e, amount: e.amount + 1 } : e,
    );
    await refused({ ...doc, journal: edited }, /journal: hash_mismatch at seq \d+/);
    const forged = rehash(edited);
    const last = forged.at(-1) as JournalEntry;
    const merkle = merkleRoot(forged.map((e) => e.hash));
    await refused(
      {
        ...doc,
        journal: forged,
        world: { ...doc.world, ledger: { ...doc.world.ledger, head: last.hash, root: merkle } },
      },
      /state: account \S+ has debits \d+, credits \d+; the journal gives/,
    );
  });

  it("a balance or a profile changed, naming it", async () => {
    const { doc } = await exported();
    const i = doc.accounts.findIndex((a) => a.accountId === `${PLAYER}:gold`);
    const accounts = doc.accounts.map((a, k) =>
      k === i ? { ...a, credits: a.credits + 5, balance: a.balance + 5 } : a,
    );
    await refused({ ...doc, accounts }, new RegExp(`account ${PLAYER}:gold differs`));
    const players = doc.players.map((p) => ({ ...p, xp: p.xp + 1 }));
    await refused({ ...doc, players }, new RegExp(`player ${PLAYER} differs`));
    // A projection claimed at a version past the world's: the cut is at the world's version.
    const ahead = doc.accounts.map((a, k) => (k === i ? { ...a, version: 3 } : a));
    await refused({ ...doc, accounts: ahead }, new RegExp(`account ${PLAYER}:gold differs`));
  });

  it("an applied command removed, or a document that is not an export", async () => {
    const { doc } = await exported();
    await refused(
      { ...doc, inbox: doc.inbox.slice(1) },
      /inbox: 1 commands up to the world's cursors; its batch records applied 2/,
    );
    await refused({ ...doc, batches: doc.batches.slice(0, 1) }, /batches: 1 records/);
    await refused({ ...doc, journal: "nope" }, /journal: /);
    await refused({ ...doc, version: 3 }, /version/);
  });
});

describe("export refuses a world that does not check", () => {
  it("an edited journal entry: ExportError naming it, nothing returned", async () => {
    const { source } = await exported("bad");
    const world = await source.store.getWorld("bad");
    const entries = await source.journal.readEntries("bad", 0, world?.ledger.count ?? 0);
    const journal = new MemoryJournal();
    for (const b of await source.journal.listBatches("bad", 1, world?.version ?? 0))
      await journal.putBatch(b);
    const at = entries.findLastIndex((e) => e.kind === "transfer");
    await journal.appendEntries(
      "bad",
      entries.map((e, i) => (i === at && e.kind === "transfer" ? { ...e, amount: 999 } : e)),
      "copy",
    );
    const error = await exportWorld({ ...source, journal }, "bad").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).problems.join("\n")).toMatch(
      new RegExp(`journal: hash_mismatch at seq ${at}`),
    );
  });
});

describe("restore verifies what it wrote", () => {
  it("a target that loses a balance or a command fails the restore, naming it, and no world appears", async () => {
    const { doc } = await exported();
    const target = fresh();
    const lossy = overriding<EntityStore>(target.store, {
      putProjections: (id, version, accounts, players) =>
        target.store.putProjections(
          id,
          version,
          accounts.filter((a) => a.accountId !== `${PLAYER}:gold`),
          players,
        ),
    });
    const error = await restoreWorld({ ...target, store: lossy }, doc).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RestoreError);
    expect((error as RestoreError).problems).toContainEqual(
      expect.stringMatching(new RegExp(`^projection_missing: the journal opened ${PLAYER}:gold`)),
    );
    expect(await target.store.getWorld(WORLD)).toBeUndefined();

    const other = fresh();
    const dropping = overriding<CommandInbox>(other.inbox, {
      submit: async (c) =>
        c.commandId === doc.inbox[0]?.commandId
          ? { result: "accepted", arrivedMs: c.nowMs }
          : other.inbox.submit(c),
    });
    const lost = await restoreWorld({ ...other, inbox: dropping }, doc).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(lost).toBeInstanceOf(RestoreError);
    expect((lost as RestoreError).problems).toContainEqual(
      `command ${PLAYER}/${doc.inbox[0]?.commandId} is missing`,
    );
    expect(await other.store.getWorld(WORLD)).toBeUndefined();
  });

  it("a restore that died half way runs again to the same world", async () => {
    const { source, doc } = await exported();
    const target = fresh();
    const dying = overriding<EntityStore>(target.store, {
      putProjections: async () => {
        throw new CrashError("crash before the projections");
      },
    });
    await expect(restoreWorld({ ...target, store: dying }, doc)).rejects.toBeInstanceOf(CrashError);
    await restoreWorld(target, doc);
    expect((await verifyWorld(target, WORLD)).problems).toEqual([]);
    expect((await replayWorld(target, WORLD)).ok).toBe(true);
    expect((await target.store.getWorld(WORLD))?.ledger).toEqual(
      (await source.store.getWorld(WORLD))?.ledger,
    );
  });

  it("restores a stopped world stopped: its inbox refuses commands, as the original's does", async () => {
    const { source } = await exported();
    await deactivateWorld(source, WORLD);
    const doc = JSON.parse(JSON.stringify(await exportWorld(source, WORLD))) as WorldExport;
    const target = fresh();
    await restoreWorld(target, doc);
    expect((await target.store.getWorld(WORLD))?.active).toBe(false);
    const command = {
      worldId: WORLD,
      shard: 0,
      playerId: PLAYER,
      commandId: "late",
      type: "move",
      data: { dx: 1, dy: 0 },
      nowMs: target.clock.nowMs(),
    };
    expect(await target.inbox.submit(command)).toEqual({ result: "closed" });
    expect(await source.inbox.submit(command)).toEqual({ result: "closed" });
  });

  it("restores a version 1 document, deriving the projections it read from a running world", async () => {
    const { doc } = await exported();
    // As the old export wrote a world whose next batch was half committed: balances at v+1.
    const old = {
      ...doc,
      version: 1,
      accounts: doc.accounts.map((a) => ({ ...a, version: doc.world.version + 1, debits: 0 })),
    };
    const target = fresh();
    const report = await restoreWorld(target, old);
    expect(report.verify.problems).toEqual([]);
    expect((await verifyWorld(target, WORLD)).problems).toEqual([]);
  });
});
