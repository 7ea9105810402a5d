import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Economy, Ledger, replayHashes, Simulation, verifyJournal } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import {
  arenaRules,
  COIN_COLLECTED,
  createArena,
  ECONOMY,
  pilotMoves,
  scriptedMoves,
} from "../src/game.js";

const run = promisify(execFile);

describe("the demo arena", () => {
  it("is alive: coins pay gold and xp through the ledger, quests complete and pay once", () => {
    const { sim, rules } = createArena("test", { bodies: 400, bots: 20, coins: 150 });
    const ledger = rules.economy.ledger;
    const events = [];
    for (let t = 0; t < 900; t++) {
      sim.step(scriptedMoves(sim.tick));
      events.push(...sim.world.drainEvents());
    }
    const pickups = events.filter((e) => e.kind === "custom" && e.code === COIN_COLLECTED);
    expect(pickups.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.kind === "body_invalid")).toHaveLength(0);
    // Every coin collected is gold in a wallet: gold minted equals coin value plus quest gold.
    const coinGold = pickups.reduce((sum, e) => sum + e.value, 0);
    const questGold = ledger.journal.filter(
      (e) => e.kind === "transfer" && e.unit === "gold" && e.reason === "quest.reward",
    );
    expect(-(ledger.balance("mint:gold")?.balance ?? 0)).toBe(
      coinGold + questGold.reduce((s, e) => s + (e.kind === "transfer" ? e.amount : 0), 0),
    );
    expect(verifyJournal(ledger.journal, (id) => ledger.balance(id)).ok).toBe(true);
    // Somebody finished the first quest, and was paid exactly its reward per completion.
    const tracker = rules.quests.tracker(sim.world);
    const done = tracker.players.filter(
      (p) => (tracker.status(p, "first_coins")?.completions ?? 0) > 0,
    );
    expect(done.length).toBeGreaterThan(0);
    const rewards = ledger.journal.filter(
      (e) =>
        e.kind === "transfer" &&
        e.reason === "quest.reward" &&
        e.id.startsWith("test:quest:first_coins:"),
    );
    expect(rewards).toHaveLength(done.length);
  });

  it("replays to the same hashes from a snapshot and the scripted commands, paying nothing twice", () => {
    const { sim, rules } = createArena("replay", { bodies: 200, bots: 8, coins: 60 });
    const start = sim.snapshot();
    const journalAtStart = [...rules.economy.ledger.journal];
    const log = Array.from({ length: 240 }, (_, tick) => ({
      tick,
      commands: scriptedMoves(tick),
    })).filter((e) => e.commands.length > 0);
    const live: string[] = [];
    for (let t = 0; t < 240; t++) {
      sim.step(scriptedMoves(t));
      live.push(sim.hash());
    }
    const paid = rules.economy.ledger.journal.length;
    expect(paid).toBeGreaterThan(journalAtStart.length);
    // A replay with the ledger as it was at the snapshot reproduces every tick's hash and journal.
    const again = arenaRules(
      new Economy(ECONOMY, Ledger.fromJournal(journalAtStart), { scope: "replay" }),
    );
    expect(
      replayHashes(again.definition, start, log, { untilTick: 240 }).map((h) => h.hash),
    ).toEqual(live);
    expect(again.economy.ledger.digest()).toEqual(rules.economy.ledger.digest());
    // Replaying against the live ledger (as a retried batch would) pays nothing twice.
    const retried = arenaRules(rules.economy);
    replayHashes(retried.definition, start, log, { untilTick: 240 });
    expect(rules.economy.ledger.journal.length).toBe(paid);
    expect(Simulation.restore(rules.definition, sim.snapshot()).hash()).toBe(sim.hash());
  });

  it("the pilot plays: it finishes quests, and its recorded commands replay to the same world", () => {
    const { sim, rules } = createArena("pilot", { bodies: 300, bots: 10, coins: 120 });
    const start = sim.snapshot();
    const journalAtStart = [...rules.economy.ledger.journal];
    const log = [];
    for (let t = 0; t < 600; t++) {
      const commands = pilotMoves(sim.world, rules);
      if (commands.length > 0) log.push({ tick: sim.tick, commands });
      sim.step(commands);
    }
    expect(rules.quests.tracker(sim.world).status("player_0001", "first_coins")?.state).toBe(
      "rewarded",
    );
    const again = arenaRules(
      new Economy(ECONOMY, Ledger.fromJournal(journalAtStart), { scope: "pilot" }),
    );
    const hashes = replayHashes(again.definition, start, log, { untilTick: 600 });
    expect(hashes[hashes.length - 1]?.hash).toBe(sim.hash());
    expect(again.economy.ledger.digest()).toEqual(rules.economy.ledger.digest());
  });

  it("npm start's script prints ticks/s, the final hash (the same on every run), the ledger's verification and the quest log", async () => {
    const script = fileURLToPath(new URL("../src/headless.ts", import.meta.url));
    const args = [
      "--conditions=@ledgerquest/source",
      "--import",
      "tsx",
      script,
      "--bodies",
      "300",
      "--seconds",
      "4",
      "--seed",
      "ci",
    ];
    const [a, b] = await Promise.all([run(process.execPath, args), run(process.execPath, args)]);
    expect(a.stdout).toMatch(/ticks\/s: [\d,]+/);
    const hash = /final state hash: ([0-9a-f]{64}) \(tick 240\)/.exec(a.stdout)?.[1];
    expect(hash).toBeDefined();
    expect(b.stdout).toContain(`final state hash: ${hash}`);
    expect(a.stdout).toMatch(/ledger: [\d,]+ journal entries \([\d,]+ transfers\), verified/);
    expect(a.stdout).toMatch(/quest log of player_0001/);
    expect(a.stdout).toMatch(/first_coins +Pick up 10 gold/);
    await expect(
      run(process.execPath, [...args.slice(0, 4), "--bodies", "-5"]),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("--bodies must be a whole number"),
    });
  });
});
