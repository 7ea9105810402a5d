#!/usr/bin/env node
import { createRequire } from "node:module";
import { Command } from "commander";
import { registerBots } from "./commands/bots.js";
import { registerCost } from "./commands/cost.js";
import { registerDeploy, registerSynth } from "./commands/deploy.js";
import { registerDev } from "./commands/dev.js";
import { registerEnv } from "./commands/env.js";
import { registerExport } from "./commands/export.js";
import { registerInvoke } from "./commands/invoke.js";
import { registerReplay } from "./commands/replay.js";
import { registerSeed } from "./commands/seed.js";
import { registerToken } from "./commands/token.js";
import { registerVerify } from "./commands/verify.js";
import { useConfigOption } from "./project.js";

// Set before any handler module loads: they read these once, when they load. The handlers log
// warnings and errors only; the stack's own lines say what happens. Node 20 is supported here
// (Lambda runs 22); the SDK's notice about its future Node 22 floor is said once in the README.
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// The package's own version: `src/` and `dist/` are both one folder below package.json.
const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

const program = new Command()
  .name("ledgerquest")
  .description(
    "LedgerQuest: run your game's whole serverless architecture on this machine, check its worlds, and deploy it to AWS.",
  )
  .version(version, "-v, --version", "print the version")
  .option(
    "-c, --config <file>",
    "the project's ledgerquest.config.ts (default: the nearest one in this folder or above)",
  )
  .showHelpAfterError()
  .hook("preAction", (root) => {
    useConfigOption((root.opts() as { config?: string }).config);
  });

registerDev(program);
registerSeed(program);
registerToken(program);
registerEnv(program);
registerBots(program);
registerVerify(program);
registerReplay(program);
registerExport(program);
registerDeploy(program);
registerSynth(program);
registerCost(program);
registerInvoke(program);

await program.parseAsync();
