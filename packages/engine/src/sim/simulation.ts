import type { ComponentDef, Schema } from "../ecs/component.js";
import { Schedule, type SystemDef, type SystemFn } from "../ecs/schedule.js";
import { World } from "../ecs/world.js";
import { DefinitionError, ReplayError } from "../errors.js";
import { sha256Text, toHex } from "../hash.js";
import type { Command, JsonValue, TickInput } from "./command.js";
import { decodeSnapshot, encodeSnapshot, snapshotHash } from "./snapshot.js";

/**
 * The rules of a world: its components, its systems in order, its rate and its configuration.
 * Two runs agree only under the same definition, so its fingerprint (a SHA-256 over all of this)
 * is written into every snapshot, and a snapshot refuses to load under other rules.
 */
export interface SimulationDefinition {
  /** Name and version of the rules, e.g. "arena@1". */
  readonly name: string;
  readonly components: readonly ComponentDef<Schema>[];
  readonly systems: readonly (SystemDef | SystemFn)[];
  /** Default 60. */
  readonly tickRateHz?: number;
  /** Default 65,536. */
  readonly maxEntities?: number;
  /** Whatever else shapes the rules (physics options, game constants), as JSON. */
  readonly config?: JsonValue;
}

function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const obj = value as { readonly [key: string]: JsonValue };
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** The definition's fingerprint: SHA-256 over its name, components, system names, rate and config. */
export function fingerprintOf(def: SimulationDefinition): Uint8Array {
  const schedule = new Schedule(def.systems);
  const text = canonicalJson({
    name: def.name,
    tickRateHz: def.tickRateHz ?? 60,
    maxEntities: def.maxEntities ?? 65_536,
    components: def.components.map((c) => ({
      name: c.name,
      fields: c.fields.map((f) => `${f}:${c.schema[f]}`),
    })),
    systems: schedule.systems.map((s) => s.name),
    config: def.config ?? null,
  });
  return sha256Text(text);
}

/** A world running under a definition: step it, snapshot it, hash it. */
export class Simulation {
  readonly schedule: Schedule;
  readonly fingerprint: Uint8Array;

  private constructor(
    readonly definition: SimulationDefinition,
    readonly world: World,
  ) {
    this.schedule = new Schedule(definition.systems);
    this.fingerprint = fingerprintOf(definition);
  }

  /** A new, empty world under `definition`, seeded with `seed`. */
  static create(definition: SimulationDefinition, seed: number | string = 0): Simulation {
    if (!definition.name) throw new DefinitionError("a simulation definition needs a name");
    const world = new World({
      components: definition.components,
      seed,
      ...(definition.tickRateHz === undefined ? {} : { tickRateHz: definition.tickRateHz }),
      ...(definition.maxEntities === undefined ? {} : { maxEntities: definition.maxEntities }),
    });
    return new Simulation(definition, world);
  }

  /** The world of a snapshot, continuing under `definition` (which must be the one it was taken under). */
  static restore(definition: SimulationDefinition, snapshot: Uint8Array): Simulation {
    const world = decodeSnapshot(snapshot, {
      components: definition.components,
      fingerprint: fingerprintOf(definition),
    });
    return new Simulation(definition, world);
  }

  get tick(): number {
    return this.world.tick;
  }

  /** Runs one tick with these commands. */
  step(commands: readonly Command[] = []): void {
    this.schedule.step(this.world, commands);
  }

  snapshot(): Uint8Array {
    return encodeSnapshot(this.world, { fingerprint: this.fingerprint });
  }

  /** The state hash of the world now (hex SHA-256 of its snapshot). */
  hash(): string {
    return snapshotHash(this.snapshot());
  }

  /** Hex of the definition's fingerprint. */
  get fingerprintHex(): string {
    return toHex(this.fingerprint);
  }
}

export interface TickHash {
  /** The tick that was run (the world's tick before the step). */
  readonly tick: number;
  /** State hash after that tick. */
  readonly hash: string;
}

export interface ReplayOptions {
  /** Stop after the tick before this one (exclusive). Default: after the log's last tick. */
  readonly untilTick?: number;
}

/**
 * Re-runs a world from a snapshot with a command log and yields the state hash after every
 * tick. The same definition, snapshot and log give the same sequence on every machine; compare
 * it with recorded hashes to find the first tick where two runs part.
 */
export function* replay(
  definition: SimulationDefinition,
  snapshot: Uint8Array,
  log: readonly TickInput[],
  options: ReplayOptions = {},
): Generator<TickHash, void, undefined> {
  const sim = Simulation.restore(definition, snapshot);
  const start = sim.tick;
  let previous = start - 1;
  for (const entry of log) {
    if (!Number.isSafeInteger(entry.tick) || entry.tick <= previous) {
      throw new ReplayError(
        `command log entry for tick ${entry.tick} is out of order: ticks must be integers, ascending, from the snapshot's tick ${start}`,
      );
    }
    previous = entry.tick;
  }
  const last = log.length > 0 ? (log[log.length - 1] as TickInput).tick : start - 1;
  const until = options.untilTick ?? last + 1;
  let next = 0;
  while (sim.tick < until) {
    const entry = log[next];
    let commands: readonly Command[] = [];
    if (entry && entry.tick === sim.tick) {
      commands = entry.commands;
      next++;
    }
    const tick = sim.tick;
    sim.step(commands);
    yield { tick, hash: sim.hash() };
  }
}

/** All of `replay`'s hashes as an array. */
export function replayHashes(
  definition: SimulationDefinition,
  snapshot: Uint8Array,
  log: readonly TickInput[],
  options: ReplayOptions = {},
): TickHash[] {
  return [...replay(definition, snapshot, log, options)];
}
