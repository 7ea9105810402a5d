// The page's pure parts: token reading, the quest book, the ledger feed's filter, the viewport,
// the looks of any game's kinds, the HUD's balances and the command panel's data.
import type { GameDescription } from "@ledgerquest/client";
import { exampleOf } from "@ledgerquest/client";
import { describe, expect, it } from "vitest";
import { gameSummary, parseCommandData } from "../src/game-panel.js";
import { shownBalances, unitName } from "../src/hud.js";
import { decodeJwtPayload, tokenExpired, tokenIdentity } from "../src/jwt.js";
import { feedTransfers } from "../src/ledger-feed.js";
import {
  drawOrder,
  entityLook,
  gridStep,
  isArea,
  kindColor,
  legendOf,
  ME_COLOR,
  UNDESCRIBED,
  withAlpha,
} from "../src/look.js";
import { questBook, questTarget } from "../src/quests.js";
import { canSteer } from "../src/steering.js";
import { fitViewport } from "../src/world-view.js";

function jwt(claims: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "RS256" })}.${b64(claims)}.signature`;
}

/** A game the page has never heard of: its kinds, quests and commands are all it knows. */
const GAME: GameDescription = {
  rules: "orchard@3",
  bounds: { minX: 0, minY: 0, maxX: 40, maxY: 30 },
  tickMs: 50,
  kinds: {
    beehive: { shape: "box", hw: 0.5, hh: 0.5, label: "a beehive: honey" },
    meadow: { shape: "box", hw: 4, hh: 3, label: "a meadow" },
    bee: { shape: "circle", hw: 0.2, hh: 0.2, label: "" },
  },
  quests: [],
  commands: ["tend", "harvest", "quest.claim"],
};

describe("tokens", () => {
  it("reads the claims without verifying, and tells an expired token", () => {
    const token = jwt({ sub: "player_0007", exp: 2_000_000_000, "cognito:groups": ["operators"] });
    expect(decodeJwtPayload(token)).toMatchObject({ sub: "player_0007" });
    expect(tokenIdentity(token)).toEqual({ player: "player_0007", operator: true });
    expect(tokenExpired(token, 1_000_000_000_000)).toBe(false);
    expect(tokenExpired(token, 2_000_000_010_000)).toBe(true);
    expect(tokenIdentity(jwt({ sub: "p" }))).toEqual({ player: "p", operator: false });
    expect(decodeJwtPayload("not a token")).toBeUndefined();
    expect(tokenExpired("not a token", 0)).toBe(false);
  });
});

describe("the quest book and the ledger feed", () => {
  it("reads a quest book defensively", () => {
    const book = questBook([
      {
        id: "bounty",
        title: "Earn 15 gold",
        description: "Pick them up.",
        objectives: [{ kind: "collect", unit: "gold", count: 15 }],
        rewards: [{ unit: "gold", amount: 20 }],
        claim: "manual",
        prerequisites: { quests: ["first_coins"] },
      },
      { id: "visit", objectives: [{ kind: "enter", zone: "shrine" }], rewards: [] },
      null,
      [1, 2],
      { title: "no id" },
    ]);
    expect(book.map((q) => q.id)).toEqual(["bounty", "visit"]);
    expect(book[0]).toMatchObject({
      claim: "manual",
      description: "Pick them up.",
      prerequisites: { quests: ["first_coins"] },
    });
    expect(book.map(questTarget)).toEqual([15, 1]);
  });

  it("keeps the newest transfers, optionally only a player's", () => {
    const t = (seq: number, credit: string) => ({
      kind: "transfer" as const,
      seq,
      prev: "",
      hash: "",
      id: `t${seq}`,
      debit: "mint:gold",
      credit,
      amount: 1,
      unit: "gold",
      reason: "pickup",
      tick: seq,
      meta: {},
      linked: false,
    });
    const entries = [t(3, "p1:gold"), t(2, "p2:gold"), t(1, "p1:gold")];
    expect(feedTransfers(entries, undefined).map((e) => e.seq)).toEqual([3, 2, 1]);
    expect(feedTransfers(entries, "p1").map((e) => e.seq)).toEqual([3, 1]);
  });
});

describe("the world view for any game", () => {
  it("fits the world into the canvas, centred", () => {
    const v = fitViewport({ minX: 0, minY: 0, maxX: 200, maxY: 120 }, 416, 136, 8);
    expect(v.scale).toBe(1); // the height limits: 120 units in 120 px
    expect(v.offsetX).toBe(108);
    expect(v.offsetY).toBe(8);
  });

  it("gives every kind a stable colour of its own, never the player's green", () => {
    const kinds = ["player", "bot", "coin", "tree", "rock", "vein", "shop", "bee", "meadow"];
    const colours = kinds.map(kindColor);
    expect(new Set(colours).size).toBe(kinds.length);
    expect(kinds.map(kindColor)).toEqual(colours);
    for (const c of colours) {
      const hue = Number(/^hsl\((\d+) /.exec(c)?.[1]);
      expect(hue < 120 || hue >= 180).toBe(true);
      expect(c).not.toBe(ME_COLOR);
    }
    expect(withAlpha("hsl(10 70% 58%)", 0.2)).toBe("hsl(10 70% 58% / 0.2)");
    expect(withAlpha("#ff0000", 0.5)).toBe("rgba(255,0,0,0.5)");
  });

  it("draws big kinds first, as areas, and labels the legend as the game does", () => {
    expect(drawOrder(GAME, ["bee", "beehive", "meadow", "unknown"])).toEqual([
      "meadow",
      "beehive",
      "unknown",
      "bee",
    ]);
    expect(isArea(GAME.kinds.meadow ?? UNDESCRIBED)).toBe(true);
    expect(isArea(GAME.kinds.beehive ?? UNDESCRIBED)).toBe(false);
    expect(legendOf(GAME).map((l) => [l.kind, l.label, l.shape])).toEqual([
      ["beehive", "a beehive: honey", "box"],
      ["meadow", "a meadow", "box"],
      ["bee", "bee", "circle"],
    ]);
    expect(legendOf(undefined)).toEqual([]);
    // An entity with a shape of its own (a wall unlike the others) is drawn as itself.
    expect(
      entityLook({ id: 1, kind: "wall", x: 0, y: 0, shape: "box", hw: 1, hh: 9 }, UNDESCRIBED),
    ).toEqual({
      shape: "box",
      hw: 1,
      hh: 9,
    });
  });

  it("spaces the grid to the scale: cells for a small world, tens for a big one", () => {
    expect(gridStep(33)).toBe(1);
    expect(gridStep(4)).toBe(10);
    expect(gridStep(1)).toBe(100);
    expect(gridStep(0)).toBe(10);
  });
});

describe("panels for any game", () => {
  it("shows every currency, and the items held", () => {
    expect(
      shownBalances({ gold: 0, gems: 3, xp: 40, "item.wood": 2, "item.plank": 0, "item.axe": 1 }),
    ).toEqual([
      { unit: "gems", amount: 3, item: false },
      { unit: "gold", amount: 0, item: false },
      { unit: "item.axe", amount: 1, item: true },
      { unit: "item.wood", amount: 2, item: true },
    ]);
    expect(unitName("item.wood")).toBe("wood");
    expect(unitName("honey")).toBe("honey");
  });

  it("steers only a game with move, and reads command data as JSON", () => {
    expect(canSteer(GAME)).toBe(false);
    expect(canSteer({ ...GAME, commands: ["move", "quest.claim"] })).toBe(true);
    expect(canSteer(undefined)).toBe(false);
    expect(parseCommandData('{"x": 3, "y": 4}')).toEqual({ ok: true, data: { x: 3, y: 4 } });
    expect(parseCommandData("  ")).toEqual({ ok: true, data: {} });
    expect(parseCommandData("{x: 3}")).toMatchObject({ ok: false });
    expect(gameSummary(GAME)).toBe(
      "orchard@3: 20 ticks a second, a world of 40 × 30 units, 3 kinds of entity.",
    );
  });
});

describe("a command's example from its data's JSON Schema", () => {
  it("fills the required properties at their lowest legal value, the first of an enum", () => {
    const walk = {
      type: "object",
      properties: {
        x: { type: "integer", minimum: 0, maximum: 23 },
        y: { type: "integer", minimum: 0, maximum: 15 },
        note: { type: "string" },
      },
      required: ["x", "y"],
      additionalProperties: false,
    };
    expect(exampleOf(walk)).toEqual({ x: 0, y: 0 });
    expect(
      exampleOf({
        type: "object",
        properties: { recipe: { enum: ["plank", "pickaxe"] } },
        required: ["recipe"],
      }),
    ).toEqual({ recipe: "plank" });
    expect(exampleOf({ type: "number", minimum: 1 })).toBe(1);
    expect(exampleOf({ type: "number", maximum: -2 })).toBe(-2);
    expect(exampleOf({ anyOf: [{ const: "a" }, { const: "b" }] })).toBe("a");
    expect(exampleOf(undefined)).toBeUndefined();
    expect(exampleOf({ not: {} })).toBeUndefined();
  });
});
