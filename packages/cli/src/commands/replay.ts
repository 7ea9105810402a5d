/**
 * `ledgerquest replay [world] [--from T] [--to T]`: re-simulate a world from the state it was
 * created with and the commands its batch records name, comparing every tick's state hash with
 * the recorded one and every ledger entry with the journal's. Against the running local stack by
 * default, or the ambient AWS environment with `--aws`. Exit codes: 0 every tick matched,
 * 1 a mismatch (named with its tick), 2 could not replay.
 */
import type { ReplayDeps, ReplayMismatch, ReplayReport } from "@ledgerquest/runtime";
import type { Command } from "commander";
import { whole } from "../args.js";
import {
  type CommandIO,
  count,
  DEFAULT_WORLD,
  duration,
  EXIT_COULD_NOT_CHECK,
  runCheck,
  runOnTarget,
  type TargetOptions,
  table,
  targetOptions,
} from "./verify.js";

/** Replays shorter than this (in ticks, about 20 s of a world) end before a bar would help. */
const PROGRESS_MIN_TICKS = 1200;

export interface ReplayCommandOptions {
  readonly from?: number;
  readonly to?: number;
  readonly json: boolean;
}

/** Where the mismatch is, and the two values that differ. */
function mismatchRows(m: ReplayMismatch): string[][] {
  const rows = [
    ["kind", m.kind],
    ["tick", `${count(m.tick)} (batch ${m.version})`],
  ];
  if (m.kind === "ledger_entry") rows.push(["seq", String(m.seq)]);
  if (m.kind === "final_state") rows.push(["field", m.field]);
  if ("expected" in m) {
    rows.push(["expected", String(m.expected)], ["actual", String(m.actual)]);
  }
  if (m.kind === "state_hash" && m.commands.found !== m.commands.recorded) {
    rows.push([
      "commands",
      `the batch's inbox ranges give ${m.commands.found}, its record counts ${m.commands.recorded}: an inbox command is missing or extra`,
    ]);
  }
  // A state hash mismatch's detail only repeats the two hashes above.
  if (m.kind !== "state_hash") rows.push(["detail", m.detail]);
  return rows;
}

/** The report as `ledgerquest replay` prints it. */
export function formatReplayReport(r: ReplayReport): string {
  const range =
    r.toTick < r.fromTick
      ? "no ticks (the world has not run yet)"
      : `ticks ${count(r.fromTick)} to ${count(r.toTick)}`;
  const rate =
    r.elapsedMs > 0 ? ` (${count(Math.round((r.ticksRun * 1000) / r.elapsedMs))} ticks/s)` : "";
  const lines = [
    `world ${r.worldId}: replayed ${range} from its genesis state at tick ${count(r.genesisTick)}`,
    table([
      ["ticks checked", `${count(r.ticksChecked)} (${count(r.ticksRun)} run)`],
      ["batches", count(r.batches)],
      ["commands", `${count(r.commandsApplied)} applied`],
      ["ledger", `${count(r.entriesChecked)} entries compared with the journal`],
      ["time", `${duration(r.elapsedMs)}${rate}`],
    ]),
  ];
  if (r.mismatch === undefined) {
    lines.push("\nresult: OK, every tick's state hash and every ledger entry matched");
  } else {
    lines.push(`\nresult: MISMATCH at tick ${count(r.mismatch.tick)}`);
    lines.push(table(mismatchRows(r.mismatch)));
  }
  return `${lines.join("\n")}\n`;
}

/** What `ledgerquest replay` does, given its dependencies; returns the exit code. */
export async function runReplay(
  deps: ReplayDeps,
  worldId: string,
  opts: ReplayCommandOptions,
  io: CommandIO,
): Promise<number> {
  if (opts.from !== undefined && opts.to !== undefined && opts.from > opts.to) {
    io.err.write(
      `replay: --from ${opts.from} is after --to ${opts.to}: give the first tick to compare, then the last (--from ${opts.to} --to ${opts.from}?)\n`,
    );
    return EXIT_COULD_NOT_CHECK;
  }
  const { replayWorld } = await import("@ledgerquest/runtime");
  return runCheck(
    { name: "replay", unit: "ticks", minTotal: PROGRESS_MIN_TICKS, worldId, json: opts.json },
    io,
    (progress) =>
      replayWorld(deps, worldId, {
        ...(opts.from === undefined ? {} : { fromTick: opts.from }),
        ...(opts.to === undefined ? {} : { toTick: opts.to }),
        onProgress: (p) => progress(p.ticksDone, p.ticksTotal),
      }),
    formatReplayReport,
  );
}

/** `ledgerquest replay`. */
export function registerReplay(program: Command): void {
  const command = program
    .command("replay")
    .description(
      "Re-simulate a world from its genesis state and recorded commands, and compare every tick's state hash and every ledger entry with the recorded ones",
    )
    .argument("[world]", "the world's id", DEFAULT_WORLD)
    .option(
      "--from <tick>",
      "first tick to compare (default: the world's first); earlier ticks still run, unchecked",
      whole("--from", 0, Number.MAX_SAFE_INTEGER),
    )
    .option(
      "--to <tick>",
      "last tick to compare (default: the last committed); the replay stops there",
      whole("--to", 0, Number.MAX_SAFE_INTEGER),
    )
    .option("--json", "print the report as JSON", false);
  targetOptions(
    command,
    "replay from the deployment the ambient AWS environment names (LQ_* variables, AWS profile) instead of the local stack",
  )
    .addHelpText(
      "after",
      "\nExit codes: 0 every tick matched, 1 a mismatch (the tick, expected and actual are printed), 2 could not replay.\n\nExamples:\n  ledgerquest replay                         every tick of the demo world\n  ledgerquest replay demo --from 6000 --to 6600\n  ledgerquest replay demo --json --aws",
    )
    .action(async (worldId: string, opts: ReplayCommandOptions & TargetOptions) => {
      await runOnTarget("replay", worldId, opts, (deps, io) => runReplay(deps, worldId, opts, io));
    });
}
