import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { readLocalTarget, useTarget } from "../target.js";

interface TargetOptions {
  readonly dataDir: string;
  readonly aws: boolean;
}

async function runtimeDeps(options: TargetOptions) {
  if (!options.aws) useTarget(readLocalTarget(options.dataDir));
  // Loaded after the environment points at the target: the wiring reads it at first use.
  const { runtimeDepsFromEnvironment } = await import("@ledgerquest/aws");
  return runtimeDepsFromEnvironment();
}

function fail(error: unknown): void {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
}

/** `ledgerquest export` and `ledgerquest restore`. */
export function registerExport(program: Command): void {
  program
    .command("export")
    .description("Write a world (state, journal, batch records, commands, balances) to a JSON file")
    .argument("<world>", "the world's id")
    .option("-o, --out <file>", "where to write it (default: <world>.export.json)")
    .option("--data-dir <dir>", "the local stack's data folder", ".ledgerquest")
    .option(
      "--aws",
      "use the AWS environment (profile, region, LQ_* variables) instead of the local stack",
      false,
    )
    .action(async (world: string, opts: TargetOptions & { out?: string }) => {
      try {
        const { exportWorld } = await import("@ledgerquest/runtime");
        const doc = await exportWorld(await runtimeDeps(opts), world);
        const file = opts.out ?? `${world}.export.json`;
        writeFileSync(file, `${JSON.stringify(doc)}\n`);
        console.log(
          `exported world ${world} at tick ${doc.world.tick} (version ${doc.world.version}): ${doc.journal.length} journal entries, ${doc.batches.length} batches, ${doc.inbox.length} commands -> ${file}`,
        );
      } catch (error) {
        fail(error);
      }
    });

  program
    .command("restore")
    .description("Check an exported world and write it into stores where it does not exist yet")
    .argument("<file>", "a file written by `ledgerquest export`")
    .option("--data-dir <dir>", "the local stack's data folder", ".ledgerquest")
    .option("--aws", "use the AWS environment instead of the local stack", false)
    .action(async (file: string, opts: TargetOptions) => {
      try {
        const { restoreWorld } = await import("@ledgerquest/runtime");
        const doc = JSON.parse(readFileSync(file, "utf8"));
        const report = await restoreWorld(await runtimeDeps(opts), doc);
        console.log(
          `restored world ${report.worldId} at tick ${report.tick} (version ${report.version}): ${report.journalEntries} journal entries, ${report.batches} batches, ${report.commands} commands; journal and states verified`,
        );
      } catch (error) {
        fail(error);
      }
    });
}
