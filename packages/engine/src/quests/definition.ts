import * as z from "zod/mini";
import type { EconomySpec } from "../economy/definition.js";
import { itemUnit, UNIT_ID } from "../economy/definition.js";
import type { Amount } from "../economy/economy.js";
import {
  bool,
  type DefinitionIssue,
  describeIssues,
  list,
  pattern,
  positiveInt,
  text,
  zodIssues,
} from "../economy/validation.js";
import { EngineError } from "../errors.js";

/**
 * Declarative quest definitions, validated at load with `defineQuests(list, economy)`:
 *
 * ```ts
 * const book = defineQuests([
 *   {
 *     id: "wolves",
 *     title: "Thin the pack",
 *     prerequisites: { quests: ["intro"], level: 2 },
 *     objectives: [
 *       { kind: "defeat", entityKind: "wolf", count: 5 },
 *       { kind: "collect", item: "pelt", count: 3 },
 *       { kind: "enter", zone: "den" },
 *       { kind: "interact", target: "hunter" },
 *     ],
 *     timeLimitTicks: 3600,
 *     rewards: [{ unit: "gold", amount: 50 }, { unit: "xp", amount: 200 }, { item: "bow", amount: 1 }],
 *     repeatable: false,
 *     claim: "manual", // the player claims the rewards with a `quest.claim` command
 *   },
 * ], economy.spec);
 * ```
 */
export interface QuestDefinition {
  /** Lowercase letters, digits, `_ . -`, starting with a letter, at most 40 characters. */
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly prerequisites?: {
    /** Quests that must have been completed (and rewarded) at least once. */
    readonly quests?: readonly string[];
    /** The minimum level (from the economy's xp). */
    readonly level?: number;
  };
  /** One or more; the quest completes when every objective is met. */
  readonly objectives: readonly ObjectiveDefinition[];
  /** Ticks from acceptance within which the objectives must be met. */
  readonly timeLimitTicks?: number;
  /**
   * What a time-out does (requires `timeLimitTicks`): `reset` (default) puts the quest back to
   * `available` with its progress cleared, so it can be accepted again; `fail` makes it `failed`
   * for good (a repeatable quest can be accepted again).
   */
  readonly onTimeout?: "reset" | "fail";
  /**
   * Paid from the mint to the player when the quest completes (or, with `claim: "manual"`, when
   * the player claims them), as one linked chain.
   */
  readonly rewards?: readonly RewardDefinition[];
  /**
   * How the rewards are paid: `auto` (default) in the tick the quest completes; `manual` when the
   * player claims them (`QuestTracker.claim`, the `quest.claim` command): the quest stays
   * `completed` until then. A manual quest must have rewards.
   */
  readonly claim?: "auto" | "manual";
  /** Whether it can be accepted again once rewarded (each completion pays once). Default false. */
  readonly repeatable?: boolean;
  /** Accepted on the player's behalf as soon as it is available. Default false. */
  readonly autoAccept?: boolean;
}

export type ObjectiveDefinition =
  /** Collect `count` of a unit (`unit: "gold"`) or an item (`item: "pelt"`): give exactly one. */
  | {
      readonly kind: "collect";
      readonly unit?: string;
      readonly item?: string;
      readonly count: number;
      readonly description?: string;
    }
  /** Enter the sensor zone whose entity has this name. */
  | { readonly kind: "enter"; readonly zone: string; readonly description?: string }
  /** Defeat `count` entities of a kind (default 1). */
  | {
      readonly kind: "defeat";
      readonly entityKind: string;
      readonly count?: number;
      readonly description?: string;
    }
  /** Interact with the entity of this name (`count` times, default 1). */
  | {
      readonly kind: "interact";
      readonly target: string;
      readonly count?: number;
      readonly description?: string;
    };

export type ObjectiveKind = ObjectiveDefinition["kind"];

/** A reward: an amount of a unit (`unit: "gold"`) or of an item (`item: "bow"`); give exactly one. */
export interface RewardDefinition {
  readonly unit?: string;
  readonly item?: string;
  readonly amount: number;
}

/** A validated objective. */
export interface ObjectiveSpec {
  readonly kind: ObjectiveKind;
  /** What it is about: the ledger unit (collect), the zone's name (enter), the entity kind (defeat) or the entity's name (interact). */
  readonly subject: string;
  /** How many are needed (1 for enter). */
  readonly count: number;
  readonly description: string | undefined;
}

/** A validated quest. */
export interface QuestSpec {
  readonly id: string;
  /** Its position in the book: the `value` of its sim events. */
  readonly index: number;
  readonly title: string;
  readonly description: string | undefined;
  /** Indexes of the prerequisite quests. */
  readonly requires: readonly number[];
  /** Minimum level; 1 when none. */
  readonly minLevel: number;
  readonly objectives: readonly ObjectiveSpec[];
  readonly timeLimitTicks: number | undefined;
  readonly onTimeout: "reset" | "fail";
  /** Ledger units and amounts. */
  readonly rewards: readonly Amount[];
  readonly repeatable: boolean;
  readonly autoAccept: boolean;
  /** `auto` (default): paid in the tick it completes; `manual`: paid when claimed. */
  readonly claim: QuestClaim;
}

/** How a quest's rewards are paid: automatically on completion, or when the player claims them. */
export type QuestClaim = "auto" | "manual";

/** A quest definition is invalid; `issues` lists every problem with its path. */
export class QuestDefinitionError extends EngineError {
  override readonly name = "QuestDefinitionError";
  constructor(readonly issues: readonly DefinitionIssue[]) {
    super(describeIssues(issues));
  }
}

export const QUEST_ID = /^[a-z][a-z0-9_.-]{0,39}$/;
const MAX_OBJECTIVES = 32;
const MAX_REWARDS = 16;

const description = () => z.optional(text(256));
const name = () => text(64);

const objectiveSchema = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("collect"),
      unit: z.optional(pattern(UNIT_ID, "a unit id")),
      item: z.optional(pattern(UNIT_ID, "an item id")),
      count: positiveInt(),
      description: description(),
    }),
    z.strictObject({ kind: z.literal("enter"), zone: name(), description: description() }),
    z.strictObject({
      kind: z.literal("defeat"),
      entityKind: name(),
      count: z.optional(positiveInt()),
      description: description(),
    }),
    z.strictObject({
      kind: z.literal("interact"),
      target: name(),
      count: z.optional(positiveInt()),
      description: description(),
    }),
  ],
  { error: (i) => (i.input === undefined ? "is required" : undefined) },
);

const questSchema = z.strictObject({
  id: pattern(QUEST_ID, "a quest id (lowercase letters, digits, _ . -; at most 40)"),
  title: text(120),
  description: z.optional(text(2000)),
  prerequisites: z.optional(
    z.strictObject({
      quests: z.optional(list(pattern(QUEST_ID, "a quest id"), "must be a list of quest ids")),
      level: z.optional(positiveInt()),
    }),
  ),
  objectives: list(objectiveSchema, "must be a list of objectives"),
  timeLimitTicks: z.optional(positiveInt()),
  onTimeout: z.optional(z.enum(["reset", "fail"], { error: () => 'must be "reset" or "fail"' })),
  rewards: z.optional(
    list(
      z.strictObject({
        unit: z.optional(pattern(UNIT_ID, "a unit id")),
        item: z.optional(pattern(UNIT_ID, "an item id")),
        amount: positiveInt(),
      }),
      "must be a list of rewards",
    ),
  ),
  repeatable: z.optional(bool()),
  autoAccept: z.optional(bool()),
  claim: z.optional(z.enum(["auto", "manual"], { error: () => 'must be "auto" or "manual"' })),
});

const bookSchema = list(questSchema, "must be a list of quests");

type ParsedQuest = z.infer<typeof questSchema>;

/** The validated quests, in definition order, frozen. */
export class QuestBook {
  readonly quests: readonly QuestSpec[];
  private readonly ids = new Map<string, number>();

  /** @internal use `defineQuests`. */
  constructor(quests: readonly QuestSpec[]) {
    this.quests = Object.freeze([...quests]);
    for (const q of quests) this.ids.set(q.id, q.index);
  }

  get size(): number {
    return this.quests.length;
  }

  get(id: string): QuestSpec | undefined {
    const i = this.ids.get(id);
    return i === undefined ? undefined : this.quests[i];
  }

  indexOf(id: string): number {
    return this.ids.get(id) ?? -1;
  }

  /** Whether any quest pays rewards or needs a level (then the tracker needs an economy). */
  get needsEconomy(): boolean {
    return this.quests.some((q) => q.rewards.length > 0 || q.minLevel > 1);
  }
}

/**
 * Validates quest definitions and returns the book. With `economy`, also checks that every
 * reward and collect unit or item exists and every level prerequisite is reachable. Throws
 * `QuestDefinitionError` listing every problem by path (`quests[2].objectives[0].count: must be
 * a positive integer, got 0`).
 */
export function defineQuests(input: unknown, economy?: EconomySpec): QuestBook {
  const parsed = bookSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new QuestDefinitionError(zodIssues("quests", parsed.error));
  const defs = parsed.data;
  const issues: DefinitionIssue[] = [];

  const index = new Map<string, number>();
  defs.forEach((q, i) => {
    const first = index.get(q.id);
    if (first === undefined) index.set(q.id, i);
    else
      issues.push({
        path: `quests[${i}].id`,
        message: `duplicate quest id "${q.id}" (also quests[${first}])`,
      });
  });

  const specs = defs.map((q, i) => checkQuest(q, i, index, economy, issues));
  checkCycles(defs, index, issues);
  if (issues.length > 0) throw new QuestDefinitionError(issues);
  return new QuestBook(specs);
}

function unitOf(
  at: string,
  v: { readonly unit?: string | undefined; readonly item?: string | undefined },
  economy: EconomySpec | undefined,
  issues: DefinitionIssue[],
): string {
  if ((v.unit === undefined) === (v.item === undefined)) {
    issues.push({ path: at, message: 'give exactly one of "unit" or "item"' });
    return "";
  }
  if (v.unit !== undefined) {
    if (economy && !economy.units.includes(v.unit)) {
      issues.push({
        path: `${at}.unit`,
        message: `unknown unit "${v.unit}" (units: ${economy.units.join(", ")})`,
      });
    }
    return v.unit;
  }
  const item = v.item as string;
  if (economy && !economy.items.some((it) => it.id === item)) {
    issues.push({
      path: `${at}.item`,
      message: `unknown item "${item}" (items: ${economy.items.map((it) => it.id).join(", ") || "none"})`,
    });
  }
  return itemUnit(item);
}

function checkQuest(
  q: ParsedQuest,
  i: number,
  index: ReadonlyMap<string, number>,
  economy: EconomySpec | undefined,
  issues: DefinitionIssue[],
): QuestSpec {
  const at = `quests[${i}]`;
  const requires: number[] = [];
  (q.prerequisites?.quests ?? []).forEach((id, j) => {
    const path = `${at}.prerequisites.quests[${j}]`;
    const k = index.get(id);
    if (k === undefined) issues.push({ path, message: `unknown quest "${id}"` });
    else if (k === i) issues.push({ path, message: "a quest cannot require itself" });
    else if (requires.includes(k)) issues.push({ path, message: `"${id}" is listed twice` });
    else requires.push(k);
  });
  const minLevel = q.prerequisites?.level ?? 1;
  if (q.prerequisites?.level !== undefined && economy) {
    if (economy.levels === undefined) {
      issues.push({
        path: `${at}.prerequisites.level`,
        message: "the economy defines no levels",
      });
    } else if (minLevel > economy.levels.maxLevel) {
      issues.push({
        path: `${at}.prerequisites.level`,
        message: `must be at most the economy's max level ${economy.levels.maxLevel}, got ${minLevel}`,
      });
    }
  }

  if (q.objectives.length === 0)
    issues.push({ path: `${at}.objectives`, message: "must list at least one objective" });
  if (q.objectives.length > MAX_OBJECTIVES)
    issues.push({ path: `${at}.objectives`, message: `must list at most ${MAX_OBJECTIVES}` });
  const objectives: ObjectiveSpec[] = q.objectives.map((o, j) => {
    const path = `${at}.objectives[${j}]`;
    switch (o.kind) {
      case "collect":
        return {
          kind: o.kind,
          subject: unitOf(path, o, economy, issues),
          count: o.count,
          description: o.description,
        };
      case "enter":
        return { kind: o.kind, subject: o.zone, count: 1, description: o.description };
      case "defeat":
        return {
          kind: o.kind,
          subject: o.entityKind,
          count: o.count ?? 1,
          description: o.description,
        };
      default:
        return { kind: o.kind, subject: o.target, count: o.count ?? 1, description: o.description };
    }
  });

  const rewards: Amount[] = (q.rewards ?? []).map((r, j) => ({
    unit: unitOf(`${at}.rewards[${j}]`, r, economy, issues),
    amount: r.amount,
  }));
  if (rewards.length > MAX_REWARDS)
    issues.push({ path: `${at}.rewards`, message: `must list at most ${MAX_REWARDS}` });

  const claim = q.claim ?? "auto";
  if (claim === "manual" && rewards.length === 0) {
    issues.push({
      path: `${at}.claim`,
      message:
        'a quest with "claim": "manual" must list rewards (there would be nothing to claim): add rewards or drop "claim"',
    });
  }

  if (q.onTimeout !== undefined && q.timeLimitTicks === undefined) {
    issues.push({ path: `${at}.onTimeout`, message: "needs timeLimitTicks" });
  }

  return Object.freeze({
    id: q.id,
    index: i,
    title: q.title,
    description: q.description,
    requires: Object.freeze(requires),
    minLevel,
    objectives: Object.freeze(objectives.map((o) => Object.freeze(o))),
    timeLimitTicks: q.timeLimitTicks,
    onTimeout: q.onTimeout ?? "reset",
    rewards: Object.freeze(rewards.map((r) => Object.freeze(r))),
    repeatable: q.repeatable ?? false,
    autoAccept: q.autoAccept ?? false,
    claim,
  });
}

/** Reports each prerequisite cycle once, at the quest of the cycle that comes first. */
function checkCycles(
  defs: readonly ParsedQuest[],
  index: ReadonlyMap<string, number>,
  issues: DefinitionIssue[],
): void {
  const edges = defs.map((q) =>
    (q.prerequisites?.quests ?? [])
      .map((id) => index.get(id))
      .filter((k): k is number => k !== undefined),
  );
  // 0 unvisited, 1 on the current path, 2 done.
  const mark = new Array<number>(defs.length).fill(0);
  const path: number[] = [];
  const visit = (v: number): void => {
    mark[v] = 1;
    path.push(v);
    for (const w of edges[v] as number[]) {
      if (w === v) continue; // reported as "cannot require itself"
      if (mark[w] === 1) {
        const cycle = path.slice(path.indexOf(w)).concat(w);
        const first = Math.min(...cycle);
        issues.push({
          path: `quests[${first}].prerequisites.quests`,
          message: `prerequisites form a cycle: ${cycle.map((k) => defs[k]?.id).join(" → ")}`,
        });
      } else if (mark[w] === 0) {
        visit(w);
      }
    }
    path.pop();
    mark[v] = 2;
  };
  for (let v = 0; v < defs.length; v++) if (mark[v] === 0) visit(v);
}
