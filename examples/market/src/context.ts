/**
 * What every market rule works with: the world, the economy over the world's ledger, and the
 * quest system (facts are queued into it); and the small lookups they share.
 */
import {
  type Economy,
  type Eid,
  type EntityHandle,
  NO_ENTITY,
  type QuestSystem,
  type World,
} from "@ledgerquest/engine";
import { COMMAND_TYPES, type MarketAction, OUTCOMES, type Outcome } from "./commands.js";
import { Market, Trader } from "./components.js";

export interface MarketContext {
  readonly world: World;
  readonly economy: Economy;
  readonly quests: QuestSystem;
}

/** One command being applied: who sends it, and its position in the tick (for transfer ids). */
export interface Actor {
  readonly eid: Eid;
  readonly name: string;
  /** The command's index in the tick's inputs: tells apart a player's commands of one tick. */
  readonly index: number;
}

/**
 * Codes of the market's `custom` sim events (outside the engine's reserved 0x4C51xxxx):
 * - `outcome`: `a` the player, `b` none, `value` the index of the outcome in `OUTCOMES`.
 * - `auctionSettled`: `a` the winner (none when unsold), `b` the auction house, `value` the
 *   auction's number.
 * - `tradeSettled`: `a` the player who accepted, `b` the offerer, `value` the offer's number.
 */
export const MARKET_EVENT = {
  outcome: 0x4d4b_0001,
  auctionSettled: 0x4d4b_0002,
  tradeSettled: 0x4d4b_0003,
} as const;

/** Records a command's outcome on the player (`Trader`) and as an event. */
export function report(world: World, actor: Actor, action: MarketAction, outcome: Outcome): void {
  const t = world.store(Trader);
  t.outcome[actor.eid] = OUTCOMES.indexOf(outcome);
  t.command[actor.eid] = COMMAND_TYPES.indexOf(action);
  t.outcomeTick[actor.eid] = world.tick;
  world.emit(
    "custom",
    world.handle(actor.eid),
    NO_ENTITY,
    MARKET_EVENT.outcome,
    OUTCOMES.indexOf(outcome),
  );
}

/** The player named so (an entity with `Trader`), or undefined. */
export function traderNamed(world: World, name: string): Eid | undefined {
  const eid = world.byName(name);
  return eid !== undefined && world.hasComponent(eid, Trader) ? eid : undefined;
}

/** The name of the live entity a handle names (a player), or undefined. */
export function nameOfHandle(world: World, handle: EntityHandle): string | undefined {
  const eid = world.tryResolve(handle);
  return eid < 0 ? undefined : world.nameOfEntity(eid);
}

/** The world's one `Market` entity (settings and counters). */
export function marketOf(world: World): Eid {
  const ids = world.query([Market]).ids();
  const eid = ids[0];
  if (eid === undefined || ids.length !== 1) {
    throw new Error(`a market world has exactly one Market entity, found ${ids.length}`);
  }
  return eid;
}

/** Whether two cells touch (the 8 neighbours; not the same cell). */
export function adjacent(ax: number, ay: number, bx: number, by: number): boolean {
  const dx = ax > bx ? ax - bx : bx - ax;
  const dy = ay > by ? ay - by : by - ay;
  return dx <= 1 && dy <= 1 && dx + dy > 0;
}
