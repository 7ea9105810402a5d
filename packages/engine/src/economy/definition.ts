import * as z from "zod/mini";
import { EngineError } from "../errors.js";
import {
  type DefinitionIssue,
  describeIssues,
  intRange,
  list,
  nonNegativeInt,
  pattern,
  positiveInt,
  text,
  zodIssues,
} from "./validation.js";

export type { DefinitionIssue } from "./validation.js";

/**
 * The declarative definition of a game's economy, validated at load (`defineEconomy`):
 *
 * ```ts
 * const economy = defineEconomy({
 *   units: [{ id: "gold" }, { id: "gems" }, { id: "xp" }],
 *   items: [{ id: "sword", currency: "gold", price: 100, sellPrice: 40 }],
 *   levels: { unit: "xp", formula: { base: 100, increment: 50, maxLevel: 50 } },
 * });
 * ```
 *
 * - **Units** are what the ledger counts: currencies (`gold`, `gems`) and experience (`xp`).
 * - **Items** are units too: item `sword` is the ledger unit `item.sword`, so a player's swords are
 *   the balance of the wallet `player_0001:item.sword`. An item with a `price` is sold by the shop
 *   for that many `currency`; with a `sellPrice` the shop buys it back (never above `price`,
 *   which would let players mint currency by buying and selling).
 * - **Levels** map the xp balance to a level (level 1 at 0 xp), by an explicit list of thresholds
 *   or an integer formula (see `LevelCurveDefinition`).
 * - **Shop**: by default the shop is the game itself: currency paid to it leaves the economy (the
 *   unit's sink) and currency it pays comes from the unit's mint. With `owner`, it trades from
 *   that owner's wallets instead (it can then run out of money).
 */
export interface EconomyDefinition {
  readonly units: readonly UnitDefinition[];
  readonly items?: readonly ItemDefinition[];
  readonly levels?: LevelCurveDefinition;
  readonly shop?: ShopDefinition;
}

export interface UnitDefinition {
  /** Lowercase letters, digits and `_`, starting with a letter, at most 32 characters. */
  readonly id: string;
  /** Display name. */
  readonly name?: string;
}

export interface ItemDefinition {
  /** Lowercase letters, digits and `_`, starting with a letter, at most 32 characters. */
  readonly id: string;
  readonly name?: string;
  /** The unit of `price` and `sellPrice` (required with either). */
  readonly currency?: string;
  /** What the shop charges for one; absent: the shop does not sell it. */
  readonly price?: number;
  /** What the shop pays for one; absent: the shop does not buy it. At most `price`. */
  readonly sellPrice?: number;
}

/**
 * The xp needed for each level. Level 1 needs 0 xp. Give exactly one of:
 * - `thresholds`: the total xp needed for levels 1, 2, 3, ...: starts with 0, strictly increasing.
 * - `formula`: the xp from level L to L+1 is `base` for L = 1, then
 *   `floor(previous × (100 + growthPercent) / 100) + increment`, up to `maxLevel`. With
 *   `growthPercent` 0 the total grows quadratically (or linearly with `increment` 0 too); with a
 *   growth it grows geometrically. Integer arithmetic only, so every machine gets the same table.
 */
export interface LevelCurveDefinition {
  /** The unit counted as experience; default `xp`. Must be one of the units. */
  readonly unit?: string;
  readonly thresholds?: readonly number[];
  readonly formula?: LevelFormula;
}

export interface LevelFormula {
  /** Xp from level 1 to level 2. */
  readonly base: number;
  /** Added to each next step; default 0. */
  readonly increment?: number;
  /** Growth of each step over the previous, in whole percent; default 0. */
  readonly growthPercent?: number;
  /** The highest level, 2 to 10,000. */
  readonly maxLevel: number;
}

export interface ShopDefinition {
  /** Trade from this owner's wallets (e.g. `shop`) instead of minting and sinking. */
  readonly owner?: string;
}

/** The validated economy: what `defineEconomy` returns, frozen. */
export interface EconomySpec {
  /** Currency and xp units, in definition order. */
  readonly units: readonly string[];
  readonly items: readonly ItemSpec[];
  /** The xp unit, when the economy has levels. */
  readonly xpUnit: string | undefined;
  readonly levels: LevelCurve | undefined;
  /** The shop's wallet owner, or undefined when the shop mints and sinks. */
  readonly shopOwner: string | undefined;
  /** Every ledger unit, currencies first, then `item.<id>` in definition order. */
  readonly ledgerUnits: readonly string[];
}

export interface ItemSpec {
  readonly id: string;
  /** Its ledger unit: `item.<id>`. */
  readonly unit: string;
  readonly name: string;
  readonly currency: string | undefined;
  readonly price: number | undefined;
  readonly sellPrice: number | undefined;
}

/** The definition of an economy is invalid; `issues` lists every problem with its path. */
export class EconomyDefinitionError extends EngineError {
  override readonly name = "EconomyDefinitionError";
  constructor(readonly issues: readonly DefinitionIssue[]) {
    super(describeIssues(issues));
  }
}

/** The ledger unit of an item: `item.<id>`. */
export function itemUnit(item: string): string {
  return `item.${item}`;
}

export const UNIT_ID = /^[a-z][a-z0-9_]{0,31}$/;
/** Wallet owners (players, the shop): letters, digits, `_ . -`; no `:` (wallet ids are `owner:unit`). */
export const OWNER_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_LEVEL = 10_000;

const unitId = () => pattern(UNIT_ID, "a unit id (lowercase letters, digits, _; at most 32)");

const economySchema = z.strictObject({
  units: list(
    z.strictObject({ id: unitId(), name: z.optional(text(64)) }),
    "must be a list of units",
  ),
  items: z.optional(
    list(
      z.strictObject({
        id: pattern(UNIT_ID, "an item id (lowercase letters, digits, _; at most 32)"),
        name: z.optional(text(64)),
        currency: z.optional(unitId()),
        price: z.optional(positiveInt()),
        sellPrice: z.optional(positiveInt()),
      }),
      "must be a list of items",
    ),
  ),
  levels: z.optional(
    z.strictObject({
      unit: z.optional(unitId()),
      thresholds: z.optional(list(nonNegativeInt(), "must be a list of xp thresholds")),
      formula: z.optional(
        z.strictObject({
          base: positiveInt(),
          increment: z.optional(nonNegativeInt()),
          growthPercent: z.optional(intRange(0, 1000)),
          maxLevel: intRange(2, MAX_LEVEL),
        }),
      ),
    }),
  ),
  shop: z.optional(
    z.strictObject({
      owner: z.optional(pattern(OWNER_ID, "an owner id (letters, digits, _ . -; at most 64)")),
    }),
  ),
});

/** The unit ids in order, first occurrences only; a repeat or an empty list is an issue. */
function unitsOf(
  list: readonly { readonly id: string }[],
  issues: DefinitionIssue[],
): { units: string[]; unitIndex: Map<string, number> } {
  const units: string[] = [];
  const unitIndex = new Map<string, number>();
  list.forEach((u, i) => {
    const first = unitIndex.get(u.id);
    if (first !== undefined) {
      issues.push({
        path: `economy.units[${i}].id`,
        message: `duplicate unit "${u.id}" (also economy.units[${first}])`,
      });
    } else {
      unitIndex.set(u.id, i);
      units.push(u.id);
    }
  });
  if (list.length === 0) issues.push({ path: "economy.units", message: "must not be empty" });
  return { units, unitIndex };
}

/** Validates an economy definition and returns it normalized and frozen. Throws `EconomyDefinitionError`. */
export function defineEconomy(input: unknown): EconomySpec {
  const parsed = economySchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new EconomyDefinitionError(zodIssues("economy", parsed.error));
  const def = parsed.data;
  const issues: DefinitionIssue[] = [];

  const { units, unitIndex } = unitsOf(def.units, issues);

  const items: ItemSpec[] = [];
  const itemIndex = new Map<string, number>();
  (def.items ?? []).forEach((it, i) => {
    const at = `economy.items[${i}]`;
    const first = itemIndex.get(it.id);
    if (first !== undefined) {
      issues.push({
        path: `${at}.id`,
        message: `duplicate item "${it.id}" (also economy.items[${first}])`,
      });
      return;
    }
    itemIndex.set(it.id, i);
    if (it.currency !== undefined && !unitIndex.has(it.currency)) {
      issues.push({
        path: `${at}.currency`,
        message: `unknown unit "${it.currency}" (units: ${units.join(", ")})`,
      });
    }
    if ((it.price !== undefined || it.sellPrice !== undefined) && it.currency === undefined) {
      issues.push({ path: `${at}.currency`, message: "is required with a price or sellPrice" });
    }
    if (it.price !== undefined && it.sellPrice !== undefined && it.sellPrice > it.price) {
      issues.push({
        path: `${at}.sellPrice`,
        message: `must not exceed price ${it.price}, got ${it.sellPrice} (buying and selling would mint currency)`,
      });
    }
    items.push(
      Object.freeze({
        id: it.id,
        unit: itemUnit(it.id),
        name: it.name ?? it.id,
        currency: it.currency,
        price: it.price,
        sellPrice: it.sellPrice,
      }),
    );
  });

  let levels: LevelCurve | undefined;
  let xpUnit: string | undefined;
  if (def.levels) {
    xpUnit = def.levels.unit ?? "xp";
    if (!unitIndex.has(xpUnit)) {
      issues.push({
        path: def.levels.unit === undefined ? "economy.levels" : "economy.levels.unit",
        message: `xp unit "${xpUnit}" is not one of the units (${units.join(", ")})`,
      });
    }
    const { thresholds, formula } = def.levels;
    if ((thresholds === undefined) === (formula === undefined)) {
      issues.push({
        path: "economy.levels",
        message: 'give exactly one of "thresholds" or "formula"',
      });
    } else if (thresholds !== undefined) {
      const problem = checkThresholds(thresholds);
      if (problem)
        issues.push({ path: `economy.levels.thresholds${problem[0]}`, message: problem[1] });
      else levels = new LevelCurve(thresholds);
    } else if (formula !== undefined) {
      const table = formulaThresholds(formula);
      if (typeof table === "string")
        issues.push({ path: "economy.levels.formula", message: table });
      else levels = new LevelCurve(table);
    }
  }

  if (issues.length > 0) throw new EconomyDefinitionError(issues);
  return Object.freeze({
    units: Object.freeze(units),
    items: Object.freeze(items),
    xpUnit: levels ? xpUnit : undefined,
    levels,
    shopOwner: def.shop?.owner,
    ledgerUnits: Object.freeze([...units, ...items.map((i) => i.unit)]),
  });
}

function checkThresholds(t: readonly number[]): [string, string] | undefined {
  if (t.length < 2) return ["", "must list at least 2 levels (level 1 at 0 xp, then level 2)"];
  if (t[0] !== 0) return ["[0]", `must be 0 (level 1 needs no xp), got ${t[0]}`];
  if (t.length > MAX_LEVEL) return ["", `must list at most ${MAX_LEVEL} levels`];
  for (let i = 1; i < t.length; i++) {
    if ((t[i] as number) <= (t[i - 1] as number)) {
      return [`[${i}]`, `must be greater than the previous threshold ${t[i - 1]}, got ${t[i]}`];
    }
  }
  return undefined;
}

/** Exact floor(a / b) for non-negative safe integers (plain `/` may round up near 2^53). */
function idiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}

/** The thresholds of a formula curve, or why it cannot be tabulated. */
function formulaThresholds(f: LevelFormula): number[] | string {
  const increment = f.increment ?? 0;
  const growth = 100 + (f.growthPercent ?? 0);
  const out = [0];
  let step = f.base;
  let total = 0;
  for (let level = 2; level <= f.maxLevel; level++) {
    if (total > Number.MAX_SAFE_INTEGER - step) {
      return `the xp for level ${level} exceeds 2^53 - 1; lower maxLevel, base, increment or growthPercent`;
    }
    total += step;
    out.push(total);
    // The next step; each operand stays below 2^53 so the arithmetic is exact.
    if (step > idiv(Number.MAX_SAFE_INTEGER - increment, growth)) step = Number.MAX_SAFE_INTEGER;
    else step = idiv(step * growth, 100) + increment;
  }
  return out;
}

/** A level curve: the total xp needed for each level, level 1 at 0 xp. Pure integer lookups. */
export class LevelCurve {
  readonly thresholds: readonly number[];

  constructor(thresholds: readonly number[]) {
    const problem = checkThresholds(thresholds);
    if (problem) {
      throw new EconomyDefinitionError([
        { path: `levels.thresholds${problem[0]}`, message: problem[1] },
      ]);
    }
    for (const t of thresholds) {
      if (!Number.isSafeInteger(t)) {
        throw new EconomyDefinitionError([
          { path: "levels.thresholds", message: `must be safe integers, got ${t}` },
        ]);
      }
    }
    this.thresholds = Object.freeze([...thresholds]);
  }

  get maxLevel(): number {
    return this.thresholds.length;
  }

  /** The level of an xp total (1 for anything below the level-2 threshold, including negatives). */
  levelFor(xp: number): number {
    const t = this.thresholds;
    let lo = 0;
    let hi = t.length - 1;
    if (!(xp >= (t[1] as number))) return 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((t[mid] as number) <= xp) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The total xp needed to reach `level` (clamped to 1..maxLevel). */
  xpFor(level: number): number {
    const l = Math.min(Math.max(Math.floor(level), 1), this.thresholds.length);
    return this.thresholds[l - 1] as number;
  }
}
