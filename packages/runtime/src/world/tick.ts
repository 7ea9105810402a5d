/**
 * The runtime's tick: step the simulation with the tick's commands, then take its events out of
 * the world. The state hash is taken after the events are drained, so replaying the same inputs
 * through this function (and only this one) reproduces the recorded hashes.
 */
import {
  type Command,
  ECONOMY_EVENT,
  QUEST_EVENT,
  rewardTransferId,
  type SimEvent,
  type Simulation,
} from "@ledgerquest/engine";
import { createDomainEvent, type DomainEvent } from "../definitions/events.js";
import type { InboxCommand } from "../ports/command-inbox.js";
import type { BatchEvent } from "../ports/journal.js";
import type { GameRules } from "./game.js";

/** An inbox command as the engine sees it: the actor is the authenticated player. */
export function toEngineCommand(c: InboxCommand): Command {
  return { id: `${c.playerId}/${c.commandId}`, type: c.type, actor: c.playerId, data: c.data };
}

export function runTick(sim: Simulation, commands: readonly Command[]): SimEvent[] {
  sim.step(commands);
  return sim.world.drainEvents();
}

/** Turns a validated domain event into a batch event: the id travels beside the detail. */
function toBatchEvent(event: DomainEvent): BatchEvent {
  const { eventId, ...detail } = event.detail;
  return { eventId, detailType: event.detailType, detail };
}

/**
 * The domain events in a tick's sim events (quests accepted, rewarded, failed; levels gained),
 * validated against the one-source schemas, with ids derived from what happened (world, player,
 * quest, completion), so a re-run or a redelivery carries the same ids.
 */
export function domainEvents(
  sim: Simulation,
  rules: GameRules,
  worldId: string,
  events: readonly SimEvent[],
  out: BatchEvent[],
): void {
  for (const ev of events) {
    if (ev.kind !== "custom") continue;
    const who = sim.world.tryResolve(ev.a);
    const playerId = who >= 0 ? sim.world.nameOfEntity(who) : undefined;
    if (playerId === undefined) continue;
    if (ev.code === ECONOMY_EVENT.levelUp) {
      const xp = rules.economy.xpOf(playerId);
      out.push(
        toBatchEvent(
          createDomainEvent("Level Up", { worldId, playerId, level: ev.value, xp, tick: ev.tick }),
        ),
      );
      continue;
    }
    if (rules.quests === undefined) continue;
    const tracker = rules.quests.tracker(sim.world);
    const quest = tracker.book.quests[ev.value];
    if (quest === undefined) continue;
    const base = { worldId, playerId, questId: quest.id, tick: ev.tick };
    if (ev.code === QUEST_EVENT.accepted) {
      // A repeatable quest is accepted again after each completion: tell the acceptances apart.
      const occurrence = tracker.status(playerId, quest.id)?.completions ?? 0;
      out.push(toBatchEvent(createDomainEvent("Quest Accepted", base, { occurrence })));
    } else if (ev.code === QUEST_EVENT.failed || ev.code === QUEST_EVENT.expired) {
      const occurrence = tracker.status(playerId, quest.id)?.completions ?? 0;
      out.push(toBatchEvent(createDomainEvent("Quest Failed", base, { occurrence })));
    } else if (ev.code === QUEST_EVENT.rewarded) {
      // Reported once the reward is in the ledger, so its transfer ids name real entries.
      const completion = tracker.status(playerId, quest.id)?.completions ?? 1;
      out.push(
        toBatchEvent(
          createDomainEvent("Quest Completed", {
            ...base,
            completion,
            rewards: quest.rewards.map((r) => ({ unit: r.unit, amount: r.amount })),
            transferIds: quest.rewards.map((_, i) =>
              rules.economy.scoped(rewardTransferId(quest.id, playerId, completion, i)),
            ),
          }),
        ),
      );
    }
  }
}
