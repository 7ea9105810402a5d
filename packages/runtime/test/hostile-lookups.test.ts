import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { defineCommands } from "../src/definitions/commands.js";
import {
  DETAIL_TYPES,
  isDetailType,
  parseDomainEvent,
  parseEventBridgeEvent,
} from "../src/definitions/events.js";
import { parseQuery, QUERY_TYPES } from "../src/definitions/queries.js";
import { InvalidEventError } from "../src/errors.js";

/**
 * Names every plain object answers through its prototype: a lookup that does not ask for an own
 * property finds a function (or Object.prototype itself) under each of them.
 */
const PROTOTYPE_NAMES = [
  "constructor",
  "__proto__",
  "toString",
  "toLocaleString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
] as const;

const commands = defineCommands({
  move: z.strictObject({ dx: z.number(), dy: z.number() }),
  "quest.accept": z.strictObject({ quest: z.string() }),
});

const frame = (value: unknown) => JSON.stringify(value);

describe("a command type that names a prototype property", () => {
  it.each(PROTOTYPE_NAMES)(
    "%s is an unknown command or an invalid frame, never a throw",
    (type) => {
      const parsed = commands.parse(frame({ action: "command", id: "c-1", type }), "player_0001");
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      // Names the lowercase-name rule admits reach the lookup, and must miss it.
      const expected = /^[a-z][a-z0-9_.]{0,31}$/.test(type) ? "unknown_command" : "invalid_frame";
      expect(parsed.error).toMatchObject({
        type: "error",
        code: expected,
        id: "c-1",
        path: "type",
      });
    },
  );

  it("constructor, with data, is still an unknown command", () => {
    expect(
      commands.parse(
        frame({ action: "command", id: "c-2", type: "constructor", data: { x: 1 } }),
        "player_0001",
      ),
    ).toMatchObject({ ok: false, error: { code: "unknown_command", id: "c-2", path: "type" } });
  });

  it("every string as a command type gets a typed answer, and only declared types are accepted", () => {
    const declared = new Set(commands.types);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom(...PROTOTYPE_NAMES, ...commands.types)),
        fc.option(fc.jsonValue(), { nil: undefined }),
        (type, data) => {
          const parsed = commands.parse(
            frame({ action: "command", id: "c-3", type, ...(data === undefined ? {} : { data }) }),
            "player_0001",
          );
          if (parsed.ok) {
            expect(declared.has(parsed.command.type)).toBe(true);
          } else {
            expect(["invalid_frame", "unknown_command", "invalid_data"]).toContain(
              parsed.error.code,
            );
            if (!declared.has(type)) expect(parsed.error.code).not.toBe("invalid_data");
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("a query type that names a prototype property", () => {
  it.each(PROTOTYPE_NAMES)("%s is an unknown query", (type) => {
    expect(parseQuery(frame({ action: "query", id: "q-1", type }))).toMatchObject({
      ok: false,
      error: { type: "error", code: "unknown_query", id: "q-1", path: "type" },
    });
  });

  it("every string as a query type gets a typed answer", () => {
    const known = new Set<string>(QUERY_TYPES);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 32 }), fc.constantFrom(...PROTOTYPE_NAMES, ...QUERY_TYPES)),
        (type) => {
          const parsed = parseQuery(frame({ action: "query", id: "q-2", type }));
          if (parsed.ok) expect(known.has(parsed.query.type)).toBe(true);
          else if (!known.has(type)) expect(parsed.error.code).toBe("unknown_query");
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("an event whose detail-type or source names a prototype property", () => {
  /** The error `run` throws, which must be an `InvalidEventError`. */
  function invalidEvent(run: () => unknown): InvalidEventError {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      return error as InvalidEventError;
    }
    throw new Error("the event was accepted");
  }

  it.each(PROTOTYPE_NAMES)("%s is an unknown detail-type", (name) => {
    expect(isDetailType(name)).toBe(false);
    expect(invalidEvent(() => parseDomainEvent(name, {})).path).toBe("detail-type");
    expect(
      invalidEvent(() => parseEventBridgeEvent({ source: name, "detail-type": name, detail: {} }))
        .path,
    ).toBe("detail-type");
  });

  it.each(PROTOTYPE_NAMES)("%s is not the source of a known detail-type", (name) => {
    const error = invalidEvent(() =>
      parseEventBridgeEvent({
        source: name,
        "detail-type": DETAIL_TYPES.worldActivated,
        detail: {},
      }),
    );
    expect(error.path).toBe("source");
  });
});
