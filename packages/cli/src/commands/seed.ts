/**
 * `ledgerquest seed`: the sample worlds, created once. Against the running local stack by
 * default, or, with `--aws`, against whatever the ambient AWS environment (`LQ_*` variables, a
 * profile) names; `ledgerquest deploy` calls `seedWorlds` itself after a deployment.
 *
 * Idempotent because `createWorld` is: a world that exists is left exactly as it is (its players,
 * balances and state), and said to exist. Players join a world only when it is created, so asking
 * an existing world for more players than it has is reported, not done.
 */

import type { JsonValue } from "@ledgerquest/engine";
import type { PlayerRecord, ProjectConfig, RuntimeDeps } from "@ledgerquest/runtime";
import { type Command, InvalidArgumentError } from "commander";
import { whole } from "../args.js";
import { targetOptions } from "./verify.js";

/** One world to seed. */
export interface SeedWorldSpec {
  readonly worldId: string;
  /** Its players: ids, or a count of `player_0001`.. (see `numberedPlayerIds`). */
  readonly players: number | readonly string[];
  /** The game's settings for a new world (its `settings` schema checks them). */
  readonly settings?: JsonValue;
}

export interface SeedOptions {
  readonly worlds: readonly SeedWorldSpec[];
  /**
   * Start the game loop of each world this call creates, with a `World Activated` event on the
   * bus (as the local stack and AWS both start loops). Default true. A world that existed is not
   * activated again: its loop is running already, and a second one would only contend with it.
   */
  readonly activate?: boolean;
}

export interface SeedResult {
  readonly worldId: string;
  readonly result: "created" | "exists";
  readonly version: number;
  readonly tick: number;
  /** The players asked for. */
  readonly players: readonly string[];
  /** Those of `players` the world does not have (only when it existed, with fewer). */
  readonly missingPlayers: readonly string[];
  /** The first player's profile: its starting balances and quests, as the store has them. */
  readonly sample?: PlayerRecord;
  readonly activated: boolean;
}

/** Players of a world whose configuration names none: `player_0001` to `player_0004`. */
export const DEFAULT_PLAYER_COUNT = 4;

/**
 * The worlds a project's configuration names (`worlds`, default one `demo` world), as `seed`,
 * `dev` and `deploy --seed` create them: the same specs, so any of them may create a world first.
 */
export async function worldSpecsOf(config: ProjectConfig): Promise<SeedWorldSpec[]> {
  const { worldsOf } = await import("@ledgerquest/runtime");
  return worldsOf(config).map((w) => ({
    worldId: w.id,
    players: w.players ?? DEFAULT_PLAYER_COUNT,
    ...(w.settings === undefined ? {} : { settings: w.settings }),
  }));
}

/** The largest player count a seeded world takes (`dev --players` has the same bound). */
export const MAX_SEED_PLAYERS = 1000;

/** `player_0001`, `player_0002`, ...: the deployment guide's player ids. */
export function numberedPlayerIds(count: number, first = 1): string[] {
  return Array.from({ length: count }, (_, i) => `player_${String(first + i).padStart(4, "0")}`);
}

/** Creates each world unless it exists; see the module's comment. */
export async function seedWorlds(
  deps: RuntimeDeps,
  options: SeedOptions,
): Promise<readonly SeedResult[]> {
  // Loaded here, not at the top: `ledgerquest --help` and the other commands need none of it.
  const { createDomainEvent, createWorld } = await import("@ledgerquest/runtime");
  const results: SeedResult[] = [];
  for (const spec of options.worlds) {
    const players =
      typeof spec.players === "number" ? numberedPlayerIds(spec.players) : [...spec.players];
    const { result, world } = await createWorld(deps, {
      worldId: spec.worldId,
      players,
      ...(spec.settings === undefined ? {} : { settings: spec.settings }),
    });
    const profiles = await Promise.all(players.map((p) => deps.store.getPlayer(spec.worldId, p)));
    const missingPlayers = players.filter((_, i) => profiles[i] === undefined);
    let activated = false;
    if (result === "created" && (options.activate ?? true)) {
      const event = createDomainEvent("World Activated", {
        worldId: world.worldId,
        version: world.version,
      });
      const { eventId, ...detail } = event.detail;
      await deps.publisher.publish([
        {
          eventId,
          source: event.source,
          detailType: event.detailType,
          detail,
          timeMs: deps.clock.nowMs(),
        },
      ]);
      activated = true;
    }
    const sample = profiles.find((p) => p !== undefined);
    results.push({
      worldId: world.worldId,
      result,
      version: world.version,
      tick: world.tick,
      players,
      missingPlayers,
      ...(sample === undefined ? {} : { sample: stripVersion(sample) }),
      activated,
    });
  }
  return results;
}

function stripVersion(record: PlayerRecord & { readonly version?: number }): PlayerRecord {
  const { version: _version, ...profile } = record;
  return profile;
}

/** `player_0001..player_0004`, or the list itself when short. */
export function playerRange(players: readonly string[]): string {
  if (players.length <= 3) return players.join(", ");
  return `${players[0]}..${players[players.length - 1]}`;
}

/** The lines `ledgerquest seed` prints for a result. */
export function describeSeedResult(r: SeedResult, spec: SeedWorldSpec): string[] {
  const settings = spec.settings === undefined ? "" : `, settings ${JSON.stringify(spec.settings)}`;
  const lines: string[] = [];
  if (r.result === "created") {
    const balances = Object.entries(r.sample?.balances ?? {})
      // Xp and empty purses are not worth a word.
      .filter(([unit, amount]) => unit !== "xp" && amount !== 0)
      .map(([unit, amount]) => `${amount} ${unit}`)
      .join(", ");
    lines.push(
      `world "${r.worldId}": created: ${r.players.length} player(s) (${playerRange(r.players)})${balances === "" ? "" : ` with ${balances} each`}${settings}`,
    );
    const quests = Object.keys(r.sample?.quests ?? {});
    if (quests.length > 0) lines.push(`  quests: ${quests.join(", ")}`);
    lines.push(
      r.activated
        ? "  game loop: started (World Activated published on the bus)"
        : "  game loop: not started (--no-activate)",
    );
  } else {
    lines.push(
      `world "${r.worldId}": exists (tick ${r.tick.toLocaleString("en-US")}, version ${r.version}): left as it is`,
    );
  }
  return lines;
}

/** `ledgerquest seed`. */
export function registerSeed(program: Command): void {
  const command = program
    .command("seed")
    .description(
      "Create the project's worlds (ledgerquest.config.ts `worlds`: players with their starting balances and quests, the game's settings) unless they exist; safe to run again",
    )
    .option("--world <id>", "only this world (one of the config's, or a new one)")
    .option(
      "--players <n>",
      "players player_0001.. in a new world (default: the config's, or 4)",
      whole("--players", 1, MAX_SEED_PLAYERS),
    )
    .option("--settings <json>", "the game's settings for a new world, as JSON", jsonArgument)
    .option("--no-activate", "do not start a new world's game loop");
  targetOptions(
    command,
    "seed the deployment the ambient AWS environment names (LQ_* variables, AWS profile) instead of the local stack",
  )
    .addHelpText(
      "after",
      "\nExamples:\n  ledgerquest seed                         the config's worlds in the running local stack\n  ledgerquest seed --world load --players 200 --settings '{\"bodies\":200}'\n  LQ_ENTITY_TABLE=... ledgerquest seed --aws",
    )
    .action(
      async (opts: {
        world?: string;
        players?: number;
        settings?: JsonValue;
        activate: boolean;
        dataDir: string;
        aws: boolean;
      }) => {
        try {
          const { currentProject, projectRuntimeDeps } = await import("../project.js");
          const configured = await worldSpecsOf((await currentProject()).config);
          const chosen =
            opts.world === undefined
              ? configured
              : [
                  configured.find((w) => w.worldId === opts.world) ?? {
                    worldId: opts.world,
                    players: DEFAULT_PLAYER_COUNT,
                  },
                ];
          const specs = chosen.map((w) => ({
            ...w,
            ...(opts.players === undefined ? {} : { players: opts.players }),
            ...(opts.settings === undefined ? {} : { settings: opts.settings }),
          }));
          if (!opts.aws) {
            const { readLocalTarget, useTarget } = await import("../target.js");
            useTarget(readLocalTarget(opts.dataDir));
          }
          const results = await seedWorlds(await projectRuntimeDeps(), {
            worlds: specs,
            activate: opts.activate,
          });
          for (const [i, result] of results.entries()) {
            const spec = specs[i] as SeedWorldSpec;
            for (const line of describeSeedResult(result, spec)) console.log(line);
            if (result.missingPlayers.length > 0) {
              console.error(
                `  note: this world has no ${playerRange(result.missingPlayers)} (players join a world only when it is created): seed another world for more players, e.g. --world ${result.worldId}-${result.players.length}`,
              );
            }
          }
        } catch (error) {
          console.error(`seed: ${(error as Error).message}`);
          process.exitCode = 1;
        }
      },
    );
}

/** A JSON option's value, or a clear error naming the option. */
export function jsonArgument(value: string): JsonValue {
  try {
    return JSON.parse(value) as JsonValue;
  } catch {
    throw new InvalidArgumentError(`expected JSON, as '{"bodies":200}', got ${value}`);
  }
}
