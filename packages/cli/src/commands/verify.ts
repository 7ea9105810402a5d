/**
 * `ledgerquest verify [world]`: a world's ledger checked from its first entry (chain, hashes,
 * balances, unit sums, conservation: held = minted - sunk), against the digest the world item commits to, and against every balance
 * projection in the entity store. Against the running local stack by default, or the ambient AWS
 * environment with `--aws`. Exit codes: 0 all good, 1 problems found, 2 could not verify.
 *
 * The command's core (`runVerify`) takes its dependencies and where to print, so it is tested
 * over the memory adapters; `registerVerify` only finds the target and calls it. This module also
 * holds what `replay` shares with it (output, progress, the target's dependencies).
 */
import type {
  RuntimeDeps,
  VerifyDeps,
  VerifyWorldProblem,
  VerifyWorldReport,
} from "@ledgerquest/runtime";
import type { Command } from "commander";
import { dataDirOption } from "../args.js";

/** Where a command prints: `process.stdout`, or a buffer in a test. */
export interface Output {
  write(text: string): unknown;
}

export interface CommandIO {
  /** Results: the report, or its JSON. */
  readonly out: Output;
  /** Errors, and progress when there is no terminal. */
  readonly err: Output;
  /** A terminal to draw progress bars on (stderr, when it is one). */
  readonly terminal?: NodeJS.WriteStream;
}

/** Exit codes shared by `verify` and `replay`. */
export const EXIT_OK = 0;
export const EXIT_FOUND_PROBLEMS = 1;
export const EXIT_COULD_NOT_CHECK = 2;

/** Journals shorter than this are read before a progress bar would help. */
const PROGRESS_MIN_ENTRIES = 20_000;

/** The demo world `ledgerquest dev` and `ledgerquest seed` create. */
export const DEFAULT_WORLD = "demo";

export interface TargetOptions {
  readonly dataDir: string;
  readonly aws: boolean;
}

/** The runtime's dependencies for the local stack in `dataDir`, or the ambient AWS environment. */
export async function depsForTarget(opts: TargetOptions): Promise<RuntimeDeps> {
  if (!opts.aws) {
    const { readLocalTarget, useTarget } = await import("../target.js");
    useTarget(readLocalTarget(opts.dataDir));
  }
  // Loaded only now: the wiring reads the environment at first use, which must be the target's.
  const { projectRuntimeDeps } = await import("../project.js");
  return await projectRuntimeDeps();
}

/**
 * `--data-dir` and `--aws`, the options of every command that works on a world's stores.
 * `awsHelp` says what `--aws` does for this command.
 */
export function targetOptions(command: Command, awsHelp: string): Command {
  return command.addOption(dataDirOption()).option("--aws", awsHelp, false);
}

/**
 * A command's action on its target: runs `run` with the target's dependencies and sets the exit
 * code it returns; a target that cannot be reached is said on stderr (`<name>: why`), exit 2.
 */
export async function runOnTarget(
  name: string,
  worldId: string,
  opts: TargetOptions,
  run: (deps: RuntimeDeps, io: CommandIO) => Promise<number>,
): Promise<void> {
  const io = commandIO();
  let deps: RuntimeDeps;
  try {
    deps = await depsForTarget(opts);
  } catch (error) {
    io.err.write(`${name}: ${describeError(error, worldId)}\n`);
    process.exitCode = EXIT_COULD_NOT_CHECK;
    return;
  }
  process.exitCode = await run(deps, io);
}

/** An error as one line that says what to do about it. */
export function describeError(error: unknown, worldId: string): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "NotFoundError" && "what" in error && error.what === "world") {
    return `there is no world "${worldId}" here: check the id (the local stack's world is "${DEFAULT_WORLD}" unless \`ledgerquest dev --world\` named another), or use --aws for a deployment`;
  }
  if (error.name === "ConfigError") {
    return `${error.message}\n  set these for the deployment, or drop --aws to use the local stack`;
  }
  return error.message;
}

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export const QUIET_PROGRESS: Progress = { update() {}, stop() {} };

type CliProgress = typeof import("cli-progress");

/** cli-progress when there is a terminal to draw on and it is installed. */
export async function loadBars(io: CommandIO): Promise<CliProgress | undefined> {
  if (io.terminal === undefined) return undefined;
  try {
    return await import("cli-progress");
  } catch {
    return undefined; // not installed: `startProgress` falls back to plain lines
  }
}

/**
 * A progress bar on the terminal, or, without one, a line on `err` per tenth of the work; nothing
 * for work under `minimum` units, which ends before a bar would help.
 */
export function startProgress(
  io: CommandIO,
  bars: CliProgress | undefined,
  label: string,
  unit: string,
  total: number,
  minimum: number,
): Progress {
  if (total < minimum) return QUIET_PROGRESS;
  if (bars !== undefined && io.terminal !== undefined) {
    const bar = new bars.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | eta {eta_formatted}`,
        stream: io.terminal,
        hideCursor: true,
        etaBuffer: 100,
      },
      bars.Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      update(done, all) {
        if (all !== total) bar.setTotal(all);
        bar.update(done);
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastTenth = -1;
  return {
    update(done, all) {
      const tenth = all === 0 ? 10 : Math.floor((done * 10) / all);
      if (tenth <= lastTenth) return;
      lastTenth = tenth;
      io.err.write(`${label}: ${tenth * 10}% (${count(done)}/${count(all)} ${unit})\n`);
    },
    stop() {},
  };
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Rows padded into columns, two spaces apart; the last column is left ragged. */
export function table(rows: readonly (readonly string[])[], indent = "  "): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
          .join("  ")
          .trimEnd(),
    )
    .join("\n");
}

/** Where a problem is: the seq, account, unit or digest field it names. */
function where(p: VerifyWorldProblem): string {
  switch (p.kind) {
    case "broken_link":
    case "hash_mismatch":
    case "invalid_entry":
    case "journal_short":
      return `seq ${p.seq}`;
    case "unit_not_balanced":
    case "supply_mismatch":
      return `unit ${p.unit}`;
    case "digest_mismatch":
      return `digest ${p.field}`;
    case "projection_mismatch":
    case "projection_ahead":
      return `account ${p.account} (v${p.version})`;
    case "projection_missing":
      return `account ${p.account}`;
  }
}

function short(hash: string): string {
  return /^[0-9a-f]{64}$/.test(hash) ? `${hash.slice(0, 12)}…` : hash;
}

/** The report as `ledgerquest verify` prints it. */
export function formatVerifyReport(r: VerifyWorldReport): string {
  const chainOk = !r.problems.some((p) =>
    [
      "broken_link",
      "hash_mismatch",
      "invalid_entry",
      "unit_not_balanced",
      "supply_mismatch",
    ].includes(p.kind),
  );
  const digestOk = !r.problems.some(
    (p) => p.kind === "digest_mismatch" || p.kind === "journal_short",
  );
  const projectionProblems = r.problems.filter((p) => p.kind.startsWith("projection_")).length;
  const lines = [
    `world ${r.worldId} at version ${r.version}, tick ${count(r.tick)}`,
    table([
      [
        "journal",
        `${count(r.entries)} entries (${count(r.accounts)} accounts opened, ${count(r.transfers)} transfers)`,
        chainOk ? "chain, hashes, balances, unit sums and supply ok" : "PROBLEMS",
      ],
      [
        "digest",
        `count ${count(r.digest.count)}, head ${short(r.digest.head)}, root ${short(r.digest.root)}`,
        digestOk ? "matches the world item" : "PROBLEMS",
      ],
      [
        "projections",
        `${count(r.projectionsChecked)} account balances in the entity store`,
        projectionProblems === 0 ? "equal to the journal's" : `${projectionProblems} PROBLEM(S)`,
      ],
      ...r.units.map((u) => [
        `unit ${u.unit}`,
        `${count(u.accounts)} accounts, ${count(u.held)} held (minted ${count(u.minted)}, sunk ${count(u.sunk)})`,
        u.held === u.minted - u.sunk ? "held = minted - sunk" : "PROBLEMS",
      ]),
      [
        "time",
        `${duration(r.timing.totalMs)} (journal ${duration(r.timing.journalMs)}, projections ${duration(r.timing.projectionsMs)})`,
        "",
      ],
    ]),
  ];
  if (r.problems.length > 0) {
    lines.push(`\nproblems (${r.problems.length}):`);
    lines.push(
      table([["KIND", "WHERE", "DETAIL"], ...r.problems.map((p) => [p.kind, where(p), p.detail])]),
    );
  }
  lines.push(
    r.ok
      ? "\nresult: OK"
      : `\nresult: FAILED, ${r.problems.length} problem(s); the journal is the source of truth: start with the lowest seq`,
  );
  return `${lines.join("\n")}\n`;
}

export interface VerifyCommandOptions {
  readonly json: boolean;
}

/** What `ledgerquest verify` does, given its dependencies; returns the exit code. */
export async function runVerify(
  deps: VerifyDeps,
  worldId: string,
  opts: VerifyCommandOptions,
  io: CommandIO,
): Promise<number> {
  const { verifyWorld } = await import("@ledgerquest/runtime");
  return runCheck(
    { name: "verify", unit: "entries", minTotal: PROGRESS_MIN_ENTRIES, worldId, json: opts.json },
    io,
    (progress) =>
      verifyWorld(deps, worldId, {
        onProgress: (p) => {
          if (p.phase === "journal") progress(p.done, p.total);
        },
      }),
    formatVerifyReport,
  );
}

/**
 * What `verify` and `replay` share: a progress bar once the work is large enough (none with
 * `--json` unless on a terminal), the report as text or JSON, and the exit code: 0 when the
 * report is OK, 1 when it found problems, 2 when the check could not run (said on stderr).
 */
export async function runCheck<R extends { readonly ok: boolean }>(
  check: {
    readonly name: string;
    readonly unit: string;
    /** Below this many units, no bar: the check is over before one would help. */
    readonly minTotal: number;
    readonly worldId: string;
    readonly json: boolean;
  },
  io: CommandIO,
  run: (progress: (done: number, total: number) => void) => Promise<R>,
  format: (report: R) => string,
): Promise<number> {
  let progress: Progress | undefined;
  try {
    const bars = await loadBars(io);
    const report = await run((done, total) => {
      progress ??=
        check.json && bars === undefined
          ? QUIET_PROGRESS
          : startProgress(io, bars, check.name, check.unit, total, check.minTotal);
      progress.update(done, total);
    });
    progress?.stop();
    io.out.write(check.json ? `${JSON.stringify(report, null, 2)}\n` : format(report));
    return report.ok ? EXIT_OK : EXIT_FOUND_PROBLEMS;
  } catch (error) {
    progress?.stop();
    io.err.write(`${check.name}: ${describeError(error, check.worldId)}\n`);
    return EXIT_COULD_NOT_CHECK;
  }
}

/**
 * `ledgerquest verify`.
 * Alike: replay.ts's, export.ts's and seed.ts's registrations, in commander's form; what they
 * share is `targetOptions` and `runOnTarget`.
 */
export function registerVerify(program: Command): void {
  const command = program
    .command("verify")
    .description(
      "Check a world's ledger: the journal's chain, hashes, balances and unit sums, the world's ledger digest, and every balance in the entity store",
    )
    .argument("[world]", "the world's id", DEFAULT_WORLD)
    .option("--json", "print the report as JSON", false);
  targetOptions(
    command,
    "verify the deployment the ambient AWS environment names (LQ_* variables, AWS profile) instead of the local stack",
  )
    .addHelpText(
      "after",
      "\nExit codes: 0 all good, 1 problems found (each named with its seq or account), 2 could not verify.\n\nExamples:\n  ledgerquest verify                 the demo world in the running local stack\n  ledgerquest verify demo --json\n  LQ_ENTITY_TABLE=... ledgerquest verify demo --aws",
    )
    .action(async (worldId: string, opts: VerifyCommandOptions & TargetOptions) => {
      await runOnTarget("verify", worldId, opts, (deps, io) => runVerify(deps, worldId, opts, io));
    });
}

/** This process's output: stdout for results, stderr for the rest, a bar if stderr is a TTY. */
export function commandIO(): CommandIO {
  return {
    out: process.stdout,
    err: process.stderr,
    ...(process.stderr.isTTY ? { terminal: process.stderr } : {}),
  };
}
