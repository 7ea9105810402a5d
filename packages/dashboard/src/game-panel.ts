/**
 * The game, explained from its description (rules, tick length, world size, how many kinds, its
 * commands), and the command panel: pick one of the game's command types, type its data as
 * JSON, send it through the client SDK and see the answer (`accepted` or `duplicate`, or the
 * typed error with the field it names). It knows no game: the description lists the command
 * types and their data's JSON Schemas (`commandData`), from which a command's text starts as an
 * example; the server's schemas judge the data.
 */
import { exampleOf, type GameDescription, type SendResult } from "@ledgerquest/client";
import { failureText, formatNumber, h, panel, replace } from "./dom.js";

/** Answers kept in the panel's history. */
export const HISTORY_MAX = 8;

/** A command's data from the panel's text: JSON (empty text is `{}`), or why it is not. */
export function parseCommandData(
  text: string,
):
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly message: string } {
  if (text.trim() === "") return { ok: true, data: {} };
  try {
    return { ok: true, data: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `the data is not JSON: ${(error as Error).message}` };
  }
}

/** One line about the game: its rules, ticks a second, world size and kinds. */
export function gameSummary(game: GameDescription): string {
  const b = game.bounds;
  const perSecond = game.tickMs > 0 ? Math.round((1000 / game.tickMs) * 10) / 10 : 0;
  const kinds = Object.keys(game.kinds).length;
  return `${game.rules}: ${formatNumber(perSecond)} ticks a second, a world of ${formatNumber(b.maxX - b.minX)} × ${formatNumber(b.maxY - b.minY)} units, ${kinds} kind${kinds === 1 ? "" : "s"} of entity.`;
}

export interface GamePanelDeps {
  /** Sends a command through the client (`client.send`): never rejects. */
  readonly send: (type: string, data: unknown) => Promise<SendResult>;
}

export class GamePanel {
  readonly element: HTMLElement;
  readonly #deps: GamePanelDeps;
  readonly #about: HTMLElement;
  readonly #type: HTMLSelectElement;
  readonly #data: HTMLTextAreaElement;
  readonly #send: HTMLButtonElement;
  readonly #notice: HTMLElement;
  readonly #result: HTMLElement;
  readonly #history: HTMLElement;
  /** What was typed for each command type, kept while switching between them. */
  readonly #drafts = new Map<string, string>();
  #commands: readonly string[] = [];
  #game: GameDescription | undefined;
  #enabled = false;
  #busy = false;

  constructor(deps: GamePanelDeps) {
    this.#deps = deps;
    const { section, body } = panel("game", "Game");
    this.element = section;
    this.#about = h("div", { class: "game-about", "data-testid": "game-about" });
    this.#type = h("select", {
      id: "command-type",
      "data-testid": "command-type",
      onchange: () => this.#switchType(),
    });
    this.#data = h("textarea", {
      id: "command-data",
      rows: 3,
      spellcheck: "false",
      placeholder: '{"x": 3, "y": 4}',
      "data-testid": "command-data",
      oninput: () => this.#drafts.set(this.#type.value, this.#data.value),
    });
    this.#send = h(
      "button",
      { type: "submit", class: "primary", "data-testid": "command-send" },
      "Send",
    );
    this.#notice = h("p", { class: "muted", "data-testid": "command-notice" });
    this.#result = h("div", {
      class: "command-result",
      "data-testid": "command-result",
      "aria-live": "polite",
    });
    this.#history = h("ol", { class: "command-history", "data-testid": "command-history" });
    body.append(this.#about, this.#form(), this.#history);
    this.setGame(undefined);
    this.setEnabled(false, "Commands go out once you are connected.");
  }

  /** The game's description (from the `state` result), or undefined before it came. */
  setGame(game: GameDescription | undefined): void {
    this.#game = game;
    const commands = game?.commands ?? [];
    if (game === undefined) {
      replace(
        this.#about,
        h("p", { class: "muted" }, "The game's description comes with the world."),
      );
    } else {
      replace(
        this.#about,
        h("p", { "data-testid": "game-rules" }, gameSummary(game)),
        h(
          "ul",
          { class: "chips", "aria-label": "Commands", "data-testid": "game-commands" },
          ...commands.map((c) =>
            h(
              "li",
              {},
              h("button", { type: "button", class: "chip", onclick: () => this.pick(c) }, c),
            ),
          ),
        ),
      );
    }
    if (sameList(commands, this.#commands)) return;
    const keep = this.#type.value;
    this.#commands = commands;
    replace(this.#type, ...commands.map((c) => h("option", { value: c }, c)));
    if (commands.includes(keep)) this.#type.value = keep;
    this.#switchType();
    this.#render();
  }

  /** Whether commands can go out (connected, and the player is one of the world's). */
  setEnabled(enabled: boolean, why = ""): void {
    this.#enabled = enabled;
    this.#notice.textContent = enabled ? "" : why;
    this.#notice.hidden = enabled || why === "";
    this.#render();
  }

  /** Selects command `type` and puts the cursor in its data. */
  pick(type: string): void {
    if (!this.#commands.includes(type)) return;
    this.#type.value = type;
    this.#switchType();
    this.#data.focus();
  }

  #form(): HTMLFormElement {
    return h(
      "form",
      {
        class: "command-form",
        "data-testid": "command-form",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.#submit();
        },
      },
      h("h3", {}, "Send a command"),
      h("label", { for: "command-type" }, "Command"),
      this.#type,
      h("label", { for: "command-data" }, "Data (JSON)"),
      this.#data,
      h("div", { class: "row" }, this.#send),
      this.#notice,
      this.#result,
    );
  }

  #switchType(): void {
    const type = this.#type.value;
    const example = exampleOf(this.#game?.commandData?.[type]);
    this.#data.value =
      this.#drafts.get(type) ?? (example === undefined ? "" : JSON.stringify(example));
  }

  #render(): void {
    const none = this.#commands.length === 0;
    this.#send.disabled = !this.#enabled || this.#busy || none;
    this.#type.disabled = none;
  }

  async #submit(): Promise<void> {
    const type = this.#type.value;
    const text = this.#data.value;
    const parsed = parseCommandData(text);
    if (!parsed.ok) {
      this.#show(type, text, {
        ok: false,
        code: "invalid_data",
        message: parsed.message,
        path: "data",
      });
      return;
    }
    this.#busy = true;
    this.#render();
    this.#result.dataset.ok = "";
    replace(this.#result, h("span", { class: "muted" }, `Sending ${type}…`));
    try {
      this.#show(type, text, await this.#deps.send(type, parsed.data));
    } finally {
      this.#busy = false;
      this.#render();
    }
  }

  /** Shows an answer, and adds it to the history (newest first). */
  #show(
    type: string,
    text: string,
    r: SendResult | { ok: false; code: string; message: string; path?: string },
  ): void {
    const line = r.ok
      ? `✓ ${type}: ${r.result}${r.result === "accepted" ? " (it applies at a later tick)" : " (sent before: it applies once)"}`
      : `✗ ${type}: ${failureText(r)}`;
    const el = this.#result;
    el.dataset.ok = String(r.ok);
    el.dataset.code = r.ok ? r.result : r.code;
    if (!r.ok && r.path !== undefined) el.dataset.path = r.path;
    else delete el.dataset.path;
    replace(el, h("p", { class: r.ok ? "ok" : "bad" }, line));
    const data = text.trim() === "" ? "{}" : text.trim();
    this.#history.prepend(
      h(
        "li",
        { class: r.ok ? "ok" : "bad", title: line },
        h("code", {}, `${type} ${data}`),
        ` → ${r.ok ? r.result : r.code}`,
      ),
    );
    while (this.#history.children.length > HISTORY_MAX) this.#history.lastElementChild?.remove();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
