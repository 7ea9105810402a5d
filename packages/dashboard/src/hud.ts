/** The player's HUD: gold, xp, level, gems and items, from the `state` result and `you` pushes. */
import { formatNumber, h, panel, replace } from "./dom.js";
import type { PlayerRecord } from "./protocol.js";

/** Units the HUD shows as headline numbers; everything else is an item. */
const HEADLINE = ["gold", "gems"] as const;

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
    const stat = (label: string, value: number, testid: string, unit?: string) => {
      const before = unit === undefined ? undefined : previous?.balances[unit];
      const gained = before !== undefined && value > before;
      return h(
        "div",
        { class: `stat${gained ? " gained" : ""}` },
        h("span", { class: "stat-label" }, label),
        h("span", { class: "stat-value", "data-testid": testid }, formatNumber(value)),
      );
    };
    const items = Object.entries(player.balances)
      .filter(([unit]) => !(HEADLINE as readonly string[]).includes(unit) && unit !== "xp")
      .filter(([, amount]) => amount !== 0)
      .sort(([a], [b]) => a.localeCompare(b));
    replace(
      this.#body,
      h(
        "div",
        { class: "stats" },
        stat("Gold", player.balances.gold ?? 0, "hud-gold", "gold"),
        stat("Gems", player.balances.gems ?? 0, "hud-gems", "gems"),
        stat("XP", player.xp, "hud-xp", "xp"),
        stat("Level", player.level, "hud-level"),
      ),
      h(
        "div",
        { class: "items", "data-testid": "hud-items" },
        h("span", { class: "stat-label" }, "Items "),
        items.length === 0
          ? h("span", { class: "muted" }, "none")
          : h(
              "ul",
              { class: "chips" },
              ...items.map(([unit, amount]) =>
                h("li", { class: "chip" }, `${unit.replace(/^item\./, "")} × ${amount}`),
              ),
            ),
      ),
    );
  }
}
