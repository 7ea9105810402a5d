import { describe, expect, it } from "vitest";
import {
  type Command,
  createQuestSystem,
  defineEconomy,
  defineQuests,
  ECONOMY_EVENT,
  Economy,
  Ledger,
  NO_ENTITY,
  QUEST_COMMAND,
  QUEST_EVENT,
  QuestDefinitionError,
  type QuestFact,
  type QuestSystem,
  QuestTracker,
  type QuestTransition,
  replayHashes,
  rewardTransferId,
  Simulation,
  type SimulationDefinition,
  type TickInput,
  verifyJournal,
  type World,
} from "../src/index.js";
import { thrownBy } from "./support/thrown.js";

// Alike: quests.test.ts's ECONOMY, QUESTS and setup, and the quest books of runtime's tests
// (test/events-definitions.test.ts, test/support/fixture-game.ts): each test file its own book,
// written out so that a test reads with the quests it is about.
const ECONOMY = defineEconomy({
  units: [{ id: "gold" }, { id: "gems" }, { id: "xp" }],
  levels: { thresholds: [0, 100, 300] },
});

const QUESTS = [
  {
    id: "bounty",
    title: "Claim the bounty",
    objectives: [{ kind: "interact", target: "board" }],
    rewards: [
      { unit: "gold", amount: 10 },
      { unit: "xp", amount: 100 },
    ],
    claim: "manual",
  },
  {
    id: "scout",
    title: "Scout the gate (after the bounty is claimed)",
    prerequisites: { quests: ["bounty"] },
    objectives: [{ kind: "enter", zone: "gate" }],
    rewards: [{ unit: "gems", amount: 1 }],
  },
  {
    id: "daily",
    title: "Bring gold, claim gems",
    objectives: [{ kind: "collect", unit: "gold", count: 5 }],
    rewards: [{ unit: "gems", amount: 2 }],
    repeatable: true,
    claim: "manual",
  },
  {
    id: "errand",
    title: "Paid automatically",
    objectives: [{ kind: "interact", target: "clerk" }],
    rewards: [{ unit: "gold", amount: 1 }],
    claim: "auto",
  },
];

const P = "player_0001";
const talk = (target: string, player = P): QuestFact => ({ kind: "interacted", player, target });
const got = (amount: number, player = P): QuestFact => ({
  kind: "collected",
  player,
  unit: "gold",
  amount,
});

function setup(ledger = new Ledger()) {
  const economy = new Economy(ECONOMY, ledger);
  const book = defineQuests(QUESTS, ECONOMY);
  const tracker = new QuestTracker(book, economy);
  return { economy, book, tracker };
}

/** Ids of the quest reward transfers in the journal, in order. */
function rewardIds(ledger: Ledger): string[] {
  return ledger.journal.flatMap((e) =>
    e.kind === "transfer" && e.reason === "quest.reward" ? [e.id] : [],
  );
}

function questError(fn: () => unknown): QuestDefinitionError {
  return thrownBy(fn, QuestDefinitionError);
}

describe("manual claims: definitions", () => {
  it('defaults to "auto"; "manual" is kept on the spec', () => {
    const book = defineQuests(QUESTS, ECONOMY);
    expect(book.get("bounty")?.claim).toBe("manual");
    expect(book.get("scout")?.claim).toBe("auto");
    expect(book.get("errand")?.claim).toBe("auto");
  });

  it("rejects a manual quest without rewards, and unknown claim modes, with the path", () => {
    const base = { id: "q", title: "t", objectives: [{ kind: "enter", zone: "z" }] };
    for (const quest of [
      { ...base, claim: "manual" },
      { ...base, claim: "manual", rewards: [] },
    ]) {
      const e = questError(() => defineQuests([quest], ECONOMY));
      expect(e.issues).toEqual([
        {
          path: "quests[0].claim",
          message: expect.stringContaining('"claim": "manual" must list rewards'),
        },
      ]);
    }
    const bad = questError(() => defineQuests([{ ...base, claim: "later" }], ECONOMY));
    expect(bad.message).toContain('quests[0].claim: must be "auto" or "manual"');
    // Without rewards, "auto" (explicit or not) is fine.
    expect(defineQuests([{ ...base, claim: "auto" }]).get("q")?.claim).toBe("auto");
  });
});

describe("manual claims: the tracker", () => {
  it("a manual quest completes and stays completed without payment until claimed", () => {
    const { economy, tracker } = setup();
    tracker.addPlayer(P);
    tracker.step(0);
    expect(tracker.accept(P, "bounty", 0)).toBe("accepted");
    const t1 = tracker.step(1, [talk("board")]);
    expect(t1.map((t) => [t.kind, t.quest])).toEqual([
      ["progressed", "bounty"],
      ["completed", "bounty"],
    ]);
    for (let tick = 2; tick < 6; tick++) {
      expect(tracker.step(tick)).toEqual([]);
    }
    expect(tracker.status(P, "bounty")).toMatchObject({
      state: "completed",
      completions: 1,
      completedTick: 1,
    });
    expect(rewardIds(economy.ledger)).toEqual([]);
    expect(economy.balance(P, "gold")).toBe(0);
    // Not claimed: it cannot be accepted again, and it does not count as a prerequisite.
    expect(tracker.accept(P, "bounty", 6)).toBe("reward_pending");
    expect(tracker.status(P, "scout")?.state).toBe("locked");
    expect(tracker.accept(P, "scout", 6)).toBe("locked");
  });

  it("claim pays the completion once, with the automatic payment's ids and transitions", () => {
    const { economy, tracker } = setup();
    tracker.accept(P, "bounty", 0);
    tracker.step(1, [talk("board")]);
    const out: QuestTransition[] = [];
    expect(tracker.claim(P, "bounty", 7, out)).toBe("claimed");
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      kind: "rewarded",
      player: P,
      quest: "bounty",
      questIndex: 0,
      tick: 7,
      state: "rewarded",
      completion: 1,
      result: "created",
      // Level-ups are stamped with the completion's tick, like the transfers.
      levelUps: [{ player: P, from: 1, to: 2, tick: 1 }],
    });
    expect(rewardIds(economy.ledger)).toEqual([
      rewardTransferId("bounty", P, 1, 0),
      rewardTransferId("bounty", P, 1, 1),
    ]);
    // The transfers are the ones an automatic payment would submit: the completion's tick.
    expect(economy.ledger.getTransfer(rewardTransferId("bounty", P, 1, 0))).toMatchObject({
      debit: "mint:gold",
      credit: `${P}:gold`,
      amount: 10,
      reason: "quest.reward",
      tick: 1,
      linked: true,
      meta: { quest: "bounty", completion: 1 },
    });
    expect([economy.balance(P, "gold"), economy.xpOf(P)]).toEqual([10, 100]);

    const journal = economy.ledger.journal.length;
    const again: QuestTransition[] = [];
    expect(tracker.claim(P, "bounty", 8, again)).toBe("already_claimed");
    expect(again).toEqual([]);
    expect(economy.ledger.journal.length).toBe(journal);
    // Claimed, it unlocks the quests that require it.
    const t9 = tracker.step(9);
    expect(t9.map((t) => [t.kind, t.quest])).toEqual([["available", "scout"]]);
  });

  it("answers, in order: unknown_player, unknown_quest, not_completed, already_claimed", () => {
    const { economy, tracker } = setup();
    // Unknown player wins over an unknown quest; an invalid name is an unknown player.
    expect(tracker.claim(P, "ghost", 0)).toBe("unknown_player");
    expect(tracker.claim(P, "bounty", 0)).toBe("unknown_player");
    expect(tracker.claim("bad:name", "bounty", 0)).toBe("unknown_player");
    tracker.addPlayer(P);
    expect(tracker.claim(P, "ghost", 0)).toBe("unknown_quest");
    // Locked, available, active: nothing to claim.
    expect(tracker.status(P, "bounty")?.state).toBe("locked");
    expect(tracker.claim(P, "bounty", 0)).toBe("not_completed");
    tracker.step(0);
    expect(tracker.status(P, "bounty")?.state).toBe("available");
    expect(tracker.claim(P, "bounty", 0)).toBe("not_completed");
    tracker.accept(P, "bounty", 1);
    expect(tracker.claim(P, "bounty", 1)).toBe("not_completed");
    const out: QuestTransition[] = [];
    tracker.claim(P, "bounty", 1, out);
    expect(out).toEqual([]);
    expect(rewardIds(economy.ledger)).toEqual([]);
    tracker.step(2, [talk("board")]);
    expect(tracker.claim(P, "bounty", 3)).toBe("claimed");
    expect(tracker.claim(P, "bounty", 3)).toBe("already_claimed");
  });

  it("automatic quests still pay in the step; a claim of them is already_claimed", () => {
    const { economy, tracker } = setup();
    tracker.accept(P, "errand", 0);
    const t = tracker.step(1, [talk("clerk")]).filter((x) => x.quest === "errand");
    expect(t.map((x) => x.kind)).toEqual(["progressed", "completed", "rewarded"]);
    expect(tracker.claim(P, "errand", 2)).toBe("already_claimed");
    expect(economy.balance(P, "gold")).toBe(1);
  });

  it("when the ledger refuses, the claim is reward_failed and the quest stays claimable", () => {
    const { economy, tracker } = setup();
    // Someone else already used the id of the first reward, with other fields.
    economy.grant(P, "gold", 1, { tick: 0, id: rewardTransferId("bounty", P, 1, 0) });
    tracker.accept(P, "bounty", 0);
    tracker.step(1, [talk("board")]);
    const transfers = () => economy.ledger.journal.filter((e) => e.kind === "transfer").length;
    const before = transfers();
    for (const tick of [2, 3]) {
      const out: QuestTransition[] = [];
      expect(tracker.claim(P, "bounty", tick, out)).toBe("reward_failed");
      expect(out).toEqual([
        {
          kind: "reward_failed",
          player: P,
          quest: "bounty",
          questIndex: 0,
          tick,
          state: "completed",
          completion: 1,
          result: "exists_with_different_fields",
        },
      ]);
      expect(tracker.status(P, "bounty")?.state).toBe("completed");
      // The step does not retry a manual quest by itself.
      expect(tracker.step(tick)).toEqual([]);
    }
    expect(transfers()).toBe(before);
    expect(rewardIds(economy.ledger)).toEqual([]);
    expect(economy.ledger.getTransfer(rewardTransferId("bounty", P, 1, 1))).toBeUndefined();
    expect(economy.xpOf(P)).toBe(0);
  });

  it("a repeatable manual quest: each completion is claimed once, with its own ids", () => {
    const { economy, tracker } = setup();
    for (let n = 1; n <= 3; n++) {
      const at = n * 10;
      expect(tracker.accept(P, "daily", at)).toBe("accepted");
      const done = tracker.step(at, [got(5)]).filter((x) => x.quest === "daily");
      expect(done.map((x) => x.kind)).toEqual(["progressed", "completed"]);
      expect(tracker.step(at + 1)).toEqual([]);
      expect(tracker.status(P, "daily")).toMatchObject({ state: "completed", completions: n });
      expect(tracker.accept(P, "daily", at + 1)).toBe("reward_pending");
      const out: QuestTransition[] = [];
      expect(tracker.claim(P, "daily", at + 2, out)).toBe("claimed");
      expect(out[0]).toMatchObject({ kind: "rewarded", completion: n, result: "created" });
      expect(tracker.claim(P, "daily", at + 2)).toBe("already_claimed");
      // The next step makes it available again: nothing to claim until it completes again.
      expect(tracker.step(at + 2).map((x) => [x.kind, x.quest])).toEqual([["available", "daily"]]);
      expect(tracker.claim(P, "daily", at + 3)).toBe("not_completed");
      expect(economy.balance(P, "gems")).toBe(2 * n);
    }
    expect(rewardIds(economy.ledger)).toEqual([
      "quest:daily:player_0001:1:0",
      "quest:daily:player_0001:2:0",
      "quest:daily:player_0001:3:0",
    ]);
  });

  it("a claim processed again from an earlier state is exists in the ledger and pays nothing", () => {
    const { economy, tracker, book } = setup();
    tracker.accept(P, "bounty", 0);
    tracker.step(1, [talk("board")]);
    const before = tracker.encode();
    // No new state: the encoding version is unchanged, and a completed manual quest is just
    // `completed` in it.
    expect(before[0]).toBe(1);
    expect(tracker.claim(P, "bounty", 5)).toBe("claimed");
    const journal = economy.ledger.journal.length;
    const balances = [economy.balance(P, "gold"), economy.xpOf(P)];
    for (let i = 0; i < 3; i++) {
      const restored = new QuestTracker(book, economy);
      restored.decode(before);
      expect(restored.status(P, "bounty")?.state).toBe("completed");
      const out: QuestTransition[] = [];
      expect(restored.claim(P, "bounty", 5, out)).toBe("claimed");
      expect(out[0]).toMatchObject({ kind: "rewarded", result: "exists", levelUps: [] });
      expect(restored.encode()).toEqual(tracker.encode());
    }
    expect(economy.ledger.journal.length).toBe(journal);
    expect([economy.balance(P, "gold"), economy.xpOf(P)]).toEqual(balances);
  });
});

// ─── in a simulation ───────────────────────────────────────────────────────────────────────────

/** A world whose players `talk` (a command becomes an `interacted` fact) and claim by command. */
function game(economy: Economy): {
  def: SimulationDefinition;
  quests: QuestSystem;
  transitions: QuestTransition[];
} {
  const book = defineQuests(QUESTS, economy.spec);
  const transitions: QuestTransition[] = [];
  const quests = createQuestSystem({
    book,
    economy,
    events: false,
    facts: (world: World) =>
      world.inputs.flatMap((c): QuestFact[] => {
        const target = (c.data as { target?: string } | undefined)?.target;
        return c.type === "talk" && c.actor !== undefined && target !== undefined
          ? [{ kind: "interacted", player: c.actor, target }]
          : [];
      }),
    onTransitions: (t) => transitions.push(...t),
  });
  return {
    def: { name: "quest-claim-test@1", components: [], systems: [quests], maxEntities: 16 },
    quests,
    transitions,
  };
}

function start(def: SimulationDefinition, quests: QuestSystem): Simulation {
  const sim = Simulation.create(def, "claims");
  const me = sim.world.createEntity();
  sim.world.setName(me, P);
  quests.tracker(sim.world).addPlayer(P);
  return sim;
}

const command = (id: string, type: string, quest: string): Command => ({
  id,
  type,
  actor: P,
  data: { quest },
});
const LOG: TickInput[] = [
  { tick: 0, commands: [command("a0", QUEST_COMMAND.accept, "bounty")] },
  {
    tick: 2,
    commands: [
      // Claims are applied before the tick's facts: this one comes too early.
      command("c2", QUEST_COMMAND.claim, "bounty"),
      { id: "t2", type: "talk", actor: P, data: { target: "board" } },
    ],
  },
  { tick: 6, commands: [command("c6", QUEST_COMMAND.claim, "bounty")] },
  {
    tick: 8,
    commands: [
      command("c8", QUEST_COMMAND.claim, "bounty"),
      command("c8b", QUEST_COMMAND.claim, "ghost"),
      { id: "c8c", type: QUEST_COMMAND.claim, actor: P, data: null },
    ],
  },
];
const TICKS = 12;
/** A snapshot taken after this many ticks: after the completion (tick 2), before the claim (6). */
const SNAPSHOT_AT = 4;

function runTicks(sim: Simulation, from: number, to: number): string[] {
  const hashes: string[] = [];
  for (let t = from; t < to; t++) {
    sim.step(LOG.find((e) => e.tick === t)?.commands ?? []);
    hashes.push(sim.hash());
  }
  return hashes;
}

describe("manual claims: the quest.claim command", () => {
  it("pays exactly once, emitting the rewarded event; later claims change nothing", () => {
    const economy = new Economy(ECONOMY, new Ledger());
    const { def, quests, transitions } = game(economy);
    const sim = start(def, quests);
    const events: ReturnType<World["drainEvents"]> = [];
    for (let t = 0; t < TICKS; t++) {
      sim.step(LOG.find((e) => e.tick === t)?.commands ?? []);
      events.push(...sim.world.drainEvents());
    }
    const bounty = transitions.filter((t) => t.quest === "bounty");
    expect(bounty.map((t) => [t.tick, t.kind])).toEqual([
      [0, "available"],
      [0, "accepted"],
      [2, "progressed"],
      [2, "completed"],
      [6, "rewarded"],
    ]);
    expect(rewardIds(economy.ledger)).toEqual([
      "quest:bounty:player_0001:1:0",
      "quest:bounty:player_0001:1:1",
    ]);
    expect([economy.balance(P, "gold"), economy.xpOf(P), economy.levelOf(P)]).toEqual([10, 100, 2]);
    const tracker = quests.tracker(sim.world);
    expect(tracker.status(P, "bounty")?.state).toBe("rewarded");
    expect(tracker.claim(P, "bounty", sim.tick)).toBe("already_claimed");

    const me = sim.world.handle(sim.world.byName(P) as number);
    const rewarded = events.filter((e) => e.kind === "custom" && e.code === QUEST_EVENT.rewarded);
    expect(rewarded).toEqual([
      { kind: "custom", tick: 6, a: me, b: NO_ENTITY, code: QUEST_EVENT.rewarded, value: 0 },
    ]);
    expect(events.filter((e) => e.code === ECONOMY_EVENT.levelUp)).toHaveLength(1);
    expect(verifyJournal(economy.ledger.journal, (id) => economy.ledger.balance(id)).ok).toBe(true);
  });

  it("replays from a snapshot taken between completion and claim to the same hashes, paying once", () => {
    const ledger = new Ledger();
    const economy = new Economy(ECONOMY, ledger);
    const { def, quests } = game(economy);
    const sim = start(def, quests);
    runTicks(sim, 0, SNAPSHOT_AT);
    const snapshot = sim.snapshot();
    const journalAtSnapshot = ledger.journal.length;
    expect(quests.tracker(sim.world).status(P, "bounty")?.state).toBe("completed");
    expect(rewardIds(ledger)).toEqual([]);
    const rest = runTicks(sim, SNAPSHOT_AT, TICKS);
    const journal = ledger.journal.length;
    const digest = ledger.digest();

    // A faithful replay: the snapshot with the ledger as it was then gives the same hashes and
    // exactly the same journal.
    const then = Ledger.fromJournal(ledger.journal.slice(0, journalAtSnapshot));
    const replayed = game(new Economy(ECONOMY, then));
    const log = LOG.filter((e) => e.tick >= SNAPSHOT_AT);
    const hashes = replayHashes(replayed.def, snapshot, log, { untilTick: TICKS });
    expect(hashes.map((h) => h.hash)).toEqual(rest);
    expect(then.digest()).toEqual(digest);

    // Against the ledger that already holds the payment, the claim is `exists`: nothing twice.
    const again = game(economy);
    const resumed = Simulation.restore(again.def, snapshot);
    runTicks(resumed, SNAPSHOT_AT, TICKS);
    expect(again.transitions.find((t) => t.kind === "rewarded")).toMatchObject({
      quest: "bounty",
      tick: 6,
      result: "exists",
    });
    expect(ledger.journal.length).toBe(journal);
    expect(ledger.digest()).toEqual(digest);
    expect(again.quests.tracker(resumed.world).encode()).toEqual(
      quests.tracker(sim.world).encode(),
    );
  });
});
