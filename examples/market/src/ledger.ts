/**
 * The market's moves of value: each one a linked chain of ledger transfers (all or nothing) with
 * deterministic ids in the economy's scope, so a retried or replayed tick is `exists` and moves
 * nothing twice. Wallets: players' `<player>:<unit>`, the escrows' `escrow.trades:<unit>` and
 * `escrow.auctions:<unit>`, and each unit's `mint:` and `sink:`.
 */
import {
  type Economy,
  isCommitted,
  mintAccount,
  sinkAccount,
  type TransferInput,
  type TransferResult,
  walletAccount,
} from "@ledgerquest/engine";
import { ESCROW, GOODS, type Good, unitOf } from "./catalog.js";
import type { Outcome } from "./commands.js";

/** One leg of a chain: `amount` of `good` from one account to another. */
export interface Leg {
  /** The id's tail; the chain's base and the economy's scope go in front. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly good: Good;
  readonly amount: number;
}

export interface Moved {
  /** Whether every leg is in the journal (now, or from before: a replay). */
  readonly ok: boolean;
  /** The first leg's own failure when not ok (`insufficient_funds`), else `created` or `exists`. */
  readonly result: TransferResult;
}

/** Account ids, by role. */
export const account = {
  wallet: (owner: string, good: Good) => walletAccount(owner, unitOf(good)),
  mint: (good: Good) => mintAccount(unitOf(good)),
  sink: (good: Good) => sinkAccount(unitOf(good)),
  tradeEscrow: (good: Good) => walletAccount(ESCROW.trades, unitOf(good)),
  auctionEscrow: (good: Good) => walletAccount(ESCROW.auctions, unitOf(good)),
};

/** Opens every escrow wallet (never below zero), once per world (idempotent). */
export function openEscrows(economy: Economy): void {
  for (const owner of [ESCROW.trades, ESCROW.auctions]) {
    for (const good of GOODS) {
      const { result } = economy.ledger.openWallet(owner, unitOf(good));
      if (result !== "created" && result !== "exists") {
        throw new Error(`cannot open the escrow wallet ${owner}:${unitOf(good)}: ${result}`);
      }
    }
  }
}

/**
 * Moves every leg, or none: one linked chain with ids `<base>:<leg id>` (scoped), all stamped
 * with `tick` and `reason`.
 */
export function move(
  economy: Economy,
  base: string,
  reason: string,
  tick: number,
  legs: readonly Leg[],
): Moved {
  if (legs.length === 0) throw new Error("a move needs at least one leg");
  const batch: TransferInput[] = legs.map((leg, i) => ({
    id: economy.scoped(`${base}:${leg.id}`),
    debit: leg.from,
    credit: leg.to,
    amount: leg.amount,
    unit: unitOf(leg.good),
    reason,
    tick,
    linked: i < legs.length - 1,
  }));
  const results = economy.ledger.submit(batch);
  if (results.every(isCommitted)) {
    return { ok: true, result: results.some((r) => r === "created") ? "created" : "exists" };
  }
  const own = results.find((r) => !isCommitted(r) && r !== "linked_event_failed");
  return { ok: false, result: own ?? "linked_event_failed" };
}

/** The outcome a player sees for a move. */
export function outcomeOf(moved: Moved): Outcome {
  if (moved.ok) return "ok";
  return moved.result === "insufficient_funds" ? "insufficient_funds" : "refused";
}

/** Moves that must succeed (settling what escrow holds): a failure is a broken invariant. */
export function mustMove(
  economy: Economy,
  base: string,
  reason: string,
  tick: number,
  legs: readonly Leg[],
): void {
  const moved = move(economy, base, reason, tick, legs);
  if (!moved.ok) {
    throw new Error(`market invariant broken: ${base} (${reason}) was refused: ${moved.result}`);
  }
}
