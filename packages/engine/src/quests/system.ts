import type { Economy } from "../economy/economy.js";
import { NO_ENTITY } from "../ecs/component.js";
import type { SystemDef } from "../ecs/schedule.js";
import type { World } from "../ecs/world.js";
import type { QuestBook } from "./definition.js";
import { type EventFactOptions, factsFromEvents, type QuestFact } from "./facts.js";
import {
  type QuestTracker,
  type QuestTransition,
  type QuestTransitionKind,
  useQuestTracker,
} from "./tracker.js";

/**
 * Codes of the `custom` sim events the quest system emits, one per transition: `a` is the
 * player's entity handle (the live entity with the player's name, else `NO_ENTITY`), `value` the
 * quest's index in the book (`book.quests[value]`). In the engine's reserved range (see
 * `ENGINE_EVENT_CODES`).
 */
export const QUEST_EVENT: Readonly<Record<QuestTransitionKind, number>> = {
  available: 0x4c51_0101,
  accepted: 0x4c51_0102,
  progressed: 0x4c51_0103,
  completed: 0x4c51_0104,
  rewarded: 0x4c51_0105,
  reward_failed: 0x4c51_0106,
  expired: 0x4c51_0107,
  failed: 0x4c51_0108,
  abandoned: 0x4c51_0109,
};

/**
 * The commands the quest system applies (from `world.inputs`, in order, at the start of its run):
 * `{ type: "quest.accept", actor: "player_0001", data: { quest: "wolves" } }`,
 * `{ type: "quest.abandon", ... }` and `{ type: "quest.claim", ... }` (pays a completed quest's
 * rewards, for quests with `claim: "manual"`; see `QuestTracker.claim`). The actor is tracked from
 * its first accept. Commands that cannot apply (unknown quest, locked, nothing to claim, ...)
 * change nothing. They run before the tick's facts, so a quest completed in a tick can be claimed
 * from the next tick on.
 */
export const QUEST_COMMAND = {
  accept: "quest.accept",
  abandon: "quest.abandon",
  claim: "quest.claim",
} as const;

export interface QuestSystemOptions {
  readonly book: QuestBook;
  /** Pays rewards and answers level prerequisites; required if any quest has rewards or a level. */
  readonly economy?: Economy;
  /** The system's name in the schedule (and the definition's fingerprint). Default `quests`. */
  readonly name?: string;
  /** The world resource holding the tracker. Default `quests`. */
  readonly resource?: string;
  /**
   * How this tick's sim events become facts (see `factsFromEvents`); default: sensor enters only.
   * `false`: no facts from events. Only events of the current tick are read, so schedule the quest
   * system after the systems whose events it reads (such as physics).
   */
  readonly events?: EventFactOptions | false;
  /** More facts for this tick, read after the queued facts and the events' facts. */
  readonly facts?: (world: World) => readonly QuestFact[];
  /** Emit each transition as a custom sim event (`QUEST_EVENT`). Default true. */
  readonly emitEvents?: boolean;
  /** Receives each tick's transitions. Output only: it must not change the simulation. */
  readonly onTransitions?: (transitions: readonly QuestTransition[], world: World) => void;
}

/** The quest system: a `SystemDef` for a schedule, plus access to a world's tracker. */
export interface QuestSystem extends SystemDef {
  /** The world's tracker (created on first use, restored from the snapshot). */
  tracker(world: World): QuestTracker;
  /** Queues a fact for the system's next run in this world (the queue is in the snapshot). */
  queueFact(world: World, fact: QuestFact): void;
}

/**
 * The system that runs quests inside the deterministic tick. Each run: apply the quest commands
 * of the tick (accept, abandon, claim), gather facts (queued, then from this tick's events, then
 * `options.facts`), and step the tracker (time-outs, progress, rewards, availability; see
 * `QuestTracker.step`).
 */
export function createQuestSystem(options: QuestSystemOptions): QuestSystem {
  const { book, economy } = options;
  const resource = options.resource ?? "quests";
  const emitEvents = options.emitEvents ?? true;
  const eventOptions = options.events === false ? undefined : (options.events ?? {});
  const tracker = (world: World) => useQuestTracker(world, book, economy, resource);

  const run = (world: World): void => {
    const t = tracker(world);
    const tick = world.tick;
    const out: QuestTransition[] = [];
    for (const command of world.inputs) {
      const type = command.type;
      if (
        type !== QUEST_COMMAND.accept &&
        type !== QUEST_COMMAND.abandon &&
        type !== QUEST_COMMAND.claim
      )
        continue;
      const data = command.data as { readonly quest?: unknown } | null | undefined;
      const quest = data !== null && typeof data === "object" ? data.quest : undefined;
      if (typeof command.actor !== "string" || typeof quest !== "string") continue;
      if (type === QUEST_COMMAND.accept) t.accept(command.actor, quest, tick, out);
      else if (type === QUEST_COMMAND.abandon) t.abandon(command.actor, quest, tick, out);
      else t.claim(command.actor, quest, tick, out, world);
    }

    let facts: QuestFact[] = [];
    if (eventOptions !== undefined) {
      const now = world.events.filter((e) => e.tick === tick);
      if (now.length > 0) facts = factsFromEvents(world, now, eventOptions);
    }
    if (options.facts) facts = facts.concat(options.facts(world));
    for (const transition of t.step(tick, facts, world)) out.push(transition);

    if (emitEvents) {
      for (const tr of out) {
        const eid = world.byName(tr.player);
        const handle = eid === undefined ? NO_ENTITY : world.handle(eid);
        world.emit("custom", handle, NO_ENTITY, QUEST_EVENT[tr.kind], tr.questIndex);
      }
    }
    if (options.onTransitions && out.length > 0) options.onTransitions(out, world);
  };

  return {
    name: options.name ?? "quests",
    run,
    tracker,
    queueFact: (world, fact) => tracker(world).queueFact(fact),
  };
}
