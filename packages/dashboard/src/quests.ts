/**
 * The quest log: every quest of the game's quest book with the player's state in it (available,
 * active with progress, completed, rewarded, ...), its rewards, and a Claim button for a
 * completed quest that pays on `quest.claim` (the engine's quest command, when the game has it).
 */
import type { JsonValue, PlayerRecord } from "@ledgerquest/client";
import { h, panel, replace } from "./dom.js";

export interface QuestReward {
  readonly unit: string;
  readonly amount: number;
}

/** A quest of the game's book, as the page reads it (the book comes as JSON). */
export interface QuestDescription {
  readonly id: string;
  readonly title: string;
  /** What to do, in the game's words, when the book says. */
  readonly description?: string;
  readonly objectives: readonly { readonly kind: string; readonly count?: number }[];
  readonly rewards: readonly QuestReward[];
  readonly claim?: "manual";
  readonly repeatable?: boolean;
  readonly prerequisites?: { readonly quests?: readonly string[] };
}

/** The quest book of a game description, read defensively (what does not parse is skipped). */
export function questBook(quests: readonly JsonValue[] | undefined): QuestDescription[] {
  const out: QuestDescription[] = [];
  for (const raw of quests ?? []) {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) continue;
    const q = raw as Record<string, unknown>;
    if (typeof q.id !== "string") continue;
    const objectives = Array.isArray(q.objectives)
      ? q.objectives.flatMap((o: unknown) => {
          if (typeof o !== "object" || o === null) return [];
          const r = o as { kind?: unknown; count?: unknown };
          return [
            {
              kind: String(r.kind ?? "?"),
              ...(typeof r.count === "number" ? { count: r.count } : {}),
            },
          ];
        })
      : [];
    const rewards = Array.isArray(q.rewards)
      ? q.rewards.flatMap((o: unknown) => {
          const r = o as { unit?: unknown; amount?: unknown } | null;
          return typeof r?.unit === "string" && typeof r.amount === "number"
            ? [{ unit: r.unit, amount: r.amount }]
            : [];
        })
      : [];
    const prereq = (q.prerequisites as { quests?: unknown } | undefined)?.quests;
    out.push({
      id: q.id,
      title: typeof q.title === "string" ? q.title : q.id,
      ...(typeof q.description === "string" ? { description: q.description } : {}),
      objectives,
      rewards,
      ...(q.claim === "manual" ? { claim: "manual" as const } : {}),
      ...(q.repeatable === true ? { repeatable: true } : {}),
      ...(Array.isArray(prereq)
        ? { prerequisites: { quests: prereq.filter((x): x is string => typeof x === "string") } }
        : {}),
    });
  }
  return out;
}

const STATE_LABELS: Readonly<Record<string, string>> = {
  locked: "Locked",
  available: "Available",
  active: "Active",
  completed: "Completed",
  rewarded: "Rewarded",
  failed: "Failed",
};

/** Order in the log: what needs the player first. */
const STATE_ORDER = ["completed", "active", "available", "rewarded", "locked", "failed"];

/** The total an active quest's progress counts up to (the sum of its objectives' counts). */
export function questTarget(quest: QuestDescription): number {
  return quest.objectives.reduce((n, o) => n + (o.count ?? 1), 0);
}

export function rewardText(quest: QuestDescription): string {
  return quest.rewards.map((r) => `${r.amount} ${r.unit}`).join(" + ");
}

export class QuestLog {
  readonly element: HTMLElement;
  readonly #body: HTMLElement;
  readonly #claim: (questId: string) => Promise<void>;
  readonly #claiming = new Set<string>();
  #book: readonly QuestDescription[] = [];
  #player: PlayerRecord | undefined;
  #canClaim = false;

  constructor(claim: (questId: string) => Promise<void>) {
    const { section, body } = panel("quests", "Quests");
    this.element = section;
    this.#body = body;
    this.#claim = claim;
    this.#render();
  }

  setBook(book: readonly QuestDescription[]): void {
    this.#book = book;
    this.#render();
  }

  setPlayer(player: PlayerRecord | undefined, canClaim: boolean): void {
    this.#player = player;
    this.#canClaim = canClaim;
    this.#render();
  }

  #render(): void {
    const player = this.#player;
    if (player === undefined) {
      replace(this.#body, h("p", { class: "muted" }, "Quests show once you are in the world."));
      return;
    }
    // The book, plus any quest the player has that the book (an older server) did not describe.
    const book = [...this.#book];
    for (const id of Object.keys(player.quests)) {
      if (!book.some((q) => q.id === id)) book.push({ id, title: id, objectives: [], rewards: [] });
    }
    const stateOf = (q: QuestDescription) => player.quests[q.id]?.state ?? "locked";
    book.sort(
      (a, b) =>
        STATE_ORDER.indexOf(stateOf(a)) - STATE_ORDER.indexOf(stateOf(b)) ||
        this.#book.indexOf(a) - this.#book.indexOf(b),
    );
    replace(
      this.#body,
      book.length === 0
        ? h("p", { class: "muted" }, "This game has no quests.")
        : h("ul", { class: "quest-list" }, ...book.map((q) => this.#quest(q, player))),
    );
  }

  #quest(q: QuestDescription, player: PlayerRecord): HTMLElement {
    const status = player.quests[q.id];
    const state = status?.state ?? "locked";
    const target = questTarget(q);
    const progress = Math.min(status?.progress ?? 0, target);
    const tags: HTMLElement[] = [];
    if (q.repeatable) tags.push(h("span", { class: "tag" }, "repeatable"));
    if (q.claim === "manual") tags.push(h("span", { class: "tag" }, "claim to collect"));
    let action: HTMLElement | undefined;
    if (state === "completed" && q.claim === "manual") {
      const busy = this.#claiming.has(q.id);
      action = h(
        "button",
        {
          class: "primary small",
          type: "button",
          "data-testid": `quest-claim-${q.id}`,
          disabled: busy || !this.#canClaim,
          onclick: () => {
            this.#claiming.add(q.id);
            this.#render();
            this.#claim(q.id).finally(() => {
              this.#claiming.delete(q.id);
              this.#render();
            });
          },
        },
        busy ? "Claiming…" : `Claim ${rewardText(q)}`,
      );
    }
    const prereqs = q.prerequisites?.quests ?? [];
    return h(
      "li",
      { class: `quest state-${state}`, "data-testid": `quest-${q.id}`, "data-state": state },
      h(
        "div",
        { class: "quest-head" },
        h("span", { class: "quest-title" }, q.title),
        h(
          "span",
          { class: `badge badge-${state}`, "data-testid": `quest-state-${q.id}` },
          STATE_LABELS[state] ?? state,
        ),
      ),
      state === "active" && target > 0
        ? h(
            "div",
            { class: "progress-row" },
            h("progress", {
              max: target,
              value: progress,
              "aria-label": `${q.title}: ${progress} of ${target}`,
            }),
            h("span", { class: "muted" }, `${progress} / ${target}`),
          )
        : null,
      q.description === undefined ? null : h("p", { class: "quest-text muted" }, q.description),
      h(
        "div",
        { class: "quest-meta" },
        q.rewards.length > 0 ? h("span", {}, `Reward: ${rewardText(q)}`) : null,
        state === "locked" && prereqs.length > 0
          ? h("span", { class: "muted" }, `after ${prereqs.join(", ")}`)
          : null,
        ...tags,
      ),
      action ?? null,
    );
  }
}
