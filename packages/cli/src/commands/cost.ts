/**
 * `ledgerquest cost`: what a world and a player cost per hour on AWS, from what a local run
 * measured (`<data dir>/usage.json`, written by `ledgerquest dev`; packages/local/src/usage.ts)
 * and the price table (`../pricing.ts`), for a deployment's configuration.
 *
 * The run's counts are turned into rates, each by what drives it, and the rates are scaled to the
 * configuration (docs/cost.md explains each choice):
 * - per lap (one tick invocation): Step Functions transitions, the tick's requests, the tick's
 *   DynamoDB units on the two items a lap reads and writes once (the world and its batch record),
 *   `Tick Batch Committed` events. Scaled by laps per hour.
 * - per game-second: what the running world does whatever the lap length (the tick's inbox drains
 *   and connection lists, the ledger entries and projections it writes, the AuditLog stream
 *   handler, the game's other events). Scaled by game time per hour.
 * - per player-second (a connected WebSocket): messages in, replies, pushes, connection minutes,
 *   the command and query functions with their DynamoDB units. Scaled by players per world.
 * - per session (a connection opened): the authorizer, `$connect` and `$disconnect`. Scaled by
 *   players per world and by sessions per player-hour (the run's, or `--session-minutes`).
 * - per wall-second of the deployment: the loop supervisor's sweeps, scaled from the run's sweep
 *   period to AWS's (one a minute) and shared among the worlds.
 * - the tick's duration: each lap bills its whole wall time when paced (`realtime`), so lap length
 *   changes transitions and invocations per hour, not GB-seconds per world-hour.
 */
import type { UsageSnapshot } from "@ledgerquest/local";
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import { whole } from "../args.js";
import {
  AWS_PRICES,
  type AwsPrices,
  costUsd,
  LAMBDA_ARCHITECTURES,
  type LambdaArchitecture,
  lambdaGbSecondPrice,
  type Price,
} from "../pricing.js";

/** AWS's loop supervisor runs on EventBridge Scheduler's `rate(1 minute)`. */
export const AWS_SUPERVISOR_EVERY_SECONDS = 60;

/** Hours in a month, as AWS's pricing examples count them. */
export const HOURS_PER_MONTH = 730;

/**
 * The tick's DynamoDB items read and written once a lap (the commit protocol's world item and
 * batch record, data-model.md). Everything else the tick touches comes with the running world,
 * whatever the lap length: inbox drains (every 50 ms when paced), connection lists for pushes,
 * ledger entries and the players and balances they change.
 */
export const TICK_LAP_KINDS: readonly string[] = ["EntityTable:world", "AuditLog:batch"];

/** The event a lap publishes once; the game's other events come from its activity. */
export const LAP_EVENT = "Tick Batch Committed";

/** Functions a player drives while connected: their commands and questions. */
export const PLAYER_FUNCTIONS: readonly string[] = ["command", "query"];

/** Functions that run once a connection (a session): API Gateway's authorizer, `$connect`, `$disconnect`. */
export const SESSION_FUNCTIONS: readonly string[] = ["authorizer", "connect", "disconnect"];

export interface CostConfig {
  /** Players connected to each world, on average. */
  readonly playersPerWorld: number;
  readonly worlds: number;
  /** Ticks a lap runs (`LQ_TICKS_PER_BATCH`). */
  readonly ticksPerLap: number;
  /** The Wait state's seconds between laps (`LQ_WAIT_SECONDS`). */
  readonly waitSeconds: number;
  /** `realtime`: a lap lasts its game time and Lambda bills it all (`LQ_PACE`). */
  readonly pace: "realtime" | "none";
  readonly architecture: LambdaArchitecture;
  /** Memory of each function, MB. */
  readonly memoryMb: Readonly<Record<string, number>>;
  readonly supervisorEverySeconds: number;
  /** Pushes a player receives per second; default the run's measured rate. */
  readonly pushesPerPlayerSecond?: number;
  /** How long a player stays connected; default the run's measured sessions. */
  readonly sessionMinutes?: number;
}

export const LINE_NAMES = [
  "Step Functions state transitions",
  "Lambda requests",
  "Lambda duration",
  "DynamoDB write request units",
  "DynamoDB read request units",
  "EventBridge events (64 KB chunks)",
  "API Gateway messages (32 KB units)",
  "API Gateway connection minutes",
] as const;
export type LineName = (typeof LINE_NAMES)[number];

export type Driver = "lap" | "game time" | "player" | "session" | "deployment";

/** One source of a line: what it is, what drives it, and how much per world-hour. */
export interface LineSource {
  readonly source: string;
  readonly driver: Driver;
  readonly quantity: number;
}

export interface CostLine {
  readonly name: LineName;
  readonly unit: string;
  readonly price: Price;
  /** Per world-hour: one world with `playersPerWorld` players for an hour of wall time. */
  readonly quantity: number;
  readonly usdPerWorldHour: number;
  readonly usdPerPlayerHour: number;
  /** Of the total, 0 to 1. */
  readonly share: number;
  /** Largest first. */
  readonly sources: readonly LineSource[];
}

/** What the run measured, as rates. */
export interface MeasuredRates {
  readonly wallSeconds: number;
  readonly worldSeconds: number;
  readonly worlds: number;
  readonly gameSeconds: number;
  /** Game time over world time: 1 when the world kept the clock. */
  readonly clockRatio: number;
  readonly laps: number;
  readonly ticksPerLap: number;
  readonly playerSeconds: number;
  readonly playersPerWorld: number;
  /** The tick's billed seconds, in all and per lap. */
  readonly tickBilledSeconds: number;
  readonly tickBilledSecondsPerLap: number;
  readonly pushesPerPlayerSecond: number;
  /** Player-seconds per connection: how long the run's sessions lasted on average. */
  readonly sessionSeconds: number;
  readonly unitsPerPush: number;
  readonly dynamoDbRequests: number;
  /** Of those, how many were computed by the rules rather than reported by DynamoDB Local. */
  readonly dynamoDbComputed: number;
  readonly settings: UsageSnapshot["settings"];
}

/** One function's share of the Lambda lines, per world-hour. */
export interface FunctionCost {
  readonly name: string;
  readonly driver: Driver;
  readonly memoryMb: number;
  readonly invocations: number;
  /** What each invocation is billed on average: the run's duration, this machine's. */
  readonly billedMsPerInvocation: number;
  readonly gbSeconds: number;
}

// Alike in form only (a list of read-only figures): runtime/src/ports/journal.ts's BatchRecord,
// client/src/store.ts's StateChange and local/src/faults/checks.ts's CheckReport.
export interface CostReport {
  readonly measured: MeasuredRates;
  readonly config: CostConfig;
  /** Laps per world-hour under the configuration. */
  readonly lapsPerHour: number;
  /** Game seconds per world-hour under the configuration (3,600 when it keeps the clock). */
  readonly gameSecondsPerHour: number;
  readonly lines: readonly CostLine[];
  /** The Lambda lines by function, largest duration first. */
  readonly functions: readonly FunctionCost[];
  readonly usdPerWorldHour: number;
  readonly usdPerPlayerHour: number;
  /** All `worlds` for an hour, and for a month of 730 hours. */
  readonly usdPerHour: number;
  readonly usdPerMonth: number;
  readonly dominant: CostLine;
  readonly region: string;
  readonly pricesTakenOn: string;
  readonly notes: readonly string[];
}

/** The run cannot be priced: it measured too little, or the configuration is impossible. */
export class CostError extends Error {
  override readonly name = "CostError";
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** The run's rates. Throws `CostError` when it measured no world or no lap. */
export function measuredRates(usage: UsageSnapshot): MeasuredRates {
  if (usage.worldSeconds <= 0) {
    throw new CostError(
      "the recorded run had no world running: start `ledgerquest dev` (or `npm start`), which starts its worlds' game loops, and let it run a few minutes",
    );
  }
  const tick = usage.lambda.tick;
  if (tick === undefined || tick.invocations === 0) {
    throw new CostError(
      "the recorded run has no game-loop lap (no tick invocation): let `ledgerquest dev` run until the status line shows the world ticking",
    );
  }
  const { settings } = usage;
  const tickSeconds = settings.tickMs / 1000;
  const laps = tick.invocations;
  const gameSeconds = usage.ticks > 0 ? usage.ticks * tickSeconds : usage.worldSeconds;
  const playerSeconds = usage.webSocket.connectionSeconds;
  const pushes = usage.webSocket.pushes;
  let dynamoDbRequests = 0;
  let dynamoDbComputed = 0;
  for (const byKind of Object.values(usage.dynamodb)) {
    for (const t of Object.values(byKind)) {
      dynamoDbRequests += t.requests;
      dynamoDbComputed += t.computed;
    }
  }
  return {
    wallSeconds: usage.wallSeconds,
    worldSeconds: usage.worldSeconds,
    worlds: Object.keys(usage.worlds).length,
    gameSeconds,
    clockRatio: gameSeconds / usage.worldSeconds,
    laps,
    ticksPerLap: usage.ticks > 0 ? usage.ticks / laps : settings.ticksPerLap,
    playerSeconds,
    playersPerWorld: playerSeconds / usage.worldSeconds,
    tickBilledSeconds: tick.billedMs / 1000,
    tickBilledSecondsPerLap: tick.billedMs / 1000 / laps,
    pushesPerPlayerSecond: playerSeconds > 0 ? pushes.messages / playerSeconds : 0,
    sessionSeconds:
      usage.webSocket.connections > 0 ? playerSeconds / usage.webSocket.connections : 0,
    unitsPerPush: pushes.messages > 0 ? pushes.units / pushes.messages : 1,
    dynamoDbRequests,
    dynamoDbComputed,
    settings,
  };
}

/**
 * Prices `usage` for `config`: every line per world-hour and per player-hour, the dominant one,
 * and notes on what the figures rest on. Throws `CostError` when the run cannot be priced.
 */
export function costOf(
  usage: UsageSnapshot,
  config: CostConfig,
  prices: AwsPrices = AWS_PRICES,
): CostReport {
  const m = measuredRates(usage);
  if (config.playersPerWorld > 0 && m.playerSeconds <= 0) {
    throw new CostError(
      "no player was connected during the recorded run, so nothing per player was measured: while `ledgerquest dev` runs, connect players with `ledgerquest bots --seconds 300` (or price a world alone with --players 0)",
    );
  }
  const loop = configuredLoop(m, config);
  const sources = new LineSources(driverScales(m, config, loop));
  for (const [machine, t] of Object.entries(usage.stateMachines)) {
    sources.add("Step Functions state transitions", machine, "lap", t.transitions);
  }
  const functions = addLambdaSources(sources, usage, config, loop);
  addDataSources(sources, usage);
  addWebSocketSources(sources, usage, config, m);
  const { lines, usdPerWorldHour } = pricedLines(sources, config, prices);
  const dominant = lines.reduce((a, b) => (b.usdPerWorldHour > a.usdPerWorldHour ? b : a));
  const notes = costNotes(usage, config, m, loop);

  const players = config.playersPerWorld;
  const usdPerHour = usdPerWorldHour * config.worlds;
  return {
    measured: m,
    config,
    lapsPerHour: loop.lapsPerHour,
    gameSecondsPerHour: loop.gameSecondsPerHour,
    lines,
    functions: functions.sort((a, b) => b.gbSeconds - a.gbSeconds),
    usdPerWorldHour,
    usdPerPlayerHour: players > 0 ? usdPerWorldHour / players : 0,
    usdPerHour,
    usdPerMonth: usdPerHour * HOURS_PER_MONTH,
    dominant,
    region: prices.region,
    pricesTakenOn: prices.takenOn,
    notes,
  };
}

/** The game loop as configured: its laps per world-hour, what each is billed, its game time. */
interface ConfiguredLoop {
  readonly lapsPerHour: number;
  readonly billedSecondsPerLap: number;
  /** 3,600 when the world keeps the clock. */
  readonly gameSecondsPerHour: number;
}

function configuredLoop(m: MeasuredRates, config: CostConfig): ConfiguredLoop {
  const tickSeconds = m.settings.tickMs / 1000;
  const lapGameSeconds = config.ticksPerLap * tickSeconds;
  let billedSecondsPerLap: number;
  let lapsPerHour: number;
  if (config.pace === "realtime" && m.settings.pace === "realtime") {
    // Paced laps keep the world's schedule across laps, so the tick is billed about the world's
    // whole time, whatever the lap length: the run's billed seconds per second of world time
    // (outside its Waits) carry over, and the lap length only sets how many laps there are.
    const measuredLapSeconds = m.settings.ticksPerLap * tickSeconds;
    const measuredDuty = measuredLapSeconds / (measuredLapSeconds + m.settings.waitSeconds);
    const billedPerWorldSecond = m.tickBilledSeconds / m.worldSeconds / measuredDuty;
    lapsPerHour = 3600 / (lapGameSeconds + config.waitSeconds);
    billedSecondsPerLap = billedPerWorldSecond * lapGameSeconds;
  } else {
    // Unpaced laps run as fast as the tick computes; a paced one lasts at least its game time.
    const computePerTickSeconds = m.tickBilledSecondsPerLap / m.ticksPerLap;
    billedSecondsPerLap =
      config.ticksPerLap *
      Math.max(config.pace === "realtime" ? tickSeconds : 0, computePerTickSeconds);
    lapsPerHour = 3600 / (billedSecondsPerLap + config.waitSeconds);
  }
  return { lapsPerHour, billedSecondsPerLap, gameSecondsPerHour: lapsPerHour * lapGameSeconds };
}

/** Scale factors from one measured unit of each driver to one configured world-hour. */
function driverScales(
  m: MeasuredRates,
  config: CostConfig,
  loop: ConfiguredLoop,
): Record<Driver, number> {
  const perPlayerSecond =
    m.playerSeconds > 0 ? (config.playersPerWorld * 3600) / m.playerSeconds : 0;
  return {
    lap: loop.lapsPerHour / m.laps,
    "game time": loop.gameSecondsPerHour / m.gameSeconds,
    player: perPlayerSecond,
    // Sessions: as many per player-hour as the run had, or as `sessionMinutes` says.
    session:
      config.sessionMinutes === undefined || m.sessionSeconds === 0
        ? perPlayerSecond
        : perPlayerSecond * (m.sessionSeconds / (config.sessionMinutes * 60)),
    deployment:
      ((m.settings.supervisorEverySeconds / config.supervisorEverySeconds) * 3600) /
      m.wallSeconds /
      config.worlds,
  };
}

/** What drives a function's invocations. */
function driverOfFunction(fn: string): Driver {
  if (fn === "tick") return "lap";
  if (fn === "supervisor") return "deployment";
  if (PLAYER_FUNCTIONS.includes(fn)) return "player";
  if (SESSION_FUNCTIONS.includes(fn)) return "session";
  return "game time";
}

/** Each line's sources, per world-hour, as they are found. */
class LineSources {
  readonly #byLine = new Map<LineName, LineSource[]>(LINE_NAMES.map((n) => [n, []]));

  constructor(readonly scale: Readonly<Record<Driver, number>>) {}

  /** A measured quantity, scaled to a world-hour by its driver; nothing when it is 0. */
  add(line: LineName, source: string, driver: Driver, measured: number): void {
    if (measured > 0) {
      this.#byLine.get(line)?.push({ source, driver, quantity: measured * this.scale[driver] });
    }
  }

  /** A quantity already per world-hour; nothing when it is 0. */
  addScaled(line: LineName, source: string, driver: Driver, quantity: number): void {
    if (quantity > 0) this.#byLine.get(line)?.push({ source, driver, quantity });
  }

  /** A line's sources, largest first. */
  of(line: LineName): LineSource[] {
    return [...(this.#byLine.get(line) ?? [])].sort((a, b) => b.quantity - a.quantity);
  }
}

/**
 * The Lambda lines (requests, and duration at each function's memory), and what each function
 * costs. The tick's duration is the configured loop's; the others' the run's, scaled.
 */
function addLambdaSources(
  sources: LineSources,
  usage: UsageSnapshot,
  config: CostConfig,
  loop: ConfiguredLoop,
): FunctionCost[] {
  const functions: FunctionCost[] = [];
  for (const [fn, t] of Object.entries(usage.lambda)) {
    const driver = driverOfFunction(fn);
    sources.add("Lambda requests", fn, driver, t.invocations);
    const memoryMb = config.memoryMb[fn];
    if (memoryMb === undefined) {
      throw new CostError(
        `no memory size for the function "${fn}": give it with --memory ${fn}=<MB>`,
      );
    }
    const gb = memoryMb / 1024;
    const invocations = t.invocations * sources.scale[driver];
    const billedSeconds =
      fn === "tick"
        ? loop.lapsPerHour * loop.billedSecondsPerLap
        : (t.billedMs / 1000) * sources.scale[driver];
    sources.addScaled("Lambda duration", fn, driver, billedSeconds * gb);
    functions.push({
      name: fn,
      driver,
      memoryMb,
      invocations,
      billedMsPerInvocation: invocations > 0 ? (billedSeconds * 1000) / invocations : 0,
      gbSeconds: billedSeconds * gb,
    });
  }
  return functions;
}

/** The DynamoDB lines (the tick's lap items by lap, the rest by its function) and EventBridge's. */
function addDataSources(sources: LineSources, usage: UsageSnapshot): void {
  for (const [fn, byKind] of Object.entries(usage.dynamodb)) {
    for (const [kind, t] of Object.entries(byKind)) {
      const driver =
        fn === "tick"
          ? TICK_LAP_KINDS.includes(kind)
            ? "lap"
            : "game time"
          : driverOfFunction(fn);
      sources.add("DynamoDB write request units", `${fn} ${kind}`, driver, t.writeUnits);
      sources.add("DynamoDB read request units", `${fn} ${kind}`, driver, t.readUnits);
    }
  }
  for (const [detailType, t] of Object.entries(usage.eventBridge)) {
    sources.add(
      "EventBridge events (64 KB chunks)",
      detailType,
      detailType === LAP_EVENT ? "lap" : "game time",
      t.chunks,
    );
  }
}

/** API Gateway's lines: messages in, replies and pushes (measured, or at `--push-hz`), minutes. */
function addWebSocketSources(
  sources: LineSources,
  usage: UsageSnapshot,
  config: CostConfig,
  m: MeasuredRates,
): void {
  const ws = usage.webSocket;
  sources.add("API Gateway messages (32 KB units)", "messages in", "player", ws.in.units);
  sources.add("API Gateway messages (32 KB units)", "replies", "player", ws.replies.units);
  if (config.pushesPerPlayerSecond === undefined) {
    sources.add("API Gateway messages (32 KB units)", "pushes", "player", ws.pushes.units);
  } else {
    sources.addScaled(
      "API Gateway messages (32 KB units)",
      "pushes",
      "player",
      config.pushesPerPlayerSecond * config.playersPerWorld * 3600 * m.unitsPerPush,
    );
  }
  sources.addScaled(
    "API Gateway connection minutes",
    "connections",
    "player",
    config.playersPerWorld * 60,
  );
}

/** Every line priced, per world-hour and per player-hour, with its share of the total. */
function pricedLines(
  sources: LineSources,
  config: CostConfig,
  prices: AwsPrices,
): { lines: CostLine[]; usdPerWorldHour: number } {
  const priceOf: Record<LineName, Price> = {
    "Step Functions state transitions": prices.stepFunctionsTransition,
    "Lambda requests": prices.lambdaRequest,
    "Lambda duration": lambdaGbSecondPrice(config.architecture, prices),
    "DynamoDB write request units": prices.dynamoDbWriteRequestUnit,
    "DynamoDB read request units": prices.dynamoDbReadRequestUnit,
    "EventBridge events (64 KB chunks)": prices.eventBridgeCustomEvent,
    "API Gateway messages (32 KB units)": prices.webSocketMessage,
    "API Gateway connection minutes": prices.webSocketConnectionMinute,
  };
  const raw = LINE_NAMES.map((name) => {
    const list = sources.of(name);
    const quantity = sum(list.map((s) => s.quantity));
    return { name, list, quantity, usd: costUsd(priceOf[name], quantity) };
  });
  const usdPerWorldHour = sum(raw.map((r) => r.usd));
  const players = config.playersPerWorld;
  const lines: CostLine[] = raw.map((r) => ({
    name: r.name,
    unit: unitOf(r.name, config.architecture),
    price: priceOf[r.name],
    quantity: r.quantity,
    usdPerWorldHour: r.usd,
    usdPerPlayerHour: players > 0 ? r.usd / players : 0,
    share: usdPerWorldHour > 0 ? r.usd / usdPerWorldHour : 0,
    sources: r.list,
  }));
  return { lines, usdPerWorldHour };
}

/** The unit a line counts in. */
function unitOf(line: LineName, architecture: LambdaArchitecture): string {
  const units: Record<LineName, string> = {
    "Step Functions state transitions": "transitions",
    "Lambda requests": "requests",
    "Lambda duration": `GB-s (${architecture})`,
    "DynamoDB write request units": "WRU",
    "DynamoDB read request units": "RRU",
    "EventBridge events (64 KB chunks)": "events",
    "API Gateway messages (32 KB units)": "messages",
    "API Gateway connection minutes": "minutes",
  };
  return units[line];
}

/** What the figures rest on: where the run measured too little, or differs from the configuration. */
function costNotes(
  usage: UsageSnapshot,
  config: CostConfig,
  m: MeasuredRates,
  loop: ConfiguredLoop,
): string[] {
  const notes: string[] = [];
  if (m.wallSeconds < 120) {
    notes.push(
      `the run lasted ${Math.round(m.wallSeconds)} s: a few minutes give steadier rates (start-up and the first connections weigh less)`,
    );
  }
  if (m.settings.pace === "realtime" && m.clockRatio < 0.98) {
    notes.push(
      `the world fell behind the clock in the run (${(m.clockRatio * 100).toFixed(0)}% of real time): rates per game-second are used for its activity, and the tick's measured time per lap (${m.tickBilledSecondsPerLap.toFixed(3)} s for ${m.ticksPerLap.toFixed(1)} ticks) includes this machine's slowness`,
    );
  }
  for (const [fn, t] of Object.entries(usage.lambda)) {
    if (t.invocations > 0 && t.errors / t.invocations > 0.05) {
      notes.push(
        `${((t.errors / t.invocations) * 100).toFixed(0)}% of the ${fn} function's ${t.invocations.toLocaleString("en-US")} invocations failed in the run (an overloaded local stack, a store that timed out): their billed time includes that waiting; measure with fewer players on this machine`,
      );
    }
  }
  if (config.pace === "none" && m.settings.pace === "realtime") {
    notes.push(
      "the run was paced (each lap waited out its game time), so the tick's compute time per lap is not known apart from the waiting: `--pace none` is priced with the paced duration, an upper bound on its GB-seconds and a lower bound on its laps per hour",
    );
  }
  if (loop.gameSecondsPerHour > 3600 * 1.02) {
    notes.push(
      `with this configuration the world does not keep the clock: game time runs at ${(loop.gameSecondsPerHour / 3600).toFixed(2)}x real time (laps of ${config.ticksPerLap} ticks billed ${loop.billedSecondsPerLap.toFixed(2)} s, no pacing), and the activity lines grow with it`,
    );
  }
  notes.push(...measurementNotes(config, m));
  return notes;
}

/** Notes on the players, DynamoDB's metering and the pushes the run measured. */
function measurementNotes(config: CostConfig, m: MeasuredRates): string[] {
  const notes: string[] = [];
  const players = config.playersPerWorld;
  if (
    players > 0 &&
    m.playersPerWorld > 0 &&
    (players > m.playersPerWorld * 2 || players < m.playersPerWorld / 2)
  ) {
    notes.push(
      `the run had ${m.playersPerWorld.toFixed(1)} players per world on average and the configuration ${players}: per-player lines scale with players, but the world's size and activity (its item, its ledger, its pushes' size) stay as measured; measure with about as many players for those (\`ledgerquest bots --count ${players}\`)`,
    );
  }
  if (m.dynamoDbRequests === 0) {
    notes.push(
      "no DynamoDB request was metered: the handlers' SDK clients were not reached by the meter (packages/local/src/usage-dynamodb.ts), so the DynamoDB lines are missing",
    );
  } else if (m.dynamoDbComputed > 0) {
    notes.push(
      `${m.dynamoDbComputed.toLocaleString("en-US")} of ${m.dynamoDbRequests.toLocaleString("en-US")} DynamoDB requests (transactions and failed conditions) are priced by AWS's unit rules from the items' sizes; the rest by DynamoDB Local's ConsumedCapacity`,
    );
  }
  if (config.pushesPerPlayerSecond === undefined && m.pushesPerPlayerSecond > 0) {
    notes.push(
      `pushes as measured: ${m.pushesPerPlayerSecond.toFixed(2)} a second per player, ${m.unitsPerPush.toFixed(2)} units (32 KB) each; --push-hz prices another rate at the same size`,
    );
  }
  return notes;
}

// ─── output ──────────────────────────────────────────────────────────────────────────────────────

/** Dollars with three significant digits below $1, cents above. */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0";
  if (usd >= 1)
    return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const decimals = Math.min(12, 2 - Math.floor(Math.log10(usd)));
  return `$${usd.toFixed(decimals)}`;
}

function formatQuantity(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: n >= 100 ? 0 : n >= 1 ? 1 : 3 });
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/** The report as a terminal shows it: a markdown table and a few lines around it. */
export function formatCostReport(report: CostReport, usageFile: string): string {
  const { measured: m, config: c } = report;
  const out: string[] = [];
  const worlds = c.worlds === 1 ? "1 world" : `${c.worlds} worlds`;
  out.push(
    `LedgerQuest on AWS (${report.region}, on-demand, prices read ${report.pricesTakenOn} or later): ${worlds} of ${c.playersPerWorld} players`,
  );
  out.push(
    `measured: ${usageFile}, ${formatDuration(m.wallSeconds)} of ${m.settings.game}: ${formatDuration(m.worldSeconds)} of world time (${m.worlds} world${m.worlds === 1 ? "" : "s"}), ${(m.clockRatio * 100).toFixed(0)}% of it in game time, ${m.laps.toLocaleString("en-US")} laps of ${m.ticksPerLap.toFixed(1)} ticks, ${m.playersPerWorld.toFixed(1)} players per world on average`,
  );
  const memory = Object.entries(c.memoryMb)
    .map(([fn, mb]) => `${fn} ${mb}`)
    .join(", ");
  out.push(
    `configuration: laps of ${c.ticksPerLap} ticks + ${c.waitSeconds} s wait, pace ${c.pace}: ${formatQuantity(report.lapsPerHour)} laps per world-hour; Lambda ${c.architecture}, MB: ${memory}; supervisor every ${c.supervisorEverySeconds} s; sessions of ${c.sessionMinutes === undefined ? `${(m.sessionSeconds / 60).toFixed(1)} min (measured)` : `${c.sessionMinutes} min`}${c.pushesPerPlayerSecond === undefined ? "" : `; ${c.pushesPerPlayerSecond} pushes per player per second`}`,
  );
  out.push("");
  out.push("| line | per world-hour | cost per world-hour | per player-hour | share |");
  out.push("| --- | ---: | ---: | ---: | ---: |");
  for (const l of report.lines) {
    out.push(
      `| ${l.name} | ${formatQuantity(l.quantity)} ${l.unit} | ${formatUsd(l.usdPerWorldHour)} | ${formatUsd(l.usdPerPlayerHour)} | ${(l.share * 100).toFixed(1)}% |`,
    );
  }
  out.push(
    `| **total** | | **${formatUsd(report.usdPerWorldHour)}** | **${formatUsd(report.usdPerPlayerHour)}** | |`,
  );
  out.push("");
  const d = report.dominant;
  const top = d.sources
    .slice(0, 3)
    .map((s) => `${s.source} (${s.driver}) ${((s.quantity / d.quantity) * 100).toFixed(0)}%`)
    .join(", ");
  out.push(
    `dominant: ${d.name}, ${(d.share * 100).toFixed(0)}% of the total (${formatUsd(d.usdPerWorldHour)} of ${formatUsd(report.usdPerWorldHour)} per world-hour): ${top}`,
  );
  out.push(
    `${worlds}: ${formatUsd(report.usdPerHour)} an hour, ${formatUsd(report.usdPerMonth)} a month of ${HOURS_PER_MONTH} hours (requests and storage at rest, logs, the free tier and volume tiers not included)`,
  );
  out.push("");
  out.push(
    "| Lambda function | driver | MB | invocations per world-hour | billed ms each | GB-s |",
  );
  out.push("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const f of report.functions) {
    out.push(
      `| ${f.name} | ${f.driver} | ${f.memoryMb} | ${formatQuantity(f.invocations)} | ${formatQuantity(f.billedMsPerInvocation)} | ${formatQuantity(f.gbSeconds)} |`,
    );
  }
  out.push("");
  for (const note of report.notes) out.push(`note: ${note}`);
  return out.join("\n");
}

// ─── the command ─────────────────────────────────────────────────────────────────────────────────

/** Parses `--memory tick=2048,command=1024`. */
export function memoryOption(value: string, previous: Record<string, number> = {}) {
  const out = { ...previous };
  for (const part of value.split(",")) {
    const match = /^\s*([a-z][a-z-]*)\s*=\s*(\d+)\s*$/.exec(part);
    const mb = Number(match?.[2]);
    if (match?.[1] === undefined || !Number.isInteger(mb) || mb < 128 || mb > 10_240) {
      throw new InvalidArgumentError(
        `--memory takes <function>=<MB> pairs, MB a whole number from 128 to 10240 (Lambda's range), as tick=2048,command=1024; got ${JSON.stringify(part)}`,
      );
    }
    out[match[1]] = mb;
  }
  return out;
}

function positive(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`${name} must be a number above 0 and at most ${max}`);
    }
    return n;
  };
}

export interface CostCommandOptions {
  readonly players?: number;
  readonly worlds: number;
  readonly ticksPerLap?: number;
  readonly waitSeconds?: number;
  readonly pace?: "realtime" | "none";
  readonly arch: LambdaArchitecture;
  readonly memory?: Record<string, number>;
  readonly pushHz?: number;
  readonly sessionMinutes?: number;
  readonly usage?: string;
  readonly dataDir: string;
  readonly json: boolean;
}

/** The deployment's defaults: packages/aws's tick settings and packages/infra's memory sizes. */
async function deploymentDefaults(needMemory: boolean) {
  const { DEFAULT_TICK_SETTINGS } = await import("@ledgerquest/aws");
  let memoryMb: Record<string, number> = {};
  if (needMemory) {
    // The CDK app's module (a second or two to load): the sizes are defined there once.
    const { HANDLER_SPECS } = await import("@ledgerquest/infra");
    memoryMb = Object.fromEntries(
      Object.entries(HANDLER_SPECS).map(([fn, spec]) => [fn, spec.memorySizeMb]),
    );
  }
  return { tick: DEFAULT_TICK_SETTINGS, memoryMb };
}

export async function runCost(opts: CostCommandOptions): Promise<CostReport | undefined> {
  const [{ join, resolve }, { readUsageFile, USAGE_FILE }] = await Promise.all([
    import("node:path"),
    import("@ledgerquest/local"),
  ]);
  const file = resolve(opts.usage ?? join(opts.dataDir, USAGE_FILE));
  try {
    const usage = readUsageFile(file);
    const needMemory = Object.keys(usage.lambda).some((fn) => opts.memory?.[fn] === undefined);
    const defaults = await deploymentDefaults(needMemory);
    const measuredPlayers = usage.webSocket.connectionSeconds / Math.max(usage.worldSeconds, 1e-9);
    const config: CostConfig = {
      playersPerWorld: opts.players ?? Math.max(1, Math.round(measuredPlayers)),
      worlds: opts.worlds,
      ticksPerLap: opts.ticksPerLap ?? defaults.tick.maxTicks,
      waitSeconds: opts.waitSeconds ?? defaults.tick.waitSeconds,
      pace: opts.pace ?? defaults.tick.pace ?? "none",
      architecture: opts.arch,
      memoryMb: { ...defaults.memoryMb, ...opts.memory },
      supervisorEverySeconds: AWS_SUPERVISOR_EVERY_SECONDS,
      ...(opts.pushHz === undefined ? {} : { pushesPerPlayerSecond: opts.pushHz }),
      ...(opts.sessionMinutes === undefined ? {} : { sessionMinutes: opts.sessionMinutes }),
    };
    const report = costOf(usage, config);
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatCostReport(report, file));
    return report;
  } catch (error) {
    console.error(`cost: ${(error as Error).message}`);
    process.exitCode = 1;
    return undefined;
  }
}

/** `ledgerquest cost`. */
export function registerCost(program: Command): void {
  program
    .command("cost")
    .description(
      "Price a local run on AWS: cost per world-hour and per player-hour (Step Functions, Lambda, DynamoDB, EventBridge, API Gateway) from what `ledgerquest dev` measured, for the configuration you give, and which line dominates",
    )
    .option(
      "--players <n>",
      "players connected to each world (default: the run's average)",
      whole("--players", 0, 100_000),
    )
    .option("--worlds <n>", "worlds running at once", whole("--worlds", 1, 1_000_000), 1)
    .option(
      "--ticks-per-lap <n>",
      "ticks per game-loop lap, one tick Lambda invocation (default: the deployment's LQ_TICKS_PER_BATCH)",
      whole("--ticks-per-lap", 1, 100_000),
    )
    .option(
      "--wait-seconds <s>",
      "the game loop's Wait between laps (default: the deployment's LQ_WAIT_SECONDS)",
      whole("--wait-seconds", 0, 3600),
    )
    .addOption(
      new Option(
        "--pace <pace>",
        "realtime: a lap lasts its game time, billed whole (default: the deployment's LQ_PACE)",
      ).choices(["realtime", "none"]),
    )
    .addOption(
      new Option("--arch <arch>", "Lambda's processor (the deployment builds arm64)")
        .choices([...LAMBDA_ARCHITECTURES])
        .default("arm64"),
    )
    .option(
      "--memory <fn=MB,...>",
      "memory of functions, e.g. tick=2048,command=1024 (default: packages/infra's sizes)",
      memoryOption,
    )
    .option(
      "--push-hz <n>",
      "pushes each player receives per second (default: the run's measured rate)",
      positive("--push-hz", 1000),
    )
    .option(
      "--session-minutes <n>",
      "how long a player stays connected: sets the authorizer, $connect and $disconnect per player-hour (default: the run's sessions)",
      positive("--session-minutes", 120),
    )
    .option("--usage <file>", "the usage file (default: <data dir>/usage.json)")
    .option(
      "--data-dir <dir>",
      "the data directory `ledgerquest dev` ran with, where it writes usage.json",
      ".ledgerquest",
    )
    .option("--json", "print the whole report as JSON", false)
    .addHelpText(
      "after",
      "\nFirst measure: run `ledgerquest dev` for a few minutes with players connected (`ledgerquest bots --count 50 --seconds 300` in another terminal); it writes <data dir>/usage.json as it runs. Prices: packages/cli/src/pricing.ts (us-east-1, on-demand). How each line is scaled: docs/cost.md.\n\nExample:\n  ledgerquest cost --players 200\n  ledgerquest cost --players 200 --worlds 10 --ticks-per-lap 600 --push-hz 20 --json",
    )
    .action(async (opts: CostCommandOptions) => {
      await runCost(opts);
    });
}
