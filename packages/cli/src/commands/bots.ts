/**
 * `ledgerquest bots`: real WebSocket players that play in the running local stack's world, with
 * a progress line while they play and a report at the end (see `runBots` in `../bots.ts`).
 *
 * Bots play as existing players (`player_<first>`.., as `seed` and `dev` name them): before
 * connecting, the command checks that the world has them, since a game may accept their
 * commands and have nothing of theirs to apply them to. How a bot plays is the project's `bot`.
 */

import type { BotFactory } from "@ledgerquest/runtime";
import { type Command, InvalidArgumentError } from "commander";
import { dataDirOption, whole } from "../args.js";
import type { BotsProgress, BotsReport } from "../bots.js";
import { DEFAULT_RATE_PER_S, MAX_RATE_PER_S } from "../bots.js";
import { MAX_SEED_PLAYERS, numberedPlayerIds, playerRange } from "./seed.js";

/** Parses `--rate`: commands per second per bot, fractions allowed (0.5: one every 2 s). */
function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > MAX_RATE_PER_S) {
    throw new InvalidArgumentError(
      `--rate must be a number of commands per second above 0 and at most ${MAX_RATE_PER_S}`,
    );
  }
  return n;
}

export interface BotsCommandOptions {
  readonly count: number;
  readonly first: number;
  readonly seconds: number;
  readonly rate: number;
  /** Default: the project's first world. */
  readonly world?: string;
  readonly dataDir: string;
  readonly json: boolean;
}

/** Why the world cannot host these bots, or undefined when it can. */
async function checkWorld(
  worldId: string,
  players: readonly string[],
  lastPlayer: number,
): Promise<string | undefined> {
  const { projectRuntimeDeps } = await import("../project.js");
  const deps = await projectRuntimeDeps();
  if ((await deps.store.getWorld(worldId)) === undefined) {
    return `there is no world "${worldId}" in the local stack: create it with \`ledgerquest seed --world ${worldId} --players ${lastPlayer}\``;
  }
  const missing: string[] = [];
  // A few reads at a time: a large run checks hundreds of players.
  for (let i = 0; i < players.length; i += 25) {
    const chunk = players.slice(i, i + 25);
    const found = await Promise.all(chunk.map((p) => deps.store.getPlayer(worldId, p)));
    chunk.forEach((p, j) => {
      if (found[j] === undefined) missing.push(p);
    });
  }
  if (missing.length === 0) return undefined;
  const other = `${worldId}-${lastPlayer}`;
  return `world "${worldId}" has no ${playerRange(missing)}, and bots play as the world's own players (who join a world only when it is created): seed a world with enough, \`ledgerquest seed --world ${other} --players ${lastPlayer}\`, and run the bots with --world ${other}`;
}

export async function runBotsCommand(opts: BotsCommandOptions): Promise<BotsReport | undefined> {
  const { readLocalTarget, useTarget } = await import("../target.js");
  const { fetchDevToken, formatBotsReport, progressLine, runBots } = await import("../bots.js");
  const players = numberedPlayerIds(opts.count, opts.first);
  let target: ReturnType<typeof readLocalTarget>;
  let policy: BotFactory;
  let worldId = opts.world ?? "demo";
  try {
    const { currentProject } = await import("../project.js");
    const project = await currentProject();
    if (project.config.bot === undefined) {
      throw new Error(
        `${project.configFile} has no \`bot\`: add one to say how a bot plays ${project.config.game.name} (a function (player) => (view, random) => { type, data }; see the arena's examples/arena/src/bot.ts)`,
      );
    }
    policy = project.config.bot;
    const { worldSpecsOf } = await import("./seed.js");
    worldId = opts.world ?? (await worldSpecsOf(project.config))[0]?.worldId ?? "demo";
    target = readLocalTarget(opts.dataDir);
    useTarget(target);
    const problem = await checkWorld(worldId, players, opts.first + opts.count - 1);
    if (problem !== undefined) throw new Error(problem);
  } catch (error) {
    console.error(`bots: ${(error as Error).message}`);
    process.exitCode = 1;
    return undefined;
  }

  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const tty = process.stderr.isTTY === true;
  let lastLineMs = 0;
  const onProgress = (p: BotsProgress) => {
    if (tty) {
      process.stderr.write(`\r${progressLine(p).padEnd(process.stderr.columns ?? 100)}`);
    } else if (Date.now() - lastLineMs >= 5_000) {
      // Not a terminal (CI, a log file): a line every few seconds, not a wall of them.
      lastLineMs = Date.now();
      console.error(progressLine(p));
    }
  };
  console.error(
    `bots: ${opts.count} bot(s) as ${playerRange(players)} in world "${worldId}" for ${opts.seconds} s at ${opts.rate} command(s)/s each (Ctrl-C ends early)`,
  );
  try {
    const report = await runBots({
      policy,
      websocketUrl: target.websocket,
      worldId,
      token: async (player) => (await fetchDevToken(target.idp, player)).token,
      count: opts.count,
      players,
      seconds: opts.seconds,
      ratePerSecond: opts.rate,
      onProgress,
      signal: stop.signal,
    });
    if (tty) process.stderr.write("\n");
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatBotsReport(report));
    // A bot that could not connect is a failure of the run: a script or a load test must see it.
    if (report.failedToConnect > 0) process.exitCode = 1;
    return report;
  } catch (error) {
    if (tty) process.stderr.write("\n");
    console.error(`bots: ${(error as Error).message}`);
    process.exitCode = 1;
    return undefined;
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
  }
}

/** `ledgerquest bots`. */
export function registerBots(program: Command): void {
  program
    .command("bots")
    .description(
      "Connect bot players over real WebSockets (the client SDK) to the running local stack's world: they play as the project's `bot` says, and a report of commands, pushes and latency follows",
    )
    .option(
      "--count <n>",
      "bots, each playing one of the world's players",
      whole("--count", 1, MAX_SEED_PLAYERS),
      4,
    )
    .option(
      "--first <n>",
      "the first player to play as (player_<n>..)",
      whole("--first", 1, MAX_SEED_PLAYERS),
      1,
    )
    .option("--seconds <s>", "how long they play", whole("--seconds", 1, 86_400), 30)
    .option("--rate <per-s>", "commands per second per bot", rate, DEFAULT_RATE_PER_S)
    .option("--world <id>", "the world to play in (default: the config's first)")
    .option("--json", "print the report as JSON", false)
    .addOption(dataDirOption())
    .addHelpText(
      "after",
      "\nThe world must have the bots' players: `ledgerquest dev` makes 4 (--players), `ledgerquest seed --world w --players 50` makes a world for more.\nExit code 1 if any bot could not connect.\n\nExample:\n  ledgerquest seed --world load --players 50 && ledgerquest bots --world load --count 50 --seconds 60",
    )
    .action(async (opts: BotsCommandOptions) => {
      if (opts.first + opts.count - 1 > MAX_SEED_PLAYERS) {
        console.error(
          `bots: --first ${opts.first} with --count ${opts.count} goes past player_${MAX_SEED_PLAYERS}`,
        );
        process.exitCode = 1;
        return;
      }
      await runBotsCommand(opts);
    });
}
