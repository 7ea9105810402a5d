// defineGame and defineConfig: what a game team writes, checked when it is defined rather than
// when a world runs it.
import { defineComponent, defineEconomy, Economy, type Simulation } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import {
  type CommandsOf,
  DEFAULT_WORLD_ID,
  defineConfig,
  defineGame,
  GameDefinitionError,
  worldsOf,
} from "../src/index.js";

const Spot = defineComponent("Spot", { x: "i32", y: "i32" });
const ECONOMY = defineEconomy({ units: [{ id: "gold" }] });

const COMMANDS = {
  step: z.strictObject({ dx: z.int().check(z.minimum(-1), z.maximum(1)), who: z.string() }),
  say: z.strictObject({ text: z.string().check(z.maxLength(40)) }),
};
const SETTINGS = z.optional(z.strictObject({ walkers: z.int().check(z.minimum(0), z.maximum(4)) }));

/** A game of its own (packages never import the examples). */
function makeGame(name = "walk@1", seen: unknown[] = []) {
  return defineGame({
    name,
    commands: COMMANDS,
    settings: SETTINGS,
    rules: (ledger, worldId) => ({
      definition: { name, components: [Spot], systems: [] },
      economy: new Economy(ECONOMY, ledger, { scope: worldId }),
    }),
    populate: (_sim: Simulation, _rules, options) => {
      seen.push(options.settings);
    },
    authorize: (player, command) => command.type !== "step" || command.data.who === player,
    view: () => [],
    description: {
      bounds: { minX: 0, minY: 0, maxX: 10, maxY: 10 },
      tickMs: 100,
      kinds: {},
      quests: [],
    },
  });
}

describe("defineGame", () => {
  it("keeps its commands' types, names them sorted, and describes their data as JSON Schema", () => {
    const game = makeGame();
    type Commands = CommandsOf<typeof game>;
    const step: Commands["step"] = { dx: 1, who: "alice" };
    expect(step.dx).toBe(1);
    expect(game.commands.types).toEqual(["say", "step"]);
    const described = game.describe?.();
    expect(described).toMatchObject({ rules: "walk@1", commands: ["say", "step"] });
    expect(described?.commandData?.step).toMatchObject({
      type: "object",
      properties: { dx: { type: "integer", minimum: -1, maximum: 1 }, who: { type: "string" } },
      required: ["dx", "who"],
      additionalProperties: false,
    });
  });

  it("authorizes with the typed command the game wrote the rule for", () => {
    const game = makeGame();
    expect(game.authorize("alice", "step", { dx: 1, who: "alice" })).toBe(true);
    expect(game.authorize("alice", "step", { dx: 1, who: "bob" })).toBe(false);
    expect(game.authorize("alice", "say", { text: "hi" })).toBe(true);
  });

  it("checks a world's settings against the game's schema before populate sees them", () => {
    const seen: unknown[] = [];
    const game = makeGame("walk@1", seen);
    const rules = game.rules(undefined as never, "w");
    game.populate(undefined as never, rules, { players: [], settings: { walkers: 2 } });
    expect(seen).toEqual([{ walkers: 2 }]);
    expect(() =>
      game.populate(undefined as never, rules, { players: [], settings: { walkers: 9 } }),
    ).toThrow(GameDefinitionError);
    expect(() =>
      game.populate(undefined as never, rules, { players: [], settings: { walkers: 9 } }),
    ).toThrow(/world settings\.walkers/);
    expect(seen).toHaveLength(1);
  });

  it("refuses a bad name or a bad command type when it is defined, naming them", () => {
    expect(() => makeGame("Walk")).toThrow(/name "Walk" must be `name@version`/);
    expect(() =>
      defineGame({
        name: "bad@1",
        commands: { Jump: z.object({}) } as never,
        rules: () => ({}) as never,
        populate: () => undefined,
        view: () => [],
      }),
    ).toThrow(/command type "Jump"/);
  });
});

describe("defineConfig", () => {
  it("takes a game and worlds, with one demo world when none is named", () => {
    const game = makeGame();
    expect(worldsOf(defineConfig({ game }))).toEqual([{ id: DEFAULT_WORLD_ID }]);
    const config = defineConfig({ game, worlds: [{ id: "w1", players: ["alice"] }] });
    expect(worldsOf(config)).toEqual([{ id: "w1", players: ["alice"] }]);
  });

  it("names every mistake: no game, a bad world id or player, a world twice, a bot that is not a function", () => {
    let error: unknown;
    try {
      defineConfig({
        game: {} as never,
        worlds: [{ id: "no spaces" }, { id: "w", players: ["a b"] }, { id: "w" }],
        bot: "chase" as never,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GameDefinitionError);
    const message = (error as Error).message;
    expect(message).toMatch(/game: must be a game made with defineGame/);
    expect(message).toMatch(/worlds\[0\]\.id/);
    expect(message).toMatch(/worlds\[1\]\.players/);
    expect(message).toMatch(/worlds\[2\]\.id: w is named twice/);
    expect(message).toMatch(/bot: must be a function/);
  });
});
