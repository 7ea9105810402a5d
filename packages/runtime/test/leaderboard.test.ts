import type { JournalEntry } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import { MemoryEntityStore } from "../src/adapters/memory/entity-store.js";
import { MemoryLeaderboardStore } from "../src/adapters/memory/leaderboards.js";
import { StoreUnavailableError } from "../src/errors.js";
import type { AccountBalance, PlayerRecord } from "../src/ports/entity-store.js";
import type { LeaderboardStore } from "../src/ports/leaderboards.js";
import { sampleWorld } from "../src/testing/entity-store.contract.js";
import { describeLeaderboardsContract } from "../src/testing/leaderboards.contract.js";
import {
  LEADERBOARD_WRITE_ATTEMPTS,
  type LeaderboardDeps,
  projectLeaderboard,
} from "../src/usecases/leaderboard.js";

describeLeaderboardsContract("memory", async () => ({
  leaderboards: new MemoryLeaderboardStore(),
}));

const W = "w1";
const hash = "ab".repeat(32);

function gold(seq: number, from: string, to: string, amount: number): JournalEntry {
  return {
    kind: "transfer",
    seq,
    prev: hash,
    hash,
    id: `t${seq}`,
    debit: from,
    credit: to,
    amount,
    unit: "gold",
    reason: "test",
    tick: seq,
    meta: {},
    linked: false,
  };
}

function account(owner: string, balance: number): AccountBalance {
  return { accountId: `${owner}:gold`, owner, unit: "gold", debits: 0, credits: balance, balance };
}

function player(playerId: string, goldHeld: number): PlayerRecord {
  return { playerId, worldId: W, xp: 0, level: 1, balances: { gold: goldHeld }, quests: {} };
}

/** A world whose commit covers `count` ledger entries, with projections at `version`. */
async function worldWith(count: number, version: number, held: Record<string, number>) {
  const store = new MemoryEntityStore();
  const world = sampleWorld(W);
  await store.createWorld({ ...world, ledger: { ...world.ledger, count } });
  const owners = Object.keys(held);
  await store.putProjections(
    W,
    version,
    [...owners.map((p) => account(p, held[p] ?? 0)), account("system", -1)],
    owners.filter((p) => !p.startsWith("bot")).map((p) => player(p, held[p] ?? 0)),
  );
  return store;
}

describe("projectLeaderboard", () => {
  it("ranks players from their projections, redeliveries changing nothing", async () => {
    const store = await worldWith(10, 3, { alice: 40, bob: 70, bot1: 999 });
    const leaderboards = new MemoryLeaderboardStore();
    const deps: LeaderboardDeps = { store, leaderboards };
    const transfers = [
      gold(8, "system:gold", "alice:gold", 40),
      gold(9, "alice:gold", "bob:gold", 5),
    ];
    transfers.push(gold(7, "system:gold", "bot1:gold", 999));
    await projectLeaderboard(deps, W, transfers);
    await projectLeaderboard(deps, W, transfers);
    expect(await leaderboards.read(W)).toEqual({
      rev: 1,
      rows: [
        { playerId: "bob", gold: 70, version: 3 },
        { playerId: "alice", gold: 40, version: 3 },
      ],
    });
  });

  it("waits for the batch that wrote the transfers to commit, then says it may lag", async () => {
    const store = await worldWith(5, 1, { alice: 10 });
    const leaderboards = new MemoryLeaderboardStore();
    const slept: number[] = [];
    const logged: string[] = [];
    await projectLeaderboard(
      {
        store,
        leaderboards,
        commitWait: { attempts: 3, delayMs: 7, sleep: async (ms) => void slept.push(ms) },
        log: (message) => logged.push(message),
      },
      W,
      [gold(9, "system:gold", "alice:gold", 10)],
    );
    expect(slept).toEqual([7, 7]);
    expect(logged).toEqual(["projecting the leaderboard before the batch committed: it may lag"]);
    expect((await leaderboards.read(W)).rows).toEqual([
      { playerId: "alice", gold: 10, version: 1 },
    ]);
  });

  it("merges into a rival's write, and gives up with StoreUnavailableError when rivals always win", async () => {
    const store = await worldWith(10, 2, { alice: 10 });
    const inner = new MemoryLeaderboardStore();
    await inner.write(W, 0, [{ playerId: "carol", gold: 50, version: 2 }]);
    let rivals = 1;
    const racing: LeaderboardStore = {
      read: (w) => inner.read(w),
      async write(w, rev, rows) {
        if (rivals-- > 0) {
          await inner.write(w, rev, [{ playerId: "dave", gold: 30, version: 2 }]);
          return false;
        }
        return inner.write(w, rev, rows);
      },
    };
    await projectLeaderboard({ store, leaderboards: racing }, W, [
      gold(5, "system:gold", "alice:gold", 10),
    ]);
    expect((await inner.read(W)).rows.map((r) => r.playerId)).toEqual(["dave", "alice"]);
    rivals = LEADERBOARD_WRITE_ATTEMPTS;
    const richer = await worldWith(10, 3, { alice: 99 });
    await expect(
      projectLeaderboard({ store: richer, leaderboards: racing }, W, [
        gold(6, "system:gold", "alice:gold", 89),
      ]),
    ).rejects.toThrow(StoreUnavailableError);
  });
});
