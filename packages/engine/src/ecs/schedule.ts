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
    const depth = world.deferralDepth;
    try {
      this.runSystems(world).next();
    } finally {
      // Normally a no-op. If a system threw, this closes its deferral and applies what it queued,
      // so the world stays consistent (the error still propagates).
      world.endDeferTo(depth);
    }
    world.inputs = NO_INPUTS;
    world.tick++;
  }

  /**
   * The systems, each with its own deferral. This is a generator (it never yields) for speed:
   * V8 inlines small systems into their caller but never inlines a generator, so the systems'
   * loops stay out of `step`'s try block. Code inlined into a try block gets an exception edge at
   * every call and loop check; in the ECS benchmarks that made system loops 10-20% slower.
   */
  // biome-ignore lint/correctness/useYield: a generator on purpose, see above
  private *runSystems(world: World): Generator<never, void, undefined> {
    const systems = this.systems;
    for (let i = 0; i < systems.length; i++) {
      world.beginDefer();
      (systems[i] as SystemDef).run(world);
      world.endDefer();
    }
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
