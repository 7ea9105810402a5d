/**
 * The domain events and their rules: details built from what the engine really produces, the
 * schemas' typed errors, deterministic ids, PutEvents entries and their size limit, and the rules
 * matched (with the project's own matcher) against one real event of every detail-type.
 */
import {
  createWorld,
  defineEconomy,
  defineQuests,
  Economy,
  Ledger,
  type LevelUp,
  QuestTracker,
  type QuestTransition,
  stateHash,
  type TransferEntry,
  verifyJournal,
} from "@ledgerquest/engine";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compilePattern,
  createDomainEvent,
  DETAIL_TYPE_LIST,
  DETAIL_TYPES,
  type DetailType,
  DOMAIN_EVENT_SCHEMAS,
  DOMAIN_EVENT_SOURCES,
  type DomainEvent,
  type DomainEventOf,
  domainEventId,
  EVENT_BUS_NAME,
  EVENT_RULES,
  EVENT_SOURCES,
  InvalidEventError,
  MAX_PUT_EVENTS_ENTRY_BYTES,
  matchesPattern,
  type PutEventsEntry,
  parseDomainEvent,
  parseEventBridgeEvent,
  putEventsEntrySize,
  RULE_NAMES,
  RuntimeError,
  renderTargetInput,
  TARGET_REFS,
  toPutEventsEntry,
} from "../src/index.js";

const WORLD = "world-1";
const PLAYER = "player_0001";

// ─── a world's worth of real engine output ─────────────────────────────────────────────────────

/**
 * Plays a small quest scenario on the real engine (economy scoped by the world, as the runtime
 * runs it) and returns what the runtime has in hand after the batch: transitions, level-ups, the
 * ledger and a world.
 */
function playScenario() {
  const spec = defineEconomy({
    units: [{ id: "gold" }, { id: "xp" }],
    items: [{ id: "bow" }],
    levels: { thresholds: [0, 100, 300] },
  });
  const book = defineQuests(
    [
      {
        id: "intro",
        title: "Meet the elder",
        objectives: [{ kind: "interact", target: "elder" }],
        rewards: [
          { unit: "gold", amount: 10 },
          { unit: "xp", amount: 120 },
          { item: "bow", amount: 1 },
        ],
      },
      {
        id: "trial",
        title: "Touch the statue in time",
        objectives: [{ kind: "interact", target: "statue" }],
        timeLimitTicks: 5,
        onTimeout: "fail",
      },
    ],
    spec,
  );
  const ledger = new Ledger();
  const economy = new Economy(spec, ledger, { scope: WORLD });
  const tracker = new QuestTracker(book, economy);
  const transitions: QuestTransition[] = [];
  tracker.accept(PLAYER, "intro", 10, transitions);
  tracker.accept(PLAYER, "trial", 10, transitions);
  transitions.push(...tracker.step(11, [{ kind: "interacted", player: PLAYER, target: "elder" }]));
  transitions.push(...tracker.step(15));
  return { book, economy, ledger, transitions, world: createWorld({ components: [] }) };
}

/** The events the runtime would publish for that batch, built from the engine's own values. */
function eventsFromScenario() {
  const { book, economy, ledger, transitions, world } = playScenario();
  const events: DomainEvent[] = [];
  const levelUps: LevelUp[] = [];
  for (const t of transitions) {
    const who = { worldId: WORLD, playerId: t.player, questId: t.quest, tick: t.tick };
    if (t.kind === "accepted") events.push(createDomainEvent("Quest Accepted", who));
    if (t.kind === "failed") events.push(createDomainEvent("Quest Failed", who));
    if (t.kind === "rewarded") {
      const completion = t.completion as number;
      const transferIds = ledger.journal
        .filter(
          (e): e is TransferEntry =>
            e.kind === "transfer" && e.meta.quest === t.quest && e.meta.completion === completion,
        )
        .map((e) => e.id);
      const rewards = book.get(t.quest)?.rewards ?? [];
      events.push(
        createDomainEvent("Quest Completed", {
          ...who,
          completion,
          rewards: rewards.map((r) => ({ unit: r.unit, amount: r.amount })),
          transferIds,
        }),
      );
      levelUps.push(...(t.levelUps ?? []));
    }
  }
  for (const up of levelUps) {
    for (let level = up.from + 1; level <= up.to; level++) {
      events.push(
        createDomainEvent("Level Up", {
          worldId: WORLD,
          playerId: up.player,
          level,
          xp: economy.xpOf(up.player),
          tick: up.tick,
        }),
      );
    }
  }
  const digest = ledger.digest();
  events.push(
    createDomainEvent("Tick Batch Committed", {
      worldId: WORLD,
      version: 1,
      fromTick: 10,
      toTick: 16,
      stateHash: stateHash(world),
      ledgerHead: digest.head,
      ledgerCount: digest.count,
      commandsApplied: 2,
    }),
  );
  return { events, ledger };
}

function only<T extends DetailType>(events: readonly DomainEvent[], type: T): DomainEventOf<T>[] {
  return events.filter((e): e is DomainEventOf<T> => e.detailType === type);
}

/** One event of every detail-type, each from real engine values where the engine has them. */
function oneOfEach(): { readonly [T in DetailType]: DomainEventOf<T> } {
  const { events, ledger } = eventsFromScenario();
  const journal = [...ledger.journal];
  const at = journal.findIndex((e) => e.kind === "transfer");
  const tampered = journal[at] as TransferEntry;
  journal[at] = { ...tampered, amount: tampered.amount + 1 };
  const report = verifyJournal(journal);
  if (report.ok) throw new Error("the tampered journal verified");
  const first = <T extends DetailType>(type: T): DomainEventOf<T> => {
    const found = only(events, type)[0];
    if (found === undefined) throw new Error(`the scenario produced no ${type}`);
    return found;
  };
  return {
    "World Activated": createDomainEvent("World Activated", { worldId: WORLD, version: 0 }),
    "World Deactivated": createDomainEvent("World Deactivated", { worldId: WORLD, version: 1 }),
    "Tick Batch Committed": first("Tick Batch Committed"),
    "Quest Accepted": first("Quest Accepted"),
    "Quest Completed": first("Quest Completed"),
    "Quest Failed": first("Quest Failed"),
    "Level Up": first("Level Up"),
    "Ledger Chain Broken": createDomainEvent("Ledger Chain Broken", {
      worldId: WORLD,
      seq: report.checked,
      kind: report.problem.kind,
      reason: "detail" in report.problem ? report.problem.detail : "",
    }),
  };
}

/** The event as EventBridge delivers it to a target, from the entry a producer put. */
function delivered(entry: PutEventsEntry, id = "6a7e8feb-b491-4cf7-a9f1-bf3703467718") {
  return {
    version: "0",
    id,
    "detail-type": entry.DetailType,
    source: entry.Source,
    account: "123456789012",
    time: "2026-11-02T10:00:00Z",
    region: "eu-west-1",
    resources: [],
    detail: JSON.parse(entry.Detail) as unknown,
  };
}

function thrown(fn: () => unknown): InvalidEventError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidEventError);
    expect(e).toBeInstanceOf(RuntimeError);
    return e as InvalidEventError;
  }
  throw new Error("expected an InvalidEventError");
}

// ─── tests ─────────────────────────────────────────────────────────────────────────────────────

describe("constants", () => {
  it("name the bus, the sources and a source for every detail-type", () => {
    expect(EVENT_BUS_NAME).toBe("ledgerquest.eventbus");
    expect(EVENT_SOURCES).toEqual({ game: "ledgerquest.game", ops: "ledgerquest.ops" });
    expect([...DETAIL_TYPE_LIST].sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    expect(Object.keys(DOMAIN_EVENT_SOURCES).sort()).toEqual([...DETAIL_TYPE_LIST].sort());
    expect(DOMAIN_EVENT_SOURCES["Ledger Chain Broken"]).toBe("ledgerquest.ops");
    expect(DOMAIN_EVENT_SOURCES["Quest Completed"]).toBe("ledgerquest.game");
  });
});

describe("details the runtime can fill from the engine", () => {
  it("build and validate from quest transitions, level-ups, the ledger digest and the state hash", () => {
    const { events, ledger } = eventsFromScenario();
    const accepted = only(events, "Quest Accepted");
    expect(accepted.map((e) => e.detail.questId)).toEqual(["intro", "trial"]);

    const [completed, ...more] = only(events, "Quest Completed");
    expect(more).toEqual([]);
    expect(completed?.detail).toMatchObject({
      playerId: PLAYER,
      questId: "intro",
      completion: 1,
      tick: 11,
      rewards: [
        { unit: "gold", amount: 10 },
        { unit: "xp", amount: 120 },
        { unit: "item.bow", amount: 1 },
      ],
      // The world's scope prefixes every ledger id: the event names the journal's real ids.
      transferIds: [
        `${WORLD}:quest:intro:${PLAYER}:1:0`,
        `${WORLD}:quest:intro:${PLAYER}:1:1`,
        `${WORLD}:quest:intro:${PLAYER}:1:2`,
      ],
    });

    expect(only(events, "Quest Failed").map((e) => [e.detail.questId, e.detail.tick])).toEqual([
      ["trial", 15],
    ]);
    expect(only(events, "Level Up").map((e) => e.detail)).toEqual([
      {
        worldId: WORLD,
        playerId: PLAYER,
        level: 2,
        xp: 120,
        tick: 11,
        eventId: `level.up#${WORLD}#${PLAYER}#2#11`,
      },
    ]);
    const batch = only(events, "Tick Batch Committed")[0];
    expect(batch?.detail.ledgerHead).toBe(ledger.digest().head);
    expect(batch?.detail.stateHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("carry the same event ids when the same batch is built again (a retry after a crash)", () => {
    const ids = (events: readonly DomainEvent[]) => events.map((e) => e.detail.eventId);
    const first = ids(eventsFromScenario().events);
    expect(ids(eventsFromScenario().events)).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });

  it("set each event's source from its detail-type", () => {
    for (const event of Object.values(oneOfEach())) {
      expect(event.source).toBe(DOMAIN_EVENT_SOURCES[event.detailType]);
    }
  });
});

describe("parsing details", () => {
  const valid = oneOfEach();

  it("accepts every valid detail and returns the typed event", () => {
    for (const type of DETAIL_TYPE_LIST) {
      const event = valid[type];
      expect(parseDomainEvent(type, event.detail)).toEqual(event);
    }
  });

  it("narrows on the detail-type", () => {
    const event: DomainEvent = parseDomainEvent("Level Up", valid["Level Up"].detail);
    // Compiles only because `detailType` narrows `detail`.
    const level = event.detailType === "Level Up" ? event.detail.level : undefined;
    expect(level).toBe(2);
  });

  it.each([
    ["Quest Completed", { playerId: undefined }, "detail.playerId", "is required"],
    ["Quest Completed", { playerId: "player 1" }, "detail.playerId", "must be a player id"],
    [
      "Quest Completed",
      { rewards: [{ unit: "gold", amount: 1 }, { unit: "gold", amount: 0 }, {}] },
      "detail.rewards[1].amount",
      "must be at least 1",
    ],
    ["Quest Completed", { transferIds: ["a"] }, "detail.transferIds", "one ledger transfer"],
    ["Quest Completed", { completion: 1.5 }, "detail.completion", "whole number"],
    ["Tick Batch Committed", { toTick: 10 }, "detail.toTick", "greater than fromTick"],
    ["Tick Batch Committed", { stateHash: "ABC" }, "detail.stateHash", "64 lowercase hex"],
    ["Level Up", { level: 1 }, "detail.level", "at least 2"],
    ["World Activated", { worldId: "world#1" }, "detail.worldId", "must be a world id"],
    ["Ledger Chain Broken", { kind: "oops" }, "detail.kind", "must be one of broken_link"],
    ["Quest Accepted", { eventId: "" }, "detail.eventId", "must be an event id"],
  ] as const)("refuses a bad %s (%j) naming %s", (type, change, path, reason) => {
    const detail = { ...valid[type].detail, ...change };
    const error = thrown(() => parseDomainEvent(type, detail));
    expect(error.detailType).toBe(type);
    expect(error.path).toBe(path);
    expect(error.reason).toContain(reason);
    expect(error.message).toContain(`invalid event "${type}": ${path}: `);
  });

  it("refuses a detail that is not an object, and unknown detail-types", () => {
    expect(thrown(() => parseDomainEvent("Level Up", "{}")).path).toBe("detail");
    expect(thrown(() => parseDomainEvent("Level Up", null)).path).toBe("detail");
    const unknown = thrown(() => parseDomainEvent("QuestCompleted", {}));
    expect(unknown.path).toBe("detail-type");
    expect(unknown.reason).toContain("Quest Completed");
    expect(thrown(() => parseDomainEvent("toString", {})).path).toBe("detail-type");
  });

  it("drops fields it does not know instead of refusing them (tolerant reader)", () => {
    const detail = { ...valid["Level Up"].detail, addedLater: true };
    expect(parseDomainEvent("Level Up", detail).detail).toEqual(valid["Level Up"].detail);
  });

  it("reads delivered events, checking the source against the detail-type", () => {
    for (const event of Object.values(valid)) {
      expect(parseEventBridgeEvent(delivered(toPutEventsEntry(event)))).toEqual(event);
    }
    const broken = delivered(toPutEventsEntry(valid["Ledger Chain Broken"]));
    const forged = thrown(() => parseEventBridgeEvent({ ...broken, source: "ledgerquest.game" }));
    expect(forged.path).toBe("source");
    expect(thrown(() => parseEventBridgeEvent([])).path).toBe("<event>");
    expect(thrown(() => parseEventBridgeEvent({ detail: {} })).path).toBe("detail-type");
  });

  it("has a schema per detail-type and nothing else", () => {
    expect(Object.keys(DOMAIN_EVENT_SCHEMAS).sort()).toEqual([...DETAIL_TYPE_LIST].sort());
  });
});

describe("event ids", () => {
  const completed = {
    worldId: WORLD,
    playerId: PLAYER,
    questId: "wolves",
    completion: 2,
    tick: 40,
    rewards: [],
    transferIds: [],
  };

  it("are the occurrence's kind and identifying fields", () => {
    expect(domainEventId("Quest Completed", completed)).toBe(
      `quest.completed#${WORLD}#${PLAYER}#wolves#2`,
    );
    // Not the tick: the same completion re-published later is still the same occurrence.
    expect(domainEventId("Quest Completed", { ...completed, tick: 99 })).toBe(
      domainEventId("Quest Completed", completed),
    );
    expect(domainEventId("Quest Completed", { ...completed, completion: 3 })).not.toBe(
      domainEventId("Quest Completed", completed),
    );
  });

  it("tell apart identical occurrences in one tick by their occurrence number", () => {
    const fields = { worldId: WORLD, playerId: PLAYER, questId: "wolves", tick: 40 };
    const first = createDomainEvent("Quest Accepted", fields);
    const again = createDomainEvent("Quest Accepted", fields, { occurrence: 1 });
    expect(again.detail.eventId).toBe(`${first.detail.eventId}#1`);
    expect(() => domainEventId("Quest Accepted", fields, -1)).toThrow(RangeError);
    expect(() => domainEventId("Quest Accepted", fields, 0.5)).toThrow(RangeError);
  });

  it("never collide for different occurrences, whatever characters the ids use", () => {
    const world = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,12}$/);
    const player = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
    const quest = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,8}$/);
    const occurrence = fc.record({
      worldId: world,
      playerId: player,
      questId: quest,
      completion: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(occurrence, occurrence, (a, b) => {
        const id = (o: typeof a) =>
          domainEventId("Quest Completed", { ...o, tick: 0, rewards: [], transferIds: [] });
        const same =
          a.worldId === b.worldId &&
          a.playerId === b.playerId &&
          a.questId === b.questId &&
          a.completion === b.completion;
        expect(id(a) === id(b)).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });

  it("may also come from the producer's own deterministic scheme", () => {
    const fields = { worldId: WORLD, playerId: PLAYER, questId: "wolves", tick: 40 };
    // A committed batch record lists its events; its ids are world, version and position.
    const event = parseDomainEvent("Quest Accepted", { ...fields, eventId: `${WORLD}/12/0` });
    expect(JSON.parse(toPutEventsEntry(event).Detail).eventId).toBe(`${WORLD}/12/0`);
    const spaced = { ...event.detail, eventId: "world 1 / 12" };
    expect(thrown(() => parseDomainEvent("Quest Accepted", spaced)).path).toBe("detail.eventId");
  });
});

describe("PutEvents entries", () => {
  const valid = oneOfEach();

  it("carry source, detail-type, the detail as JSON and the bus", () => {
    const event = valid["Quest Completed"];
    const entry = toPutEventsEntry(event);
    expect(entry).toEqual({
      Source: "ledgerquest.game",
      DetailType: "Quest Completed",
      Detail: JSON.stringify(event.detail),
      EventBusName: EVENT_BUS_NAME,
    });
    expect(JSON.parse(entry.Detail)).toEqual(event.detail);
    const arn = "arn:aws:events:eu-west-1:123456789012:event-bus/ledgerquest.eventbus";
    expect(toPutEventsEntry(event, arn).EventBusName).toBe(arn);
    expect(() => toPutEventsEntry(event, "")).toThrow(RangeError);
  });

  it("refuse an event whose source is not its detail-type's", () => {
    const event = valid["Ledger Chain Broken"];
    const forged = { ...event, source: "ledgerquest.game" } as unknown as DomainEvent;
    expect(thrown(() => toPutEventsEntry(forged)).path).toBe("source");
  });

  it("count bytes as EventBridge does: UTF-8, with Time and Resources, without the bus", () => {
    const entry = {
      Source: "s",
      DetailType: "é",
      Detail: '{"a":"€"}',
      EventBusName: "x".repeat(99),
    };
    expect(putEventsEntrySize(entry)).toBe(1 + 2 + 11);
    expect(putEventsEntrySize({ ...entry, Time: new Date(0), Resources: ["ab", "ü"] })).toBe(
      1 + 2 + 11 + 14 + 2 + 2,
    );
    const withAccents = createDomainEvent("Ledger Chain Broken", {
      ...valid["Ledger Chain Broken"].detail,
      reason: "hash différent",
    });
    const put = toPutEventsEntry(withAccents);
    expect(putEventsEntrySize(put)).toBe(
      Buffer.byteLength(put.Source) +
        Buffer.byteLength(put.DetailType) +
        Buffer.byteLength(put.Detail),
    );
  });

  it("stop one byte short of EventBridge's 256 KB entry limit", () => {
    // A completion with thousands of rewards: only the size limit bounds the lists.
    const build = (rewards: number, padding: number) =>
      createDomainEvent("Quest Completed", {
        worldId: WORLD,
        playerId: PLAYER,
        questId: "hoard",
        completion: 1,
        tick: 7,
        rewards: Array.from({ length: rewards }, () => ({ unit: "gold", amount: 1 })),
        transferIds: Array.from({ length: rewards }, (_, i) =>
          i === 0 ? "t".repeat(8 + padding) : `t${String(i).padStart(7, "0")}`,
        ),
      });
    const size = (event: DomainEvent) =>
      putEventsEntrySize({
        Source: event.source,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
      });
    // Each further reward adds the same bytes (a reward and a transfer id of fixed width).
    const perReward = size(build(3, 0)) - size(build(2, 0));
    let rewards = Math.floor((MAX_PUT_EVENTS_ENTRY_BYTES - size(build(2, 0))) / perReward) + 2;
    while (size(build(rewards, 0)) > MAX_PUT_EVENTS_ENTRY_BYTES - 1) rewards--;
    const padding = MAX_PUT_EVENTS_ENTRY_BYTES - 1 - size(build(rewards, 0));
    expect(padding).toBeLessThan(100);

    const largest = build(rewards, padding);
    expect(size(largest)).toBe(MAX_PUT_EVENTS_ENTRY_BYTES - 1);
    expect(() => toPutEventsEntry(largest)).not.toThrow();

    const tooLarge = build(rewards, padding + 1);
    const error = thrown(() => toPutEventsEntry(tooLarge));
    expect(error.path).toBe("<entry>");
    expect(error.reason).toContain(`is ${MAX_PUT_EVENTS_ENTRY_BYTES} bytes`);
  });
});

describe("rules", () => {
  const valid = oneOfEach();
  const deliveredAll = DETAIL_TYPE_LIST.map((type) => ({
    type,
    event: delivered(toPutEventsEntry(valid[type])),
  }));

  it("compile with the project's matcher, with names and descriptions EventBridge accepts", () => {
    for (const rule of EVENT_RULES) {
      expect(() => compilePattern(rule.eventPattern)).not.toThrow();
      expect(() => compilePattern(JSON.stringify(rule.eventPattern))).not.toThrow();
      expect(rule.name).toMatch(/^[.\-_A-Za-z0-9]{1,64}$/);
      expect(rule.description.length).toBeLessThanOrEqual(512);
    }
    expect(new Set(EVENT_RULES.map((r) => r.name)).size).toBe(EVENT_RULES.length);
  });

  it("match exactly the events they are for", () => {
    const expected: Record<string, readonly DetailType[]> = {
      [RULE_NAMES.startGameLoop]: ["World Activated"],
      [RULE_NAMES.projectLeaderboard]: ["Quest Completed", "Level Up"],
      [RULE_NAMES.notifyLedgerBroken]: ["Ledger Chain Broken"],
    };
    expect(EVENT_RULES.map((r) => r.name).sort()).toEqual(Object.keys(expected).sort());
    for (const rule of EVENT_RULES) {
      const matched = deliveredAll
        .filter(({ event }) => matchesPattern(rule.eventPattern, event))
        .map(({ type }) => type);
      expect([...matched].sort(), rule.name).toEqual([...(expected[rule.name] ?? [])].sort());
    }
  });

  it("match nothing from another source, even with the right detail-type", () => {
    for (const { event } of deliveredAll) {
      for (const source of ["ledgerquest.other", "aws.events"]) {
        const foreign = { ...event, source };
        expect(EVENT_RULES.some((r) => matchesPattern(r.eventPattern, foreign))).toBe(false);
      }
    }
    // The ops rule takes the ops source only: a game producer cannot raise the alarm.
    const broken = deliveredAll.find((d) => d.type === "Ledger Chain Broken")?.event;
    const fromGame = { ...broken, source: EVENT_SOURCES.game };
    expect(EVENT_RULES.some((r) => matchesPattern(r.eventPattern, fromGame))).toBe(false);
  });

  it("do not start a game loop for an activation without a world", () => {
    const rule = EVENT_RULES.find((r) => r.name === RULE_NAMES.startGameLoop);
    const activated = deliveredAll.find((d) => d.type === "World Activated")?.event;
    expect(rule && matchesPattern(rule.eventPattern, { ...activated, detail: {} })).toBe(false);
  });

  it("are frozen: an importer cannot change what the other stack deploys", () => {
    const rule = EVENT_RULES[0] as { name: string; eventPattern: Record<string, unknown> };
    expect(() => {
      rule.name = "changed";
    }).toThrow(TypeError);
    expect(() => {
      (rule.eventPattern.source as string[]).push("x");
    }).toThrow(TypeError);
  });
});

describe("rule targets", () => {
  const valid = oneOfEach();
  const rule = (name: string) => {
    const found = EVENT_RULES.find((r) => r.name === name);
    if (found === undefined) throw new Error(`no rule ${name}`);
    return found;
  };

  it("give World Activated to the loop supervisor, whole, naming the world", () => {
    const start = rule(RULE_NAMES.startGameLoop);
    expect(start.target).toEqual({ kind: "lambda", ref: TARGET_REFS.loopSupervisor });
    const activated = createDomainEvent("World Activated", { worldId: "world-7", version: 3 });
    const event = delivered(toPutEventsEntry(activated));
    const input = renderTargetInput(start.target.input, event);
    expect(input).toBe(event);
    expect(parseEventBridgeEvent(input).detail).toMatchObject({ worldId: "world-7", version: 3 });
  });

  it("give the Lambdas the whole event, which they can parse and deduplicate", () => {
    const projector = rule(RULE_NAMES.projectLeaderboard);
    const notifier = rule(RULE_NAMES.notifyLedgerBroken);
    expect(projector.target).toEqual({ kind: "lambda", ref: TARGET_REFS.leaderboardProjector });
    expect(notifier.target).toEqual({ kind: "lambda", ref: TARGET_REFS.opsNotifier });
    const event = delivered(toPutEventsEntry(valid["Quest Completed"]));
    const input = renderTargetInput(projector.target.input, event);
    expect(input).toBe(event);
    // Two deliveries of one occurrence: different envelope ids, one eventId.
    const again = delivered(toPutEventsEntry(valid["Quest Completed"]), "another-envelope-id");
    expect(parseEventBridgeEvent(again).detail.eventId).toBe(
      parseEventBridgeEvent(input).detail.eventId,
    );
  });

  it("render paths and transformers as EventBridge does, refusing what they cannot", () => {
    const event = delivered(toPutEventsEntry(valid["Level Up"]));
    expect(renderTargetInput({ kind: "inputPath", inputPath: "$.detail" }, event)).toEqual(
      valid["Level Up"].detail,
    );
    expect(
      renderTargetInput(
        {
          kind: "inputTransformer",
          inputPathsMap: { who: "$.detail.playerId", lvl: "$.detail.level", d: "$.detail" },
          inputTemplate: '{"player": <who>, "level": <lvl>, "all": <d>, "note": "a <b> c"}',
        },
        event,
      ),
    ).toEqual({ player: PLAYER, level: 2, all: valid["Level Up"].detail, note: "a <b> c" });

    const transformer = (inputTemplate: string, path = "$.detail.playerId") =>
      renderTargetInput(
        { kind: "inputTransformer", inputPathsMap: { who: path }, inputTemplate },
        event,
      );
    expect(() => transformer('{"p": <nobody>}')).toThrow(/not a defined variable/);
    expect(() => transformer('{"p": "<who>"}')).toThrow(/inside JSON strings/);
    expect(() => transformer('{"p": <who>}', "$.detail[0]")).toThrow(/not supported/);
    expect(thrown(() => transformer('{"p": <who>}', "$.detail.nothing")).path).toBe(
      "$.detail.nothing",
    );
  });
});
