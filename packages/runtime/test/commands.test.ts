import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { defineCommands, MAX_FRAME_BYTES } from "../src/definitions/commands.js";

const commands = defineCommands({
  move: z.strictObject({
    dx: z.number().check(z.minimum(-1), z.maximum(1)),
    dy: z.number().check(z.minimum(-1), z.maximum(1)),
  }),
  "quest.accept": z.strictObject({ quest: z.string().check(z.minLength(1), z.maxLength(64)) }),
});

const frame = (value: unknown) => JSON.stringify(value);

describe("command frames", () => {
  it("turn a valid frame into an engine command for the connection's player", () => {
    const parsed = commands.parse(
      frame({ action: "command", id: "c-1", type: "move", data: { dx: 1, dy: -0.5 } }),
      "player_0001",
    );
    expect(parsed).toEqual({
      ok: true,
      command: { id: "c-1", type: "move", actor: "player_0001", data: { dx: 1, dy: -0.5 } },
    });
  });

  it("never takes the actor from the frame", () => {
    const parsed = commands.parse(
      frame({
        action: "command",
        id: "c-2",
        type: "move",
        data: { dx: 0, dy: 0 },
        actor: "someone_else",
      }),
      "player_0001",
    );
    expect(parsed).toMatchObject({ ok: false, error: { code: "invalid_frame", id: "c-2" } });
  });

  it("answer every bad frame with a typed error naming what to fix", () => {
    const cases: [string | undefined, string, string | undefined][] = [
      [undefined, "not_json", undefined],
      ["{nope", "not_json", undefined],
      [frame({ action: "chat", id: "c-3", type: "move" }), "invalid_frame", "action"],
      [frame({ action: "command", id: "bad id!", type: "move" }), "invalid_frame", "id"],
      [frame({ action: "command", id: "c-4", type: "fly", data: {} }), "unknown_command", "type"],
      [
        frame({ action: "command", id: "c-5", type: "move", data: { dx: 5, dy: 0 } }),
        "invalid_data",
        "data.dx",
      ],
      [
        frame({ action: "command", id: "c-6", type: "move", data: { dx: 0 } }),
        "invalid_data",
        "data.dy",
      ],
      [frame({ action: "command", id: "c-7", type: "quest.accept" }), "invalid_data", "data"],
      [
        frame({ action: "command", id: "c-8", type: "move", data: { dx: 0, dy: 0, x: 1 } }),
        "invalid_data",
        "data",
      ],
    ];
    for (const [body, code, path] of cases) {
      const parsed = commands.parse(body, "player_0001");
      expect(parsed.ok, String(body)).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.error.code).toBe(code);
      expect(parsed.error.type).toBe("error");
      if (path !== undefined) expect(parsed.error.path).toBe(path);
      expect(parsed.error.message.length).toBeGreaterThan(0);
    }
    expect(commands.parse(frame({ action: "command", id: "c-4", type: "fly" }), "p")).toMatchObject(
      {
        ok: false,
        error: { message: expect.stringContaining("known: move, quest.accept") },
      },
    );
  });

  it("word zod's own messages in English (zod/mini loads no locale by itself)", () => {
    expect(
      commands.parse(
        frame({ action: "command", id: "c-10", type: "move", data: { dx: 5, dy: 0 } }),
        "p",
      ),
    ).toMatchObject({ ok: false, error: { message: "Too big: expected number to be <=1" } });
    expect(commands.parse(frame({ action: "chat", id: "c-11", type: "move" }), "p")).toMatchObject({
      ok: false,
      error: { message: 'Invalid input: expected "command"' },
    });
  });

  it("refuse oversized frames before parsing them", () => {
    const big = frame({
      action: "command",
      id: "c-9",
      type: "move",
      data: { pad: "é".repeat(MAX_FRAME_BYTES) },
    });
    expect(commands.parse(big, "p")).toMatchObject({
      ok: false,
      error: { code: "frame_too_large" },
    });
  });

  it("never throw, whatever arrives (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (body) => {
          const parsed = commands.parse(body, "player_0001");
          expect(typeof parsed.ok).toBe("boolean");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reject command types that are not command names", () => {
    expect(() => defineCommands({ "Bad Name": z.null() })).toThrow(/command name/);
  });
});
