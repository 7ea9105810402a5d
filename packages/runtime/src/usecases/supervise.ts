/**
 * Supervise game loops: every active world has exactly one running loop. Run on a schedule (every
 * minute in AWS, more often locally), when a world is activated, and when a loop execution ends
 * badly (failed, timed out, aborted): for each active world with no running execution of its loop,
 * it starts one.
 *
 * Exactly one, not at least one, comes from three things together:
 * - a start is named after the world and a 10-second slot of time (`loopExecutionName(world,
 *   "s<slot>")`), so supervisors racing within a slot start one execution (Step Functions answers
 *   a repeat of the same name and input as the first start), and a loop that fails at once is
 *   started again at most once a slot;
 * - the list of running executions is eventually consistent, so a start can still duplicate a
 *   loop that began a moment ago: the loops settle that themselves, since a lap of an execution
 *   that is not the world's owner yields (`runTickBatch`'s `loop`), and the duplicate ends within
 *   a lap;
 * - a start names the world's last owner as its `predecessor` (the owner is not running, or the
 *   supervisor would not start anything), so the new loop takes over at once instead of waiting
 *   out the dead owner's lease.
 */
import {
  executionOfToken,
  type GameLoopInput,
  loopExecutionName,
  loopNamePrefix,
  worldPrefixOfExecution,
} from "../definitions/workflow.js";
import type { Clock } from "../ports/clock.js";
import type { EntityStore } from "../ports/entity-store.js";
import type { WorkflowStarter } from "../ports/workflow-starter.js";

export interface SuperviseDeps {
  readonly store: Pick<EntityStore, "getWorld" | "listActiveWorlds">;
  readonly loops: WorkflowStarter;
  readonly clock: Clock;
}

export interface SuperviseInput {
  /** Only these worlds (an event named them). Default: every active world. */
  readonly worldIds?: readonly string[];
}

export interface LoopStart {
  readonly worldId: string;
  readonly execution: string;
  /** The world's last owner, which the new loop takes over from (`""`: none). */
  readonly predecessor: string;
  /**
   * `started`; or `exists`: an execution of that name ran in this slot and ended already (the
   * loop failed at once, or yielded to an owner the list did not show yet); the next sweep, in
   * another slot, tries again.
   */
  readonly result: "started" | "exists";
}

export interface SuperviseReport {
  /** Active worlds looked at. */
  readonly checked: number;
  /** Of those, the worlds whose loop was running. */
  readonly running: number;
  /** Named worlds that are not there or not active: nothing to run. */
  readonly inactive: readonly string[];
  readonly starts: readonly LoopStart[];
  /**
   * Worlds whose check or start failed (a throttled or unavailable service): the others were
   * still looked after, and the next sweep tries these again.
   */
  readonly failures: readonly { readonly worldId: string; readonly error: unknown }[];
}

/** How long a start's name stays the same (see the module's comment). */
export const LOOP_START_SLOT_MS = 10_000;

export async function superviseGameLoops(
  deps: SuperviseDeps,
  input: SuperviseInput = {},
): Promise<SuperviseReport> {
  const running = new Set<string>();
  for (const name of await deps.loops.running()) {
    const prefix = worldPrefixOfExecution(name);
    if (prefix !== undefined) running.add(prefix);
  }
  const slot = Math.floor(deps.clock.nowMs() / LOOP_START_SLOT_MS);
  let checked = 0;
  let alive = 0;
  const inactive: string[] = [];
  const starts: LoopStart[] = [];
  const failures: { worldId: string; error: unknown }[] = [];
  for await (const worldId of worldsToCheck(deps.store, input.worldIds)) {
    checked++;
    if (running.has(loopNamePrefix(worldId))) {
      alive++;
      continue;
    }
    try {
      const start = await startLoop(deps, worldId, slot);
      if (start === undefined) {
        checked--;
        inactive.push(worldId);
      } else starts.push(start);
    } catch (error) {
      failures.push({ worldId, error });
    }
  }
  return { checked, running: alive, inactive, starts, failures };
}

/** Starts the loop of `worldId`, unless it is not there or not active (undefined). */
async function startLoop(
  deps: SuperviseDeps,
  worldId: string,
  slot: number,
): Promise<LoopStart | undefined> {
  const world = await deps.store.getWorld(worldId);
  if (world === undefined || !world.active) return undefined;
  const execution = loopExecutionName(worldId, `s${slot}`);
  const loopInput: GameLoopInput = {
    worldId,
    iteration: 0,
    predecessor: executionOfToken(world.lastBatchToken) ?? "",
    namePrefix: loopNamePrefix(worldId),
  };
  const result = await deps.loops.start(execution, { ...loopInput });
  return { worldId, execution, predecessor: loopInput.predecessor, result };
}

async function* worldsToCheck(
  store: SuperviseDeps["store"],
  named: readonly string[] | undefined,
): AsyncGenerator<string> {
  if (named !== undefined) {
    yield* [...new Set(named)].sort();
    return;
  }
  let after: string | undefined;
  do {
    const page = await store.listActiveWorlds(after);
    yield* page.worldIds;
    after = page.next;
  } while (after !== undefined);
}
