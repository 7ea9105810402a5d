import { DefinitionError } from "../errors.js";
import type { Command } from "../sim/command.js";
import type { World } from "./world.js";

const NO_INPUTS: readonly Command[] = Object.freeze([]);

/** A system: a plain function over the world's queries and context. */
export type SystemFn = (world: World) => void;

export interface SystemDef {
  readonly name: string;
  readonly run: SystemFn;
}

/**
 * Systems in their declared order. One `step` is one fixed tick: it sets the tick's inputs, runs
 * every system with structural changes deferred (applied when that system returns, so the next
 * system sees them), then advances `world.tick`.
 */
export class Schedule {
  readonly systems: readonly SystemDef[];

  constructor(systems: readonly (SystemDef | SystemFn)[]) {
    const names = new Set<string>();
    this.systems = systems.map((s, i) => {
      const def = typeof s === "function" ? { name: s.name || `system${i}`, run: s } : s;
      if (names.has(def.name))
        throw new DefinitionError(`system "${def.name}" appears twice in the schedule`);
      names.add(def.name);
      return def;
    });
  }

  /** Runs one fixed tick with the given commands. */
  step(world: World, inputs: readonly Command[] = NO_INPUTS): void {
    world.inputs = inputs;
    const systems = this.systems;
    for (let i = 0; i < systems.length; i++) {
      world.beginDefer();
      try {
        (systems[i] as SystemDef).run(world);
      } finally {
        world.endDefer();
      }
    }
    world.inputs = NO_INPUTS;
    world.tick++;
  }

  /** Runs `ticks` fixed ticks without inputs. */
  run(world: World, ticks: number): void {
    for (let i = 0; i < ticks; i++) this.step(world);
  }
}

export function createSchedule(systems: readonly (SystemDef | SystemFn)[]): Schedule {
  return new Schedule(systems);
}

/**
 * Turns wall-clock time into whole fixed ticks (for live loops, never inside the simulation).
 * Elapsed time accumulates; each `advance` returns how many ticks are due, at most `maxTicks`
 * so a stalled host catches up gradually instead of spiralling.
 */
export class FixedStepClock {
  private accumulatorMs = 0;
  readonly tickMs: number;

  constructor(
    tickRateHz: number,
    readonly maxTicksPerAdvance = 8,
  ) {
    this.tickMs = 1000 / tickRateHz;
  }

  advance(elapsedMs: number): number {
    this.accumulatorMs += Math.max(0, elapsedMs);
    let due = Math.floor(this.accumulatorMs / this.tickMs);
    if (due > this.maxTicksPerAdvance) {
      due = this.maxTicksPerAdvance;
      this.accumulatorMs = 0;
    } else {
      this.accumulatorMs -= due * this.tickMs;
    }
    return due;
  }
}
