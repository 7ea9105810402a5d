/**
 * How the arena's bots play (`ledgerquest bots`): each steers its player towards the nearest coin
 * it knows of, gives a coin up after a while (it may be behind a wall), and wanders while it knows
 * no coin or where it is. Pushes carry what changed, so a coin lying still is unknown until
 * something collects it and it reappears elsewhere.
 */
import type { BotFactory, EntityView } from "@ledgerquest/runtime";

/** How long a bot chases a coin it does not reach before looking for another. */
const GIVE_UP_ON_COIN_MS = 12_000;
/** How long it then leaves that coin aside. */
const IGNORE_COIN_MS = 30_000;
/** How often a wandering bot picks a new heading. */
const WANDER_EVERY_MS = 2_000;

/** A unit direction rounded to the thousandth, inside the `move` command's [-1, 1] bounds. */
export function direction(dx: number, dy: number): { readonly dx: number; readonly dy: number } {
  const length = Math.sqrt(dx * dx + dy * dy);
  if (length === 0) return { dx: 0, dy: 0 };
  // Rounding and clamping: a square root's last bit could put a component a hair past 1.
  const unit = (v: number) => Math.min(1, Math.max(-1, Math.round((v / length) * 1000) / 1000));
  return { dx: unit(dx), dy: unit(dy) };
}

/**
 * Where a player should head: towards the nearest coin in `entities` that is not `ignored`, from
 * its own entity (kind `player`, named after it). Undefined when it does not know where it is or
 * knows no coin.
 */
export function steer(
  entities: Iterable<EntityView>,
  playerId: string,
  ignored: ReadonlySet<number> = new Set(),
): { readonly dx: number; readonly dy: number; readonly coin: number } | undefined {
  const all = [...entities];
  const me = all.find((e) => e.kind === "player" && e.name === playerId);
  if (me === undefined) return undefined;
  let best: EntityView | undefined;
  let bestD2 = Number.POSITIVE_INFINITY;
  for (const e of all) {
    if (e.kind !== "coin" || ignored.has(e.id)) continue;
    const d2 = (e.x - me.x) ** 2 + (e.y - me.y) ** 2;
    if (d2 < bestD2) {
      bestD2 = d2;
      best = e;
    }
  }
  if (best === undefined) return undefined;
  return { ...direction(best.x - me.x, best.y - me.y), coin: best.id };
}

/** The arena's bot: a coin chaser (see the module's comment). */
export const arenaBot: BotFactory = (player) => {
  let target: { coin: number; sinceMs: number } | undefined;
  const ignored = new Map<number, number>();
  let wander = { dx: 0, dy: 0, untilMs: 0 };
  const lastSeen = new Map<number, string>();
  return (view, random) => {
    const nowMs = view.nowMs;
    for (const e of view.entities) {
      // A coin that moved was collected and reappeared: worth chasing again.
      if (e.kind !== "coin") continue;
      const at = `${e.x},${e.y}`;
      if (lastSeen.get(e.id) !== at) ignored.delete(e.id);
      lastSeen.set(e.id, at);
    }
    for (const [coin, untilMs] of ignored) if (untilMs <= nowMs) ignored.delete(coin);
    let heading = steer(view.entities, player, new Set(ignored.keys()));
    if (heading !== undefined) {
      if (target?.coin !== heading.coin) {
        target = { coin: heading.coin, sinceMs: nowMs };
      } else if (nowMs - target.sinceMs > GIVE_UP_ON_COIN_MS) {
        ignored.set(heading.coin, nowMs + IGNORE_COIN_MS);
        target = undefined;
        heading = undefined;
      }
    }
    if (heading !== undefined) return { type: "move", data: { dx: heading.dx, dy: heading.dy } };
    if (nowMs >= wander.untilMs) {
      const angle = random() * 2 * Math.PI;
      wander = { ...direction(Math.cos(angle), Math.sin(angle)), untilMs: nowMs + WANDER_EVERY_MS };
    }
    return { type: "move", data: { dx: wander.dx, dy: wander.dy } };
  };
};
