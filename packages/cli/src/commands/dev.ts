import type { Command } from "commander";
import { whole } from "../args.js";

/** `ledgerquest dev`. */
export function registerDev(program: Command): void {
  program
    .command("dev")
    .description(
      "Start the local stack (DynamoDB Local, S3, EventBridge, Step Functions, the WebSocket API, a dev identity provider) with the demo world",
    )
    .option("--data-dir <dir>", "where tables, objects and checkpoints persist", ".ledgerquest")
    .option("--in-memory", "keep nothing on disk", false)
    .option("--world <id>", "the demo world's id", "demo")
    .option("--players <n>", "players in a new world", whole("--players", 1, 1000), 4)
    .option("--bodies <n>", "pucks and crates in a new world", whole("--bodies", 0, 30_000), 1000)
    .option("--bots <n>", "bots in a new world", whole("--bots", 0, 1000), 20)
    .option(
      "--status-every <s>",
      "seconds between status lines",
      whole("--status-every", 1, 3600),
      5,
    )
    .option(
      "--seconds <s>",
      "stop by itself after this long (0: run until Ctrl-C)",
      whole("--seconds", 0, 86_400),
      0,
    )
    .option(
      "--websocket-port <port>",
      "the WebSocket API's port (default: a free one)",
      whole("--websocket-port", 1, 65_535),
    )
    .option(
      "--dashboard-port <port>",
      "the dashboard's port (default: 5173 if free, else a free one)",
      whole("--dashboard-port", 1, 65_535),
    )
    .option("--no-dashboard", "do not build and serve the dashboard")
    .action(
      async (opts: {
        dataDir: string;
        inMemory: boolean;
        world: string;
        players: number;
        bodies: number;
        bots: number;
        statusEvery: number;
        seconds: number;
        websocketPort?: number;
        dashboardPort?: number;
        dashboard: boolean;
      }) => {
        const { runDev } = await import("../dev.js");
        await runDev({
          dataDir: opts.dataDir,
          inMemory: opts.inMemory,
          world: opts.world,
          players: opts.players,
          bodies: opts.bodies,
          bots: opts.bots,
          statusEverySeconds: opts.statusEvery,
          seconds: opts.seconds,
          ...(opts.websocketPort === undefined ? {} : { websocketPort: opts.websocketPort }),
          dashboard: opts.dashboard,
          ...(opts.dashboardPort === undefined ? {} : { dashboardPort: opts.dashboardPort }),
        });
      },
    );
}
