/**
 * The benchmark harness: the shape every suite exports, and the runner that times a scenario's
 * contenders with tinybench and checks their checksums.
 *
 * A suite is a module `bench/src/suites/<name>.ts` that exports `suite: Suite`, registered in
 * `bench/src/suites/index.ts`. Each scenario has our implementation and, usually, an anchor (the
 * library we compare against) built to do the same work. One op is one call of `Subject.run`.
 */
import { Bench } from "tinybench";

// ─── what a suite exports ────────────────────────────────────────────────────────────────────────

/** One benchmarked instance: a world (or other state) built once, then run many times. */
export interface Subject {
  /** One op: one call of the scenario's pipeline. State carries over from call to call. */
  run(): void;
  /**
   * Numbers that prove the work was done (counts of entities visited, sums of values), read after
   * the run; they must equal the scenario's `expected(ops)` and/or the other contender's.
   */
  checksum(): readonly number[];
}

/** An implementation of a scenario: ours or the anchor's. */
export interface Contender {
  /** Builds a fresh subject (outside the timed region). */
  create(): Subject | Promise<Subject>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly ours: Contender;
  readonly anchor?: Contender;
  /** The checksum a correct subject reports after `ops` calls of `run`; omit to only compare ours with the anchor. */
  expected?(ops: number): readonly number[];
  /** Relative tolerance when comparing checksums (e.g. two physics engines). Default 0: exact. */
  readonly tolerance?: number;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  /** Display names of the two sides, e.g. "LedgerQuest" and "bitECS". */
  readonly oursName: string;
  readonly anchorName?: string;
  readonly scenarios: readonly Scenario[];
  /** Lines printed under the suite's table: targets, and measures that are not rates (bytes per body). */
  notes?(): readonly string[] | Promise<readonly string[]>;
}

// ─── options and results ─────────────────────────────────────────────────────────────────────────

export interface RunOptions {
  /** Measured time budget per run, ms. */
  readonly timeMs: number;
  /** Warmup time budget per run, ms (tinybench's warmup phase; its samples are dropped). */
  readonly warmupMs: number;
  /** Minimum number of samples per run. */
  readonly minSamples: number;
  /** Ops are batched so one sample lasts at least this long, which keeps timer cost out of µs-scale ops. */
  readonly batchMs: number;
  /**
   * Runs per contender, each on a fresh subject (in a fresh process unless in-process), ours and
   * the anchor alternating. The reported rate is the median run's: V8's optimization decisions
   * vary from process to process, more than samples vary within one.
   */
  readonly runs: number;
  /** Ops run on a fresh subject before timing, to check correctness on a short, exactly known history. */
  readonly checkOps: number;
}

export const FULL: RunOptions = {
  timeMs: 500,
  warmupMs: 200,
  minSamples: 64,
  batchMs: 0.5,
  runs: 7,
  checkOps: 3,
};

export const QUICK: RunOptions = {
  timeMs: 100,
  warmupMs: 25,
  minSamples: 8,
  batchMs: 0.25,
  runs: 1,
  checkOps: 3,
};

/** One timed run of one contender on a fresh subject. */
export interface Measurement {
  /** Ops per second: measured ops / measured time. */
  readonly hz: number;
  /** Relative margin of error of the mean time per op, percent (95% confidence). */
  readonly rme: number;
  /** Mean time per op, ms. */
  readonly meanMs: number;
  /** Median over samples of the time per op, ms. */
  readonly p50Ms: number;
  readonly samples: number;
  /** Ops per sample. */
  readonly batch: number;
  /** Every op run on the subject (calibration, warmup and measured), which its checksum reflects. */
  readonly ops: number;
  readonly checksum: readonly number[];
}

/** A contender's runs, summarized by the median run. */
export interface ContenderResult {
  /** Ops per second of the median run. */
  readonly hz: number;
  /** The median run's relative margin of error, percent. */
  readonly rme: number;
  /** Mean time per op of the median run, ms. */
  readonly meanMs: number;
  /** (fastest − slowest) / median rate over the runs, percent: the process-to-process spread. */
  readonly spread: number;
  readonly runs: readonly Measurement[];
}

export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  readonly ours: ContenderResult;
  readonly anchor?: ContenderResult;
  /** ours.hz / anchor.hz: above 1 means ours is faster. */
  readonly ratio?: number;
}

export interface SuiteResult {
  readonly name: string;
  readonly description: string;
  readonly oursName: string;
  readonly anchorName?: string;
  readonly scenarios: readonly ScenarioResult[];
}

// ─── checksums ───────────────────────────────────────────────────────────────────────────────────

/** A checksum that disagrees: the benchmark measured something other than the intended work. */
export class ChecksumError extends Error {
  override readonly name = "ChecksumError";
}

function sameChecksum(a: readonly number[], b: readonly number[], tolerance: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
    const limit = tolerance * Math.max(Math.abs(x), Math.abs(y));
    if (tolerance === 0 ? x !== y : Math.abs(x - y) > limit) return false;
  }
  return true;
}

function check(
  label: string,
  actual: readonly number[],
  expected: readonly number[],
  tolerance: number,
): void {
  if (!sameChecksum(actual, expected, tolerance)) {
    throw new ChecksumError(
      `${label}: checksum [${actual.join(", ")}] differs from expected [${expected.join(", ")}]`,
    );
  }
}

/** Runs a fresh subject for a few ops and returns its checksum. */
async function shortRun(contender: Contender, ops: number): Promise<readonly number[]> {
  const subject = await contender.create();
  for (let i = 0; i < ops; i++) subject.run();
  return subject.checksum();
}

// ─── measuring ───────────────────────────────────────────────────────────────────────────────────

export type Side = "ours" | "anchor";

/** A scenario's contender on one side. */
export function contenderOf(suite: Suite, scenarioName: string, side: Side): Contender {
  const scenario = suite.scenarios.find((s) => s.name === scenarioName);
  const contender = side === "ours" ? scenario?.ours : scenario?.anchor;
  if (contender === undefined) {
    throw new Error(`suite ${suite.name} has no ${side} contender for scenario "${scenarioName}"`);
  }
  return contender;
}

/**
 * Times a fresh subject of a contender in this process: ops are batched so that one sample
 * lasts at least `batchMs`, tinybench warms up and then collects samples (the mean time per op of
 * each batch), and the subject's checksum is read at the end.
 */
export async function measureContender(
  label: string,
  contender: Contender,
  options: RunOptions,
): Promise<Measurement> {
  const subject = await contender.create();
  let ops = 0;
  const bench = new Bench({
    name: label,
    time: options.timeMs,
    warmupTime: options.warmupMs,
    iterations: options.minSamples,
    warmupIterations: Math.min(16, options.minSamples),
    throws: true,
  });

  // Calibrate the batch size: double it until one batch lasts batchMs.
  let batch = 1;
  for (;;) {
    const t0 = bench.now();
    for (let i = 0; i < batch; i++) subject.run();
    const elapsed = bench.now() - t0;
    ops += batch;
    if (elapsed >= options.batchMs || batch >= 1 << 20) break;
    batch *= 2;
  }

  bench.add(
    label,
    () => {
      const t0 = bench.now();
      for (let i = 0; i < batch; i++) subject.run();
      const elapsed = bench.now() - t0;
      ops += batch;
      return { overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed };
    },
    { async: false },
  );
  bench.runSync();
  const result = bench.tasks[0]?.result;
  if (result === undefined) throw new Error(`${label}: tinybench produced no result`);
  if (result.state === "errored") throw result.error;
  if (result.state !== "completed") {
    throw new Error(`${label}: tinybench ended in state ${result.state}`);
  }
  return {
    hz: 1000 / result.latency.mean,
    rme: result.latency.rme,
    meanMs: result.latency.mean,
    p50Ms: result.latency.p50,
    samples: result.latency.samplesCount,
    batch,
    ops,
    checksum: subject.checksum(),
  };
}

/** Measures one run of one side of a scenario (in this process, or in a fresh one). */
export type Measurer = (
  suite: Suite,
  scenario: Scenario,
  side: Side,
  label: string,
) => Promise<Measurement>;

export type Progress = (message: string) => void;

function summarize(runs: readonly Measurement[]): ContenderResult {
  const sorted = [...runs].sort((a, b) => a.hz - b.hz);
  const median = sorted[(sorted.length - 1) >> 1] as Measurement;
  const slowest = sorted[0] as Measurement;
  const fastest = sorted[sorted.length - 1] as Measurement;
  return {
    hz: median.hz,
    rme: median.rme,
    meanMs: median.meanMs,
    spread: (100 * (fastest.hz - slowest.hz)) / median.hz,
    runs,
  };
}

/**
 * Runs one scenario: a correctness check on short fresh runs of both contenders, then the timed
 * runs (ours and the anchor alternating), each followed by the check of its final checksum.
 */
export async function runScenario(
  suite: Suite,
  scenario: Scenario,
  options: RunOptions,
  measurer: Measurer,
  progress: Progress = () => {},
): Promise<ScenarioResult> {
  const tolerance = scenario.tolerance ?? 0;
  const names: Record<Side, string> = {
    ours: suite.oursName,
    anchor: suite.anchorName ?? "anchor",
  };
  const label = (side: Side) => `${suite.name}/${scenario.name} (${names[side]})`;
  const n = options.checkOps;

  const oursShort = await shortRun(scenario.ours, n);
  if (scenario.expected) {
    check(`${label("ours")} after ${n} ops`, oursShort, scenario.expected(n), tolerance);
  }
  if (scenario.anchor) {
    const anchorShort = await shortRun(scenario.anchor, n);
    if (scenario.expected) {
      check(`${label("anchor")} after ${n} ops`, anchorShort, scenario.expected(n), tolerance);
    }
    check(`${label("ours")} vs ${names.anchor} after ${n} ops`, oursShort, anchorShort, tolerance);
  }

  const sides: Side[] = scenario.anchor ? ["ours", "anchor"] : ["ours"];
  const runs: Record<Side, Measurement[]> = { ours: [], anchor: [] };
  for (let r = 0; r < options.runs; r++) {
    for (const side of sides) {
      progress(`${label(side)} run ${r + 1}/${options.runs}`);
      const m = await measurer(suite, scenario, side, label(side));
      if (scenario.expected) {
        const want = scenario.expected(m.ops);
        check(`${label(side)} after ${m.ops} ops`, m.checksum, want, tolerance);
      }
      runs[side].push(m);
    }
  }
  const ours = summarize(runs.ours);
  if (!scenario.anchor) return { name: scenario.name, description: scenario.description, ours };
  const anchor = summarize(runs.anchor);
  return {
    name: scenario.name,
    description: scenario.description,
    ours,
    anchor,
    ratio: ours.hz / anchor.hz,
  };
}

export async function runSuite(
  suite: Suite,
  options: RunOptions,
  measurer: Measurer,
  filter: (scenario: Scenario) => boolean = () => true,
  progress?: Progress,
): Promise<SuiteResult> {
  const scenarios: ScenarioResult[] = [];
  for (const scenario of suite.scenarios) {
    if (filter(scenario)) {
      scenarios.push(await runScenario(suite, scenario, options, measurer, progress));
    }
  }
  return {
    name: suite.name,
    description: suite.description,
    oursName: suite.oursName,
    ...(suite.anchorName === undefined ? {} : { anchorName: suite.anchorName }),
    scenarios,
  };
}

// ─── formatting ──────────────────────────────────────────────────────────────────────────────────

function group(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function perOp(ms: number): string {
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(2)} µs`;
  return `${(ms * 1e6).toFixed(1)} ns`;
}

function cells(c: ContenderResult, runs: number): string[] {
  const out = [group(c.hz), `±${c.rme.toFixed(2)}%`, perOp(c.meanMs)];
  if (runs > 1) out.push(`${c.spread.toFixed(1)}%`);
  return out;
}

/** The suite's results as a markdown table. */
export function markdownTable(result: SuiteResult, runs: number): string {
  const ours = result.oursName;
  const anchor = result.anchorName;
  const side = (name: string) => [
    `${name} ops/s`,
    "±",
    "per op",
    ...(runs > 1 ? [`spread (${runs} runs)`] : []),
  ];
  const head = ["scenario", ...side(ours)];
  if (anchor !== undefined) head.push(...side(anchor), `${ours} / ${anchor}`);
  const rows = result.scenarios.map((s) => {
    const row = [s.name, ...cells(s.ours, runs)];
    if (anchor !== undefined && s.anchor && s.ratio !== undefined) {
      row.push(...cells(s.anchor, runs), `${s.ratio.toFixed(2)}x`);
    }
    return row;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length), 3));
  const pad = (c: string, i: number) =>
    i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number);
  const line = (row: readonly string[]) =>
    `| ${head.map((_, i) => pad(row[i] ?? "", i)).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}
