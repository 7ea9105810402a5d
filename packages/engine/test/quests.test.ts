import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BodyKind,
  type Command,
  createPhysics,
  createQuestSystem,
  createWorld,
  DefinitionError,
  defineEconomy,
  defineQuests,
  ECONOMY_EVENT,
  Economy,
  EngineError,
  factsFromEvents,
  InvalidArgumentError,
  Ledger,
  NO_ENTITY,
  physicsComponents,
  QUEST_COMMAND,
  QUEST_EVENT,
  type QuestBook,
  QuestDefinitionError,
  type QuestFact,
  QuestTracker,
  type QuestTransition,
  rewardTransferId,
  Simulation,
  type SimulationDefinition,
  SnapshotSchemaError,
  type TickInput,
  Velocity,
  verifyJournal,
  type World,
} from "../src/index.js";
import { thrownBy } from "./support/thrown.js";

// Alike: the quest books of runtime's tests (test/events-definitions.test.ts,
// test/support/fixture-game.ts); see quests-claim.test.ts.
const ECONOMY = defineEconomy({
  units: [{ id: "gold" }, { id: "gems" }, { id: "xp" }],
  items: [{ id: "pelt", currency: "gold", sellPrice: 2 }, { id: "bow" }],
  levels: { thresholds: [0, 100, 300, 600] },
});

const QUESTS = [
  {
    id: "intro",
    title: "Meet the elder",
    objectives: [{ kind: "interact", target: "elder" }],
    rewards: [
      { unit: "gold", amount: 10 },
      { unit: "xp", amount: 100 },
    ],
  },
  {
    id: "wolves",
    title: "Thin the pack",
    prerequisites: { quests: ["intro"], level: 2 },
    objectives: [
      { kind: "defeat", entityKind: "wolf", count: 3 },
      { kind: "collect", item: "pelt", count: 2 },
      { kind: "enter", zone: "den" },
    ],
    rewards: [
      { unit: "gold", amount: 50 },
      { item: "bow", amount: 1 },
    ],
  },
  {
    id: "shrine",
    title: "Reach the shrine in time",
    objectives: [{ kind: "enter", zone: "shrine" }],
    timeLimitTicks: 10,
    rewards: [{ unit: "gems", amount: 1 }],
  },
  {
    id: "trial",
    title: "A trial that can be failed",
    objectives: [{ kind: "interact", target: "statue", count: 2 }],
    timeLimitTicks: 5,
    onTimeout: "fail",
  },
  {
    id: "daily",
    title: "Bring gold",
    objectives: [{ kind: "collect", unit: "gold", count: 5 }],
    rewards: [{ unit: "gems", amount: 3 }],
    repeatable: true,
  },
  {
    id: "veteran",
    title: "Granted at level 3",
    prerequisites: { level: 3 },
    objectives: [{ kind: "defeat", entityKind: "dragon" }],
    autoAccept: true,
  },
];

function setup() {
  const economy = new Economy(ECONOMY, new Ledger());
  const book = defineQuests(QUESTS, ECONOMY);
  const tracker = new QuestTracker(book, economy);
  return { economy, book, tracker };
}

function questError(fn: () => unknown): QuestDefinitionError {
  return thrownBy(fn, QuestDefinitionError, EngineError);
}

const P = "player_0001";
const talk = (target: string, player = P): QuestFact => ({ kind: "interacted", player, target });
const kill = (entityKind: string, player = P): QuestFact => ({
  kind: "defeated",
  player,
  entityKind,
});
const enter = (zone: string, player = P): QuestFact => ({ kind: "entered", player, zone });
const got = (unit: string, amount: number, player = P): QuestFact => ({
  kind: "collected",
  player,
  unit,
  amount,
});

describe("quest definitions", () => {
  it("validates and normalizes: ledger units, prerequisite indexes, defaults", () => {
    const book = defineQuests(QUESTS, ECONOMY);
    expect(book.size).toBe(6);
    const wolves = book.get("wolves");
    expect(wolves).toMatchObject({
      index: 1,
      requires: [0],
      minLevel: 2,
      onTimeout: "reset",
      repeatable: false,
      autoAccept: false,
      rewards: [
        { unit: "gold", amount: 50 },
        { unit: "item.bow", amount: 1 },
      ],
    });
    expect(wolves?.objectives.map((o) => [o.kind, o.subject, o.count])).toEqual([
      ["defeat", "wolf", 3],
      ["collect", "item.pelt", 2],
      ["enter", "den", 1],
    ]);
    expect(book.indexOf("daily")).toBe(4);
    expect(book.get("nope")).toBeUndefined();
    expect(book.needsEconomy).toBe(true);
  });

  it("rejects bad definitions with the path and the reason", () => {
    const q = (patch: object) => [{ ...QUESTS[0], ...patch }];
    const cases: [unknown, string][] = [
      [{}, "quests: must be a list of quests"],
      [[{ title: "x", objectives: [] }], "quests[0].id: is required"],
      [q({ id: "Bad Id" }), "quests[0].id: must be a quest id"],
      [q({ title: "" }), "quests[0].title: must be a text of 1 to 120 characters"],
      [q({ objectives: [] }), "quests[0].objectives: must list at least one objective"],
      [
        q({ objectives: [{ kind: "collect", unit: "gold", count: 0 }] }),
        "quests[0].objectives[0].count: must be a positive integer, got 0",
      ],
      [
        q({ objectives: [{ kind: "fly", to: "moon" }] }),
        'quests[0].objectives[0].kind: must be one of "collect", "enter", "defeat", "interact"',
      ],
      [
        q({ objectives: [{ kind: "enter", zone: "den", count: 2 }] }),
        "quests[0].objectives[0].count: is not a known field",
      ],
      [
        q({ objectives: [{ kind: "collect", count: 2 }] }),
        'quests[0].objectives[0]: give exactly one of "unit" or "item"',
      ],
      [
        q({ objectives: [{ kind: "collect", item: "sword", count: 2 }] }),
        'quests[0].objectives[0].item: unknown item "sword"',
      ],
      [
        q({ rewards: [{ unit: "silver", amount: 1 }] }),
        'quests[0].rewards[0].unit: unknown unit "silver"',
      ],
      [
        q({ rewards: [{ unit: "gold", item: "bow", amount: 1 }] }),
        'quests[0].rewards[0]: give exactly one of "unit" or "item"',
      ],
      [
        q({ rewards: [{ unit: "gold", amount: -3 }] }),
        "quests[0].rewards[0].amount: must be a positive integer, got -3",
      ],
      [q({ timeLimitTicks: 0 }), "quests[0].timeLimitTicks: must be a positive integer, got 0"],
      [q({ onTimeout: "fail" }), "quests[0].onTimeout: needs timeLimitTicks"],
      [
        q({ timeLimitTicks: 5, onTimeout: "retry" }),
        'quests[0].onTimeout: must be "reset" or "fail"',
      ],
      [q({ repeatable: "yes" }), "quests[0].repeatable: must be true or false"],
      [
        q({ prerequisites: { quests: ["ghost"] } }),
        'quests[0].prerequisites.quests[0]: unknown quest "ghost"',
      ],
      [
        q({ prerequisites: { quests: ["intro"] } }),
        "quests[0].prerequisites.quests[0]: a quest cannot require itself",
      ],
      [
        q({ prerequisites: { level: 9 } }),
        "quests[0].prerequisites.level: must be at most the economy's max level 4, got 9",
      ],
      [[QUESTS[0], QUESTS[0]], 'quests[1].id: duplicate quest id "intro" (also quests[0])'],
    ];
    for (const [input, expected] of cases) {
      const e = questError(() => defineQuests(input, ECONOMY));
      expect(e.message).toContain(expected);
      expect(e.issues.length).toBeGreaterThan(0);
    }
  });

  it("rejects prerequisite cycles, naming the cycle", () => {
    const base = { title: "t", objectives: [{ kind: "enter", zone: "z" }] };
    const e = questError(() =>
      defineQuests([
        { ...base, id: "a", prerequisites: { quests: ["c"] } },
        { ...base, id: "b", prerequisites: { quests: ["a"] } },
        { ...base, id: "c", prerequisites: { quests: ["b"] } },
        { ...base, id: "d", prerequisites: { quests: ["a"] } },
      ]),
    );
    expect(e.issues).toEqual([
      {
        path: "quests[0].prerequisites.quests",
        message: "prerequisites form a cycle: a → c → b → a",
      },
    ]);
  });

  it("reports several problems at once; without an economy, unit names are not checked", () => {
    const e = questError(() =>
      defineQuests([
        {
          id: "a",
          title: "t",
          objectives: [{ kind: "defeat", entityKind: "" }],
          timeLimitTicks: -1,
        },
      ]),
    );
    expect(e.issues.map((i) => i.path)).toEqual([
      "quests[0].objectives[0].entityKind",
      "quests[0].timeLimitTicks",
    ]);
    const book = defineQuests([
      {
        id: "a",
        title: "t",
        objectives: [{ kind: "collect", unit: "anything", count: 1 }],
        rewards: [{ unit: "silver", amount: 1 }],
      },
    ]);
    expect(book.get("a")?.rewards).toEqual([{ unit: "silver", amount: 1 }]);
    expect(() => new QuestTracker(book)).toThrow(DefinitionError);
    const economy = new Economy(ECONOMY, new Ledger());
    expect(() => new QuestTracker(book, economy)).toThrow(/rewards unit "silver"/);
    const leveled = defineQuests([
      {
        id: "a",
        title: "t",
        objectives: [{ kind: "enter", zone: "z" }],
        prerequisites: { level: 2 },
      },
    ]);
    const flat = new Economy(defineEconomy({ units: [{ id: "gold" }] }), new Ledger());
    expect(() => new QuestTracker(leveled, flat)).toThrow(/economy defines none/);
  });
});

describe("quest progress", () => {
  it("locked → available → active → completed → rewarded, paying through the ledger", () => {
    const { economy, tracker } = setup();
    tracker.addPlayer(P);
    expect(tracker.status(P, "intro")?.state).toBe("locked");
    const t0 = tracker.step(0);
    expect(t0.filter((t) => t.kind === "available").map((t) => t.quest)).toEqual([
      "intro",
      "shrine",
      "trial",
      "daily",
    ]);
    expect(tracker.accept(P, "intro", 1)).toBe("accepted");
    expect(tracker.status(P, "intro")).toMatchObject({
      state: "active",
      startTick: 1,
      progress: [0],
    });
    const t2 = tracker.step(2, [talk("someone_else"), talk("elder")]);
    expect(t2.map((t) => [t.kind, t.quest])).toEqual([
      ["progressed", "intro"],
      ["completed", "intro"],
      ["rewarded", "intro"],
      ["available", "wolves"],
    ]);
    const rewarded = t2[2] as QuestTransition;
    expect(rewarded).toMatchObject({ completion: 1, result: "created", state: "rewarded" });
    expect(rewarded.levelUps).toEqual([{ player: P, from: 1, to: 2, tick: 2 }]);
    expect(tracker.status(P, "intro")).toMatchObject({
      state: "rewarded",
      completions: 1,
      completedTick: 2,
    });
    expect(economy.balance(P, "gold")).toBe(10);
    expect(economy.levelOf(P)).toBe(2);
    const pay = economy.ledger.getTransfer(rewardTransferId("intro", P, 1, 0));
    expect(pay).toMatchObject({
      id: "quest:intro:player_0001:1:0",
      debit: "mint:gold",
      credit: "player_0001:gold",
      amount: 10,
      reason: "quest.reward",
      tick: 2,
      linked: true,
      meta: { quest: "intro", completion: 1 },
    });
    expect(tracker.accept(P, "intro", 3)).toBe("already_completed");
  });

  it("every objective kind advances only on its own facts, clamped to its count", () => {
    const { economy, tracker } = setup();
    tracker.addPlayer(P);
    tracker.accept(P, "intro", 0);
    tracker.step(0, [talk("elder")]);
    expect(tracker.accept(P, "wolves", 1)).toBe("accepted");
    tracker.step(1, [
      kill("bear"),
      kill("wolf"),
      { kind: "defeated", player: P, entityKind: "wolf", count: 5 },
      got("item.pelt", 1),
      got("gold", 9),
      enter("shrine"),
      talk("den"),
      kill("wolf", "player_0002"),
    ]);
    expect(tracker.status(P, "wolves")?.progress).toEqual([3, 1, 0]);
    tracker.step(2, [got("item.pelt", 4)]);
    expect(tracker.status(P, "wolves")).toMatchObject({ state: "active", progress: [3, 2, 0] });
    const done = tracker.step(3, [enter("den")]);
    expect(done.map((t) => t.kind)).toEqual(["progressed", "completed", "rewarded"]);
    expect(economy.balance(P, "gold")).toBe(60);
    expect(economy.balance(P, "item.bow")).toBe(1);
  });

  it("prerequisites: a quest stays locked until its quests are rewarded and the level is reached", () => {
    const { economy, tracker } = setup();
    tracker.addPlayer(P);
    tracker.step(0);
    expect(tracker.status(P, "wolves")?.state).toBe("locked");
    expect(tracker.accept(P, "wolves", 0)).toBe("locked");
    // The level alone is not enough.
    economy.grant(P, "xp", 150, { tick: 0 });
    tracker.step(1);
    expect(tracker.accept(P, "wolves", 1)).toBe("locked");
    // Nor the quest alone (a second player, without the xp).
    const other = "player_0002";
    tracker.accept(other, "intro", 1);
    tracker.step(1, [talk("elder", other)]);
    expect(economy.levelOf(other)).toBe(2); // intro pays 100 xp: both prerequisites hold for them.
    expect(tracker.status(other, "wolves")?.state).toBe("available");
    // The first player completes intro too: now both prerequisites hold.
    tracker.accept(P, "intro", 2);
    tracker.step(2, [talk("elder")]);
    expect(tracker.status(P, "wolves")?.state).toBe("available");
    expect(tracker.accept(P, "wolves", 3)).toBe("accepted");
    expect(tracker.accept(P, "wolves", 3)).toBe("already_active");
    expect(tracker.accept(P, "ghost", 3)).toBe("unknown_quest");
    expect(tracker.accept("bad:name", "intro", 3)).toBe("invalid_player");
  });

  it("a level prerequisite with autoAccept starts the quest when the level is reached", () => {
    const { economy, tracker } = setup();
    tracker.addPlayer(P);
    tracker.step(0);
    expect(tracker.status(P, "veteran")?.state).toBe("locked");
    economy.grant(P, "xp", 300, { tick: 1 });
    const t = tracker.step(1);
    expect(t.filter((x) => x.quest === "veteran").map((x) => x.kind)).toEqual([
      "available",
      "accepted",
    ]);
    expect(tracker.status(P, "veteran")).toMatchObject({ state: "active", startTick: 1 });
  });

  it("time-outs: reset puts the quest back to available; fail makes it failed for good", () => {
    const { economy, tracker } = setup();
    tracker.addPlayer(P);
    tracker.step(0);
    expect(tracker.accept(P, "shrine", 0)).toBe("accepted");
    expect(tracker.status(P, "shrine")?.expiresAtTick).toBe(10);
    tracker.step(9);
    expect(tracker.status(P, "shrine")?.state).toBe("active");
    // At tick 10 it has expired before the facts of tick 10 are seen.
    const t10 = tracker.step(10, [enter("shrine")]);
    expect(t10.map((t) => [t.kind, t.state])).toEqual([["expired", "available"]]);
    expect(tracker.status(P, "shrine")).toMatchObject({
      state: "available",
      progress: [0],
      expiresAtTick: undefined,
    });
    // Accepted again, reached within the limit (the last tick of it).
    tracker.accept(P, "shrine", 11);
    tracker.step(20, [enter("shrine")]);
    expect(tracker.status(P, "shrine")?.state).toBe("rewarded");
    expect(economy.balance(P, "gems")).toBe(1);

    tracker.accept(P, "trial", 30);
    tracker.step(31, [talk("statue")]);
    expect(tracker.status(P, "trial")?.progress).toEqual([1]);
    const t35 = tracker.step(35, [talk("statue")]);
    expect(t35.map((t) => [t.kind, t.state])).toEqual([["failed", "failed"]]);
    expect(tracker.accept(P, "trial", 36)).toBe("failed");
    tracker.step(36);
    expect(tracker.status(P, "trial")?.state).toBe("failed");
  });

  it("abandon clears progress and makes the quest available again", () => {
    const { tracker } = setup();
    tracker.accept(P, "trial", 0);
    tracker.step(0, [talk("statue")]);
    expect(tracker.abandon(P, "trial", 1)).toBe("abandoned");
    expect(tracker.status(P, "trial")).toMatchObject({ state: "available", progress: [0] });
    expect(tracker.abandon(P, "trial", 1)).toBe("not_active");
  });

  it("a repeatable quest pays once per completion, each with its own transfer ids", () => {
    const { economy, tracker } = setup();
    for (let n = 1; n <= 3; n++) {
      expect(tracker.accept(P, "daily", n * 10)).toBe("accepted");
      tracker.step(n * 10, [got("gold", 3)]);
      const t = tracker.step(n * 10 + 1, [got("gold", 3)]);
      expect(t.map((x) => x.kind)).toEqual(["progressed", "completed", "rewarded", "available"]);
      expect(t[2]).toMatchObject({ completion: n, result: "created" });
      expect(tracker.status(P, "daily")).toMatchObject({ state: "available", completions: n });
      expect(economy.balance(P, "gems")).toBe(3 * n);
    }
    const ids = economy.ledger.journal
      .filter((e) => e.kind === "transfer" && e.reason === "quest.reward")
      .map((e) => e.kind === "transfer" && e.id);
    expect(ids).toEqual([
      "quest:daily:player_0001:1:0",
      "quest:daily:player_0001:2:0",
      "quest:daily:player_0001:3:0",
    ]);
  });

  it("re-processing the same completion never pays twice", () => {
    const { economy, tracker } = setup();
    tracker.accept(P, "intro", 0);
    const before = tracker.encode();
    tracker.step(1, [talk("elder")]);
    const journal = economy.ledger.journal.length;
    const balances = [economy.balance(P, "gold"), economy.xpOf(P)];
    // Back to the state before the completion, and the same tick processed again (a retry).
    for (let i = 0; i < 3; i++) {
      tracker.decode(before);
      const again = tracker.step(1, [talk("elder")]);
      const rewarded = again.find((t) => t.kind === "rewarded");
      expect(rewarded).toMatchObject({ completion: 1, result: "exists", levelUps: [] });
      expect(tracker.status(P, "intro")?.state).toBe("rewarded");
    }
    expect(economy.ledger.journal.length).toBe(journal);
    expect([economy.balance(P, "gold"), economy.xpOf(P)]).toEqual(balances);
  });

  it("a reward chain that cannot commit leaves the quest completed and retries it", () => {
    const { economy, tracker } = setup();
    // Someone else already used the id of the first reward with other fields.
    economy.grant(P, "gold", 1, { tick: 0, id: rewardTransferId("intro", P, 1, 0) });
    tracker.accept(P, "intro", 0);
    const t = tracker.step(1, [talk("elder")]);
    expect(t.find((x) => x.kind === "reward_failed")).toMatchObject({
      result: "exists_with_different_fields",
      completion: 1,
    });
    expect(tracker.status(P, "intro")?.state).toBe("completed");
    expect(tracker.accept(P, "intro", 2)).toBe("reward_pending");
    expect(economy.xpOf(P)).toBe(0);
    expect(tracker.step(2).find((x) => x.quest === "intro")?.kind).toBe("reward_failed");
  });

  it("rejects malformed facts as bugs", () => {
    const { tracker } = setup();
    expect(() => tracker.step(0, [got("gold", 0)])).toThrow(InvalidArgumentError);
    expect(() => tracker.queueFact({ kind: "entered", player: P, zone: "" })).toThrow(
      InvalidArgumentError,
    );
    expect(() => tracker.addPlayer("a:b")).toThrow(InvalidArgumentError);
  });

  it("the state encodes canonically and round-trips, whatever order players arrive in (property)", () => {
    const book = defineQuests(QUESTS, ECONOMY);
    const names = ["p1", "p2", "p3", "zed", "Alice"];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(names, { minLength: 1 }),
        fc.array(fc.nat({ max: 4 }), { maxLength: 20 }),
        (players, kills) => {
          const build = (order: readonly string[]) => {
            const economy = new Economy(ECONOMY, new Ledger());
            const t = new QuestTracker(book, economy);
            for (const p of order) t.addPlayer(p);
            for (const p of [...order].sort()) t.accept(p, "trial", 0);
            for (const k of kills)
              t.queueFact(talk("statue", players[k % players.length] as string));
            return t;
          };
          const a = build(players);
          const b = build([...players].reverse());
          expect(b.encode()).toEqual(a.encode());
          const c = new QuestTracker(book, new Economy(ECONOMY, new Ledger()));
          c.decode(a.encode());
          expect(c.encode()).toEqual(a.encode());
          expect(c.players).toEqual([...players].sort());
          expect(c.pendingFacts).toEqual(a.pendingFacts);
        },
      ),
    );
  });
});

describe("quest progress under random histories", () => {
  type Op =
    | { readonly op: "accept" | "abandon"; readonly player: number; readonly quest: number }
    | { readonly op: "fact"; readonly fact: number; readonly player: number }
    | { readonly op: "xp"; readonly player: number; readonly amount: number };
  const FACTS = [
    (p: string) => talk("elder", p),
    (p: string) => talk("statue", p),
    (p: string) => kill("wolf", p),
    (p: string) => kill("dragon", p),
    (p: string) => got("item.pelt", 1, p),
    (p: string) => got("gold", 2, p),
    (p: string) => enter("den", p),
    (p: string) => enter("shrine", p),
  ];
  const PLAYERS = ["p1", "p2", "p3"];
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("accept" as const),
        player: fc.nat({ max: 2 }),
        quest: fc.nat({ max: QUESTS.length - 1 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("abandon" as const),
        player: fc.nat({ max: 2 }),
        quest: fc.nat({ max: QUESTS.length - 1 }),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant("fact" as const),
        fact: fc.nat({ max: FACTS.length - 1 }),
        player: fc.nat({ max: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("xp" as const),
        player: fc.nat({ max: 2 }),
        amount: fc.integer({ min: 1, max: 200 }),
      }),
    },
  );

  /** Runs a history; `restoreEveryTick` re-decodes the state before each step (a restore). */
  function run(history: readonly (readonly Op[])[], restoreEveryTick: boolean) {
    const { economy, tracker, book } = setup();
    let t = tracker;
    const transitions: QuestTransition[] = [];
    history.forEach((ops, tick) => {
      if (restoreEveryTick) {
        const fresh = new QuestTracker(book, economy);
        fresh.decode(t.encode());
        t = fresh;
      }
      const facts: QuestFact[] = [];
      ops.forEach((o, i) => {
        const player = PLAYERS[o.player] as string;
        if (o.op === "accept") t.accept(player, QUESTS[o.quest]?.id as string, tick, transitions);
        else if (o.op === "abandon")
          t.abandon(player, QUESTS[o.quest]?.id as string, tick, transitions);
        else if (o.op === "fact") facts.push((FACTS[o.fact] as (p: string) => QuestFact)(player));
        else if (o.op === "xp") economy.grant(player, "xp", o.amount, { tick, index: i });
      });
      transitions.push(...t.step(tick, facts));
    });
    return { transitions, state: t.encode(), digest: economy.ledger.digest(), economy };
  }

  it("restoring the state at any tick changes nothing, and every invariant holds (property)", () => {
    let withRewards = 0;
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 8 }), { maxLength: 60 }), (history) => {
        const straight = run(history, false);
        const restored = run(history, true);
        expect(restored.transitions).toEqual(straight.transitions);
        expect(restored.state).toEqual(straight.state);
        expect(restored.digest).toEqual(straight.digest);
        const eco = straight.economy;
        expect(verifyJournal(eco.ledger.journal, (id) => eco.ledger.balance(id)).ok).toBe(true);
        // Each completion is paid exactly once: reward transfers = rewarded transitions × rewards.
        const paid = eco.ledger.journal.filter(
          (e) => e.kind === "transfer" && e.reason === "quest.reward",
        ).length;
        const expected = straight.transitions
          .filter((x) => x.kind === "rewarded")
          .reduce((n, x) => n + (QUESTS[x.questIndex]?.rewards?.length ?? 0), 0);
        expect(paid).toBe(expected);
        if (paid > 0) withRewards++;
      }),
      { numRuns: 120 },
    );
    // The histories do reach paid completions (about a fifth of them do).
    expect(withRewards).toBeGreaterThan(5);
  });
});

// ─── in a simulation ───────────────────────────────────────────────────────────────────────────

const TALK = 7;
const DEFEAT = 8;
const LOOT = 9;
const KINDS = ["wolf", "bear"];
const physics = createPhysics({
  gravity: { x: 0, y: 0 },
  bounds: { minX: -20, minY: -20, maxX: 20, maxY: 20 },
});

/** The game's rules with quests paying through `economy` (its ledger is outside the world). */
function game(economy: Economy): { def: SimulationDefinition; transitions: QuestTransition[] } {
  const book = defineQuests(QUESTS, economy.spec);
  const transitions: QuestTransition[] = [];
  const quests = createQuestSystem({
    book,
    economy,
    events: {
      custom: [
        { code: TALK, fact: "interacted" },
        { code: DEFEAT, fact: "defeated", kinds: KINDS },
        { code: LOOT, fact: "collected", unit: "item.pelt" },
      ],
    },
    onTransitions: (t) => transitions.push(...t),
  });
  /** Gameplay: commands become events (and loot becomes ledger items). */
  const play = (world: World): void => {
    world.inputs.forEach((c: Command, i) => {
      const actor = c.actor === undefined ? undefined : world.byName(c.actor);
      if (actor === undefined) return;
      const data = (c.data ?? {}) as {
        target?: string;
        kind?: number;
        amount?: number;
        vx?: number;
      };
      const me = world.handle(actor);
      if (c.type === "talk") {
        const target = world.byName(data.target ?? "");
        if (target !== undefined) world.emit("custom", me, world.handle(target), TALK);
      } else if (c.type === "kill") {
        world.emit("custom", me, NO_ENTITY, DEFEAT, data.kind ?? 0);
      } else if (c.type === "loot") {
        const amount = data.amount ?? 1;
        economy.grant(c.actor as string, "item.pelt", amount, {
          tick: world.tick,
          index: i,
          reason: "loot",
          world,
        });
        world.emit("custom", me, NO_ENTITY, LOOT, amount);
      } else if (c.type === "move") {
        world.store(Velocity).x[actor] = data.vx ?? 0;
      }
    });
  };
  return {
    def: {
      name: "quest-test@1",
      components: physicsComponents,
      systems: [{ name: "play", run: play }, physics.system, quests],
      maxEntities: 64,
    },
    transitions,
  };
}

function start(def: SimulationDefinition): Simulation {
  const sim = Simulation.create(def, "quests");
  const w = sim.world;
  const player = physics.spawnCircle(w, { x: 0, y: 0, radius: 0.5 });
  w.setName(player, P);
  const elder = physics.spawnCircle(w, { x: -10, y: 10, radius: 0.5, kind: BodyKind.Static });
  w.setName(elder, "elder");
  const den = physics.spawnBox(w, {
    x: 6,
    y: 0,
    halfWidth: 1,
    halfHeight: 1,
    kind: BodyKind.Static,
    sensor: true,
  });
  w.setName(den, "den");
  const quests = def.systems[2] as ReturnType<typeof createQuestSystem>;
  quests.tracker(w).addPlayer(P);
  return sim;
}

const accept = (quest: string): Command => ({
  id: `accept-${quest}`,
  type: QUEST_COMMAND.accept,
  actor: P,
  data: { quest },
});
const LOG: TickInput[] = [
  { tick: 0, commands: [accept("intro")] },
  { tick: 1, commands: [{ id: "c1", type: "talk", actor: P, data: { target: "elder" } }] },
  { tick: 2, commands: [accept("wolves")] },
  { tick: 3, commands: [{ id: "c3", type: "kill", actor: P, data: { kind: 0 } }] },
  {
    tick: 4,
    commands: [
      { id: "c4", type: "kill", actor: P, data: { kind: 1 } },
      { id: "c4b", type: "kill", actor: P, data: { kind: 0 } },
    ],
  },
  {
    tick: 6,
    commands: [
      { id: "c6", type: "kill", actor: P, data: { kind: 0 } },
      { id: "c6b", type: "loot", actor: P, data: { amount: 2 } },
    ],
  },
  { tick: 8, commands: [{ id: "c8", type: "move", actor: P, data: { vx: 6 } }] },
];
const TICKS = 80;

function runTicks(sim: Simulation, from: number, to: number): string[] {
  const hashes: string[] = [];
  for (let t = from; t < to; t++) {
    sim.step(LOG.find((e) => e.tick === t)?.commands ?? []);
    hashes.push(sim.hash());
  }
  return hashes;
}

function wallets(economy: Economy) {
  return ["gold", "xp", "gems", "item.pelt", "item.bow"].map((u) => economy.balance(P, u));
}

describe("the quest system in a simulation", () => {
  it("drives quests from commands, sensor enters and custom events; emits quest events; pays rewards", () => {
    const economy = new Economy(ECONOMY, new Ledger());
    const { def, transitions } = game(economy);
    const sim = start(def);
    const events: ReturnType<World["drainEvents"]> = [];
    for (let t = 0; t < TICKS; t++) {
      sim.step(LOG.find((e) => e.tick === t)?.commands ?? []);
      events.push(...sim.world.drainEvents());
    }
    const tracker = (def.systems[2] as ReturnType<typeof createQuestSystem>).tracker(sim.world);
    expect(tracker.status(P, "intro")?.state).toBe("rewarded");
    expect(tracker.status(P, "wolves")).toMatchObject({ state: "rewarded", progress: [3, 2, 1] });
    expect(wallets(economy)).toEqual([60, 100, 0, 2, 1]);
    const entered = transitions.find((t) => t.quest === "wolves" && t.kind === "completed");
    expect(entered?.tick).toBeGreaterThan(8);

    const me = sim.world.handle(sim.world.byName(P) as number);
    const questEvents = events.filter(
      (e) => e.kind === "custom" && e.code >= QUEST_EVENT.available,
    );
    const code = (kind: keyof typeof QUEST_EVENT, quest: number) =>
      questEvents.some((e) => e.code === QUEST_EVENT[kind] && e.value === quest && e.a === me);
    expect(code("accepted", 0) && code("completed", 0) && code("rewarded", 0)).toBe(true);
    expect(
      code("available", 1) && code("accepted", 1) && code("progressed", 1) && code("rewarded", 1),
    ).toBe(true);
    expect(events.filter((e) => e.code === ECONOMY_EVENT.levelUp)).toEqual([
      { kind: "custom", tick: 1, a: me, b: NO_ENTITY, code: ECONOMY_EVENT.levelUp, value: 2 },
    ]);
    expect(verifyJournal(economy.ledger.journal, (id) => economy.ledger.balance(id)).ok).toBe(true);
  });

  it("the quest state is in the snapshot and the state hash", () => {
    const economy = new Economy(ECONOMY, new Ledger());
    const { def } = game(economy);
    const sim = start(def);
    runTicks(sim, 0, 4);
    const restored = Simulation.restore(def, sim.snapshot());
    expect(restored.hash()).toBe(sim.hash());
    const tracker = (def.systems[2] as ReturnType<typeof createQuestSystem>).tracker(
      restored.world,
    );
    expect(tracker.status(P, "wolves")).toMatchObject({ state: "active", progress: [1, 0, 0] });
    // Progress changes the hash.
    const before = sim.hash();
    tracker.queueFact(kill("wolf"));
    expect(restored.hash()).not.toBe(before);
    // A snapshot refuses a different quest book.
    const other = defineQuests(QUESTS.slice(0, 2), ECONOMY);
    const t = new QuestTracker(other, economy);
    expect(() => t.decode(tracker.encode())).toThrow(SnapshotSchemaError);
  });

  it("cannot pay twice under replays: the same history again, or a restore and re-run", () => {
    const ledger = new Ledger();
    const economy = new Economy(ECONOMY, ledger);
    const { def } = game(economy);
    const sim = start(def);
    const first = runTicks(sim, 0, 5);
    const snapshot = sim.snapshot();
    const journalAtSnapshot = ledger.journal.length;
    const rest = runTicks(sim, 5, TICKS);
    const journal = ledger.journal.length;
    const digest = ledger.digest();
    const balances = wallets(economy);
    expect(balances).toEqual([60, 100, 0, 2, 1]);

    // 1. The whole history again, in a new world, against the same ledger.
    const again = start(game(economy).def);
    runTicks(again, 0, TICKS);
    expect(ledger.journal.length).toBe(journal);
    expect(wallets(economy)).toEqual(balances);

    // 2. Restore the snapshot and re-run against the ledger that already holds the payments.
    const resumed = Simulation.restore(game(economy).def, snapshot);
    const rerun = runTicks(resumed, 5, TICKS);
    expect(ledger.journal.length).toBe(journal);
    expect(ledger.digest()).toEqual(digest);
    expect(wallets(economy)).toEqual(balances);
    expect(rerun).toEqual(rest);

    // 3. A faithful replay: the snapshot with the ledger as it was then gives the same hashes
    //    and exactly the same journal.
    const then = Ledger.fromJournal(ledger.journal.slice(0, journalAtSnapshot));
    const economyThen = new Economy(ECONOMY, then);
    const replayed = Simulation.restore(game(economyThen).def, snapshot);
    expect(runTicks(replayed, 5, TICKS)).toEqual(rest);
    expect(then.digest()).toEqual(digest);
    expect(first).toHaveLength(5);
  });
});

describe("facts from sim events", () => {
  it("turns named sensor enters and mapped custom events into facts, skipping what it cannot name", () => {
    const world = createWorld({ components: [] });
    const named = (name: string) => {
      const e = world.createEntity();
      world.setName(e, name);
      return world.handle(e);
    };
    const player = named(P);
    const zone = named("shrine");
    const npc = named("elder");
    const anon = world.handle(world.createEntity());
    world.emit("sensor_enter", zone, player);
    world.emit("sensor_enter", anon, player);
    world.emit("sensor_exit", zone, player);
    world.emit("custom", player, NO_ENTITY, 1, 1);
    world.emit("custom", player, npc, 2);
    world.emit("custom", player, NO_ENTITY, 3, 0);
    world.emit("custom", player, NO_ENTITY, 3, 5);
    world.emit("custom", player, zone, 4);
    world.emit("custom", anon, npc, 2);
    world.emit("custom", player, NO_ENTITY, QUEST_EVENT.completed, 0);
    world.emit("custom", player, NO_ENTITY, 99, 0);
    const facts = factsFromEvents(world, world.events, {
      custom: [
        { code: 1, fact: "defeated", kinds: ["wolf", "bear"] },
        { code: 2, fact: "interacted" },
        { code: 3, fact: "collected", unit: "gold" },
        { code: 4, fact: "entered" },
      ],
    });
    expect(facts).toEqual([
      { kind: "entered", player: P, zone: "shrine" },
      { kind: "defeated", player: P, entityKind: "bear" },
      { kind: "interacted", player: P, target: "elder" },
      { kind: "collected", player: P, unit: "gold", amount: 1 },
      { kind: "collected", player: P, unit: "gold", amount: 5 },
      { kind: "entered", player: P, zone: "shrine" },
    ]);
    expect(
      factsFromEvents(world, world.events, { sensors: false, isPlayer: (n) => n !== P }),
    ).toEqual([]);
  });
});

// A book without an economy works for quests without rewards or levels.
describe("quests without an economy", () => {
  it("complete and are rewarded with nothing to pay", () => {
    const book: QuestBook = defineQuests([
      {
        id: "walk",
        title: "Walk",
        objectives: [{ kind: "enter", zone: "gate" }],
        autoAccept: true,
      },
    ]);
    const t = new QuestTracker(book);
    t.addPlayer(P);
    t.step(0);
    expect(t.status(P, "walk")?.state).toBe("active");
    t.step(1, [enter("gate")]);
    expect(t.status(P, "walk")).toMatchObject({ state: "rewarded", completions: 1 });
    expect(t.log(P)).toHaveLength(1);
  });
});
