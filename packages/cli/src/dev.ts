/**
 * `ledgerquest dev`: the local stack with the demo world in it. Starts every service, creates the
 * demo world on first start (idempotent: a restart continues it), starts its game loop through
 * the bus, prints where everything listens and a status line every few seconds, and shuts down
 * cleanly on Ctrl-C.
 */
import { type LocalStack, startLocalStack, startUsageFile, USAGE_FILE } from "@ledgerquest/local";
import { getState, type RuntimeDeps } from "@ledgerquest/runtime";
import { type SeedWorldSpec, seedWorlds, worldSpecsOf } from "./commands/seed.js";
import type { Project } from "./project.js";
import { removeLocalTarget, writeLocalTarget } from "./target.js";

export interface DevOptions {
  /** The project: its game, and the worlds to create when missing. */
  readonly project: Project;
  readonly dataDir: string;
  readonly inMemory: boolean;
  /** The world the dashboard opens and the status line follows. Default: the config's first. */
  readonly world?: string;
  /** Players of the worlds created now. Default: the config's (or 4). */
  readonly players?: number;
  readonly statusEverySeconds: number;
  /** Stop by itself after this many seconds (0: run until interrupted). */
  readonly seconds: number;
  readonly websocketPort?: number;
  /** Build and serve the dashboard. */
  readonly dashboard: boolean;
  /** Default `DEFAULT_DASHBOARD_PORT` when it is free, else a free one. */
  readonly dashboardPort?: number;
}

/**
 * The game loop of `ledgerquest dev`: paced to real time as a deployment's is, with laps of two
 * seconds (120 ticks at 60 Hz) rather than the deployment's ten, so that commits (the ledger feed,
 * quests) show sooner; pushes come at the game's rate either way.
 */
export const DEV_LOOP = { ticksPerBatch: 120, waitSeconds: 0, pace: true } as const;

/** Vite's own default: where a web developer looks first. */
export const DEFAULT_DASHBOARD_PORT = 5173;

async function portIsFree(port: number): Promise<boolean> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Starts the local stack for `ledgerquest dev`; on failure says why, sets the exit code, and returns nothing. */
async function startStack(options: DevOptions, worldId: string): Promise<LocalStack | undefined> {
  let pageDir: string | undefined;
  try {
    if (options.dashboard) {
      // The page the dashboard package was built with (`npm run build`, which `npm start` runs).
      const { dashboardSite } = await import("@ledgerquest/dashboard");
      pageDir = await dashboardSite();
    }
    return await startLocalStack({
      game: options.project.config.game,
      dataDir: options.dataDir,
      inMemory: options.inMemory,
      ...DEV_LOOP,
      ...(pageDir === undefined
        ? {}
        : {
            dashboard: {
              directory: pageDir,
              world: worldId,
              // Vite's port when free, else another: a named port is the user's to free.
              ...(options.dashboardPort === undefined
                ? { preferredPort: DEFAULT_DASHBOARD_PORT }
                : { port: options.dashboardPort }),
            },
          }),
      ...(options.websocketPort === undefined
        ? {}
        : { ports: { websocket: options.websocketPort } }),
      log: (line) => console.log(`  ${line}`),
    });
  } catch (error) {
    console.error(`could not start the local stack: ${(error as Error).message}`);
    process.exitCode = 1;
    return undefined;
  }
}

/** How to play: a token for the first player, an example command, the dashboard's address. */
async function printHowToPlay(
  stack: LocalStack,
  game: DevOptions["project"]["config"]["game"],
  player: string,
  worldId: string,
): Promise<void> {
  const token = await stack.token(player);
  console.log(
    `\nplay as ${player}: connect a WebSocket client to\n  ${stack.endpoints.websocket}?world=${worldId}&token=${token}`,
  );
  const type = game.commands.types[0];
  if (type !== undefined) {
    const { exampleOf } = await import("@ledgerquest/client");
    const data = exampleOf(game.describe?.().commandData?.[type]) ?? {};
    console.log(
      `then send ${JSON.stringify({ action: "command", id: "c1", type, data })} (the game's commands: ${game.commands.types.join(", ")})\n`,
    );
  }
  if (stack.endpoints.dashboard !== undefined) {
    console.log(`watch, play and audit the world in a browser:\n  ${stack.endpoints.dashboard}\n`);
  }
}

/**
 * Why a port the user named cannot be used (something else listens there), or undefined: asked
 * before anything starts, so that a taken port is said at once and names its option.
 */
export async function takenPortProblem(
  options: Pick<DevOptions, "dashboardPort" | "websocketPort" | "dashboard">,
): Promise<string | undefined> {
  const named: [number | undefined, string, string][] = [
    [options.dashboard ? options.dashboardPort : undefined, "the dashboard", "--dashboard-port"],
    [options.websocketPort, "the WebSocket API", "--websocket-port"],
  ];
  for (const [port, what, flag] of named) {
    if (port !== undefined && !(await portIsFree(port))) {
      return `${what}'s port ${port} is in use: choose another with ${flag}, or stop what listens there`;
    }
  }
  return undefined;
}

/** The worlds to create when missing, and the one the dashboard opens and the status follows. */
async function worldsToRun(
  options: DevOptions,
): Promise<{ specs: SeedWorldSpec[]; worldId: string }> {
  const specs = (await worldSpecsOf(options.project.config)).map((w) =>
    options.players === undefined ? w : { ...w, players: options.players },
  );
  const worldId = options.world ?? specs[0]?.worldId ?? "demo";
  if (!specs.some((w) => w.worldId === worldId)) {
    specs.push({ worldId, players: options.players ?? 4 });
  }
  return { specs, worldId };
}

/**
 * Creates the worlds that are missing and starts their loops through the bus (the supervisor
 * starts those of existing worlds): the same code as `ledgerquest seed`. Returns the players of
 * the followed world.
 */
async function seedAndReport(
  stack: LocalStack,
  deps: RuntimeDeps,
  options: DevOptions,
  specs: SeedWorldSpec[],
  worldId: string,
): Promise<readonly string[]> {
  const seeded = await seedWorlds(deps, { worlds: specs });
  for (const r of seeded) {
    console.log(
      r.result === "created"
        ? `world "${r.worldId}" created: ${r.players.length} player(s) (${options.project.config.game.name})`
        : `world "${r.worldId}" found at tick ${r.tick} (version ${r.version}): continuing it`,
    );
    if (r.result === "exists") await stack.activate(r.worldId, r.version);
  }
  return seeded.find((r) => r.worldId === worldId)?.players ?? ["player_0001"];
}

export async function runDev(options: DevOptions): Promise<void> {
  const startedMs = Date.now();
  const taken = await takenPortProblem(options);
  if (taken !== undefined) {
    console.error(`could not start the local stack: ${taken}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    "LedgerQuest local stack: starting (Ctrl-C stops it; the world continues at the next start)",
  );
  const { specs, worldId } = await worldsToRun(options);
  const stack = await startStack(options, worldId);
  if (stack === undefined) return;
  const deps: RuntimeDeps = stack.runtimeDeps();
  const players = await seedAndReport(stack, deps, options, specs, worldId);
  if (!options.inMemory) {
    // So that other commands (`ledgerquest token`, `verify`, `bots`, ...) find this stack.
    writeLocalTarget(options.dataDir, {
      env: stack.env,
      websocket: stack.endpoints.websocket,
      idp: stack.endpoints.idp,
      pid: process.pid,
    });
  }
  // ─── usage meter: what this run would be billed on AWS, for `ledgerquest cost` (docs/cost.md).
  // Rewritten every few seconds from the stack's counts, and once more when the stack stops.
  const usageFile = options.inMemory
    ? undefined
    : startUsageFile({
        file: `${options.dataDir}/${USAGE_FILE}`,
        snapshot: () => stack.usage(),
        everySeconds: 10,
        onError: (error) => console.error(`usage file: ${(error as Error).message}`),
      });
  await printHowToPlay(stack, options.project.config.game, players[0] ?? "player_0001", worldId);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    console.log(`\n${why}: stopping (nothing committed is lost)`);
    if (!options.inMemory) removeLocalTarget(options.dataDir);
    await stack.stop();
    usageFile?.stop();
    console.log("stopped");
  };
  // Ticks a second between the commits the status lines saw, timed by the commits themselves: a
  // line's own time would count two laps in one window and three in the next (48, 72, 48...).
  let previous: { readonly tick: number; readonly atMs: number } | undefined;
  const timer = setInterval(async () => {
    try {
      const s = await getState(deps, {
        worldId,
        playerId: players[0] ?? "player_0001",
      });
      if (s === undefined || stopping) return;
      const batch = s.version > 0 ? await deps.journal.getBatch(worldId, s.version) : undefined;
      const atMs = batch?.createdAtMs;
      let rate: number | undefined;
      if (atMs !== undefined && (previous === undefined || atMs > previous.atMs)) {
        if (previous !== undefined)
          rate = ((s.tick - previous.tick) * 1000) / (atMs - previous.atMs);
        previous = { tick: s.tick, atMs };
      }
      const clock = clockStatus(rate, batch?.clock);
      const held =
        Object.entries(s.player?.balances ?? {})
          .filter(([, amount]) => amount !== 0)
          .map(([unit, amount]) => `${amount} ${unit}`)
          .join(", ") || "nothing";
      console.log(
        `tick ${s.tick.toLocaleString("en-US")} | ${clock} | version ${s.version} | ledger ${s.ledger.count.toLocaleString("en-US")} entries, head ${s.ledger.head.slice(0, 12)}… | ${players[0]}: ${held}, level ${s.player?.level ?? 1} | state ${s.stateHash.slice(0, 12)}…`,
      );
    } catch (error) {
      console.error(`status: ${(error as Error).message}`);
    }
    if (options.seconds > 0 && Date.now() - startedMs >= options.seconds * 1000)
      await stop("time is up");
  }, options.statusEverySeconds * 1000);
  process.once("SIGINT", () => void stop("interrupted"));
  process.once("SIGTERM", () => void stop("terminated"));
}

/** Late by at most this, with nothing given up, is still keeping real time. */
const CAUGHT_UP_LATE_MS_MAX = 250;

/**
 * How the world keeps the clock, for the status line: its ticks a second between the commits
 * the last lines saw, and whether its last batch fell behind the wall clock (by how much at most,
 * and what it gave up).
 */
export function clockStatus(
  ticksPerSecond: number | undefined,
  last: { readonly behindMsMax: number; readonly skippedMs: number } | undefined,
): string {
  const rate = ticksPerSecond === undefined ? "" : `${ticksPerSecond.toFixed(0)} ticks/s, `;
  if (last === undefined) return `${rate}clock: -`;
  const lateMs = last.behindMsMax.toLocaleString("en-US");
  if (last.skippedMs === 0) {
    // Within a tick or two of its schedule is keeping time: ticks land on whole milliseconds.
    if (last.behindMsMax <= 50) return `${rate}real time`;
    // A lap's start (the world loaded, the first drain awaited) may run this late and catch up.
    if (last.behindMsMax <= CAUGHT_UP_LATE_MS_MAX)
      return `${rate}real time (up to ${lateMs} ms late, caught up)`;
  }
  const gaveUp =
    last.skippedMs > 0 ? `, ${last.skippedMs.toLocaleString("en-US")} ms given up` : "";
  return `${rate}BEHIND the clock by up to ${lateMs} ms${gaveUp}`;
}
