/**
 * The player's HUD, for any game: xp and level, then every unit the player holds (currencies
 * first, then items, each by name), from the `state` result's `player` and each push's `you`.
 * A value that rose flashes.
 */
import type { PlayerRecord } from "@ledgerquest/client";
import { formatNumber, h, panel, replace } from "./dom.js";

/** The engine's item units are `item.<id>` (economy's `itemUnit`). */
const ITEM_PREFIX = "item.";

/** A unit as the HUD names it: an item without its prefix. */
export function unitName(unit: string): string {
  return unit.startsWith(ITEM_PREFIX) ? unit.slice(ITEM_PREFIX.length) : unit;
}

/**
 * The balances to show: currencies (units that are not items) always, items while held; xp is
 * shown on its own. Currencies first, then items, each by name.
 */
export function shownBalances(
  balances: Readonly<Record<string, number>>,
): { readonly unit: string; readonly amount: number; readonly item: boolean }[] {
  return Object.entries(balances)
    .filter(([unit]) => unit !== "xp")
    .map(([unit, amount]) => ({ unit, amount, item: unit.startsWith(ITEM_PREFIX) }))
    .filter((b) => !b.item || b.amount !== 0)
    .sort((a, b) => Number(a.item) - Number(b.item) || a.unit.localeCompare(b.unit));
}

export class Hud {
  readonly element: HTMLElement;
  readonly #body: HTMLElement;
  #last: PlayerRecord | undefined;

  constructor() {
    const { section, body } = panel("hud", "You");
    this.element = section;
    this.#body = body;
    replace(body, h("p", { class: "muted" }, "Waiting for the world…"));
  }

  /** `player` undefined: not in this world (watching). */
  render(player: PlayerRecord | undefined, playerId: string | undefined): void {
    const previous = this.#last;
    this.#last = player;
    if (player === undefined) {
      replace(
        this.#body,
        h(
          "p",
          { class: "muted", "data-testid": "hud-absent" },
          playerId === undefined
            ? "Not signed in."
            : `${playerId} is not in this world: you are watching.`,
        ),
      );
      return;
    }
    const stat = (label: string, value: number, testid: string, before: number | undefined) =>
      h(
        "div",
        { class: `stat${before !== undefined && value > before ? " gained" : ""}` },
        h("span", { class: "stat-label" }, label),
        h("span", { class: "stat-value", "data-testid": testid }, formatNumber(value)),
      );
    const balances = shownBalances(player.balances);
    replace(
      this.#body,
      h(
        "div",
        { class: "stats" },
        stat("XP", player.xp, "hud-xp", previous?.xp),
        stat("Level", player.level, "hud-level", previous?.level),
      ),
      h(
        "div",
        { class: "stats balances", "data-testid": "hud-balances" },
        ...balances.map((b) =>
          stat(unitName(b.unit), b.amount, `hud-balance-${b.unit}`, previous?.balances[b.unit]),
        ),
      ),
      balances.length === 0 ? h("p", { class: "muted" }, "You hold nothing yet.") : null,
    );
  }
}
