// Lambda's event filtering as the local stream poller applies it: each emulated matcher, a record
// matching any of several filters, and patterns refused rather than passed silently.
import { describe, expect, it } from "vitest";
import { compileEventFilters, EventFilterError } from "../src/event-filter.js";

const record = (pk: string, extra: Record<string, unknown> = {}) => ({
  eventName: "INSERT",
  dynamodb: { Keys: { pk: { S: pk } }, NewImage: { pk: { S: pk }, ...extra } },
});

describe("compileEventFilters", () => {
  it("matches values, prefixes, suffixes, case-insensitive values and lists of alternatives", () => {
    const test = compileEventFilters([
      {
        eventName: ["INSERT", "MODIFY"],
        dynamodb: { Keys: { pk: { S: [{ prefix: "journal#" }] } } },
      },
    ]);
    expect(test(record("journal#w#0"))).toBe(true);
    expect(test(record("inbox#w#0"))).toBe(false);
    expect(test({ ...record("journal#w#0"), eventName: "REMOVE" })).toBe(false);
    const suffix = compileEventFilters([{ dynamodb: { Keys: { pk: { S: [{ suffix: "#0" }] } } } }]);
    expect(suffix(record("journal#w#0"))).toBe(true);
    expect(suffix(record("journal#w#1"))).toBe(false);
    const ci = compileEventFilters([{ eventName: [{ "equals-ignore-case": "insert" }] }]);
    expect(ci(record("a"))).toBe(true);
  });

  it("tells present from absent (exists) and excludes values (anything-but)", () => {
    const withType = compileEventFilters([
      { dynamodb: { NewImage: { type: [{ exists: true }] } } },
    ]);
    expect(withType(record("a", { type: { S: "commands" } }))).toBe(true);
    expect(withType(record("a"))).toBe(false);
    const without = compileEventFilters([
      { dynamodb: { NewImage: { type: [{ exists: false }] } } },
    ]);
    expect(without(record("a"))).toBe(true);
    expect(without(record("a", { type: { S: "x" } }))).toBe(false);
    const notInbox = compileEventFilters([
      { dynamodb: { NewImage: { type: { S: [{ "anything-but": ["commands", "commandId"] }] } } } },
    ]);
    expect(notInbox(record("a", { type: { S: "entry" } }))).toBe(true);
    expect(notInbox(record("a", { type: { S: "commands" } }))).toBe(false);
    // A missing field is not "anything but" a value: it is not there at all.
    expect(notInbox(record("a"))).toBe(false);
  });

  it("passes a record that matches any filter, from objects or JSON text", () => {
    const test = compileEventFilters([
      { dynamodb: { Keys: { pk: { S: ["a"] } } } },
      JSON.stringify({ dynamodb: { Keys: { pk: { S: ["b"] } } } }),
    ]);
    expect(["a", "b", "c"].map((pk) => test(record(pk)))).toEqual([true, true, false]);
    expect(test("not a record")).toBe(false);
  });

  it("refuses what it does not emulate or cannot read, saying where", () => {
    const bad: [unknown, RegExp][] = [
      [{ a: [{ numeric: [">", 0] }] }, /filter 0\.a\[0\]: the "numeric" matcher is not emulated/],
      [{ $or: [{ a: ["x"] }] }, /"\$or" is not emulated/],
      [{ a: [] }, /may not be empty/],
      [{ a: [{ prefix: 1 }] }, /"prefix" takes a string/],
      [{ a: [{ "anything-but": { prefix: "x" } }] }, /over values only/],
      [{}, /expected an object with keys/],
      ["{not json", /filter 0 is not JSON/],
    ];
    for (const [pattern, message] of bad) {
      expect(() => compileEventFilters([pattern as never])).toThrow(EventFilterError);
      expect(() => compileEventFilters([pattern as never])).toThrow(message);
    }
  });
});
