/**
 * The ECS contenders table: every scenario measured on every contender in one run (ours five ways
 * and each library), then one row per scenario with each contender's ops/s, the best library and
 * the ratio of each of our variants to it. The harness's table compares one side with one anchor,
 * so the suite prints this one as its notes.
 *
 * Measurement is the harness's own: a fresh Node process per run (in this process with
 * `--in-process`), the contenders alternating, the median of the runs reported, and every
 * checksum verified, on a short run first and after each timed run.
 */
import { fork } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  ChecksumError,
  FULL,
  type Measurement,
  measureContender,
  QUICK,
  type RunOptions,
} from "../harness.js";
import type { EcsChildRequest } from "./child.js";
import {
  CONTENDERS,
  type EcsContender,
  type EcsScenario,
  SCENARIOS,
  type ScenarioName,
} from "./contenders.js";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
const RESULTS = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../results/ecs-contenders.json",
);

export interface TableSettings {
  readonly options: RunOptions;
  readonly inProcess: boolean;
  /** Scenario names to run; empty: all. */
  readonly scenarios: readonly string[];
}

/**
 * The settings `npm run bench` was given (`--quick`, `--time`, `--runs`, `--in-process`,
 * `--scenario`), read from this process's arguments: a suite's notes receive none.
 */
export function settingsFromArgv(argv: readonly string[] = process.argv.slice(2)): TableSettings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      time: { type: "string" },
      runs: { type: "string" },
      scenario: { type: "string", multiple: true },
      "in-process": { type: "boolean", default: false },
    },
    strict: false,
    allowPositionals: true,
  });
  let options: RunOptions = values.quick === true ? QUICK : FULL;
  const timeMs = Number(values.time);
  if (typeof values.time === "string" && Number.isFinite(timeMs) && timeMs > 0) {
    options = { ...options, timeMs };
  }
  const runs = Number(values.runs);
  if (typeof values.runs === "string" && Number.isInteger(runs) && runs > 0) {
    options = { ...options, runs };
  }
  const scenarios = (Array.isArray(values.scenario) ? values.scenario : [])
    .flatMap((v) => String(v).split(","))
    .filter((v) => v.length > 0);
  return { options, inProcess: values["in-process"] === true, scenarios };
}

function measureInChild(request: EcsChildRequest): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(request)], {
      execArgv: process.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let reply: { ok: boolean; measurement?: Measurement; name?: string; message?: string } = {
      ok: false,
    };
    let replied = false;
    child.on("message", (message) => {
      reply = message as typeof reply;
      replied = true;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (reply.ok && reply.measurement) resolve(reply.measurement);
      else if (replied) reject(new Error(`${request.label}: ${reply.name}: ${reply.message}`));
      else reject(new Error(`${request.label}: child exited (${signal ?? code}) without a result`));
    });
  });
}

function sameChecksum(actual: readonly number[], expected: readonly number[]): boolean {
  return actual.length === expected.length && actual.every((x, i) => x === expected[i]);
}

function check(label: string, actual: readonly number[], expected: readonly number[]): void {
  if (!sameChecksum(actual, expected)) {
    throw new ChecksumError(
      `${label}: checksum [${actual.join(", ")}] differs from expected [${expected.join(", ")}]`,
    );
  }
}

export interface ContenderRuns {
  readonly contender: string;
  /** Ops per second of the median run. */
  readonly hz: number;
  /** (fastest − slowest) / median, percent. */
  readonly spread: number;
  readonly runs: readonly number[];
}

export interface ScenarioRow {
  readonly scenario: string;
  readonly results: readonly ContenderRuns[];
  readonly bestLibrary: string;
  /** Each of our variants' rate over the best library's. */
  readonly ratios: Readonly<Record<string, number>>;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1] as number;
}

async function runRow(
  scenario: EcsScenario,
  settings: TableSettings,
  progress: (message: string) => void,
): Promise<ScenarioRow> {
  const n = settings.options.checkOps;
  const name = scenario.name as ScenarioName;
  for (const c of CONTENDERS) {
    const subject = c.create[name]();
    for (let i = 0; i < n; i++) subject.run();
    check(
      `ecs/${name} (${c.name}) after ${n} ops`,
      subject.checksum(),
      scenario.expected(n, c.kind),
    );
  }
  const rates = new Map<string, number[]>(CONTENDERS.map((c) => [c.name, []]));
  for (let r = 0; r < settings.options.runs; r++) {
    for (const c of CONTENDERS) {
      const label = `ecs/${name} (${c.name})`;
      progress(`${label} run ${r + 1}/${settings.options.runs}`);
      const m = settings.inProcess
        ? await measureContender(label, { create: c.create[name] }, settings.options)
        : await measureInChild({
            scenario: name,
            contender: c.name,
            label,
            options: settings.options,
          });
      check(`${label} after ${m.ops} ops`, m.checksum, scenario.expected(m.ops, c.kind));
      rates.get(c.name)?.push(m.hz);
    }
  }
  const results = CONTENDERS.map((c): ContenderRuns => {
    const runs = rates.get(c.name) ?? [];
    const hz = median(runs);
    return {
      contender: c.name,
      hz,
      spread: (100 * (Math.max(...runs) - Math.min(...runs))) / hz,
      runs,
    };
  });
  const libraries = results.filter((r) => isLibrary(r.contender));
  const best = libraries.reduce((a, b) => (b.hz > a.hz ? b : a));
  const ratios: Record<string, number> = {};
  for (const r of results) if (!isLibrary(r.contender)) ratios[r.contender] = r.hz / best.hz;
  return { scenario: name, results, bestLibrary: best.contender, ratios };
}

function isLibrary(name: string): boolean {
  return CONTENDERS.find((c) => c.name === name)?.library === true;
}

function group(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length), 3));
  const pad = (c: string, i: number) =>
    i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number);
  const line = (row: readonly string[]) =>
    `| ${head.map((_, i) => pad(row[i] ?? "", i)).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

/** The rows as markdown: ops/s per contender, the best library, our ratios to it; then the spreads. */
export function markdown(rows: readonly ScenarioRow[], runs: number): string {
  const ours = CONTENDERS.filter((c) => !c.library);
  const head = [
    "scenario (ops/s)",
    ...CONTENDERS.map((c) => c.name),
    "best library",
    ...ours.map((c) => `${c.name} / best`),
  ];
  const body = rows.map((row) => [
    row.scenario,
    ...row.results.map((r) => group(r.hz)),
    row.bestLibrary,
    ...ours.map((c) => `${(row.ratios[c.name] ?? 0).toFixed(2)}x`),
  ]);
  const spreads = table(
    [`spread over ${runs} runs`, ...CONTENDERS.map((c) => c.name)],
    rows.map((row) => [row.scenario, ...row.results.map((r) => `${r.spread.toFixed(1)}%`)]),
  );
  return `${table(head, body)}\n\n${spreads}`;
}

/** Measures the table and returns it as notes (also written to bench/results/ecs-contenders.json). */
export async function contendersTable(
  settings: TableSettings = settingsFromArgv(),
  progress: (message: string) => void = (m) => process.stderr.write(`  ${m}\n`),
): Promise<string[]> {
  const wanted = SCENARIOS.filter(
    (s) => settings.scenarios.length === 0 || settings.scenarios.includes(s.name),
  );
  const rows: ScenarioRow[] = [];
  for (const scenario of wanted) rows.push(await runRow(scenario, settings, progress));
  if (rows.length === 0) return [];
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(
    RESULTS,
    `${JSON.stringify({ options: settings.options, inProcess: settings.inProcess, rows }, null, 2)}\n`,
  );
  const ours = CONTENDERS.filter((c: EcsContender) => !c.library).map((c) => c.name);
  return [
    `### Every contender (ops/s, median of ${settings.options.runs} runs; ours: ${ours.join(", ")})`,
    markdown(rows, settings.options.runs),
    "Libraries store i32 values, as in noctjs. World: systems written by hand against the World API, asking for their query and stores each run, one call per structural change, at once. bulk: the same, with entity_cycle and add_remove through the bulk entry points (createEntities, destroyEach, addComponentToEach, removeComponentFromEach). schedule: the World systems' logic in a schedule (queries and stores obtained once), changes deferred to each system's end.",
  ];
}
