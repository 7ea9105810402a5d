/**
 * A tiny game for the client's end-to-end tests (engine packages never import an example game):
 * each player is a walker named after the player, standing on a grid; `move {dx, dy}` (each -1,
 * 0 or 1) steps it once, so the walker's position counts the moves applied: a command applied
 * twice, or lost, shows. Players start with 10 gold, so the ledger has entries to read and verify.
 */
import {
  defineComponent,
  defineEconomy,
  Economy,
  type Ledger,
  type Simulation,
  type World,
} from "@ledgerquest/engine";
import { type CommandsOf, defineGame, type EntityView, type GameRules } from "@ledgerquest/runtime";
import * as z from "zod/mini";

const Spot = defineComponent("Spot", { x: "i32", y: "i32" });
const Walker = defineComponent("Walker");

const ECONOMY = defineEconomy({
  units: [{ id: "gold" }, { id: "xp" }],
  levels: { thresholds: [0, 10, 25] },
});
export const STARTING_GOLD = 10;
/** Where player i's walker starts: (10 i, 0). */
export const startOf = (i: number) => ({ x: 10 * i, y: 0 });

const step = z.number().check(z.int(), z.minimum(-1), z.maximum(1));

function applyMoves(world: World): void {
  const spot = world.store(Spot);
  for (const command of world.inputs) {
    if (command.type !== "move" || command.actor === undefined) continue;
    const e = world.byName(command.actor);
    if (e === undefined || !world.hasComponent(e, Walker)) continue;
    const data = command.data as { readonly dx: number; readonly dy: number };
    spot.x[e] = (spot.x[e] as number) + data.dx;
    spot.y[e] = (spot.y[e] as number) + data.dy;
  }
}

export const tinyGame = defineGame({
  name: "tiny@1",
  commands: {
    move: z.strictObject({ dx: step, dy: step }),
    wave: z.strictObject({}),
  },
  rules(ledger: Ledger, worldId: string): GameRules {
    return {
      definition: {
        name: "tiny@1",
        components: [Spot, Walker],
        systems: [{ name: "moves", run: applyMoves }],
        tickRateHz: 20,
        maxEntities: 256,
      },
      economy: new Economy(ECONOMY, ledger, { scope: worldId }),
    };
  },
  populate(sim: Simulation, rules, options) {
    const w = sim.world;
    for (const [i, player] of options.players.entries()) {
      const e = w.createEntity();
      w.addComponent(e, Spot);
      w.addComponent(e, Walker);
      const at = startOf(i);
      w.store(Spot).x[e] = at.x;
      w.store(Spot).y[e] = at.y;
      w.setName(e, player);
      rules.economy.openPlayer(player);
      rules.economy.grant(player, "gold", STARTING_GOLD, { tick: 0, reason: "starting_gold" });
    }
  },
  // Alike: the views of testing/test/support/coin-game.ts and create-ledgerquest/template/src/game.ts
  // (one position component, one entity view each): three small games, each of its own package.
  view(sim: Simulation): readonly EntityView[] {
    const w = sim.world;
    const spot = w.store(Spot);
    const ids = w.query([Spot]).ids();
    const out: EntityView[] = [];
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      const name = w.nameOfEntity(e);
      out.push({
        id: w.handle(e),
        kind: "walker",
        ...(name === undefined ? {} : { name }),
        x: spot.x[e] as number,
        y: spot.y[e] as number,
      });
    }
    return out;
  },
  // A small command bucket, so the client's own retries of `rate_limited` are seen in a test.
  limits: { commands: { perSecond: 5, burst: 5 } },
  description: {
    bounds: { minX: -100, minY: -100, maxX: 100, maxY: 100 },
    tickMs: 50,
    kinds: { walker: { shape: "circle", hw: 0.5, hh: 0.5, label: "a player" } },
    quests: [],
  },
});

/** What a typed client of the tiny game sends. */
export type TinyCommands = CommandsOf<typeof tinyGame>;
