// The operator's whole world: the `state` query every few seconds, one at a time, the pushed
// area laid over it. In Node, with a fake clock; the browser tests see it drawn.
import type { EntityView, QueryResult, StateQueryResult } from "@ledgerquest/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WholeWorld } from "../src/whole-world.js";

const e = (id: number, x: number, kind = "coin"): EntityView => ({ id, kind, x, y: 0 });

function result(entities: readonly EntityView[]): QueryResult<"state"> {
  const data: StateQueryResult = {
    worldId: "w",
    version: 1,
    tick: 60,
    stateHash: "h",
    ledger: { count: 0, head: "l", root: "r" },
    entities,
    supply: {},
  };
  return { ok: true, id: "q", query: "state", data };
}

describe("WholeWorld", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lays the pushed area over the last whole world, and tells which entities are far", async () => {
    let world = [e(1, 0), e(2, 10), e(3, 20)];
    const asked: number[] = [];
    const whole = new WholeWorld({
      state: async () => {
        asked.push(Date.now());
        return result(world);
      },
      connected: () => true,
      now: () => Date.now(),
      teleportDistance: 50,
      everyMs: 1000,
    });
    expect(whole.showing).toBe(false);
    const area = [e(1, 0.5), e(9, 3, "player")];
    // Off: only the area.
    expect(whole.entitiesAt(0, area).map((x) => x.id)).toEqual([1, 9]);
    whole.setOn(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(whole.showing).toBe(true);
    // The area as pushed (1 where the push says), and the far ones from the whole world.
    const shown = whole.entitiesAt(Date.now(), area);
    expect(shown.map((x) => [x.id, x.x])).toEqual([
      [1, 0.5],
      [9, 3],
      [2, 10],
      [3, 20],
    ]);
    expect([1, 9, 2, 3].map((id) => whole.far(id))).toEqual([false, false, true, true]);
    // Asked again every second, while on.
    world = [e(1, 0), e(2, 12), e(3, 20)];
    await vi.advanceTimersByTimeAsync(2500);
    expect(asked.length).toBe(3);
    whole.setOn(false);
    expect(whole.showing).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(asked.length).toBe(3);
  });

  it("asks one at a time, and not while disconnected", async () => {
    let connected = false;
    let asks = 0;
    let answer: ((r: QueryResult<"state">) => void) | undefined;
    const whole = new WholeWorld({
      state: () => {
        asks++;
        return new Promise((resolve) => {
          answer = resolve;
        });
      },
      connected: () => connected,
      now: () => Date.now(),
      teleportDistance: 50,
      everyMs: 1000,
    });
    whole.setOn(true);
    await vi.advanceTimersByTimeAsync(3000);
    expect(asks).toBe(0);
    connected = true;
    await vi.advanceTimersByTimeAsync(5000);
    // The first answer has not come: no second question.
    expect(asks).toBe(1);
    answer?.(result([e(1, 1)]));
    await vi.advanceTimersByTimeAsync(1000);
    expect(asks).toBe(2);
    whole.stop();
  });
});
