/**
 * The runtime's tick: step the simulation with the tick's commands, then take its events out of
 * the world. The state hash is taken after the events are drained, so replaying the same inputs
 * through this function (and only this one) reproduces the recorded hashes.
 */
import {
  type Command,
  ECONOMY_EVENT,
  QUEST_EVENT,
  type SimEvent,
  type Simulation,
} from "@ledgerquest/engine";
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

const QUEST_DETAIL_TYPES: ReadonlyMap<number, string> = new Map([
  [QUEST_EVENT.accepted, "Quest Accepted"],
  [QUEST_EVENT.completed, "Quest Completed"],
  [QUEST_EVENT.failed, "Quest Failed"],
  [QUEST_EVENT.expired, "Quest Failed"],
]);

/**
 * The domain events in a tick's sim events (quests accepted, completed, failed; levels gained),
 * with ids fixed by world, version and position, so a re-run gives the same ids.
 */
export function domainEvents(
  sim: Simulation,
  rules: GameRules,
  worldId: string,
  version: number,
  events: readonly SimEvent[],
  out: BatchEvent[],
): void {
  for (const ev of events) {
    if (ev.kind !== "custom") continue;
    const who = sim.world.tryResolve(ev.a);
    const playerId = who >= 0 ? sim.world.nameOfEntity(who) : undefined;
    const eventId = `${worldId}/${version}/${out.length}`;
    if (ev.code === ECONOMY_EVENT.levelUp && playerId !== undefined) {
      out.push({
        eventId,
        detailType: "Level Up",
        detail: {
          worldId,
          playerId,
          level: ev.value,
          xp: rules.economy.xpOf(playerId),
          tick: ev.tick,
        },
      });
      continue;
    }
    const detailType = QUEST_DETAIL_TYPES.get(ev.code);
    if (detailType === undefined || playerId === undefined || rules.quests === undefined) continue;
    const quest = rules.quests.tracker(sim.world).book.quests[ev.value];
    if (quest === undefined) continue;
    const detail: Record<string, unknown> = {
      worldId,
      playerId,
      questId: quest.id,
      tick: ev.tick,
    };
    if (detailType === "Quest Completed") {
      detail.rewards = quest.rewards.map((r) => ({ unit: r.unit, amount: r.amount }));
    }
    out.push({ eventId, detailType, detail });
  }
}
