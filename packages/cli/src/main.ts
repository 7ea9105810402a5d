#!/usr/bin/env node
import { Command, InvalidArgumentError } from "commander";

// Set before any handler module loads: they read these once, when they load. The handlers log
// warnings and errors only; the stack's own lines say what happens. Node 20 is supported here
// (Lambda runs 22); the SDK's notice about its future Node 22 floor is said once in the README.
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

function whole(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

const program = new Command()
  .name("ledgerquest")
  .description("LedgerQuest: run the whole serverless architecture on this machine, and more.")
  .showHelpAfterError();

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
  .option("--status-every <s>", "seconds between status lines", whole("--status-every", 1, 3600), 5)
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
    }) => {
      const { runDev } = await import("./dev.js");
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
      });
    },
  );

await program.parseAsync();
