import { describe, expect, it } from "vitest";
import { MemoryClientPush } from "../src/adapters/memory/client-push.js";
import { MemoryEventPublisher } from "../src/adapters/memory/event-publisher.js";
import { MemoryWorkflowStarter } from "../src/adapters/memory/workflow-starter.js";
import { PublishError } from "../src/errors.js";
import type { OutgoingEvent } from "../src/ports/event-publisher.js";
import { describeClientPushContract } from "../src/testing/client-push.contract.js";
import {
  describeEventPublisherContract,
  sampleEvents,
} from "../src/testing/event-publisher.contract.js";
import { describeWorkflowStarterContract } from "../src/testing/workflow-starter.contract.js";

describeEventPublisherContract("memory", async () => {
  const publisher = new MemoryEventPublisher();
  return {
    publisher,
    maxAttempts: publisher.maxAttempts,
    received: () => publisher.published,
    calls: () => publisher.calls.map((call) => call.map((e) => e.eventId)),
    failEvents: (ids, times) => {
      for (const id of ids) publisher.failNext(id, times);
    },
  };
});

describeClientPushContract("memory", async () => {
  const push = new MemoryClientPush();
  return { push, connections: push, received: (id) => push.receivedBytes(id) };
});

describeWorkflowStarterContract("memory", async () => {
  const starter = new MemoryWorkflowStarter();
  return {
    starter,
    executions: () => starter.executions(),
    finish: (name) => starter.finish(name),
  };
});

describe("MemoryEventPublisher", () => {
  it("hands each call's delivered events to subscribers until they unsubscribe", async () => {
    const publisher = new MemoryEventPublisher();
    const seen: (readonly OutgoingEvent[])[] = [];
    const unsubscribe = publisher.subscribe((events) => seen.push(events));
    const events = sampleEvents(12);
    publisher.failNext(events[1]?.eventId as string, 1);
    await publisher.publish(events);
    expect(seen.map((call) => call.map((e) => e.eventId))).toEqual([
      events.filter((_, i) => i < 10 && i !== 1).map((e) => e.eventId),
      events.slice(10).map((e) => e.eventId),
      [events[1]?.eventId],
    ]);
    unsubscribe();
    await publisher.publish(sampleEvents(1));
    expect(seen).toHaveLength(3);
  });

  it("says how many attempts it made in the reason of a failure", async () => {
    const publisher = new MemoryEventPublisher({ maxAttempts: 2 });
    publisher.failNext("world-1/7/0", Number.POSITIVE_INFINITY);
    const error = await publisher.publish(sampleEvents(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).failed).toEqual([
      { eventId: "world-1/7/0", reason: "InternalFailure: injected failure (after 2 attempts)" },
    ]);
    expect(publisher.calls).toHaveLength(2);
  });

  it("puts no more than 256 KB of entries in one call", async () => {
    const publisher = new MemoryEventPublisher();
    // Three events of about 100 KB each: any two fit in a call, three do not.
    const events = sampleEvents(3).map((e) => ({
      ...e,
      detail: { ...e.detail, blob: "b".repeat(100_000) },
    }));
    await publisher.publish(events);
    expect(publisher.calls.map((call) => call.length)).toEqual([2, 1]);
  });

  it("refuses options that cannot work", () => {
    expect(() => new MemoryEventPublisher({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => new MemoryEventPublisher({ maxAttempts: 1.5 })).toThrow(RangeError);
  });
});

describe("MemoryClientPush", () => {
  it("reports which connections are open, and keeps a closed one's messages readable", async () => {
    const push = new MemoryClientPush();
    push.open("c1");
    expect(push.isOpen("c1")).toBe(true);
    await push.post("c1", "hi ✓");
    push.close("c1");
    expect(push.isOpen("c1")).toBe(false);
    expect(push.received("c1")).toEqual(["hi ✓"]);
    push.open("c1");
    expect(await push.post("c1", "back")).toBe("sent");
    expect(push.received("c1")).toEqual(["hi ✓", "back"]);
  });

  it("carries a lone surrogate as U+FFFD, as UTF-8 on the wire would", async () => {
    const push = new MemoryClientPush();
    push.open("c1");
    await push.post("c1", "a\ud800b");
    expect(push.received("c1")).toEqual(["a\ufffdb"]);
  });
});

describe("MemoryWorkflowStarter", () => {
  it("reports the status of each execution", async () => {
    const starter = new MemoryWorkflowStarter();
    await starter.start("a", { worldId: "w1" });
    await starter.start("b", { worldId: "w2" });
    starter.finish("b", "FAILED");
    expect(starter.executions()).toEqual([
      { name: "a", input: { worldId: "w1" }, status: "RUNNING" },
      { name: "b", input: { worldId: "w2" }, status: "FAILED" },
    ]);
    expect(() => starter.finish("c")).toThrow(/no execution named c/);
  });

  it("stores the input as JSON: what JSON cannot carry does not arrive", async () => {
    const starter = new MemoryWorkflowStarter();
    await starter.start("a", { worldId: "w1", gone: undefined, when: new Date(0) });
    expect(starter.executions()[0]?.input).toEqual({
      worldId: "w1",
      when: "1970-01-01T00:00:00.000Z",
    });
    await expect(starter.start("b", { n: 1n })).rejects.toThrow(/not JSON/);
  });
});
