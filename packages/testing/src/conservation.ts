/**
 * Conservation of value: for every unit, what accounts outside the system hold equals what its
 * mint issued less what its sink took (`held == minted - sunk`), and the journal verifies (chain,
 * hashes, every entry re-applied, each unit summing to zero, projections). The ledger makes a
 * one-sided credit impossible (every transfer debits one account and credits another), so the
 * leaks left to a game are value drawn from a system account other than the mint (found by the
 * runtime's verify as `supply_mismatch`) and value drawn from an account of its own without a
 * balance floor, which goes below zero to pay (found here as `negative_holding`).
 */
import type { VerifyWorldProblem, VerifyWorldReport } from "@ledgerquest/runtime";
import { ConservationError } from "./errors.js";
import type { SupplyFigures, TestWorld } from "./test-world.js";

/** An account outside the system below zero: it paid out value it never received. */
export interface NegativeHolding {
  readonly kind: "negative_holding";
  readonly account: string;
  readonly owner: string;
  readonly unit: string;
  readonly balance: number;
  readonly detail: string;
}

export type ConservationProblem = VerifyWorldProblem | NegativeHolding;

export interface ConservationReport {
  readonly ok: boolean;
  readonly problems: readonly ConservationProblem[];
  /** Per unit: minted, sunk, held. */
  readonly supply: Readonly<Record<string, SupplyFigures>>;
  /** The runtime's verify report the check is built on. */
  readonly verify: VerifyWorldReport;
}

export interface ConservationOptions {
  /**
   * Accounts outside the system that may go below zero (a game's own credit line, by id).
   * Default none: every such account is expected to hold zero or more.
   */
  readonly mayGoNegative?: readonly string[];
}

/** Checks a world's ledger for conservation of value (see the module comment); a value, never thrown. */
export async function checkConservation(
  world: TestWorld,
  options: ConservationOptions = {},
): Promise<ConservationReport> {
  const verify = await world.verify();
  const problems: ConservationProblem[] = [...verify.problems];
  const allowed = new Set(options.mayGoNegative ?? []);
  const totals = new Map<string, { owner: string; unit: string; balance: number }>();
  for (const e of world.journal()) {
    if (e.kind === "account") {
      totals.set(e.id, { owner: e.owner, unit: e.unit, balance: 0 });
      continue;
    }
    const debit = totals.get(e.debit);
    const credit = totals.get(e.credit);
    if (debit !== undefined) debit.balance -= e.amount;
    if (credit !== undefined) credit.balance += e.amount;
  }
  for (const [account, a] of totals) {
    if (a.owner === "system" || a.balance >= 0 || allowed.has(account)) continue;
    problems.push({
      kind: "negative_holding",
      account,
      owner: a.owner,
      unit: a.unit,
      balance: a.balance,
      detail: `${account} (owned by ${a.owner}) holds ${a.balance} ${a.unit}: it paid out value it never received`,
    });
  }
  return { ok: problems.length === 0, problems, supply: world.supply(), verify };
}

/** `checkConservation`, throwing a `ConservationError` that lists the problems. */
export async function expectConservation(
  world: TestWorld,
  options: ConservationOptions = {},
): Promise<ConservationReport> {
  const report = await checkConservation(world, options);
  if (!report.ok) {
    throw new ConservationError(
      `world ${world.worldId} at tick ${world.tickNumber} does not conserve value: ${report.problems.map((p) => p.detail).join("; ")}`,
    );
  }
  return report;
}
