/**
 * `ledgerquest dev`: the local stack with the demo world in it. Starts every service, creates the
 * demo world on first start (idempotent: a restart continues it), starts its game loop through
 * the bus, prints where everything listens and a status line every few seconds, and shuts down
 * cleanly on Ctrl-C.
 */
import { type LocalStack, startLocalStack } from "@ledgerquest/local";
import { createWorld, getState, type RuntimeDeps } from "@ledgerquest/runtime";
import { removeLocalTarget, writeLocalTarget } from "./target.js";

export interface DevOptions {
  readonly dataDir: string;
  readonly inMemory: boolean;
  readonly world: string;
  readonly players: number;
  readonly bodies: number;
  readonly bots: number;
  readonly statusEverySeconds: number;
  /** Stop by itself after this many seconds (0: run until interrupted). */
  readonly seconds: number;
  readonly websocketPort?: number;
}

export async function runDev(options: DevOptions): Promise<void> {
  const startedMs = Date.now();
  console.log(
    "LedgerQuest local stack: starting (Ctrl-C stops it; the world continues at the next start)",
  );
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dataDir: options.dataDir,
      inMemory: options.inMemory,
      ...(options.websocketPort === undefined
        ? {}
        : { ports: { websocket: options.websocketPort } }),
      log: (line) => console.log(`  ${line}`),
    });
  } catch (error) {
    console.error(`could not start the local stack: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const { runtimeDepsFromEnvironment } = await import("@ledgerquest/aws");
  const deps: RuntimeDeps = runtimeDepsFromEnvironment();
  const players = Array.from(
    { length: options.players },
    (_, i) => `player_${String(i + 1).padStart(4, "0")}`,
  );
  const created = await createWorld(deps, {
    worldId: options.world,
    players,
    settings: { bodies: options.bodies, bots: options.bots, coins: 200 },
  });
  console.log(
    created.result === "created"
      ? `world "${options.world}" created: ${players.length} player(s) with 100 gold each, ${options.bodies} bodies, ${options.bots} bots`
      : `world "${options.world}" found at tick ${created.world.tick} (version ${created.world.version}): continuing it`,
  );
  await stack.activate(options.world, created.world.version);
  if (!options.inMemory) {
    // So that other commands (`ledgerquest token`, `verify`, `bots`, ...) find this stack.
    writeLocalTarget(options.dataDir, {
      env: stack.env,
      websocket: stack.endpoints.websocket,
      idp: stack.endpoints.idp,
      pid: process.pid,
    });
  }
  const token = await stack.token(players[0] ?? "player_0001");
  console.log(
    `\nplay as ${players[0]}: connect a WebSocket client to\n  ${stack.endpoints.websocket}?world=${options.world}&token=${token}`,
  );
  console.log(`then send {"action":"command","id":"m1","type":"move","data":{"dx":1,"dy":0}}\n`);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    console.log(`\n${why}: stopping (nothing committed is lost)`);
    if (!options.inMemory) removeLocalTarget(options.dataDir);
    await stack.stop();
    console.log("stopped");
  };
  const timer = setInterval(async () => {
    try {
      const s = await getState(deps, {
        worldId: options.world,
        playerId: players[0] ?? "player_0001",
      });
      if (s === undefined || stopping) return;
      const gold = s.player?.balances.gold ?? 0;
      console.log(
        `tick ${s.tick.toLocaleString("en-US")} | version ${s.version} | ledger ${s.ledger.count.toLocaleString("en-US")} entries, head ${s.ledger.head.slice(0, 12)}… | ${players[0]}: ${gold} gold, level ${s.player?.level ?? 1} | state ${s.stateHash.slice(0, 12)}…`,
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
