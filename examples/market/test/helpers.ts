/**
 * Helpers of the market's tests: send a command and run the tick that applies it, and read the
 * outcome the rules recorded on the player (the runtime answers only whether it was accepted).
 */
import type { JsonValue } from "@ledgerquest/engine";
import { createTestWorld, type TestWorld } from "@ledgerquest/testing";
import { expect } from "vitest";
import {
  Auction,
  goodAt,
  MARKET_RULES,
  Market,
  marketGame,
  OUTCOMES,
  type Outcome,
  Trader,
  Ware,
} from "../src/index.js";

export const PLAYERS = ["alice", "bob", "carol"] as const;

/** A market with the house's auctions and price decay slow enough not to get in the way. */
export async function market(
  settings: { readonly [key: string]: JsonValue } = {},
): Promise<TestWorld> {
  const world = await createTestWorld(marketGame, {
    players: PLAYERS,
    settings: { auctionTicks: 0, decayTicks: 0, regrowTicks: 0, ...settings },
    seed: "market-test",
  });
  expect(world.simulation().definition.name).toBe(MARKET_RULES);
  return world;
}

/** The outcome of the player's last market command. */
export function outcome(world: TestWorld, player: string): Outcome {
  const sim = world.simulation();
  const e = sim.world.byName(player);
  if (e === undefined) throw new Error(`no player ${player}`);
  return OUTCOMES[sim.world.store(Trader).outcome[e] as number] as Outcome;
}

/** Sends a command (which the runtime must accept), runs the tick that applies it, returns its outcome. */
export async function act(
  world: TestWorld,
  player: string,
  type: string,
  data: JsonValue,
): Promise<Outcome> {
  const sent = await world.command(player, type, data);
  expect(sent, `${player} ${type} ${JSON.stringify(data)}`).toMatchObject({ ok: true });
  await world.tick(1);
  return outcome(world, player);
}

/** Every balance of the players, escrows included, by account id: to see that nothing moved. */
export function balances(world: TestWorld): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of world.journal()) {
    if (e.kind === "account" && e.owner !== "system") out[e.id] = 0;
  }
  for (const e of world.journal()) {
    if (e.kind !== "transfer") continue;
    if (e.debit in out) out[e.debit] = (out[e.debit] as number) - e.amount;
    if (e.credit in out) out[e.credit] = (out[e.credit] as number) + e.amount;
  }
  return out;
}

/** Each ware's demand, by good. */
export function demand(world: TestWorld): Record<string, number> {
  const sim = world.simulation();
  const w = sim.world.store(Ware);
  const out: Record<string, number> = {};
  for (const e of sim.world.query([Ware]).ids())
    out[goodAt(w.good[e] as number)] = w.demand[e] as number;
  return out;
}

/** The running auctions: number → { seller handle, top bidder handle, top bid, end tick }. */
export function auctions(
  world: TestWorld,
): Map<number, { topBid: number; endTick: number; lot: string }> {
  const sim = world.simulation();
  const a = sim.world.store(Auction);
  const out = new Map<number, { topBid: number; endTick: number; lot: string }>();
  for (const e of sim.world.query([Auction]).ids()) {
    out.set(a.number[e] as number, {
      topBid: a.topBid[e] as number,
      endTick: a.endTick[e] as number,
      lot: goodAt(a.lot[e] as number),
    });
  }
  return out;
}

/** The number the next offer will get. */
export function nextOffer(world: TestWorld): number {
  const sim = world.simulation();
  const e = sim.world.query([Market]).ids()[0] as number;
  return sim.world.store(Market).nextOffer[e] as number;
}
