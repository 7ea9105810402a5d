// The server's pusher and the client's store together: frames from the runtime's `WorldPusher`
// (over its memory adapters) applied by the SDK's `WorldStore`, in a world whose entities wander,
// appear and go. After every push each client holds exactly what is near its player, where the
// world has it; a frame that went astray is a gap, mended by the next full frame.
import {
  type ClientPush,
  createMemoryDeps,
  defineGame,
  type PushSettings,
  type EntityView as RuntimeEntityView,
  WorldPusher,
} from "@ledgerquest/runtime";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import type { EntityView, StatePushFrame } from "../src/protocol.js";
import { WorldStore } from "../src/store.js";

// Alike: packages/runtime/test/push.test.ts's gameWith and packages/dashboard/test/page.test.ts's
// GAME (small games described for their looks); tests share no code across packages.
function gameWith(push: PushSettings) {
  return defineGame({
    name: "wander@1",
    commands: { noop: z.strictObject({}) },
    rules: () => {
      throw new Error("not run here");
    },
    populate: () => undefined,
    view: () => [],
    description: {
      bounds: { minX: 0, minY: 0, maxX: 100, maxY: 100 },
      tickMs: 50,
      kinds: {
        walker: { shape: "circle", hw: 0.5, hh: 0.5, label: "a walker" },
        rock: { shape: "box", hw: 1, hh: 1, label: "a rock" },
        tower: { shape: "box", hw: 2, hh: 2, label: "a tower" },
      },
      quests: [],
    },
    push,
  });
}

/** A seeded world of walkers (some named after players), rocks that come and go, two towers. */
class World {
  entities: RuntimeEntityView[] = [];
  #seed: number;
  #nextId = 1;

  constructor(seed: number, players: readonly string[]) {
    this.#seed = seed;
    for (const p of players) this.#add("walker", p);
    for (let i = 0; i < 120; i++) this.#add(i % 3 === 0 ? "rock" : "walker");
    this.entities.push({ id: 9000, kind: "tower", x: 5, y: 5 });
    this.entities.push({ id: 9001, kind: "tower", x: 95, y: 95, name: "north" });
  }

  random(): number {
    this.#seed = (this.#seed * 1103515245 + 12345) % 2147483648;
    return this.#seed / 2147483648;
  }

  #add(kind: string, name?: string): void {
    const at = () => Math.round(this.random() * 10_000) / 100;
    this.entities.push({ id: this.#nextId++, kind, ...(name ? { name } : {}), x: at(), y: at() });
  }

  /** Walkers move (players faster), a rock now and then goes and another appears. */
  step(): void {
    const clamp = (v: number) => Math.min(100, Math.max(0, Math.round(v * 1000) / 1000));
    this.entities = this.entities.map((e) => {
      if (e.kind !== "walker") return e;
      const speed = e.name === undefined ? 0.6 : 2;
      return {
        ...e,
        x: clamp(e.x + (this.random() - 0.5) * speed),
        y: clamp(e.y + (this.random() - 0.5) * speed),
      };
    });
    if (this.random() < 0.3) {
      const rocks = this.entities.filter((e) => e.kind === "rock");
      const gone = rocks[Math.floor(this.random() * rocks.length)];
      this.entities = this.entities.filter((e) => e !== gone);
      this.#add("rock");
    }
  }
}

const rounded = (e: RuntimeEntityView): EntityView => ({
  ...e,
  x: Math.round(e.x * 100) / 100,
  y: Math.round(e.y * 100) / 100,
});

/** Distance from a point to an entity's shape, as the game's looks say. */
function distance(e: RuntimeEntityView, x: number, y: number): number {
  const half = e.kind === "tower" ? 2 : e.kind === "rock" ? 1 : 0.5;
  const dx = Math.abs(e.x - x);
  const dy = Math.abs(e.y - y);
  if (e.kind === "walker") return Math.max(0, Math.hypot(dx, dy) - half);
  return Math.hypot(Math.max(0, dx - half), Math.max(0, dy - half));
}

interface Rig {
  readonly world: World;
  readonly pusher: WorldPusher;
  readonly stores: Map<string, WorldStore>;
  readonly results: Map<string, string[]>;
  readonly deps: ReturnType<typeof createMemoryDeps>;
  /** Frames to lose on their way (the tap says "sent", the client never gets them). */
  readonly lose: Set<string>;
  push(tick: number): Promise<void>;
}

async function rig(push: PushSettings, players: readonly string[], watchers: readonly string[]) {
  const deps = createMemoryDeps(gameWith(push));
  const world = new World(42, players);
  const stores = new Map<string, WorldStore>();
  const results = new Map<string, string[]>();
  const lose = new Set<string>();
  for (const p of [...players, ...watchers]) {
    await deps.store.putConnection(
      { connectionId: p, playerId: p, worldId: "w", inboxShards: 1, connectedAtMs: 0 },
      10,
    );
    stores.set(p, new WorldStore());
    results.set(p, []);
  }
  let atMs = 0;
  const tap: ClientPush = {
    post: async (connectionId, message) => {
      if (lose.delete(connectionId)) return "sent";
      const frame = JSON.parse(message) as StatePushFrame;
      results.get(connectionId)?.push(stores.get(connectionId)?.applyPush(frame, atMs) ?? "");
      return "sent";
    },
  };
  const pusher = new WorldPusher({ ...deps, push: tap }, "w");
  const r: Rig = {
    world,
    pusher,
    stores,
    results,
    deps,
    lose,
    async push(tick) {
      deps.clock.advance(50);
      atMs += 50;
      await pusher.push({
        version: 1 + Math.floor(tick / 100),
        tick,
        stateHash: `h${tick}`,
        ledger: { count: 1, head: "l" },
        view: world.entities,
        profiles: new Map(),
        ...(tick % 100 === 0
          ? { batch: { ticks: 100, commandsApplied: 0, ledgerEntries: 0, durationMs: 1 } }
          : {}),
      });
    },
  };
  return r;
}

/** What a client of `player` must hold: exactly the world's entities it has, and its area. */
function checkArea(r: Rig, player: string, nearest: number, tick: number): void {
  const store = r.stores.get(player) as WorldStore;
  const byId = new Map(r.world.entities.map((e) => [e.id, e]));
  for (const e of store.entities.values()) {
    const now = byId.get(e.id);
    expect(now, `${player} at ${tick} holds ${e.id}, which went`).toBeDefined();
    expect(e, `${player} at ${tick}: entity ${e.id}`).toEqual(rounded(now as RuntimeEntityView));
  }
  const me = r.world.entities.find((e) => e.name === player) as RuntimeEntityView;
  expect(store.byName(player)).toEqual(rounded(me));
  // The towers go to everyone; then the nearest (ties at the last distance either way).
  expect(store.entities.has(9000) && store.entities.has(9001)).toBe(true);
  const others = r.world.entities
    .filter((e) => e !== me && e.kind !== "tower")
    .map((e) => ({ id: e.id, d: distance(rounded(e), rounded(me).x, rounded(me).y) }))
    .sort((a, b) => a.d - b.d);
  const last = others[nearest - 1]?.d ?? Number.POSITIVE_INFINITY;
  for (const o of others) if (o.d < last - 1e-9) expect(store.entities.has(o.id)).toBe(true);
  // Its own, the towers, and 1.25 x nearest at most.
  expect(store.entities.size).toBeLessThanOrEqual(1 + 2 + Math.ceil(nearest * 1.25));
}

describe("pushes applied by the client's store", () => {
  it("every client holds exactly its area, where the world has it, through 300 pushes", async () => {
    const players = ["ann", "bob", "cy"];
    const r = await rig(
      { nearest: 12, always: (e) => e.kind === "tower", keyframeMs: 5000 },
      players,
      ["watcher"],
    );
    for (let t = 1; t <= 300; t++) {
      r.world.step();
      await r.push(t);
      for (const p of players) checkArea(r, p, 12, t);
      // The watcher gets the whole world (the default for a player without an entity).
      const watcher = r.stores.get("watcher") as WorldStore;
      expect(watcher.entities.size).toBe(r.world.entities.length);
      for (const e of r.world.entities) expect(watcher.entities.get(e.id)).toEqual(rounded(e));
    }
    for (const [p, results] of r.results) {
      expect(
        results.every((x) => x === "applied"),
        p,
      ).toBe(true);
      expect(r.stores.get(p)?.consistent).toBe(true);
    }
    expect(r.stores.get("ann")?.scope).toBe("area");
    expect(r.stores.get("watcher")?.scope).toBe("world");
  });

  it("a frame that went astray is a gap; the next full frame makes the client whole", async () => {
    const r = await rig(
      { nearest: 8, keyframeMs: 2000, always: (e) => e.kind === "tower" },
      ["ann"],
      [],
    );
    const store = r.stores.get("ann") as WorldStore;
    for (let t = 1; t <= 10; t++) {
      r.world.step();
      await r.push(t);
    }
    r.lose.add("ann");
    r.world.step();
    await r.push(11);
    r.world.step();
    await r.push(12);
    expect(r.results.get("ann")?.at(-1)).toBe("gap");
    expect(store.consistent).toBe(false);
    // A full frame comes every 2 s (40 pushes at 20 Hz): whole again, exact again.
    for (let t = 13; t <= 60; t++) {
      r.world.step();
      await r.push(t);
    }
    expect(store.consistent).toBe(true);
    checkArea(r, "ann", 8, 60);
  });
});
