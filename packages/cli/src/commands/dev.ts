import type { Command } from "commander";
import { whole } from "../args.js";

/**
 * `ledgerquest dev`.
 * Alike in form: every command's registration (cost.ts's, ...): commander's chain, an option a call.
 */
export function registerDev(program: Command): void {
  program
    .command("dev")
    .description(
      "Start the local stack (DynamoDB Local, S3, EventBridge, Step Functions, the WebSocket API, a dev identity provider) running the project's game and worlds",
    )
    .option("--data-dir <dir>", "where tables, objects and checkpoints persist", ".ledgerquest")
    .option("--in-memory", "keep nothing on disk", false)
    .option("--world <id>", "the world the dashboard opens (default: the config's first)")
    .option(
      "--players <n>",
      "players in a new world (default: the config's, or 4)",
      whole("--players", 1, 1000),
    )
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
        world?: string;
        players?: number;
        statusEvery: number;
        seconds: number;
        websocketPort?: number;
        dashboardPort?: number;
        dashboard: boolean;
      }) => {
        const [{ runDev }, { currentProject }] = await Promise.all([
          import("../dev.js"),
          import("../project.js"),
        ]);
        let project: Awaited<ReturnType<typeof currentProject>>;
        try {
          project = await currentProject();
        } catch (error) {
          console.error(`dev: ${(error as Error).message}`);
          process.exitCode = 1;
          return;
        }
        await runDev({
          project,
          dataDir: opts.dataDir,
          inMemory: opts.inMemory,
          ...(opts.world === undefined ? {} : { world: opts.world }),
          ...(opts.players === undefined ? {} : { players: opts.players }),
          statusEverySeconds: opts.statusEvery,
          seconds: opts.seconds,
          ...(opts.websocketPort === undefined ? {} : { websocketPort: opts.websocketPort }),
          dashboard: opts.dashboard,
          ...(opts.dashboardPort === undefined ? {} : { dashboardPort: opts.dashboardPort }),
        });
      },
    );
}
