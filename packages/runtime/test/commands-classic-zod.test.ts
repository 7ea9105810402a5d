import { describe, expect, it } from "vitest";
// Classic zod, as a game developer may use it: the runtime itself uses zod/mini. Apart from
// commands.test.ts, so that classic zod's English locale cannot hide a missing one there.
import { z } from "zod";
import { defineCommands } from "../src/definitions/commands.js";

// Its two tests are alike (a frame parsed): one accepted, one refused.
describe("command schemas built with classic zod", () => {
  const commands = defineCommands({
    move: z.strictObject({ dx: z.number().min(-1).max(1), dy: z.number().min(-1).max(1) }),
  });

  it("are accepted and parse commands", () => {
    expect(
      commands.parse(
        JSON.stringify({ action: "command", id: "c-1", type: "move", data: { dx: 1, dy: 0 } }),
        "player_0001",
      ),
    ).toEqual({
      ok: true,
      command: { id: "c-1", type: "move", actor: "player_0001", data: { dx: 1, dy: 0 } },
    });
  });

  it("report their issues like any other", () => {
    expect(
      commands.parse(
        JSON.stringify({ action: "command", id: "c-2", type: "move", data: { dx: 0, dy: 3 } }),
        "player_0001",
      ),
    ).toMatchObject({
      ok: false,
      error: {
        code: "invalid_data",
        id: "c-2",
        path: "data.dy",
        message: "Too big: expected number to be <=1",
      },
    });
  });
});
