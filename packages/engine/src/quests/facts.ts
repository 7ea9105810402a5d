import { isEngineEventCode } from "../economy/economy.js";
import type { World } from "../ecs/world.js";
import { InvalidArgumentError } from "../errors.js";
import type { SimEvent } from "../sim/events.js";
import type { ObjectiveKind } from "./definition.js";

/**
 * A game fact that can advance quest objectives, stated by the game inside the deterministic
 * tick. Players are named by their entity names (`player_0001`); units are ledger units (`gold`,
 * `item.pelt`).
 */
export type QuestFact =
  /** The player collected `amount` of a unit or item (advances `collect`). */
  | {
      readonly kind: "collected";
      readonly player: string;
      readonly unit: string;
      readonly amount: number;
    }
  /** The player entered the sensor zone of this name (advances `enter`). */
  | { readonly kind: "entered"; readonly player: string; readonly zone: string }
  /** The player defeated `count` (default 1) entities of this kind (advances `defeat`). */
  | {
      readonly kind: "defeated";
      readonly player: string;
      readonly entityKind: string;
      readonly count?: number;
    }
  /** The player interacted with the entity of this name (advances `interact`). */
  | { readonly kind: "interacted"; readonly player: string; readonly target: string };

export type QuestFactKind = QuestFact["kind"];

/** The fact kinds, in their encoding order. */
export const FACT_KINDS: readonly QuestFactKind[] = [
  "collected",
  "entered",
  "defeated",
  "interacted",
];

/** The objective kind each fact kind advances. */
export const OBJECTIVE_OF_FACT: Readonly<Record<QuestFactKind, ObjectiveKind>> = {
  collected: "collect",
  entered: "enter",
  defeated: "defeat",
  interacted: "interact",
};

/** What the fact is about: its unit, zone, entity kind or target. */
export function factSubject(fact: QuestFact): string {
  switch (fact.kind) {
    case "collected":
      return fact.unit;
    case "entered":
      return fact.zone;
    case "defeated":
      return fact.entityKind;
    case "interacted":
      return fact.target;
  }
}

/** How much the fact counts for: the amount collected, the number defeated, else 1. */
export function factAmount(fact: QuestFact): number {
  if (fact.kind === "collected") return fact.amount;
  if (fact.kind === "defeated") return fact.count ?? 1;
  return 1;
}

/** Builds a fact from its parts (the inverse of `factSubject` and `factAmount`). */
export function makeFact(
  kind: QuestFactKind,
  player: string,
  subject: string,
  amount: number,
): QuestFact {
  switch (kind) {
    case "collected":
      return { kind, player, unit: subject, amount };
    case "entered":
      return { kind, player, zone: subject };
    case "defeated":
      return amount === 1
        ? { kind, player, entityKind: subject }
        : { kind, player, entityKind: subject, count: amount };
    case "interacted":
      return { kind, player, target: subject };
  }
}

/** Throws `InvalidArgumentError` for a malformed fact (a bug in the code that stated it). */
export function checkFact(fact: QuestFact): void {
  const ok =
    typeof fact === "object" &&
    fact !== null &&
    FACT_KINDS.includes(fact.kind) &&
    typeof fact.player === "string" &&
    fact.player.length > 0;
  if (!ok) throw new InvalidArgumentError(`not a quest fact: ${JSON.stringify(fact)}`);
  const subject = factSubject(fact);
  if (typeof subject !== "string" || subject.length === 0) {
    throw new InvalidArgumentError(`quest fact ${fact.kind} needs a non-empty subject`);
  }
  const amount = factAmount(fact);
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidArgumentError(
      `quest fact ${fact.kind} needs a positive integer amount, got ${amount}`,
    );
  }
}

/**
 * How a game's `custom` events (`world.emit("custom", a, b, code, value)`) become facts. In each
 * rule `a` is the player's entity (its name is the player):
 * - `collected`: `value` is the amount (0 counts as 1) of `unit`.
 * - `defeated`: `value` is the index of the defeated entity's kind in `kinds`.
 * - `interacted`: `b` is the entity interacted with (its name is the target).
 * - `entered`: `b` is the zone entity (its name is the zone).
 */
export type EventFactRule =
  | { readonly code: number; readonly fact: "collected"; readonly unit: string }
  | { readonly code: number; readonly fact: "defeated"; readonly kinds: readonly string[] }
  | { readonly code: number; readonly fact: "interacted" }
  | { readonly code: number; readonly fact: "entered" };

export interface EventFactOptions {
  /**
   * `sensor_enter` events become `entered` facts, the sensor's name being the zone and the body's
   * name the player (both must be named live entities). Default true.
   */
  readonly sensors?: boolean;
  /** Rules for `custom` events, by code. Events of other codes, and engine codes, are skipped. */
  readonly custom?: readonly EventFactRule[];
  /** Which entity names are players; default: every name. */
  readonly isPlayer?: (name: string) => boolean;
}

function nameOf(world: World, handle: number): string | undefined {
  const eid = world.tryResolve(handle);
  return eid < 0 ? undefined : world.nameOfEntity(eid);
}

/**
 * The facts that sim events state, in event order. Entities are named at the time of the call:
 * an event whose entity has since been destroyed (or was never named) yields no fact, so run this
 * in the tick the events were emitted (the quest system does).
 */
export function factsFromEvents(
  world: World,
  events: readonly SimEvent[],
  options: EventFactOptions = {},
): QuestFact[] {
  const sensors = options.sensors ?? true;
  const rules = options.custom ?? [];
  const isPlayer = options.isPlayer ?? (() => true);
  const out: QuestFact[] = [];
  for (const ev of events) {
    if (ev.kind === "sensor_enter") {
      if (!sensors) continue;
      const zone = nameOf(world, ev.a);
      const player = nameOf(world, ev.b);
      if (zone !== undefined && player !== undefined && isPlayer(player))
        out.push({ kind: "entered", player, zone });
      continue;
    }
    if (ev.kind !== "custom" || isEngineEventCode(ev.code)) continue;
    const rule = rules.find((r) => r.code === ev.code);
    if (rule === undefined) continue;
    const player = nameOf(world, ev.a);
    if (player === undefined || !isPlayer(player)) continue;
    switch (rule.fact) {
      case "collected": {
        const amount = ev.value === 0 ? 1 : ev.value;
        if (Number.isSafeInteger(amount) && amount > 0)
          out.push({ kind: "collected", player, unit: rule.unit, amount });
        break;
      }
      case "defeated": {
        const kind = Number.isInteger(ev.value) ? rule.kinds[ev.value] : undefined;
        if (kind !== undefined) out.push({ kind: "defeated", player, entityKind: kind });
        break;
      }
      case "interacted": {
        const target = nameOf(world, ev.b);
        if (target !== undefined) out.push({ kind: "interacted", player, target });
        break;
      }
      case "entered": {
        const zone = nameOf(world, ev.b);
        if (zone !== undefined) out.push({ kind: "entered", player, zone });
        break;
      }
    }
  }
  return out;
}
