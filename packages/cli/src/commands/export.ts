/**
 * `ledgerquest export <world>` and `ledgerquest restore <file>`: a world as one consistent cut at
 * its committed version, to a checked JSON file, and back into stores where it does not exist
 * (verified there before the world item is created). See `exportWorld` and `restoreWorld`.
 *
 * The commands' cores (`runExport`, `runRestore`) take their dependencies and where to print, so
 * they are tested over the memory and DynamoDB adapters; the registration only finds the target.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { RuntimeDeps } from "@ledgerquest/runtime";
import type { Command } from "commander";
import {
  type CommandIO,
  count,
  describeError,
  EXIT_COULD_NOT_CHECK,
  EXIT_FOUND_PROBLEMS,
  EXIT_OK,
  runOnTarget,
  type TargetOptions,
  targetOptions,
} from "./verify.js";

/** What `ledgerquest export` does: returns the exit code (0 written, 1 refused, 2 failed). */
export async function runExport(
  deps: RuntimeDeps,
  worldId: string,
  file: string,
  io: CommandIO,
): Promise<number> {
  const { ExportError, exportWorld, pendingCommands } = await import("@ledgerquest/runtime");
  try {
    const doc = await exportWorld(deps, worldId);
    writeFileSync(file, `${JSON.stringify(doc)}\n`);
    io.out.write(
      `exported world ${worldId} as of version ${doc.world.version} (tick ${count(doc.world.tick)}): ${count(doc.journal.length)} journal entries, ${count(doc.batches.length)} batches, ${count(doc.inbox.length)} commands (${count(pendingCommands(doc))} not applied yet), ${count(doc.accounts.length)} balances, ${count(doc.players.length)} profiles; checked: journal and digest, unit sums and supply, state, batch records, inbox -> ${file}\n`,
    );
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ExportError) {
      io.err.write(
        `export: world ${worldId} does not check as a consistent cut; nothing was written:\n${error.problems.map((p) => `  ${p}\n`).join("")}`,
      );
      return EXIT_FOUND_PROBLEMS;
    }
    io.err.write(`export: ${describeError(error, worldId)}\n`);
    return EXIT_COULD_NOT_CHECK;
  }
}

/** What `ledgerquest restore` does: returns the exit code (0 restored, 1 refused, 2 failed). */
export async function runRestore(deps: RuntimeDeps, file: string, io: CommandIO): Promise<number> {
  const { RestoreError, restoreWorld } = await import("@ledgerquest/runtime");
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.err.write(
      code === "ENOENT"
        ? `restore: there is no file ${file}: give the path of a file \`ledgerquest export\` wrote\n`
        : code === "EISDIR"
          ? `restore: ${file} is a directory: give the path of a file \`ledgerquest export\` wrote\n`
          : `restore: cannot read ${file} as JSON: ${(error as Error).message}\n`,
    );
    return EXIT_COULD_NOT_CHECK;
  }
  try {
    const r = await restoreWorld(deps, doc);
    io.out.write(
      `restored world ${r.worldId} as of version ${r.version} (tick ${count(r.tick)}): ${count(r.journalEntries)} journal entries, ${count(r.batches)} batches, ${count(r.commands)} commands (${count(r.pendingCommands)} not applied yet), ${count(r.accounts)} balances, ${count(r.players)} profiles; verified in the target: journal, digest, unit sums and supply, ${count(r.verify.projectionsChecked)} balances, profiles, batch records, inbox, states\n`,
    );
    return EXIT_OK;
  } catch (error) {
    if (error instanceof RestoreError) {
      io.err.write(`restore: ${error.reason}\n${error.problems.map((p) => `  ${p}\n`).join("")}`);
      return EXIT_FOUND_PROBLEMS;
    }
    io.err.write(`restore: ${describeError(error, "")}\n`);
    return EXIT_COULD_NOT_CHECK;
  }
}

/**
 * `ledgerquest export` and `ledgerquest restore`.
 * Alike: seed.ts's registration (and verify.ts's, which says what they share).
 */
export function registerExport(program: Command): void {
  const exportCommand = program
    .command("export")
    .description(
      "Write a world, as one consistent cut at its committed version (state, journal, batch records, commands, balances and profiles), to a checked JSON file",
    )
    .argument("<world>", "the world's id")
    .option("-o, --out <file>", "where to write it (default: <world>.export.json)");
  targetOptions(
    exportCommand,
    "export from the deployment the ambient AWS environment names (LQ_* variables, AWS profile) instead of the local stack",
  )
    .addHelpText(
      "after",
      "\nExit codes: 0 written, 1 the world does not check (nothing written), 2 could not export.\nCommands accepted after the export read the inbox are not in it: to move a world, stop its traffic first.",
    )
    .action(async (world: string, opts: TargetOptions & { out?: string }) => {
      await runOnTarget("export", world, opts, (deps, io) =>
        runExport(deps, world, opts.out ?? `${world}.export.json`, io),
      );
    });

  const restoreCommand = program
    .command("restore")
    .description(
      "Check an exported world, write it into stores where it does not exist yet, and verify what was written",
    )
    .argument("<file>", "a file written by `ledgerquest export`");
  targetOptions(
    restoreCommand,
    "restore into the deployment the ambient AWS environment names (LQ_* variables, AWS profile) instead of the local stack",
  )
    .addHelpText(
      "after",
      "\nExit codes: 0 restored and verified, 1 refused (each problem named), 2 could not restore.",
    )
    .action(async (file: string, opts: TargetOptions) => {
      await runOnTarget("restore", "", opts, (deps, io) => runRestore(deps, file, io));
    });
}
