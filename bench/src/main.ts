/**
 * `npm run bench [-- options]`: runs the benchmark suites, prints a markdown table per suite to
 * stdout (progress goes to stderr) and writes every number to bench/results/latest.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  ChecksumError,
  FULL,
  type Measurer,
  markdownTable,
  measureContender,
  QUICK,
  type RunOptions,
  runSuite,
  type SuiteResult,
} from "./harness.js";
import { processMeasurer } from "./isolate.js";
import { SUITES } from "./suites/index.js";

const DEFAULT_OUT = resolve(dirname(fileURLToPath(import.meta.url)), "../results/latest.json");

const HELP = `Usage: npm run bench -- [options]

Runs the benchmark suites against their anchors and prints one markdown table per suite.

Options:
  --only <suite>       run only these suites (repeat or comma-separate); default: all
                       suites: ${Object.keys(SUITES).join(", ")}
  --scenario <name>    run only these scenarios of the selected suites (repeat or comma-separate)
  --quick              short runs (about 0.1 s per measurement): a smoke test, not a result
  --time <ms>          measured time per run (default ${FULL.timeMs}; quick ${QUICK.timeMs})
  --runs <n>           runs per contender, each in a fresh process; the median run is reported
                       (default ${FULL.runs}; quick ${QUICK.runs})
  --out <file>         where to write the JSON results (default bench/results/latest.json)
  --in-process         measure in this process instead of a fresh child process per
                       measurement (results then depend on what ran before; handy to profile)
  -h, --help           show this help

Every scenario is first checked on a short run, and each timed run's checksum is checked after
it; a wrong checksum stops the run with exit code 1.`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

/** node:util parseArgs rejects unknown options and missing values with codes ERR_PARSE_ARGS_*. */
function isParseArgsError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("ERR_PARSE_ARGS")
  );
}

function list(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(",")).filter((v) => v.length > 0);
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown CPU",
    cores: cpus.length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: "string", multiple: true },
      scenario: { type: "string", multiple: true },
      quick: { type: "boolean", default: false },
      time: { type: "string" },
      runs: { type: "string" },
      out: { type: "string" },
      "in-process": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }

  const only = list(values.only);
  for (const name of only) {
    if (!(name in SUITES)) {
      throw new UsageError(`unknown suite "${name}"; suites: ${Object.keys(SUITES).join(", ")}`);
    }
  }
  const selected = only.length > 0 ? only : Object.keys(SUITES);
  const scenarios = list(values.scenario);

  let options: RunOptions = values.quick ? QUICK : FULL;
  if (values.time !== undefined) {
    const timeMs = Number(values.time);
    if (!Number.isFinite(timeMs) || timeMs <= 0)
      throw new UsageError(`--time must be a positive number of ms, got "${values.time}"`);
    options = { ...options, timeMs };
  }
  if (values.runs !== undefined) {
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1)
      throw new UsageError(`--runs must be a positive integer, got "${values.runs}"`);
    options = { ...options, runs };
  }

  const inProcess = values["in-process"];
  const measurer: Measurer = inProcess
    ? (_suite, scenario, side, label) => {
        const contender = side === "ours" ? scenario.ours : scenario.anchor;
        if (contender === undefined) throw new Error(`${label}: no contender`);
        return measureContender(label, contender, options);
      }
    : processMeasurer(options);

  const m = machine();
  const machineLine = `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node} (V8 ${m.v8}), ${m.platform}${values.quick ? " — quick run, not a result" : ""}`;
  console.log(machineLine);

  const results: SuiteResult[] = [];
  for (const name of selected) {
    const load = SUITES[name];
    if (load === undefined) continue;
    const { suite } = await load();
    const known = new Set(suite.scenarios.map((s) => s.name));
    const wanted = scenarios.filter((s) => known.has(s));
    if (scenarios.length > 0 && wanted.length === 0) continue;
    const result = await runSuite(
      suite,
      options,
      measurer,
      (s) => wanted.length === 0 || wanted.includes(s.name),
      (msg) => process.stderr.write(`  ${msg}\n`),
    );
    results.push(result);
    console.log(`\n## ${suite.name}: ${suite.description}\n`);
    // Suites that only report (bundle sizes) have no timed scenarios and no table.
    if (result.scenarios.length > 0) console.log(markdownTable(result, options.runs));
    for (const note of (await suite.notes?.()) ?? []) console.log(`\n${note}`);
  }
  const unknown = scenarios.filter(
    (s) => !results.some((r) => r.scenarios.some((x) => x.name === s)),
  );
  if (unknown.length > 0) throw new UsageError(`unknown scenario(s): ${unknown.join(", ")}`);

  const out = resolve(values.out ?? DEFAULT_OUT);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        mode: values.quick ? "quick" : "full",
        isolation: inProcess ? "in-process" : "process per measurement",
        options,
        machine: m,
        suites: results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nResults written to ${out}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ChecksumError) {
    console.error(`\nCHECKSUM MISMATCH: ${error.message}`);
    process.exitCode = 1;
  } else if (error instanceof UsageError || isParseArgsError(error)) {
    console.error(`${error.message}\n\n${HELP}`);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
});
