#!/usr/bin/env node
/**
 * `create-ledgerquest <folder>` (`npm create ledgerquest@latest my-game`): a new game project from
 * the template, with the next steps printed. It installs nothing unless asked (`--install`).
 */
import { spawnSync } from "node:child_process";
import { Command } from "commander";
import { nextSteps, ownVersion, ScaffoldError, scaffold } from "./scaffold.js";

interface Options {
  install: boolean;
  ledgerquestVersion?: string;
  tarballs?: string;
}

function fail(message: string): void {
  console.error(`create-ledgerquest: ${message}`);
  process.exitCode = 1;
}

const program = new Command()
  .name("create-ledgerquest")
  .description(
    "Create a LedgerQuest game project: a small game, its tests on the testing kit, a browser client, and the config `ledgerquest dev`, `verify` and `deploy` read.",
  )
  .version(ownVersion(), "-v, --version", "print the version")
  .argument("[folder]", "the folder to create; its name names the project (as my-game)")
  .option("--install", "run npm install in the new project", false)
  .option(
    "--ledgerquest-version <range>",
    "the version range of the @ledgerquest packages (default: this package's version)",
  )
  .option(
    "--tarballs <dir>",
    "use the @ledgerquest packages packed in this folder (npm pack), not a registry",
  )
  .showHelpAfterError()
  .action(async (folder: string | undefined, opts: Options) => {
    if (folder === undefined || folder.trim() === "") {
      fail("name the folder to create: npm create ledgerquest@latest my-game");
      return;
    }
    let result: Awaited<ReturnType<typeof scaffold>>;
    try {
      result = await scaffold({
        directory: folder,
        ...(opts.ledgerquestVersion === undefined
          ? {}
          : { ledgerquestVersion: opts.ledgerquestVersion }),
        ...(opts.tarballs === undefined ? {} : { tarballs: opts.tarballs }),
      });
    } catch (error) {
      if (error instanceof ScaffoldError) {
        fail(error.message);
        return;
      }
      throw error;
    }
    if (opts.install) {
      console.log(`Installing in ${result.dir} (npm install)...`);
      const npm = spawnSync("npm", ["install"], {
        cwd: result.dir,
        stdio: "inherit",
        shell: process.platform === "win32",
      });
      if (npm.status !== 0) {
        fail(`npm install failed in ${result.dir}: run it there yourself to see why`);
        console.log(nextSteps(result, process.cwd(), false).join("\n"));
        return;
      }
    }
    console.log(nextSteps(result, process.cwd(), opts.install).join("\n"));
  });

await program.parseAsync();
