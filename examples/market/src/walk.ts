/**
 * Walking on the grid: `walk` sets a player's goal; each tick every player steps one cell towards
 * its goal (diagonally when it can), never into a resource tile or a building. Players may share
 * a cell. A player that cannot step stays where it is.
 */
import type { World } from "@ledgerquest/engine";
import { GRID } from "./catalog.js";
import type { MarketCommandData, Outcome } from "./commands.js";
import { Cell, Trader } from "./components.js";
import type { Actor, MarketContext } from "./context.js";

export function walk(ctx: MarketContext, actor: Actor, data: MarketCommandData<"walk">): Outcome {
  const t = ctx.world.store(Trader);
  t.goalX[actor.eid] = data.x;
  t.goalY[actor.eid] = data.y;
  return "ok";
}

/** Cells that no one may enter: every cell with something on it other than a player. */
function blockedCells(world: World): Uint8Array {
  const blocked = new Uint8Array(GRID.width * GRID.height);
  const ids = world.query({ with: [Cell], without: [Trader] }).ids();
  const c = world.store(Cell);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    blocked[(c.y[e] as number) * GRID.width + (c.x[e] as number)] = 1;
  }
  return blocked;
}

function sign(n: number): number {
  return n > 0 ? 1 : n < 0 ? -1 : 0;
}

export function walkSystem(world: World): void {
  const ids = world.query([Trader, Cell]).ids();
  if (ids.length === 0) return;
  const blocked = blockedCells(world);
  const c = world.store(Cell);
  const t = world.store(Trader);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    const x = c.x[e] as number;
    const y = c.y[e] as number;
    const sx = sign((t.goalX[e] as number) - x);
    const sy = sign((t.goalY[e] as number) - y);
    if (sx === 0 && sy === 0) continue;
    // Diagonal first, then along x, then along y: the first free cell.
    const tries = [
      [sx, sy],
      [sx, 0],
      [0, sy],
    ] as const;
    for (const [dx, dy] of tries) {
      if (dx === 0 && dy === 0) continue;
      if (blocked[(y + dy) * GRID.width + (x + dx)] === 1) continue;
      c.x[e] = x + dx;
      c.y[e] = y + dy;
      break;
    }
  }
}
