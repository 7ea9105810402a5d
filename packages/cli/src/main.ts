#!/usr/bin/env node
import { Command } from "commander";
import { registerBots } from "./commands/bots.js";
import { registerDeploy } from "./commands/deploy.js";
import { registerDev } from "./commands/dev.js";
import { registerEnv } from "./commands/env.js";
import { registerExport } from "./commands/export.js";
import { registerReplay } from "./commands/replay.js";
import { registerSeed } from "./commands/seed.js";
import { registerToken } from "./commands/token.js";
import { registerVerify } from "./commands/verify.js";

// Set before any handler module loads: they read these once, when they load. The handlers log
// warnings and errors only; the stack's own lines say what happens. Node 20 is supported here
// (Lambda runs 22); the SDK's notice about its future Node 22 floor is said once in the README.
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const program = new Command()
  .name("ledgerquest")
  .description("LedgerQuest: run the whole serverless architecture on this machine, and more.")
  .showHelpAfterError();

registerDev(program);
registerSeed(program);
registerToken(program);
registerEnv(program);
registerBots(program);
registerVerify(program);
registerReplay(program);
registerExport(program);
registerDeploy(program);

await program.parseAsync();
