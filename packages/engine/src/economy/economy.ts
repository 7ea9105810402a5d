import { NO_ENTITY } from "../ecs/component.js";
import type { World } from "../ecs/world.js";
import { InvalidArgumentError } from "../errors.js";
import { Ledger, mintAccount, sinkAccount, walletAccount } from "../ledger/ledger.js";
import {
  isCommitted,
  type TransferInput,
  type TransferMeta,
  type TransferResult,
} from "../ledger/types.js";
import { defineEconomy, type EconomySpec, type ItemSpec, OWNER_ID } from "./definition.js";

/**
 * Codes of the `custom` sim events the engine itself emits. Codes from `0x4C51_0000` to
 * `0x4C51_FFFF` ("LQ") are reserved for the engine; a game's own custom codes should stay outside.
 */
export const ENGINE_EVENT_CODES = { first: 0x4c51_0000, last: 0x4c51_ffff } as const;

/** Whether a custom event code is in the engine's reserved range. */
export function isEngineEventCode(code: number): boolean {
  return code >= ENGINE_EVENT_CODES.first && code <= ENGINE_EVENT_CODES.last;
}

/**
 * Events of the economy, as `custom` sim events (`world.emit("custom", a, b, code, value)`):
 * - `levelUp` (0x4C51_0001): `a` is the player's entity handle (the live entity named like the
 *   player, else `NO_ENTITY`), `value` the level reached. One event per level gained, in order:
 *   going from level 2 to 4 emits 3, then 4.
 */
export const ECONOMY_EVENT = { levelUp: 0x4c51_0001 } as const;

/** A player reached a higher level. */
export interface LevelUp {
  readonly player: string;
  readonly from: number;
  readonly to: number;
  readonly tick: number;
}

/** An amount of a ledger unit (`gold`, `xp`, `item.sword`). */
export interface Amount {
  readonly unit: string;
  readonly amount: number;
}

/**
 * How to name and stamp a transfer. Ids are deterministic: the caller's `id`, or
 * `<action>:<player>:<tick>:<index>` (e.g. `grant:player_0001:120:0`); use `index` to tell apart
 * several operations of the same kind for the same player in the same tick.
 */
export interface TransferOptions {
  /** The world's tick (required: it goes into the journal). */
  readonly tick: number;
  readonly id?: string;
  /** Default 0. */
  readonly index?: number;
  /** The journal's reason code (default `grant`, `spend`, `shop.buy`, `shop.sell`). */
  readonly reason?: string;
  readonly meta?: TransferMeta;
  /** When given, level-ups are also emitted into this world as `ECONOMY_EVENT.levelUp` events. */
  readonly world?: World;
}

export interface GrantResult {
  /** The ledger's result: `created`, `exists` (a retry: nothing happened), or why it failed. */
  readonly result: TransferResult;
  readonly id: string;
  /** Levels gained by this grant (only when it was `created` and the unit is the xp unit). */
  readonly levelUps: readonly LevelUp[];
}

/** The result of several transfers committed together (a linked chain). */
export interface ChainResult {
  /** Whether the chain is in the journal (now, or from before: a retry). */
  readonly ok: boolean;
  /**
   * `created` or `exists` when ok; otherwise the first member's own failure (such as
   * `insufficient_funds`), or `linked_event_failed` when no member failed on its own (a retry
   * that mixes committed and new ids).
   */
  readonly result: TransferResult;
  /** Each transfer's result, in chain order. */
  readonly results: readonly TransferResult[];
  readonly ids: readonly string[];
  readonly levelUps: readonly LevelUp[];
}

export type TradeOutcome = TransferResult | "not_sold" | "not_bought";

export interface TradeResult {
  readonly ok: boolean;
  /** As `ChainResult.result`, or `not_sold` / `not_bought` when the shop does not trade the item. */
  readonly result: TradeOutcome;
  /** [currency transfer, item transfer] for a buy; [item transfer, currency transfer] for a sell. */
  readonly results: readonly TransferResult[];
  readonly ids: readonly string[];
  /** The currency paid (buy) or received (sell). */
  readonly total: number;
}

/** `<action>:<player>:<tick>:<index>`: the deterministic id of a player's operation. */
export function transferId(action: string, player: string, tick: number, index = 0): string {
  return `${action}:${player}:${tick}:${index}`;
}

function summarize(results: readonly TransferResult[]): { ok: boolean; result: TransferResult } {
  if (results.every(isCommitted)) {
    return { ok: true, result: results.some((r) => r === "created") ? "created" : "exists" };
  }
  const own = results.find((r) => !isCommitted(r) && r !== "linked_event_failed");
  return { ok: false, result: own ?? "linked_event_failed" };
}

/**
 * A game's economy over a ledger: currencies, xp and levels, items and a shop. Every change of
 * value is a ledger transfer with a deterministic id, so repeating an operation with the same id
 * (a retry, a replay) is `exists` and changes nothing. Expected outcomes (not enough gold, an item
 * the shop does not buy) are result values; only misuse (an unknown unit, a malformed player id)
 * throws `InvalidArgumentError`.
 *
 * Accounts: each unit's `mint:<unit>` and `sink:<unit>` (opened at construction) and each owner's
 * wallet `<owner>:<unit>`, which never goes below zero. A player's wallets are opened when value
 * first arrives in them, or all at once with `openPlayer` (opening is journaled, but changes no
 * balance). A grant is mint → wallet, a spend wallet → sink.
 */
export class Economy {
  readonly spec: EconomySpec;
  readonly ledger: Ledger;
  private readonly items = new Map<string, ItemSpec>();
  private readonly units = new Map<string, true>();

  /**
   * Prefixed, with ":", to every transfer id this economy submits (derived or given), so that
   * several worlds can share one ledger: pass the world's id. Default none.
   */
  readonly scope: string | undefined;

  constructor(
    spec: EconomySpec,
    ledger: Ledger = new Ledger(),
    options: { readonly scope?: string } = {},
  ) {
    this.spec = spec;
    this.ledger = ledger;
    if (options.scope !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(options.scope)) {
      throw new InvalidArgumentError(
        `economy scope ${JSON.stringify(options.scope)} is invalid: use 1 to 64 letters, digits, "_", "." or "-"`,
      );
    }
    this.scope = options.scope;
    for (const item of spec.items) this.items.set(item.id, item);
    for (const unit of spec.ledgerUnits) {
      this.units.set(unit, true);
      const r = ledger.declareUnit(unit);
      if (r !== "created" && r !== "exists") {
        throw new InvalidArgumentError(
          `cannot open the system accounts of unit "${unit}": the ledger answered ${r}`,
        );
      }
    }
    const shop = spec.shopOwner;
    if (shop !== undefined) {
      for (const item of spec.items)
        if (item.currency !== undefined) this.ensureWallet(shop, item.currency);
    }
  }

  /** Validates `definition` (see `defineEconomy`) and opens it on `ledger`. */
  static create(definition: unknown, ledger: Ledger = new Ledger()): Economy {
    return new Economy(defineEconomy(definition), ledger);
  }

  // ─── accounts and balances ───────────────────────────────────────────────────────────────────

  /** The item with this id (`sword`), or undefined. */
  item(id: string): ItemSpec | undefined {
    return this.items.get(id);
  }

  /** Whether `unit` is one of the economy's ledger units (`gold`, `item.sword`). */
  hasUnit(unit: string): boolean {
    return this.units.has(unit);
  }

  /** Opens all of a player's wallets, one per unit and item, in definition order (idempotent). */
  openPlayer(player: string): void {
    this.checkPlayer(player);
    for (const unit of this.spec.ledgerUnits) this.ensureWallet(player, unit);
  }

  /** The id of a player's wallet for a unit. */
  wallet(player: string, unit: string): string {
    return walletAccount(player, unit);
  }

  /** A player's balance of a unit (0 when the wallet is not open yet). */
  balance(player: string, unit: string): number {
    this.checkUnit(unit);
    return this.ledger.balance(walletAccount(player, unit))?.balance ?? 0;
  }

  /** A player's xp (0 without levels). */
  xpOf(player: string): number {
    const unit = this.spec.xpUnit;
    return unit === undefined
      ? 0
      : (this.ledger.balance(walletAccount(player, unit))?.balance ?? 0);
  }

  /** A player's level from their xp balance (1 at 0 xp). Throws if the economy has no levels. */
  levelOf(player: string): number {
    return this.curve().levelFor(this.xpOf(player));
  }

  /** The level of an xp total. */
  levelFor(xp: number): number {
    return this.curve().levelFor(xp);
  }

  // ─── grants and spends ───────────────────────────────────────────────────────────────────────

  /** Creates `amount` of `unit` for a player (mint → wallet). An xp grant reports level-ups. */
  grant(player: string, unit: string, amount: number, options: TransferOptions): GrantResult {
    const reason = options.reason ?? "grant";
    const id = options.id ?? transferId(reason, player, options.tick, options.index);
    const chain = this.grantAll(player, [{ unit, amount }], { ...options, reason, ids: [id] });
    return { result: chain.result, id: chain.ids[0] as string, levelUps: chain.levelUps };
  }

  /**
   * Grants several amounts at once, all or nothing (a linked chain), e.g. a quest's rewards. `ids`
   * names each transfer; without it they are `<base>:<i>` where base is `options.id` or the
   * derived id.
   */
  grantAll(
    player: string,
    amounts: readonly Amount[],
    options: TransferOptions & { readonly ids?: readonly string[] },
  ): ChainResult {
    this.checkPlayer(player);
    const reason = options.reason ?? "grant";
    const base = options.id ?? transferId(reason, player, options.tick, options.index);
    const ids = amounts.map((_, i) => this.scoped(options.ids?.[i] ?? `${base}:${i}`));
    if (amounts.length === 0) {
      return { ok: true, result: "exists", results: [], ids, levelUps: [] };
    }
    for (const a of amounts) this.checkUnit(a.unit);
    for (const a of amounts) this.ensureWallet(player, a.unit);
    const batch: TransferInput[] = amounts.map((a, i) => {
      return {
        id: ids[i] as string,
        debit: mintAccount(a.unit),
        credit: walletAccount(player, a.unit),
        amount: a.amount,
        unit: a.unit,
        reason,
        tick: options.tick,
        ...(options.meta === undefined ? {} : { meta: options.meta }),
        linked: i < amounts.length - 1,
      };
    });
    const xpBefore = this.xpOf(player);
    const results = this.ledger.submit(batch);
    const summary = summarize(results);
    const created = results.some((r) => r === "created");
    const levelUps =
      summary.ok && created ? this.levelUps(player, xpBefore, options.tick, options.world) : [];
    return { ...summary, results, ids, levelUps };
  }

  /** Removes `amount` of `unit` from a player (wallet → sink). Never below zero: `insufficient_funds`. */
  spend(
    player: string,
    unit: string,
    amount: number,
    options: TransferOptions,
  ): { readonly result: TransferResult; readonly id: string } {
    this.checkPlayer(player);
    this.checkUnit(unit);
    const reason = options.reason ?? "spend";
    const id = this.scoped(options.id ?? transferId(reason, player, options.tick, options.index));
    const result = this.ledger.transfer({
      id,
      debit: walletAccount(player, unit),
      credit: sinkAccount(unit),
      amount,
      unit,
      reason,
      tick: options.tick,
      ...(options.meta === undefined ? {} : { meta: options.meta }),
    });
    return { result, id };
  }

  // ─── the shop ────────────────────────────────────────────────────────────────────────────────

  /**
   * A player buys `quantity` of an item: the price in currency leaves their wallet and the items
   * arrive, as one linked chain (ids `<id>:pay` and `<id>:item`, id default
   * `shop.buy:<player>:<tick>:<index>`). Not enough currency: `insufficient_funds`, nothing moves.
   */
  buy(player: string, itemId: string, quantity: number, options: TransferOptions): TradeResult {
    this.checkPlayer(player);
    const item = this.checkItem(itemId);
    const reason = options.reason ?? "shop.buy";
    const base = options.id ?? transferId(reason, player, options.tick, options.index);
    const ids = [this.scoped(`${base}:pay`), this.scoped(`${base}:item`)];
    if (item.price === undefined || item.currency === undefined) {
      return { ok: false, result: "not_sold", results: [], ids, total: 0 };
    }
    const currency = item.currency;
    const total = item.price * quantity;
    this.ensureWallet(player, item.unit);
    const meta = { item: item.id, quantity, ...options.meta };
    const shop = this.spec.shopOwner;
    const results = this.ledger.submit([
      {
        id: ids[0] as string,
        debit: walletAccount(player, currency),
        credit: shop === undefined ? sinkAccount(currency) : walletAccount(shop, currency),
        amount: total,
        unit: currency,
        reason,
        tick: options.tick,
        meta,
        linked: true,
      },
      {
        id: ids[1] as string,
        debit: mintAccount(item.unit),
        credit: walletAccount(player, item.unit),
        amount: quantity,
        unit: item.unit,
        reason,
        tick: options.tick,
        meta,
      },
    ]);
    return { ...summarize(results), results, ids, total };
  }

  /**
   * A player sells `quantity` of an item to the shop for its `sellPrice` each: the items leave
   * their wallet and the currency arrives, as one linked chain (ids `<id>:item` and `<id>:pay`, id
   * default `shop.sell:<player>:<tick>:<index>`). Too few items: `insufficient_funds`.
   * Alike: `buy` above, mirrored; two methods so each reads as its own chain of two transfers.
   */
  sell(player: string, itemId: string, quantity: number, options: TransferOptions): TradeResult {
    this.checkPlayer(player);
    const item = this.checkItem(itemId);
    const reason = options.reason ?? "shop.sell";
    const base = options.id ?? transferId(reason, player, options.tick, options.index);
    const ids = [this.scoped(`${base}:item`), this.scoped(`${base}:pay`)];
    if (item.sellPrice === undefined || item.currency === undefined) {
      return { ok: false, result: "not_bought", results: [], ids, total: 0 };
    }
    const currency = item.currency;
    const total = item.sellPrice * quantity;
    this.ensureWallet(player, currency);
    const meta = { item: item.id, quantity, ...options.meta };
    const shop = this.spec.shopOwner;
    const results = this.ledger.submit([
      {
        id: ids[0] as string,
        debit: walletAccount(player, item.unit),
        credit: sinkAccount(item.unit),
        amount: quantity,
        unit: item.unit,
        reason,
        tick: options.tick,
        meta,
        linked: true,
      },
      {
        id: ids[1] as string,
        debit: shop === undefined ? mintAccount(currency) : walletAccount(shop, currency),
        credit: walletAccount(player, currency),
        amount: total,
        unit: currency,
        reason,
        tick: options.tick,
        meta,
      },
    ]);
    return { ...summarize(results), results, ids, total };
  }

  // ─── internals ───────────────────────────────────────────────────────────────────────────────

  private levelUps(player: string, xpBefore: number, tick: number, world?: World): LevelUp[] {
    const curve = this.spec.levels;
    if (curve === undefined) return [];
    const from = curve.levelFor(xpBefore);
    const to = curve.levelFor(this.xpOf(player));
    if (to <= from) return [];
    if (world !== undefined) {
      const eid = world.byName(player);
      const handle = eid === undefined ? NO_ENTITY : world.handle(eid);
      for (let level = from + 1; level <= to; level++)
        world.emit("custom", handle, NO_ENTITY, ECONOMY_EVENT.levelUp, level);
    }
    return [{ player, from, to, tick }];
  }

  private curve() {
    const curve = this.spec.levels;
    if (curve === undefined) {
      throw new InvalidArgumentError(
        "this economy defines no levels; add `levels` to its definition",
      );
    }
    return curve;
  }

  private ensureWallet(owner: string, unit: string): void {
    if (this.ledger.account(walletAccount(owner, unit)) !== undefined) return;
    const { result } = this.ledger.openWallet(owner, unit);
    if (result !== "created" && result !== "exists") {
      throw new InvalidArgumentError(
        `cannot open wallet ${walletAccount(owner, unit)}: the ledger answered ${result}`,
      );
    }
  }

  private checkPlayer(player: string): void {
    if (typeof player !== "string" || !OWNER_ID.test(player)) {
      throw new InvalidArgumentError(
        `player id ${JSON.stringify(player)} is invalid: use 1 to 64 letters, digits, "_", "." or "-"`,
      );
    }
  }

  private checkUnit(unit: string): void {
    if (!this.units.has(unit)) {
      throw new InvalidArgumentError(
        `unit ${JSON.stringify(unit)} is not in this economy (units: ${this.spec.ledgerUnits.join(", ")})`,
      );
    }
  }

  /** The id as submitted to the ledger: with the economy's scope in front, if it has one. */
  scoped(id: string): string {
    return this.scope === undefined ? id : `${this.scope}:${id}`;
  }

  private checkItem(id: string): ItemSpec {
    const item = this.items.get(id);
    if (item === undefined) {
      throw new InvalidArgumentError(
        `item ${JSON.stringify(id)} is not in this economy (items: ${this.spec.items.map((i) => i.id).join(", ")})`,
      );
    }
    return item;
  }
}
