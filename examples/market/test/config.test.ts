// The project configuration the CLI loads: its world is created with its own settings.
import { createTestWorld } from "@ledgerquest/testing";
import { describe, expect, it } from "vitest";
import config from "../ledgerquest.config.js";
import { marketGame } from "../src/index.js";

describe("ledgerquest.config.ts", () => {
  it("runs the market, and its world's settings pass the game's schema", async () => {
    expect(config.game).toBe(marketGame);
    const spec = config.worlds?.[0];
    expect(spec?.id).toBe("market");
    const world = await createTestWorld(config.game, {
      worldId: spec?.id ?? "market",
      players: spec?.players ?? [],
      ...(spec?.settings === undefined ? {} : { settings: spec.settings }),
    });
    expect(world.entities().filter((e) => e.kind === "player")).toHaveLength(4);
    expect(world.balance("player_0001", "gold")).toBe(50);
    expect((await world.verify()).ok).toBe(true);
  });

  it("refuses settings out of range when the world is created", async () => {
    await expect(createTestWorld(marketGame, { settings: { offerTicks: 0 } })).rejects.toThrow(
      /offerTicks/,
    );
    await expect(createTestWorld(marketGame, { settings: { speed: 2 } })).rejects.toThrow();
  });
});
