/**
 * The ledger feed: the newest transfers of the world's journal (reason, amount and unit, from →
 * to, tick), the chain's head hash, and a Verify button that asks the server to check the whole
 * journal against the world's digest and the balances. Refreshed with a `ledger` query after each
 * push whose ledger count moved (one query in flight at most). Queries go through the client SDK,
 * whose answers are values: a failure is shown, never thrown.
 */
import type { JournalEntry, QueryResult, TransferEntry } from "@ledgerquest/client";
import { failureText, formatNumber, h, panel, replace, shortHash, showFailure } from "./dom.js";
import { kindColor } from "./look.js";

type Transfer = TransferEntry;

export interface LedgerFeedDeps {
  /** The SDK's `ledger` query (`client.ledger(100)`). */
  readonly ledger: () => Promise<QueryResult<"ledger">>;
  /** The SDK's `verify` query. */
  readonly verify: () => Promise<QueryResult<"verify">>;
  readonly playerId: () => string | undefined;
}

/** The entries to show: transfers, newest first, optionally only those touching `owner`'s accounts. */
export function feedTransfers(
  entries: readonly JournalEntry[],
  owner: string | undefined,
  limit = 30,
): Transfer[] {
  const out: Transfer[] = [];
  for (const e of entries) {
    if (e.kind !== "transfer") continue;
    if (owner !== undefined && !ownedBy(e.debit, owner) && !ownedBy(e.credit, owner)) continue;
    out.push(e);
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => b.seq - a.seq);
}

/** Wallet ids are `<owner>:<unit>`. */
function ownedBy(account: string, owner: string): boolean {
  return account.startsWith(`${owner}:`);
}

export class LedgerFeed {
  readonly element: HTMLElement;
  readonly #deps: LedgerFeedDeps;
  readonly #list: HTMLElement;
  readonly #head: HTMLElement;
  readonly #verifyButton: HTMLButtonElement;
  readonly #verifyResult: HTMLElement;
  readonly #mineOnly: HTMLInputElement;
  #count = -1;
  #entries: readonly JournalEntry[] = [];
  #inFlight = false;
  #again = false;
  #enabled = false;

  constructor(deps: LedgerFeedDeps) {
    this.#deps = deps;
    this.#mineOnly = h("input", {
      type: "checkbox",
      id: "ledger-mine",
      "data-testid": "ledger-mine",
      onchange: () => this.#renderList(),
    });
    this.#verifyButton = h(
      "button",
      { type: "button", "data-testid": "verify-button", onclick: () => void this.#verify() },
      "Verify",
    );
    // Alike in form: game-panel.ts's panel (its parts made alike: a class, a test id each).
    const { section, body } = panel("ledger", "Ledger", [this.#verifyButton]);
    this.element = section;
    this.#head = h("div", { class: "ledger-head", "data-testid": "ledger-head" });
    // Alike in form: game-panel.ts's command result (a live region of the same markup).
    this.#verifyResult = h("div", {
      class: "verify-result",
      "data-testid": "verify-result",
      "aria-live": "polite",
    });
    this.#list = h("ol", { class: "feed", "data-testid": "ledger-feed" });
    body.append(
      this.#head,
      this.#verifyResult,
      h("label", { class: "inline", for: "ledger-mine" }, this.#mineOnly, " only my transfers"),
      this.#list,
    );
    this.#renderHead(undefined, undefined);
    this.setEnabled(false);
  }

  setEnabled(connected: boolean): void {
    this.#enabled = connected;
    this.#verifyButton.disabled = !connected;
  }

  /** A push or a state result told the journal's count and head. */
  onDigest(count: number, head: string): void {
    this.#renderHead(count, head);
    if (count === this.#count) return;
    this.#count = count;
    void this.refresh();
  }

  async refresh(): Promise<void> {
    if (!this.#enabled) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    try {
      const result = await this.#deps.ledger();
      if (result.ok) {
        this.#entries = result.data.entries;
        this.#renderHead(result.data.count, result.data.head);
        this.#renderList();
      } else {
        replace(
          this.#list,
          h("li", { class: "muted" }, `Could not read the ledger: ${failureText(result)}`),
        );
      }
    } finally {
      this.#inFlight = false;
      if (this.#again) {
        this.#again = false;
        void this.refresh();
      }
    }
  }

  #renderHead(count: number | undefined, head: string | undefined): void {
    replace(
      this.#head,
      h("span", { class: "muted" }, "Entries "),
      h(
        "strong",
        { "data-testid": "ledger-count" },
        count === undefined ? "—" : formatNumber(count),
      ),
      h("span", { class: "muted" }, " · head "),
      shortHash(head, 16),
    );
  }

  #renderList(): void {
    const owner = this.#mineOnly.checked ? this.#deps.playerId() : undefined;
    const transfers = feedTransfers(this.#entries, owner);
    const me = this.#deps.playerId();
    if (transfers.length === 0) {
      replace(this.#list, h("li", { class: "muted" }, "No transfers yet."));
      return;
    }
    replace(
      this.#list,
      ...transfers.map((t) => {
        const mine = me !== undefined && (ownedBy(t.debit, me) || ownedBy(t.credit, me));
        return h(
          "li",
          {
            class: `transfer${mine ? " mine" : ""}`,
            "data-testid": "ledger-entry",
            "data-reason": t.reason,
            "data-unit": t.unit,
            title: `#${t.seq} ${t.id}\nhash ${t.hash}`,
          },
          h("span", { class: "reason" }, t.reason),
          h(
            "span",
            { class: "amount", style: `--unit: ${kindColor(t.unit)}` },
            `${formatNumber(t.amount)} ${t.unit}`,
          ),
          h("span", { class: "route" }, `${t.debit} → ${t.credit}`),
          h("span", { class: "tick muted" }, `tick ${formatNumber(t.tick)}`),
        );
      }),
    );
  }

  async #verify(): Promise<void> {
    this.#verifyButton.disabled = true;
    replace(this.#verifyResult, h("span", { class: "muted" }, "Verifying the whole journal…"));
    this.#verifyResult.dataset.ok = "";
    try {
      const answer = await this.#deps.verify();
      if (!answer.ok) {
        showFailure(this.#verifyResult, "Verify", answer);
        return;
      }
      const r = answer.data;
      this.#verifyResult.dataset.ok = String(r.ok);
      const summary = `${formatNumber(r.entries)} entries, ${formatNumber(r.accounts)} accounts, ${formatNumber(r.transfers)} transfers at tick ${formatNumber(r.tick)} (${Math.round(r.timing.totalMs)} ms)`;
      replace(
        this.#verifyResult,
        r.ok
          ? h("p", { class: "ok" }, `✓ Verified: ${summary}. Chain, digest and balances agree.`)
          : h("p", { class: "bad" }, `✗ ${r.problems.length} problem(s) found in ${summary}:`),
        r.ok
          ? null
          : h(
              "ul",
              { class: "problems" },
              ...r.problems.slice(0, 20).map((p) => h("li", {}, describeProblem(p))),
            ),
      );
    } finally {
      this.#verifyButton.disabled = !this.#enabled;
    }
  }
}

function describeProblem(p: unknown): string {
  if (typeof p !== "object" || p === null) return String(p);
  const o = p as Record<string, unknown>;
  const text = [o.kind, o.code, o.message ?? o.detail].filter((v) => v !== undefined).join(": ");
  return text === "" ? JSON.stringify(p) : text;
}
