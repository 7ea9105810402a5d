/**
 * A small game for the kit's own tests (packages never import the examples): "coin collector" on
 * a 10 × 10 grid. Players step with `move`; a player who stands on a coin is paid its value in
 * gold (and a point of xp) through the economy, and the coin jumps elsewhere; `buy` buys potions
 * from the shop (gold → sink, potions ← mint).
 *
 * Variants for the kit's failure paths: `makeDriftingGame` keeps a counter outside the world
 * state (nondeterministic across runs); `makeLeakyGame` pays pickups from a system account of its
 * own instead of the unit's mint (value created outside mint and sink).
 */
import {
  defineComponent,
  defineEconomy,
  Economy,
  type Ledger,
  type Simulation,
  type World,
  walletAccount,
} from "@ledgerquest/engine";
import { defineGame, type EntityView, type GameRules } from "@ledgerquest/runtime";
import * as z from "zod/mini";

export const Spot = defineComponent("Spot", { x: "i32", y: "i32" });
export const Coin = defineComponent("Coin", { value: "i32" });
export const Walker = defineComponent("Walker");

export const GRID = 10;
export const STARTING_GOLD = 5;
export const POTION_PRICE = 3;

const ECONOMY_DEFINITION = {
  units: [{ id: "gold" }, { id: "xp" }],
  items: [{ id: "potion", currency: "gold", price: POTION_PRICE, sellPrice: 1 }],
  levels: { thresholds: [0, 1, 5, 10] },
};
const ECONOMY = defineEconomy(ECONOMY_DEFINITION);

const step = z.int().check(z.minimum(-1), z.maximum(1));
export const COIN_COMMANDS = {
  move: z.strictObject({ dx: step, dy: step, entity: z.optional(z.string()) }),
  buy: z.strictObject({ quantity: z.int().check(z.minimum(1), z.maximum(5)) }),
};

type Pay = (world: World, economy: Economy, player: string, value: number) => void;
type Hook = (world: World) => void;

const payFromMint: Pay = (world, economy, player, value) => {
  economy.grantAll(
    player,
    [
      { unit: "gold", amount: value },
      { unit: "xp", amount: 1 },
    ],
    { tick: world.tick, reason: "pickup", world },
  );
};

function clamp(n: number): number {
  return Math.min(GRID - 1, Math.max(0, n));
}

function applyCommands(world: World, economy: Economy): void {
  const spot = world.store(Spot);
  for (const [index, command] of world.inputs.entries()) {
    const e = command.actor === undefined ? undefined : world.byName(command.actor);
    if (e === undefined || command.actor === undefined) continue;
    if (command.type === "move") {
      const { dx, dy } = command.data as { dx: number; dy: number };
      spot.x[e] = clamp((spot.x[e] as number) + dx);
      spot.y[e] = clamp((spot.y[e] as number) + dy);
    } else if (command.type === "buy") {
      const { quantity } = command.data as { quantity: number };
      economy.buy(command.actor, "potion", quantity, { tick: world.tick, index });
    }
  }
}

function collectCoins(world: World, economy: Economy, pay: Pay): void {
  const spot = world.store(Spot);
  const coin = world.store(Coin);
  const coins = world.query([Coin, Spot]).ids();
  const walkers = world.query([Walker, Spot]).ids();
  for (let i = 0; i < walkers.length; i++) {
    const w = walkers[i] as number;
    for (let j = 0; j < coins.length; j++) {
      const c = coins[j] as number;
      if (spot.x[c] !== spot.x[w] || spot.y[c] !== spot.y[w]) continue;
      const player = world.nameOfEntity(w);
      if (player !== undefined) pay(world, economy, player, coin.value[c] as number);
      spot.x[c] = world.rng.int(0, GRID - 1);
      spot.y[c] = world.rng.int(0, GRID - 1);
    }
  }
}

function coinRules(economy: Economy, pay: Pay, hook: Hook | undefined) {
  return {
    name: "coins@1",
    components: [Spot, Coin, Walker],
    systems: [
      { name: "commands", run: (world: World) => applyCommands(world, economy) },
      { name: "coins", run: (world: World) => collectCoins(world, economy, pay) },
      ...(hook === undefined ? [] : [{ name: "hook", run: hook }]),
    ],
    maxEntities: 64,
    tickRateHz: 10,
    config: { economy: ECONOMY_DEFINITION },
  };
}

function populate(sim: Simulation, rules: GameRules, players: readonly string[], coins: number) {
  const w = sim.world;
  const spot = w.store(Spot);
  for (const [i, name] of players.entries()) {
    const e = w.createEntity();
    w.addComponent(e, Spot);
    w.addComponent(e, Walker);
    spot.x[e] = i % GRID;
    spot.y[e] = 0;
    w.setName(e, name);
    rules.economy.openPlayer(name);
    rules.economy.grant(name, "gold", STARTING_GOLD, { tick: 0, reason: "starting_gold" });
  }
  const coin = w.store(Coin);
  for (let i = 0; i < coins; i++) {
    const e = w.createEntity();
    w.addComponent(e, Spot);
    w.addComponent(e, Coin);
    // The first coin lies one step east of the first player, for scripted tests.
    spot.x[e] = i === 0 ? 1 : w.rng.int(0, GRID - 1);
    spot.y[e] = i === 0 ? 1 : w.rng.int(1, GRID - 1);
    coin.value[e] = i === 0 ? 2 : w.rng.int(1, 3);
  }
}

// Alike: create-ledgerquest/template/src/game.ts's view (and client/test/support/tiny-game.ts's):
// small games of their own packages, the template being what a new project starts from.
function view(sim: Simulation): readonly EntityView[] {
  const w = sim.world;
  const spot = w.store(Spot);
  const ids = w.query([Spot]).ids();
  const out: EntityView[] = [];
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    const name = w.nameOfEntity(e);
    out.push({
      id: w.handle(e),
      kind: w.hasComponent(e, Coin) ? "coin" : "player",
      ...(name === undefined ? {} : { name }),
      x: spot.x[e] as number,
      y: spot.y[e] as number,
    });
  }
  return out;
}

interface Variant {
  readonly pay?: (ledger: Ledger, worldId: string) => Pay;
  readonly hook?: Hook;
  readonly open?: (ledger: Ledger) => void;
}

function makeGame(variant: Variant = {}) {
  return defineGame({
    name: "coins@1",
    commands: COIN_COMMANDS,
    settings: z.optional(z.strictObject({ coins: z.optional(z.int().check(z.minimum(0))) })),
    rules(ledger, worldId) {
      const economy = new Economy(ECONOMY, ledger, { scope: worldId });
      variant.open?.(ledger);
      const pay = variant.pay?.(ledger, worldId) ?? payFromMint;
      return { definition: coinRules(economy, pay, variant.hook), economy };
    },
    populate(sim, rules, options) {
      populate(sim, rules, options.players, options.settings?.coins ?? 3);
    },
    authorize(player, command) {
      return command.type !== "move" || command.data.entity === undefined
        ? true
        : command.data.entity === player;
    },
    view,
  });
}

/** The sound game. */
export const coinGame = makeGame();

/**
 * A game whose sixth system run anywhere in the process (a counter outside the world state)
 * doubles a coin's value: its first world differs from its second from tick 6 on.
 */
export function makeDriftingGame() {
  let runs = 0;
  return makeGame({
    hook(world) {
      runs++;
      if (runs !== 6) return;
      const coin = world.store(Coin);
      const first = world.query([Coin]).ids()[0];
      if (first !== undefined) coin.value[first] = (coin.value[first] as number) * 2;
    },
  });
}

/**
 * A game that pays pickups from an account of its own with no balance floor, not from the unit's
 * mint: the ledger balances (every transfer has both sides), but gold appears that the mint never
 * issued. Owned by `system` (`faucet:gold`), the runtime's verify finds it (`supply_mismatch`);
 * owned by anyone else (`npc:gold`), only its negative balance shows (`negative_holding`).
 */
export function makeLeakyGame(owner = "system") {
  const source = `${owner === "system" ? "faucet" : owner}:gold`;
  return makeGame({
    open(ledger) {
      ledger.openAccount({ id: source, owner, unit: "gold" });
    },
    pay: (ledger, worldId) => (world, _economy, player, value) => {
      ledger.transfer({
        id: `${worldId}:leak:${player}:${world.tick}`,
        debit: source,
        credit: walletAccount(player, "gold"),
        amount: value,
        unit: "gold",
        reason: "pickup",
        tick: world.tick,
      });
    },
  });
}
