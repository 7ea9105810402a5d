import { type JournalEntry, Ledger } from "@ledgerquest/engine";
import { beforeAll, describe, expect, it } from "vitest";
import {
  accountBalances,
  connect,
  createMemoryDeps,
  createWorld,
  type EntityStore,
  type GameModule,
  type InboxCommand,
  type ManualClock,
  MemoryCommandInbox,
  type MemoryDeps,
  MemoryEntityStore,
  MemoryJournal,
  NotFoundError,
  runTickBatch,
  submitCommand,
  type WorldRecord,
} from "../src/index.js";
import {
  InvalidReplayRangeError,
  type ReplayProgress,
  ReplayUnavailableError,
  replayWorld,
} from "../src/usecases/replay.js";
import { verifyWorld } from "../src/usecases/verify.js";
import { fixtureGame } from "./support/fixture-game.js";
import { rehash } from "./support/forge.js";

const WORLD = "world-vr";
const SHARDS = 4;
const BATCHES = 5;
const TICKS_PER_BATCH = 60;

let deps: MemoryDeps & { readonly clock: ManualClock };
let world: WorldRecord;
let genesisCount: number;
let submitted: number;

/**
 * A world with history: five batches of 60 ticks, two players steering (their commands spread
 * over the inbox shards), runners collecting coins so the ledger has entries in most batches.
 */
beforeAll(async () => {
  deps = createMemoryDeps(fixtureGame);
  const created = await createWorld(deps, {
    worldId: WORLD,
    players: ["player_0001", "player_0002"],
    settings: { runners: 4, coins: 40 },
    inboxShards: SHARDS,
  });
  genesisCount = created.world.ledger.count;
  for (const [c, p] of [
    ["c1", "player_0001"],
    ["c2", "player_0002"],
  ] as const) {
    await connect(deps, { connectionId: c, playerId: p, worldId: WORLD });
    deps.push.open(c);
  }
  submitted = 0;
  for (let b = 0; b < BATCHES; b++) {
    for (const [c, p] of [
      ["c1", "player_0001"],
      ["c2", "player_0002"],
    ] as const) {
      const body = JSON.stringify({
        action: "command",
        id: `m${b}`,
        type: "move",
        data: { dx: b % 2 === 0 ? 1 : -1, dy: p === "player_0001" ? 0.5 : -0.5 },
      });
      const r = await submitCommand(deps, { connectionId: c, playerId: p, body });
      expect(r).toMatchObject({ ok: true, result: "accepted" });
      submitted++;
      deps.clock.advance(7);
    }
    deps.clock.advance(1000);
    await runTickBatch(deps, { worldId: WORLD, token: `t#${b}`, maxTicks: TICKS_PER_BATCH });
  }
  const w = await deps.store.getWorld(WORLD);
  if (w === undefined) throw new Error("world vanished");
  world = w;
  // The fixture is only useful if coins were collected: transfers beyond the starting ones.
  expect(world.ledger.count).toBeGreaterThan(genesisCount + 5);
  expect(world.tick).toBe(BATCHES * TICKS_PER_BATCH);
});

/** A copy of the world's journal, edited on the way: what a tampered table would hold. */
async function copyJournal(edit: {
  readonly entries?: (entries: JournalEntry[]) => JournalEntry[];
  readonly batch?: (version: number, hashes: string[]) => string[];
}): Promise<MemoryJournal> {
  const copy = new MemoryJournal();
  for (const record of await deps.journal.listBatches(WORLD, 1, world.version)) {
    const hashes = edit.batch?.(record.version, [...record.hashes]) ?? record.hashes;
    await copy.putBatch({ ...record, hashes });
  }
  const entries = [...(await deps.journal.readEntries(WORLD, 0, world.ledger.count))];
  await copy.appendEntries(WORLD, edit.entries?.(entries) ?? entries, "copy");
  return copy;
}

async function allCommands(): Promise<InboxCommand[]> {
  const out: InboxCommand[] = [];
  for (let shard = 0; shard < SHARDS; shard++)
    out.push(...(await deps.inbox.read(WORLD, shard, 0, Number.MAX_SAFE_INTEGER)));
  return out;
}

/** The first pickup transfer after the world's creation: a coin a runner collected. */
async function firstPickup(): Promise<JournalEntry & { kind: "transfer" }> {
  const entries = await deps.journal.readEntries(WORLD, genesisCount, world.ledger.count);
  const found = entries.find((e) => e.kind === "transfer" && e.reason === "pickup");
  if (found === undefined || found.kind !== "transfer") throw new Error("no pickup");
  return found;
}

describe("verifyWorld", () => {
  it("finds a healthy world healthy, reading the journal in pages", async () => {
    const pages: number[] = [];
    const report = await verifyWorld(deps, WORLD, {
      pageEntries: 7,
      onProgress: (p) => {
        if (p.phase === "journal") pages.push(p.done);
      },
    });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report).toMatchObject({
      worldId: WORLD,
      version: BATCHES,
      tick: BATCHES * TICKS_PER_BATCH,
      entries: world.ledger.count,
      digest: world.ledger,
    });
    expect(pages.length).toBe(Math.ceil(world.ledger.count / 7));
    expect(pages.at(-1)).toBe(world.ledger.count);
    expect(report.projectionsChecked).toBe(report.accounts);
    expect(report.transfers).toBeGreaterThan(0);
    expect(report.units.map((u) => u.unit)).toEqual(expect.arrayContaining(["gold", "xp"]));
    const gold = report.units.find((u) => u.unit === "gold");
    expect(gold?.held).toBeGreaterThanOrEqual(200); // two players' starting purses, and pickups
    expect(report.timing.totalMs).toBeGreaterThanOrEqual(report.timing.journalMs);
  });

  it("reports an entry whose amount was edited: the seq, and the balances it moved", async () => {
    const target = await firstPickup();
    const journal = await copyJournal({
      entries: (all) =>
        all.map((e) => (e.seq === target.seq ? { ...target, amount: target.amount + 1000 } : e)),
    });
    const report = await verifyWorld({ ...deps, journal }, WORLD);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual([
      "hash_mismatch",
      "projection_mismatch",
      "projection_mismatch",
    ]);
    expect(report.problems[0]).toMatchObject({ kind: "hash_mismatch", seq: target.seq });
    const moved = report.problems.flatMap((p) =>
      p.kind === "projection_mismatch" ? [[p.account, p.expected.balance - p.actual.balance]] : [],
    );
    expect(moved.sort()).toEqual(
      [
        [target.debit, -1000],
        [target.credit, 1000],
      ].sort(),
    );
  });

  it("catches a forger who recomputed every hash after the edit: the digest and the projections", async () => {
    const target = await firstPickup();
    const journal = await copyJournal({
      entries: (all) =>
        rehash(
          all.map((e) => (e.seq === target.seq ? { ...target, amount: target.amount + 1 } : e)),
        ),
    });
    const report = await verifyWorld({ ...deps, journal }, WORLD);
    expect(report.problems.map((p) => p.kind)).toEqual([
      "digest_mismatch",
      "digest_mismatch",
      "projection_mismatch",
      "projection_mismatch",
    ]);
    expect(report.problems.flatMap((p) => (p.kind === "digest_mismatch" ? [p.field] : []))).toEqual(
      ["head", "root"],
    );
    // And a replay names the entry: the re-run makes it with the original amount.
    const replay = await replayWorld({ ...deps, journal }, WORLD);
    expect(replay.mismatch).toMatchObject({ kind: "ledger_entry", seq: target.seq });
  });

  it("reports a projection that differs from the journal, naming the account", async () => {
    const account = "player_0001:gold";
    const held = await deps.store.getAccount(WORLD, account);
    if (held === undefined) throw new Error("no projection");
    const { version, ...balance } = held;
    await deps.store.putProjections(
      WORLD,
      version,
      [{ ...balance, credits: balance.credits + 5, balance: balance.balance + 5 }],
      [],
    );
    try {
      const report = await verifyWorld(deps, WORLD);
      expect(report.problems).toEqual([
        expect.objectContaining({
          kind: "projection_mismatch",
          account,
          version,
          expected: { debits: balance.debits, credits: balance.credits, balance: balance.balance },
          actual: {
            debits: balance.debits,
            credits: balance.credits + 5,
            balance: balance.balance + 5,
          },
        }),
      ]);
    } finally {
      await deps.store.putProjections(WORLD, version, [balance], []);
    }
    expect((await verifyWorld(deps, WORLD)).ok).toBe(true);
  });

  it("reports a journal that ends early, and the digest it no longer matches", async () => {
    const journal = await copyJournal({ entries: (all) => all.slice(0, all.length - 3) });
    const report = await verifyWorld({ ...deps, journal }, WORLD);
    expect(report.problems[0]).toMatchObject({
      kind: "journal_short",
      seq: world.ledger.count - 3,
    });
    expect(report.problems.filter((p) => p.kind === "digest_mismatch")).toHaveLength(3);
    expect(report.entries).toBe(world.ledger.count - 3);
  });

  it("checks projections a batch wrote before its commit against that batch's entries", async () => {
    // A second world, so the shared fixture keeps its version.
    const local = { ...deps, store: new MemoryEntityStore(), journal: new MemoryJournal() };
    await createWorld(local, {
      worldId: "ahead",
      players: ["player_0001"],
      settings: { runners: 4, coins: 40 },
    });
    let before: WorldRecord | undefined;
    for (let b = 0; b < 3; b++) {
      before = await local.store.getWorld("ahead");
      await runTickBatch(local, { worldId: "ahead", token: `a#${b}`, maxTicks: 60 });
    }
    if (before === undefined) throw new Error("no world");
    // The world item as verify read it just before the last batch committed.
    const stale = before;
    const lagging = Object.assign(Object.create(local.store) as EntityStore, {
      getWorld: async () => stale,
    });
    const after = await local.store.getWorld("ahead");
    expect(after?.ledger.count).toBeGreaterThan(stale.ledger.count); // the batch paid someone
    const report = await verifyWorld({ ...local, store: lagging }, "ahead");
    expect(report.problems).toEqual([]);
    expect(report.version).toBe(stale.version);
  });

  it("gives minted, sunk and held per unit, held = minted - sunk, whatever the page size", async () => {
    const whole = await verifyWorld(deps, WORLD);
    for (const u of whole.units) expect(u.held, u.unit).toBe(u.minted - u.sunk);
    const gold = whole.units.find((u) => u.unit === "gold");
    expect(gold?.minted).toBeGreaterThan(0);
    const entries = await deps.journal.readEntries(WORLD, 0, world.ledger.count);
    const mint = entries
      .filter((e) => e.kind === "transfer" && e.unit === "gold")
      .reduce(
        (n, e) =>
          e.kind !== "transfer"
            ? n
            : n +
              (e.debit === "mint:gold" ? e.amount : 0) -
              (e.credit === "mint:gold" ? e.amount : 0),
        0,
      );
    expect(gold?.minted).toBe(mint);
    // Streamed in pages of any size, the report is the same (timing aside).
    const { timing: _t, ...expected } = whole;
    for (const pageEntries of [1, 3, 64]) {
      const { timing: _p, ...paged } = await verifyWorld(deps, WORLD, { pageEntries });
      expect(paged).toEqual(expected);
    }
  });

  it("reports a unit whose held differs from minted - sunk: value parked in a system account", async () => {
    // A journal that verifies (every unit sums to zero), but where 7 gold left a player's wallet
    // for a system account that is neither the mint nor the sink: out of circulation, not sunk.
    const entries = [...(await deps.journal.readEntries(WORLD, 0, world.ledger.count))];
    const ledger = Ledger.fromJournal(entries);
    expect(ledger.openAccount({ id: "escrow:gold", owner: "system", unit: "gold" })).toBe(
      "created",
    );
    expect(
      ledger.transfer({
        id: "escrow:1",
        debit: "player_0001:gold",
        credit: "escrow:gold",
        amount: 7,
        unit: "gold",
        reason: "escrow",
        tick: world.tick,
      }),
    ).toBe("created");
    const journal = new MemoryJournal();
    await journal.appendEntries(WORLD, ledger.journal, "copy");
    for (const r of await deps.journal.listBatches(WORLD, 1, world.version))
      await journal.putBatch(r);
    const store = new MemoryEntityStore();
    const digest = ledger.digest();
    await store.createWorld({ ...world, ledger: digest });
    await store.putProjections(
      WORLD,
      world.version,
      accountBalances(
        ledger,
        ledger.listAccounts().map((a) => a.id),
      ),
      [],
    );
    const report = await verifyWorld({ store, journal }, WORLD);
    const gold = report.units.find((u) => u.unit === "gold");
    expect(gold).toBeDefined();
    expect(report.problems).toEqual([
      {
        kind: "supply_mismatch",
        unit: "gold",
        minted: gold?.minted,
        sunk: gold?.sunk,
        held: gold?.held,
        detail: expect.stringContaining("other system accounts hold 7"),
      },
    ]);
    expect((gold?.minted ?? 0) - (gold?.sunk ?? 0) - (gold?.held ?? 0)).toBe(7);
  });

  it("throws NotFoundError for an unknown world", async () => {
    await expect(verifyWorld(deps, "nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("replayWorld", () => {
  it("replays every tick from genesis with the recorded hashes and journal entries", async () => {
    const seen: ReplayProgress[] = [];
    const report = await replayWorld(deps, WORLD, { onProgress: (p) => seen.push(p) });
    expect(report.mismatch).toBeUndefined();
    expect(report).toMatchObject({
      ok: true,
      fromTick: 0,
      toTick: BATCHES * TICKS_PER_BATCH - 1,
      genesisTick: 0,
      batches: BATCHES,
      ticksRun: BATCHES * TICKS_PER_BATCH,
      ticksChecked: BATCHES * TICKS_PER_BATCH,
      commandsApplied: submitted,
      entriesChecked: world.ledger.count - genesisCount,
    });
    const done = seen.map((p) => p.ticksDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(seen.at(-1)).toMatchObject({
      ticksDone: BATCHES * TICKS_PER_BATCH,
      ticksTotal: BATCHES * TICKS_PER_BATCH,
      version: BATCHES,
    });
  });

  it("compares a sub-range only, running no further than its end", async () => {
    const report = await replayWorld(deps, WORLD, { fromTick: 100, toTick: 170 });
    expect(report).toMatchObject({
      ok: true,
      fromTick: 100,
      toTick: 170,
      batches: 3,
      ticksRun: 171,
      ticksChecked: 71,
    });
  });

  it("names the tick whose recorded hash was changed, with both hashes", async () => {
    const original = (await deps.journal.getBatch(WORLD, 3))?.hashes[10];
    const forged = "ab".repeat(32);
    const journal = await copyJournal({
      batch: (version, hashes) => (version === 3 ? hashes.with(10, forged) : hashes),
    });
    const report = await replayWorld({ ...deps, journal }, WORLD);
    expect(report.ok).toBe(false);
    expect(report.mismatch).toMatchObject({
      kind: "state_hash",
      tick: 2 * TICKS_PER_BATCH + 10,
      version: 3,
      expected: forged,
      actual: original,
      commands: { recorded: 2, found: 2 },
    });
    // It stopped there: nothing after the mismatch ran.
    expect(report.ticksRun).toBe(2 * TICKS_PER_BATCH + 11);
    // A range that ends before the forged tick passes.
    const before = await replayWorld({ ...deps, journal }, WORLD, { toTick: 129 });
    expect(before.ok).toBe(true);
  });

  it("names the tick where a command removed from the inbox should have applied", async () => {
    const commands = await allCommands();
    const removed = commands.find((c) => c.playerId === "player_0002" && c.commandId === "m2");
    if (removed === undefined) throw new Error("no command");
    // A copy of the inbox without it, every other command at its recorded arrival.
    const inbox = new MemoryCommandInbox();
    await inbox.openWorld(WORLD, SHARDS, Math.min(...world.cursors) - 1_000_000);
    for (const c of commands) {
      if (c === removed) continue;
      const r = await inbox.submit({ ...c, nowMs: c.arrivedMs });
      expect(r).toEqual({ result: "accepted", arrivedMs: c.arrivedMs });
    }
    const records = await deps.journal.listBatches(WORLD, 1, world.version);
    const drain = records
      .flatMap((r) => r.drains.map((d) => ({ ...d, version: r.version })))
      .find(
        (d) =>
          d.shard === removed.shard && removed.arrivedMs > d.fromMs && removed.arrivedMs <= d.toMs,
      );
    if (drain === undefined) throw new Error("no drain");
    const report = await replayWorld({ ...deps, inbox }, WORLD);
    expect(report.mismatch).toMatchObject({
      kind: "state_hash",
      tick: drain.tick,
      version: drain.version,
      commands: { recorded: 2, found: 1 },
    });
  });

  it("refuses worlds without a genesis state, ranges outside the world, and unknown worlds", async () => {
    const { genesis: _genesis, ...old } = world;
    const store = new MemoryEntityStore();
    await store.createWorld(old);
    const refused = replayWorld({ ...deps, store }, WORLD);
    await expect(refused).rejects.toBeInstanceOf(ReplayUnavailableError);
    await expect(refused).rejects.toMatchObject({ reason: "no_genesis" });
    await expect(replayWorld(deps, WORLD, { toTick: world.tick })).rejects.toBeInstanceOf(
      InvalidReplayRangeError,
    );
    await expect(replayWorld(deps, WORLD, { fromTick: 50, toTick: 40 })).rejects.toBeInstanceOf(
      InvalidReplayRangeError,
    );
    await expect(replayWorld(deps, WORLD, { fromTick: -1 })).rejects.toBeInstanceOf(
      InvalidReplayRangeError,
    );
    await expect(replayWorld(deps, "nope")).rejects.toBeInstanceOf(NotFoundError);
    // Other rules than the world ran under: a replay would prove nothing.
    const renamed: GameModule = {
      ...fixtureGame,
      rules: (ledger, worldId) => {
        const rules = fixtureGame.rules(ledger, worldId);
        return { ...rules, definition: { ...rules.definition, name: "fixture@99" } };
      },
    };
    await expect(replayWorld({ ...deps, game: renamed }, WORLD)).rejects.toMatchObject({
      name: "ReplayUnavailableError",
      reason: "rules_differ",
    });
  });

  it("checks the end of a full replay against the world item", async () => {
    const store = new MemoryEntityStore();
    await store.createWorld({ ...world, stateHash: "ef".repeat(32) });
    const report = await replayWorld({ ...deps, store }, WORLD);
    expect(report.mismatch).toMatchObject({
      kind: "final_state",
      field: "stateHash",
      tick: world.tick - 1,
      version: BATCHES,
      expected: "ef".repeat(32),
      actual: world.stateHash,
    });
    // A range short of the end does not reach the world item's state.
    expect((await replayWorld({ ...deps, store }, WORLD, { toTick: world.tick - 2 })).ok).toBe(
      true,
    );
  });

  it("replays a world that never ran as nothing to check, its state still the genesis", async () => {
    const fresh = { ...deps, store: new MemoryEntityStore(), journal: new MemoryJournal() };
    const { world: created } = await createWorld(fresh, { worldId: "fresh", players: ["p1"] });
    const report = await replayWorld(fresh, "fresh");
    expect(report).toMatchObject({ ok: true, ticksRun: 0, ticksChecked: 0, batches: 0 });
    expect(report.toTick).toBeLessThan(report.fromTick);
    await expect(replayWorld(fresh, "fresh", { toTick: 0 })).rejects.toBeInstanceOf(
      InvalidReplayRangeError,
    );
    expect((await verifyWorld(fresh, "fresh")).ok).toBe(true);
    expect(created.version).toBe(0);
  });

  it("reports a missing batch record by version", async () => {
    const copy = new MemoryJournal();
    for (const r of await deps.journal.listBatches(WORLD, 1, world.version))
      if (r.version !== 4) await copy.putBatch(r);
    await copy.appendEntries(
      WORLD,
      await deps.journal.readEntries(WORLD, 0, world.ledger.count),
      "copy",
    );
    const report = await replayWorld({ ...deps, journal: copy }, WORLD);
    expect(report.mismatch).toMatchObject({
      kind: "batch_missing",
      version: 4,
      tick: 3 * TICKS_PER_BATCH,
    });
  });
});
