// The local EventBridge through the real `@aws-sdk/client-eventbridge` over real HTTP, with the
// entries the runtime's `toPutEventsEntry` makes (what the project's publisher sends), routing by
// the one-source rules (EVENT_RULES) to recording targets. The project's own publisher, supervisor
// and game loop against this bus are tested with the adapters (packages/aws/test/emulators.test.ts).
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  InvalidEventPatternException,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import {
  createDomainEvent,
  DETAIL_TYPES,
  type DomainEvent,
  EVENT_BUS_NAME,
  EVENT_RULES,
  parseEventBridgeEvent,
  RULE_NAMES,
  toPutEventsEntry,
} from "@ledgerquest/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { LocalEventBridgeError } from "../src/errors.js";
import {
  type DeliveryRecord,
  type EventBridgeEvent,
  type EventTargetRef,
  type LocalEventBridgeOptions,
  startLocalEventBridge,
  type TargetDelivery,
} from "../src/eventbridge.js";

const region = "us-east-1";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

const opened: { close(): Promise<void> | void }[] = [];

afterEach(async () => {
  const all = opened.splice(0);
  await Promise.all(all.reverse().map((o) => o.close()));
});

interface Received {
  readonly target: EventTargetRef;
  readonly input: unknown;
  readonly delivery: TargetDelivery;
}

/** The bus with the game's rules and a recording handler per target. */
async function startBus(
  options: Partial<LocalEventBridgeOptions> & {
    readonly failing?: { readonly [R in EventTargetRef]?: (attempt: number) => boolean };
  } = {},
) {
  const received: Received[] = [];
  const failures: DeliveryRecord[] = [];
  const record =
    (target: EventTargetRef) =>
    (input: unknown, delivery: TargetDelivery): void => {
      received.push({ target, input, delivery });
      if (options.failing?.[target]?.(delivery.attempt)) {
        throw new Error(`${target} is down (attempt ${delivery.attempt})`);
      }
    };
  const bus = await startLocalEventBridge({
    rules: EVENT_RULES,
    targets: {
      LoopSupervisor: record("LoopSupervisor"),
      LeaderboardProjector: record("LeaderboardProjector"),
      OpsNotifier: record("OpsNotifier"),
    },
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    onDeliveryError: (delivery) => failures.push(delivery),
    ...options,
  });
  opened.push(bus);
  const client = new EventBridgeClient({ region, credentials, endpoint: bus.url });
  opened.push({ close: () => client.destroy() });
  const publisher = {
    /** One PutEvents of the events' entries, as the project's publisher makes them; all taken. */
    async publish(events: readonly DomainEvent[], timeMs = 1_700_000_000_000): Promise<void> {
      const out = await client.send(
        new PutEventsCommand({
          Entries: events.map((e) => ({ ...toPutEventsEntry(e), Time: new Date(timeMs) })),
        }),
      );
      expect(out.FailedEntryCount).toBe(0);
    },
  };
  return { bus, client, publisher, received, failures };
}

const worldActivated = createDomainEvent(DETAIL_TYPES.worldActivated, {
  worldId: "world-1",
  version: 3,
});
const questCompleted = createDomainEvent(DETAIL_TYPES.questCompleted, {
  worldId: "world-1",
  playerId: "player_0001",
  questId: "first_steps",
  completion: 1,
  tick: 1200,
  rewards: [{ unit: "gold", amount: 50 }],
  transferIds: ["quest.reward.1"],
});
const levelUp = createDomainEvent(DETAIL_TYPES.levelUp, {
  worldId: "world-1",
  playerId: "player_0001",
  level: 2,
  xp: 120,
  tick: 1200,
});
const ledgerBroken = createDomainEvent(DETAIL_TYPES.ledgerChainBroken, {
  worldId: "world-1",
  seq: 17,
  kind: "hash_mismatch",
  reason: "entry 17's hash does not match its contents",
});
const batchCommitted = createDomainEvent(DETAIL_TYPES.tickBatchCommitted, {
  worldId: "world-1",
  version: 4,
  fromTick: 1200,
  toTick: 1800,
  stateHash: "a".repeat(64),
  ledgerHead: "b".repeat(64),
  ledgerCount: 17,
  commandsApplied: 3,
});

describe("routing by the one-source rules", () => {
  it("delivers each event to exactly the targets whose rules match, with the input each rule renders", async () => {
    const { bus, publisher, received, failures } = await startBus();
    await publisher.publish([
      worldActivated,
      questCompleted,
      levelUp,
      ledgerBroken,
      batchCommitted,
    ]);
    await bus.waitForIdle();

    const byTarget = (target: EventTargetRef) => received.filter((r) => r.target === target);
    // The loop supervisor gets the whole World Activated event, which it parses back.
    expect(byTarget("LoopSupervisor").map((r) => parseEventBridgeEvent(r.input))).toEqual([
      worldActivated,
    ]);
    expect(byTarget("LoopSupervisor")[0]?.delivery.ruleName).toBe(RULE_NAMES.startGameLoop);

    // The projector gets whole events, which the consumers' own parser reads back.
    const projected = byTarget("LeaderboardProjector").map((r) => parseEventBridgeEvent(r.input));
    expect(projected).toEqual([questCompleted, levelUp]);
    const ops = byTarget("OpsNotifier").map((r) => parseEventBridgeEvent(r.input));
    expect(ops).toEqual([ledgerBroken]);

    // A committed batch matches no rule: accepted, delivered nowhere.
    expect(received).toHaveLength(4);
    expect(bus.events().map((e) => e["detail-type"])).toContain(DETAIL_TYPES.tickBatchCommitted);
    expect(bus.deliveries().every((d) => d.status === "delivered" && d.attempts === 1)).toBe(true);
    expect(failures).toEqual([]);
  });

  it("builds the envelope EventBridge delivers: version, id, detail-type, source, account, time, region, resources, detail", async () => {
    const { bus, client, received } = await startBus();
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: bus.eventBusArn,
            Source: questCompleted.source,
            DetailType: questCompleted.detailType,
            Detail: JSON.stringify(questCompleted.detail),
            Time: new Date("2026-11-24T10:11:12.345Z"),
            Resources: ["arn:aws:dynamodb:us-east-1:000000000000:table/EntityTable"],
          },
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    await bus.waitForIdle();
    const event = received[0]?.input as EventBridgeEvent;
    expect(event).toEqual({
      version: "0",
      id: answer.Entries?.[0]?.EventId,
      "detail-type": "Quest Completed",
      source: "ledgerquest.game",
      account: "000000000000",
      time: "2026-11-24T10:11:12Z",
      region: "us-east-1",
      resources: ["arn:aws:dynamodb:us-east-1:000000000000:table/EntityTable"],
      detail: questCompleted.detail,
    });
    expect(received[0]?.delivery.event).toEqual(event);
    expect(bus.events()).toEqual([event]);
  });

  it("routes nothing from another bus, a disabled rule, or an event the patterns refuse", async () => {
    const { bus, client, received } = await startBus();
    const entry = {
      Source: worldActivated.source,
      DetailType: worldActivated.detailType,
      Detail: JSON.stringify(worldActivated.detail),
    };
    await client.send(new PutEventsCommand({ Entries: [{ ...entry, EventBusName: "default" }] }));
    await client.send(
      new PutEventsCommand({
        Entries: [
          // The right detail-type from the ops source; a detail without the world id.
          { ...entry, EventBusName: EVENT_BUS_NAME, Source: "ledgerquest.ops" },
          { ...entry, EventBusName: EVENT_BUS_NAME, Detail: JSON.stringify({ version: 3 }) },
        ],
      }),
    );
    await client.send(
      new DisableRuleCommand({ Name: RULE_NAMES.startGameLoop, EventBusName: EVENT_BUS_NAME }),
    );
    await client.send(
      new PutEventsCommand({ Entries: [{ ...entry, EventBusName: EVENT_BUS_NAME }] }),
    );
    await bus.waitForIdle();
    expect(received).toEqual([]);
    expect(bus.events()).toHaveLength(4);

    await client.send(
      new EnableRuleCommand({ Name: RULE_NAMES.startGameLoop, EventBusName: EVENT_BUS_NAME }),
    );
    await client.send(
      new PutEventsCommand({ Entries: [{ ...entry, EventBusName: EVENT_BUS_NAME }] }),
    );
    await bus.waitForIdle();
    expect(received.map((r) => r.target)).toEqual(["LoopSupervisor"]);
  });

  it("answers PutEvents before any target runs", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    const { bus, publisher } = await startBus({
      targets: {
        LoopSupervisor: async () => {
          await gate;
          finished = true;
        },
        LeaderboardProjector: () => {},
        OpsNotifier: () => {},
      },
    });
    await publisher.publish([worldActivated]);
    expect(finished).toBe(false);
    expect(bus.deliveries().map((d) => d.status)).toEqual(["pending"]);
    release();
    await bus.waitForIdle();
    expect(finished).toBe(true);
    expect(bus.deliveries().map((d) => d.status)).toEqual(["delivered"]);
  });
});

describe("failing targets", () => {
  it("retries a failing target with backoff until it takes the event", async () => {
    const { bus, publisher, received, failures } = await startBus({
      failing: { LeaderboardProjector: (attempt) => attempt < 3 },
    });
    await publisher.publish([questCompleted]);
    await bus.waitForIdle();
    expect(received.map((r) => r.delivery.attempt)).toEqual([1, 2, 3]);
    // Every attempt got the same event.
    expect(new Set(received.map((r) => (r.input as EventBridgeEvent).id)).size).toBe(1);
    const [delivery] = bus.deliveries();
    expect(delivery).toMatchObject({
      status: "delivered",
      attempts: 3,
      targetRef: "LeaderboardProjector",
    });
    expect(failures).toEqual([]);
  });

  it("gives up after maxAttempts and reports the delivery to onDeliveryError, other targets unaffected", async () => {
    const { bus, publisher, received, failures } = await startBus({
      failing: { OpsNotifier: () => true },
    });
    await publisher.publish([ledgerBroken, levelUp]);
    await bus.waitForIdle();
    expect(received.filter((r) => r.target === "OpsNotifier")).toHaveLength(3);
    expect(received.filter((r) => r.target === "LeaderboardProjector")).toHaveLength(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      status: "failed",
      attempts: 3,
      targetRef: "OpsNotifier",
      ruleName: RULE_NAMES.notifyLedgerBroken,
    });
    expect(String(failures[0]?.error)).toContain("OpsNotifier is down (attempt 3)");
  });

  it("gives up the retries not yet due when closed, and reports them", async () => {
    const { bus, publisher, failures } = await startBus({
      failing: { OpsNotifier: () => true },
      retry: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    await publisher.publish([ledgerBroken]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await bus.close();
    expect(failures).toHaveLength(1);
    expect(failures[0]?.attempts).toBe(1);
    expect(String(failures[0]?.error)).toContain("closed before attempt 2");
  });
});

describe("PutEvents validation", () => {
  it("answers invalid entries one by one, in order, and accepts the valid ones", async () => {
    const { bus, client, received } = await startBus();
    const good = {
      EventBusName: EVENT_BUS_NAME,
      Source: levelUp.source,
      DetailType: levelUp.detailType,
      Detail: JSON.stringify(levelUp.detail),
    };
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { ...good, Source: undefined },
          { ...good, DetailType: "" },
          { ...good, Detail: undefined },
          { ...good, Detail: "[1, 2]" },
          { ...good, Detail: "{not json" },
          { ...good, Detail: JSON.stringify({ pad: "x".repeat(256 * 1024) }) },
          { ...good, EventBusName: "no-such-bus" },
          good,
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(7);
    expect(answer.Entries?.map((e) => e.ErrorCode ?? "ok")).toEqual([
      "InvalidArgument",
      "InvalidArgument",
      "InvalidArgument",
      "MalformedDetail",
      "MalformedDetail",
      "InvalidArgument",
      "ResourceNotFoundException",
      "ok",
    ]);
    expect(answer.Entries?.[0]?.ErrorMessage).toMatch(/Source/);
    expect(answer.Entries?.[7]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    await bus.waitForIdle();
    expect(bus.events()).toHaveLength(1);
    expect(received).toHaveLength(1);
  });

  it("refuses a request of no entries or more than 10 as a whole", async () => {
    const { bus, client } = await startBus();
    const entry = {
      EventBusName: EVENT_BUS_NAME,
      Source: levelUp.source,
      DetailType: levelUp.detailType,
      Detail: JSON.stringify(levelUp.detail),
    };
    const error = await client
      .send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) }))
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.name).toBe("ValidationException");
    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toThrow(
      /between 1 and 10/,
    );
    expect(bus.events()).toEqual([]);
  });

  it("refuses an unsigned request, as AWS does", async () => {
    const { bus } = await startBus();
    const response = await fetch(bus.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSEvents.PutEvents",
      },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe(
      "MissingAuthenticationTokenException",
    );
  });
});

describe("rules over the API", () => {
  it("lists and describes the one-source rules", async () => {
    const { bus, client } = await startBus();
    const listed = await client.send(new ListRulesCommand({ EventBusName: EVENT_BUS_NAME }));
    expect(listed.Rules?.map((r) => r.Name)).toEqual(EVENT_RULES.map((r) => r.name).sort());
    const described = await client.send(
      new DescribeRuleCommand({ Name: RULE_NAMES.startGameLoop, EventBusName: EVENT_BUS_NAME }),
    );
    expect(described.Arn).toBe(
      `arn:aws:events:us-east-1:000000000000:rule/${EVENT_BUS_NAME}/${RULE_NAMES.startGameLoop}`,
    );
    expect(described.State).toBe("ENABLED");
    expect(JSON.parse(described.EventPattern ?? "")).toEqual(EVENT_RULES[0]?.eventPattern);
    await expect(
      client.send(new DescribeRuleCommand({ Name: "nope", EventBusName: EVENT_BUS_NAME })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(bus.eventBusArn).toBe(
      `arn:aws:events:us-east-1:000000000000:event-bus/${EVENT_BUS_NAME}`,
    );
  });

  it("validates patterns as PutRule does, and tests them as TestEventPattern does", async () => {
    const { client } = await startBus();
    await expect(
      client.send(
        new PutRuleCommand({ Name: "bad", EventPattern: JSON.stringify({ source: "not-a-list" }) }),
      ),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
    const put = await client.send(
      new PutRuleCommand({
        Name: "levels",
        EventBusName: EVENT_BUS_NAME,
        EventPattern: JSON.stringify({ "detail-type": ["Level Up"] }),
      }),
    );
    expect(put.RuleArn).toMatch(/:rule\/ledgerquest\.eventbus\/levels$/);

    const event = {
      id: "1",
      account: "000000000000",
      source: "ledgerquest.game",
      time: "2026-11-24T10:11:12Z",
      region: "us-east-1",
      resources: [],
      "detail-type": "Level Up",
      detail: { level: 3 },
    };
    const test = (pattern: unknown) =>
      client.send(
        new TestEventPatternCommand({
          EventPattern: JSON.stringify(pattern),
          Event: JSON.stringify(event),
        }),
      );
    expect((await test({ detail: { level: [{ numeric: [">", 2] }] } })).Result).toBe(true);
    expect((await test({ detail: { level: [{ numeric: [">", 3] }] } })).Result).toBe(false);
  });
});

describe("start-up checks", () => {
  it("refuses a rule whose target has no handler, and a handler no rule targets", async () => {
    await expect(
      startLocalEventBridge({
        rules: EVENT_RULES,
        targets: { LoopSupervisor: () => {}, LeaderboardProjector: () => {} },
      }),
    ).rejects.toThrow(/targets\.OpsNotifier is missing/);
    await expect(
      startLocalEventBridge({
        rules: EVENT_RULES.filter((r) => r.target.ref !== "OpsNotifier"),
        targets: {
          LoopSupervisor: () => {},
          LeaderboardProjector: () => {},
          OpsNotifier: () => {},
        },
      }),
    ).rejects.toBeInstanceOf(LocalEventBridgeError);
  });

  it("refuses a rule whose pattern EventBridge would refuse", async () => {
    const [rule] = EVENT_RULES;
    if (rule === undefined) throw new Error("no rules");
    await expect(
      startLocalEventBridge({
        rules: [{ ...rule, eventPattern: { source: [] } }],
        targets: { LoopSupervisor: () => {} },
      }),
    ).rejects.toThrow(/pattern EventBridge would refuse/);
  });
});
