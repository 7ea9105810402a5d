// Reconnect delays, token reading, the quest book and frame sorting.
import { describe, expect, it } from "vitest";
import { decodeJwtPayload, reconnectDelayMs, tokenExpired, tokenIdentity } from "../src/backoff.js";
import { feedTransfers } from "../src/ledger-feed.js";
import { classifyFrame, frameIdFactory, questBook } from "../src/protocol.js";
import { questTarget } from "../src/quests.js";
import { fitViewport } from "../src/world-view.js";

function jwt(claims: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "RS256" })}.${b64(claims)}.signature`;
}

describe("reconnectDelayMs", () => {
  it("doubles from the base up to the cap, with half of it jittered", () => {
    const low = { random: () => 0 };
    const high = { random: () => 0.999999 };
    expect(reconnectDelayMs(1, low)).toBe(250);
    expect(reconnectDelayMs(1, high)).toBe(500);
    expect(reconnectDelayMs(3, low)).toBe(1000);
    expect(reconnectDelayMs(3, high)).toBe(2000);
    expect(reconnectDelayMs(50, high)).toBe(15_000);
    expect(reconnectDelayMs(50, low)).toBe(7500);
  });
});

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

describe("protocol helpers", () => {
  it("reads a quest book defensively", () => {
    const book = questBook([
      {
        id: "bounty",
        title: "Earn 15 gold",
        objectives: [{ kind: "collect", unit: "gold", count: 15 }],
        rewards: [{ unit: "gold", amount: 20 }],
        claim: "manual",
        prerequisites: { quests: ["first_coins"] },
      },
      { id: "visit", objectives: [{ kind: "enter", zone: "shrine" }], rewards: [] },
      null,
      { title: "no id" },
    ]);
    expect(book.map((q) => q.id)).toEqual(["bounty", "visit"]);
    expect(book[0]).toMatchObject({ claim: "manual", prerequisites: { quests: ["first_coins"] } });
    expect(book.map(questTarget)).toEqual([15, 1]);
  });

  it("sorts frames by kind and makes unique valid ids", () => {
    expect(classifyFrame({ type: "state" })?.kind).toBe("state");
    expect(classifyFrame({ type: "error", code: "forbidden", message: "x" })?.kind).toBe("error");
    expect(classifyFrame({ message: "Internal server error" })?.kind).toBe("failure");
    expect(classifyFrame(42)).toBeUndefined();
    const next = frameIdFactory("c");
    const ids = new Set(Array.from({ length: 1000 }, next));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
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

  it("fits the world into the canvas, centred", () => {
    const v = fitViewport({ minX: 0, minY: 0, maxX: 200, maxY: 120 }, 416, 136, 8);
    expect(v.scale).toBe(1); // the height limits: 120 units in 120 px
    expect(v.offsetX).toBe(108);
    expect(v.offsetY).toBe(8);
  });
});
