/**
 * The one contract test suite of the `EventPublisher` port. Every adapter (memory, EventBridge)
 * registers it from its own test file, so they all promise the use cases the same behaviour:
 *
 * ```ts
 * describeEventPublisherContract("memory", async () => {
 *   const publisher = new MemoryEventPublisher();
 *   return { publisher, maxAttempts: publisher.maxAttempts, ... };
 * });
 * ```
 *
 * The harness shows the other side of the adapter: what reached the bus, in which calls, and lets
 * a test make the bus fail chosen events a number of times. `setup` runs before every test and
 * `cleanup` after it.
 *
 * On the bus, every event's detail carries its id as `eventId` (docs/reference/events.md): that is
 * how consumers deduplicate, since the bus's own envelope ids differ between publications. A
 * caller may put it in the detail itself; a detail holding another id is refused.
 */
import { describe, expect, it } from "vitest";
import { PublishError } from "../errors.js";
import type { EventPublisher, OutgoingEvent } from "../ports/event-publisher.js";
import { harnessPerTest } from "./harness.js";

export interface EventPublisherHarness {
  readonly publisher: EventPublisher;
  /** Deliveries the publisher tries per event, the first included (at least 3 for this suite). */
  readonly maxAttempts: number;
  /**
   * The events that reached the bus, in arrival order, as a consumer sees them: the caller's
   * event with the id also in the detail (`asDelivered`).
   */
  received(): readonly OutgoingEvent[];
  /**
   * The event ids of every call that reached the bus (one PutEvents request each), in order,
   * including the entries the bus failed.
   */
  calls(): readonly (readonly string[])[];
  /**
   * The bus fails each of these events, entry by entry and as a transient failure, on its next
   * `times` deliveries (`Infinity`: every time).
   */
  failEvents(eventIds: readonly string[], times: number): void;
  readonly cleanup?: () => Promise<void>;
}

/** EventBridge takes entries of less than 256 KB, which every adapter keeps. */
const ENTRY_LIMIT_BYTES = 256 * 1024;

/** An event as a consumer receives it: its id also in the detail, as `eventId`, first. */
export function asDelivered(event: OutgoingEvent): OutgoingEvent {
  return { ...event, detail: { eventId: event.eventId, ...event.detail } };
}

/** A domain event as a tick batch produces them: id `<world>/<version>/<index>`. */
export function sampleEvent(
  index: number,
  detail: { readonly [key: string]: unknown } = {},
): OutgoingEvent {
  return {
    eventId: `world-1/7/${index}`,
    source: "ledgerquest.game",
    detailType: index % 2 === 0 ? "Quest Completed" : "Level Up",
    detail: {
      worldId: "world-1",
      playerId: `player_${String(index).padStart(4, "0")}`,
      index,
      rewards: [{ unit: "gold", amount: 50 + index }],
      ...detail,
    },
    // Milliseconds on purpose: an adapter that rounds to seconds fails the equality checks.
    timeMs: 1_700_000_000_123 + index * 1001,
  };
}

export function sampleEvents(count: number): OutgoingEvent[] {
  return Array.from({ length: count }, (_, i) => sampleEvent(i));
}

const ids = (events: readonly OutgoingEvent[]): string[] => events.map((e) => e.eventId);

/** The rejection of `promise`, which must reject. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, and it resolved");
}

async function publishError(promise: Promise<unknown>): Promise<PublishError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(PublishError);
  return error as PublishError;
}

// Alike: the heads of blob-store.contract.ts, client-push.contract.ts, event-publisher.contract.ts
// and workflow-starter.contract.ts (a describe over a fresh harness per test, harness.ts's).
export function describeEventPublisherContract(
  name: string,
  setup: () => Promise<EventPublisherHarness>,
): void {
  describe(`EventPublisher contract: ${name}`, () => {
    let h: EventPublisherHarness;
    harnessPerTest(setup, (harness) => {
      h = harness;
      expect(h.maxAttempts).toBeGreaterThanOrEqual(3);
    });

    /** How many calls carried `eventId`. */
    const timesSent = (eventId: string): number =>
      h.calls().filter((call) => call.includes(eventId)).length;

    it("makes no call for no events", async () => {
      await h.publisher.publish([]);
      expect(h.calls()).toEqual([]);
      expect(h.received()).toEqual([]);
    });

    it("publishes one event exactly as given", async () => {
      const event: OutgoingEvent = {
        eventId: "world-1/1/0",
        source: "ledgerquest.game",
        detailType: "Quest Completed",
        detail: {
          playerId: "player_0001",
          questId: "first_steps",
          note: "Zoë ✓ 日本語 🎮🧙‍♂️",
          nested: { list: [1, 2.5, -3, null, true, "x"], empty: {}, none: [] },
          big: 9_007_199_254_740_991,
        },
        timeMs: 1_700_000_000_987,
      };
      await h.publisher.publish([event]);
      expect(h.received()).toEqual([asDelivered(event)]);
      expect(Object.keys(h.received()[0]?.detail ?? {})[0]).toBe("eventId");
      expect(h.calls()).toEqual([[event.eventId]]);
    });

    it.each([
      [10, [10]],
      [11, [10, 1]],
      [25, [10, 10, 5]],
    ])("publishes %i events in calls of at most 10, in order", async (count, sizes) => {
      const events = sampleEvents(count);
      await h.publisher.publish(events);
      expect(h.calls().map((call) => call.length)).toEqual(sizes);
      expect(h.calls().flat()).toEqual(ids(events));
      expect(h.received()).toEqual(events.map(asDelivered));
    });

    it("retries only the entries that failed, in order, until they are delivered", async () => {
      const events = sampleEvents(25);
      const [e3, e12, e24] = [3, 12, 24].map((i) => `world-1/7/${i}`) as [string, string, string];
      h.failEvents([e3, e24], 1);
      h.failEvents([e12], 2);
      await h.publisher.publish(events);

      const all = ids(events);
      expect(h.calls()).toEqual([
        all.slice(0, 10),
        all.slice(10, 20),
        all.slice(20, 25),
        [e3, e12, e24],
        [e12],
      ]);
      // Every event arrived once; those that never failed arrived first, in the order given.
      const received = h.received();
      expect([...ids(received)].sort()).toEqual([...all].sort());
      const failed = new Set([e3, e12, e24]);
      expect(ids(received).slice(0, 22)).toEqual(all.filter((id) => !failed.has(id)));
      expect(ids(received).slice(22)).toEqual([e3, e24, e12]);
      expect(received.find((e) => e.eventId === e12)).toEqual(
        asDelivered(events[12] as OutgoingEvent),
      );
    });

    it("gives up on an event after its attempts and names exactly the events it could not publish", async () => {
      const events = sampleEvents(25);
      const [e4, e7, e20] = [4, 7, 20].map((i) => `world-1/7/${i}`) as [string, string, string];
      h.failEvents([e4, e20], Number.POSITIVE_INFINITY);
      h.failEvents([e7], 1);

      const error = await publishError(h.publisher.publish(events));
      expect(error.failed.map((f) => f.eventId)).toEqual([e4, e20]);
      for (const f of error.failed) expect(f.reason).not.toBe("");

      // Bounded: each hopeless event was tried exactly maxAttempts times, the others as needed.
      expect(timesSent(e4)).toBe(h.maxAttempts);
      expect(timesSent(e20)).toBe(h.maxAttempts);
      expect(timesSent(e7)).toBe(2);
      expect(timesSent("world-1/7/5")).toBe(1);
      // Those published stay published, once each.
      const published = ids(events).filter((id) => id !== e4 && id !== e20);
      expect([...ids(h.received())].sort()).toEqual([...published].sort());
    });

    it("refuses an entry of 256 KB or more before sending anything of it, and publishes the rest", async () => {
      // A large event that fits, one that does not, and a small one.
      const fits = sampleEvent(0, { blob: "a".repeat(ENTRY_LIMIT_BYTES - 1024) });
      const tooBig = sampleEvent(1, { blob: "é".repeat(ENTRY_LIMIT_BYTES / 2) });
      const small = sampleEvent(2);

      const error = await publishError(h.publisher.publish([fits, tooBig, small]));
      expect(error.failed).toEqual([
        { eventId: tooBig.eventId, reason: expect.stringMatching(/bytes/) },
      ]);
      expect(h.calls().flat()).not.toContain(tooBig.eventId);
      expect(h.received()).toEqual([fits, small].map(asDelivered));
    });

    it("refuses a detail that cannot travel as a JSON object or that holds another event id", async () => {
      const circular: { [key: string]: unknown } = { a: 1 };
      circular.self = circular;
      const bad = [
        { ...sampleEvent(0), detail: { eventId: "world-1/7/999", x: 1 } },
        { ...sampleEvent(1), detail: { amount: 10n } },
        { ...sampleEvent(2), detail: circular },
        { ...sampleEvent(3), detail: [1, 2] as unknown as OutgoingEvent["detail"] },
      ];
      const good = sampleEvent(4);

      const error = await publishError(h.publisher.publish([...bad, good]));
      expect(error.failed.map((f) => f.eventId)).toEqual(ids(bad));
      for (const f of error.failed) expect(f.reason).not.toBe("");
      expect(h.calls()).toEqual([[good.eventId]]);
      expect(h.received()).toEqual([asDelivered(good)]);
    });

    it("takes a detail that already carries the event's own id, unchanged", async () => {
      // As `createDomainEvent` builds them.
      const own = sampleEvent(0);
      const event = { ...own, detail: { questId: "wolves", eventId: own.eventId } };
      await h.publisher.publish([event]);
      expect(h.received()).toEqual([asDelivered(event)]);
      expect(h.received()[0]?.detail).toEqual({ eventId: own.eventId, questId: "wolves" });
    });

    it("publishes what the caller gave at the time of the call, not later changes", async () => {
      const detail = { playerId: "player_0001", rewards: [{ unit: "gold", amount: 5 }] };
      const event = { ...sampleEvent(0), detail };
      await h.publisher.publish([event]);
      detail.rewards[0] = { unit: "gold", amount: 5000 };
      expect(h.received()[0]?.detail).toEqual({
        eventId: event.eventId,
        playerId: "player_0001",
        rewards: [{ unit: "gold", amount: 5 }],
      });
    });

    it("publishes concurrent calls completely, each in its own calls", async () => {
      const first = sampleEvents(15);
      const second = sampleEvents(30).slice(15);
      await Promise.all([h.publisher.publish(first), h.publisher.publish(second)]);
      expect([...ids(h.received())].sort()).toEqual([...ids(first), ...ids(second)].sort());
      const firstIds = new Set(ids(first));
      for (const call of h.calls()) {
        // A call carries one publish's events, never a mix.
        expect(new Set(call.map((id) => firstIds.has(id))).size).toBe(1);
      }
    });
  });
}
