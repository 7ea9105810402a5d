/**
 * Operator tools: every world (version, tick, running or not, players, connections) from the
 * `worlds` query, and a replay check of a tick range (the `replay` query) that shows a match or
 * the first mismatching tick with its recorded and replayed hashes. Both queries are for
 * operators only: a `forbidden` answer turns the panel into a clear message.
 */
import type { Failure, QueryResult } from "@ledgerquest/client";
import { failureText, formatNumber, h, panel, replace, shortHash, showFailure } from "./dom.js";

export interface OperatorDeps {
  /** The SDK's `worlds` query. */
  readonly worlds: () => Promise<QueryResult<"worlds">>;
  /** The SDK's `replay` query over a tick range. */
  readonly replay: (fromTick?: number, toTick?: number) => Promise<QueryResult<"replay">>;
  readonly currentWorld: () => string;
}

export class OperatorPanel {
  readonly element: HTMLElement;
  readonly #deps: OperatorDeps;
  readonly #body: HTMLElement;
  readonly #table: HTMLElement;
  readonly #refresh: HTMLButtonElement;
  readonly #replayForm: HTMLFormElement;
  readonly #replayResult: HTMLElement;
  readonly #from: HTMLInputElement;
  readonly #to: HTMLInputElement;
  readonly #run: HTMLButtonElement;
  #forbidden = false;
  #connected = false;

  constructor(deps: OperatorDeps) {
    this.#deps = deps;
    this.#refresh = h(
      "button",
      { type: "button", "data-testid": "worlds-refresh", onclick: () => void this.refresh() },
      "Refresh",
    );
    const { section, body } = panel("operator", "Operator", [this.#refresh]);
    this.element = section;
    this.#body = body;
    this.#table = h("div", { class: "worlds", "data-testid": "worlds-table" });
    this.#from = h("input", {
      type: "number",
      min: 0,
      step: 1,
      id: "replay-from",
      inputmode: "numeric",
      placeholder: "first",
      "data-testid": "replay-from",
    });
    this.#to = h("input", {
      type: "number",
      min: 0,
      step: 1,
      id: "replay-to",
      inputmode: "numeric",
      placeholder: "last",
      "data-testid": "replay-to",
    });
    this.#run = h(
      "button",
      { type: "submit", class: "primary", "data-testid": "replay-run" },
      "Replay",
    );
    this.#replayResult = h("div", {
      class: "replay-result",
      "data-testid": "replay-result",
      "aria-live": "polite",
    });
    this.#replayForm = h(
      "form",
      {
        class: "replay-form",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.#replay();
        },
      },
      h("h3", {}, "Replay check"),
      h(
        "p",
        { class: "muted" },
        "Re-runs this world's ticks from genesis and compares every state hash (at most 3,600 ticks).",
      ),
      h(
        "div",
        { class: "row" },
        h("label", { for: "replay-from" }, "From tick"),
        this.#from,
        h("label", { for: "replay-to" }, "to"),
        this.#to,
        this.#run,
      ),
      this.#replayResult,
    );
    this.#render();
  }

  setConnected(connected: boolean): void {
    this.#connected = connected;
    this.#render();
  }

  async refresh(): Promise<void> {
    if (!this.#connected || this.#forbidden) return;
    this.#refresh.disabled = true;
    try {
      const answer = await this.#deps.worlds();
      if (!answer.ok) {
        if (!this.#isForbidden(answer)) {
          replace(
            this.#table,
            h("p", { class: "bad" }, `Could not list worlds: ${failureText(answer)}`),
          );
        }
        return;
      }
      const { worlds } = answer.data;
      const current = this.#deps.currentWorld();
      replace(
        this.#table,
        worlds.length === 0
          ? h("p", { class: "muted" }, "No worlds.")
          : h(
              "table",
              {},
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  // Narrow enough for the sidebar: the rules and the last commit's time are the
                  // world cell's tooltip.
                  ...["World", "Version", "Tick", "Online", "Loop"].map((c) =>
                    h("th", { scope: "col" }, c),
                  ),
                ),
              ),
              h(
                "tbody",
                {},
                ...worlds.map((w) =>
                  h(
                    "tr",
                    { class: w.worldId === current ? "current" : "", "data-world": w.worldId },
                    h(
                      "th",
                      {
                        scope: "row",
                        title: `${w.rules}, last commit ${new Date(w.updatedAtMs).toLocaleTimeString()}`,
                      },
                      w.worldId,
                    ),
                    h("td", {}, formatNumber(w.version)),
                    h("td", {}, formatNumber(w.tick)),
                    h("td", {}, formatNumber(w.connections)),
                    h("td", {}, w.active ? "running" : "stopped"),
                  ),
                ),
              ),
            ),
      );
    } finally {
      this.#refresh.disabled = !this.#connected || this.#forbidden;
    }
  }

  async #replay(): Promise<void> {
    const from = this.#from.value === "" ? undefined : Number(this.#from.value);
    const to = this.#to.value === "" ? undefined : Number(this.#to.value);
    this.#run.disabled = true;
    replace(this.#replayResult, h("span", { class: "muted" }, "Replaying…"));
    this.#replayResult.dataset.ok = "";
    try {
      const answer = await this.#deps.replay(from, to);
      if (!answer.ok) {
        if (!this.#isForbidden(answer)) showFailure(this.#replayResult, "Replay", answer);
        return;
      }
      const r = answer.data;
      this.#replayResult.dataset.ok = String(r.ok);
      const range = `ticks ${formatNumber(r.fromTick)}–${formatNumber(r.toTick)}`;
      if (r.ok) {
        replace(
          this.#replayResult,
          h(
            "p",
            { class: "ok" },
            `✓ Replay matches: ${range}, ${formatNumber(r.ticksChecked)} hashes compared, ${formatNumber(r.commandsApplied)} commands, ${formatNumber(r.entriesChecked)} ledger entries (${Math.round(r.elapsedMs)} ms).`,
          ),
        );
      } else {
        // The server's mismatch also carries the recorded and replayed values (`expected`,
        // `actual`) for most kinds; the SDK's type names only the common fields.
        const m = r.mismatch as
          | (NonNullable<typeof r.mismatch> & { expected?: unknown; actual?: unknown })
          | undefined;
        replace(
          this.#replayResult,
          h(
            "p",
            { class: "bad" },
            `✗ Mismatch in ${range} at tick ${m?.tick ?? "?"} (${m?.kind ?? "?"})`,
          ),
          m?.expected !== undefined
            ? h(
                "dl",
                { class: "hashes" },
                h("dt", {}, "recorded"),
                h("dd", {}, shortHash(String(m.expected), 24)),
                h("dt", {}, "replayed"),
                h("dd", {}, shortHash(String(m.actual), 24)),
              )
            : null,
          m?.detail !== undefined ? h("p", { class: "muted" }, m.detail) : null,
        );
      }
    } finally {
      this.#run.disabled = !this.#connected || this.#forbidden;
    }
  }

  #isForbidden(failure: Failure): boolean {
    if (failure.code !== "forbidden") return false;
    this.#forbidden = true;
    this.#render();
    return true;
  }

  #render(): void {
    this.#refresh.disabled = !this.#connected || this.#forbidden;
    this.#run.disabled = !this.#connected || this.#forbidden;
    if (this.#forbidden) {
      this.element.dataset.forbidden = "true";
      replace(
        this.#body,
        h(
          "p",
          { class: "notice", "data-testid": "operator-forbidden" },
          "Operator tools are for operators. Your sign-in is not in the operators group: sign in as an operator to list worlds and run replay checks.",
        ),
      );
      return;
    }
    if (!this.#body.contains(this.#table)) replace(this.#body, this.#table, this.#replayForm);
  }
}
