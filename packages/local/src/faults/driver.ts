/**
 * The fault driver: the project's own simulator of a hostile life, in the way TigerBeetle's VOPR
 * drives faults into a real cluster. It runs the whole local stack in a process of its own, with
 * tracked players sending commands over real WebSockets, and, at moments a seeded generator
 * picks, injects one fault after another:
 *
 * - `kill-group`: SIGKILL of the stack's whole process group, under load;
 * - `kill-node`: SIGKILL of the stack's Node process alone;
 * - `crash-point`: SIGKILL of the stack just before, or just after, a chosen write of the commit
 *   protocol or of a command's submit (the DynamoDB proxy sees the request go by);
 * - `restart-dynamodb`: DynamoDB Local stopped and started again, mid-batch;
 * - `second-loop`: a second game loop started for the world;
 * and, all along, every event delivered twice one time in five and out of order.
 *
 * Then it stops injecting, lets every command be answered and every answered command be drained,
 * and checks the world: every acknowledged command applied exactly once (none lost, none
 * twice), the ledger's chain, digest and conservation (`verifyWorld`), a replay of every tick from
 * genesis (`replayWorld`), and an export restored elsewhere that verifies too.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { JsonValue } from "@ledgerquest/engine";
import type { GameModule } from "@ledgerquest/runtime";
import { loopNamePrefix, worldPrefixOfExecution } from "@ledgerquest/runtime";
import { localClientConfig } from "../clients.js";
import { freePort } from "../dynamodb-local.js";
import { nodeScriptArgs } from "../node-script.js";
import { type CheckReport, checkWorld } from "./checks.js";
import {
  type CrashPlan,
  type DynamoDbProxy,
  startDynamoDbProxy,
  WRITE_POINTS,
} from "./dynamodb-proxy.js";
import { TrackedPlayer } from "./players.js";
import { seededRandom } from "./random.js";
import type { StackProcessMessage, StackProcessOptions } from "./stack-process.js";

export const FAULT_KINDS = [
  "kill-group",
  "kill-node",
  "crash-point",
  "restart-dynamodb",
  "second-loop",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * The game under fault, as the stack's own process imports it: a module (a package name or a file
 * URL) and the name of its `GameModule` export. The tracked players send it `move {dx, dy}`
 * commands, so it must take those.
 */
export interface FaultGame {
  readonly module: string;
  readonly exportName: string;
  /** The world's settings. */
  readonly settings?: JsonValue;
}

export interface FaultRunOptions {
  readonly game: FaultGame;
  /** Seeds every choice (when, which fault, which write): the same seed, the same schedule. */
  readonly seed: number;
  /** Faults to inject. */
  readonly faults: number;
  /** Time between faults, ms: a random time in [gapMs/2, gapMs]. */
  readonly gapMs: number;
  /** Tracked players, and commands per second each. */
  readonly players: number;
  readonly ratePerSecond: number;
  /** A line per step (a fault, a restart). Default: none. */
  readonly log?: (line: string) => void;
}

export interface FaultRunReport {
  readonly seed: number;
  readonly injected: Readonly<Record<FaultKind, number>>;
  /** Crash points that went off (a planned write may not come before the next fault). */
  readonly crashPoints: readonly string[];
  readonly restarts: number;
  readonly commands: {
    readonly sent: number;
    readonly resends: number;
    readonly acknowledged: number;
    readonly refused: number;
    readonly lost: number;
    readonly duplicated: number;
  };
  readonly check: CheckReport;
  /** The world's loops running at the end: one (a second loop ends within a lap). */
  readonly loops: number;
  readonly durationMs: number;
  /** Everything held: nothing lost, nothing twice, the ledger and the replay verify. */
  readonly ok: boolean;
}

const WORLD = "faults";
/** How long an armed crash point may wait for its write. */
const CRASH_POINT_WAIT_MS = 45_000;
/** Resends a player makes each 250 ms while the backlog drains: 8 a second, within its limit. */
const RESENDS_PER_ROUND = 2;

/** The game `game` names, imported in this process. */
export async function importGame(game: FaultGame): Promise<GameModule> {
  const module = (await import(game.module)) as Record<string, unknown>;
  const found = module[game.exportName] as GameModule | undefined;
  if (found === undefined || typeof found.rules !== "function") {
    throw new Error(`fault suite: ${game.module} has no game export ${game.exportName}`);
  }
  return found;
}

interface RunningStack {
  readonly child: ChildProcess;
  readonly ready: Extract<StackProcessMessage, { type: "ready" }>;
  readonly exited: Promise<void>;
}

/** A run's state, as its steps share it: the stack changes at each restart. */
interface FaultRun {
  readonly options: FaultRunOptions;
  readonly log: (line: string) => void;
  /** The schedule's generator: which fault, which write, when. */
  readonly random: () => number;
  readonly proxy: DynamoDbProxy;
  readonly players: readonly TrackedPlayer[];
  readonly stackOptions: StackProcessOptions;
  readonly injected: Record<FaultKind, number>;
  readonly crashPoints: string[];
  restarts: number;
  stack: RunningStack;
}

export async function runFaults(options: FaultRunOptions): Promise<FaultRunReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const startedMs = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), "lq-faults-"));
  const dynamodbPort = await freePort();
  const proxy = await startDynamoDbProxy(dynamodbPort);
  const players = trackedPlayers(options.players, options.seed);
  const stackOptions: StackProcessOptions = {
    dataDir,
    worldId: WORLD,
    players: players.map((p) => p.playerId),
    game: options.game,
    dynamodbPort,
    dynamodbEndpoint: proxy.endpoint,
    events: { duplicateRatio: 0.2, delayMaxMs: 300 },
    eventsSeed: options.seed,
  };
  const run: FaultRun = {
    options,
    log,
    random,
    proxy,
    players,
    stackOptions,
    injected: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    crashPoints: [],
    restarts: 0,
    stack: await startStack(stackOptions),
  };
  await joinAll(players, run.stack);
  const load = startLoad(players, options.ratePerSecond);
  const schedule = scheduleOf(random, options.faults);
  try {
    await injectAll(run, schedule);
    // Calm: everything sent so far gets its final answer.
    load.stop();
    await load.done;
    await untilAnswered(players, run.stack);
    const acknowledged = acknowledgedOf(players);
    for (const p of players) p.disconnect();
    const check = await checkWorld(
      run.stack.ready.env,
      WORLD,
      acknowledged,
      await importGame(options.game),
    );
    logLost(log, players, check);
    const loops = await runningLoops(run.stack);
    const report = reportOf(run, acknowledged, check, loops, startedMs);
    await stopStack(run.stack);
    return report;
  } finally {
    load.stop();
    for (const p of players) p.disconnect();
    killGroup(run.stack.child);
    await run.stack.exited;
    await proxy.close();
    // The JVM stops by itself once its parent is gone; give it its moment before removing its data.
    await sleep(500);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `count` tracked players, `player_0001` on. */
function trackedPlayers(count: number, seed: number): TrackedPlayer[] {
  const playerIds = Array.from(
    { length: count },
    (_, i) => `player_${String(i + 1).padStart(4, "0")}`,
  );
  // The players draw from a generator of their own: how many moves they make depends on timing,
  // and must not shift the schedule's draws (which fault, which write, when).
  const moves = seededRandom(seed ^ 0x5eed);
  return playerIds.map((p) => new TrackedPlayer(p, moves));
}

/** The load: every player sends a new command `ratePerSecond` times a second, until stopped. */
function startLoad(
  players: readonly TrackedPlayer[],
  ratePerSecond: number,
): { readonly done: Promise<void>; stop(): void } {
  let stopped = false;
  const done = (async () => {
    const intervalMs = 1000 / ratePerSecond;
    while (!stopped) {
      const now = Date.now();
      for (const p of players) {
        p.sendNew(now);
        p.resendPending(now, 2000, 1);
      }
      await sleep(intervalMs);
    }
  })();
  return {
    done,
    stop: () => {
      stopped = true;
    },
  };
}

/** Every kind once in each round of five, in a seeded order: a short run covers them all. */
function scheduleOf(random: () => number, faults: number): FaultKind[] {
  const schedule: FaultKind[] = [];
  while (schedule.length < faults) {
    const round = [...FAULT_KINDS];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j] as FaultKind, round[i] as FaultKind];
    }
    schedule.push(...round);
  }
  return schedule;
}

/** The faults, one after another at seeded moments, with a restart after each that kills. */
async function injectAll(run: FaultRun, schedule: readonly FaultKind[]): Promise<void> {
  const { options, log } = run;
  for (let f = 0; f < options.faults; f++) {
    await sleep(options.gapMs / 2 + (run.random() * options.gapMs) / 2);
    const kind = schedule[f] as FaultKind;
    run.injected[kind]++;
    log(`fault ${f + 1}/${options.faults}: ${kind} at ${Date.now()}`);
    const killed = await inject(kind, run.stack, run.random, run.proxy, run.crashPoints, log);
    if (killed) {
      run.restarts++;
      run.stack = await startStack({
        ...run.stackOptions,
        eventsSeed: options.seed + run.restarts,
      });
      await joinAll(run.players, run.stack);
      log(`stack restarted (${run.restarts}) at ${Date.now()}`);
    }
  }
}

/** Until every command sent has its final answer: players reconnect and resend meanwhile. */
async function untilAnswered(
  players: readonly TrackedPlayer[],
  stack: RunningStack,
): Promise<void> {
  await until(
    () =>
      `every command answered (${players
        .map(
          (p) =>
            `${p.playerId}: ${p.fates().pending.length} pending, last answers ${p.lastAnswers().join(" | ")}`,
        )
        .join("; ")})`,
    180_000,
    async () => {
      const now = Date.now();
      for (const p of players) {
        if (!p.connected) await joinAll([p], stack);
        p.resendPending(now, 2000, RESENDS_PER_ROUND);
      }
      return players.every((p) => p.fates().pending.length === 0) ? true : undefined;
    },
  );
}

/** The commands each player had acknowledged (accepted, or answered as a duplicate). */
function acknowledgedOf(players: readonly TrackedPlayer[]): Map<string, Set<string>> {
  const acknowledged = new Map<string, Set<string>>();
  for (const p of players) {
    const f = p.fates();
    acknowledged.set(p.playerId, new Set([...f.accepted, ...f.duplicate]));
  }
  return acknowledged;
}

/** A line per lost command: its player's story of it, then the traces the check found. */
function logLost(
  log: (line: string) => void,
  players: readonly TrackedPlayer[],
  check: CheckReport,
): void {
  for (const key of check.lost) {
    const player = players.find((p) => key.startsWith(`${p.playerId}/`));
    log(`lost ${player?.story(key.slice(key.indexOf("/") + 1)) ?? key}`);
  }
  for (const trace of check.lostTraces) log(`lost ${trace}`);
}

function reportOf(
  run: FaultRun,
  acknowledged: ReadonlyMap<string, ReadonlySet<string>>,
  check: CheckReport,
  loops: number,
  startedMs: number,
): FaultRunReport {
  const { players } = run;
  const sent = players.reduce((n, p) => {
    const f = p.fates();
    return n + f.accepted.length + f.duplicate.length + f.refused.length + f.pending.length;
  }, 0);
  const refused = players.reduce((n, p) => n + p.fates().refused.length, 0);
  return {
    seed: run.options.seed,
    injected: run.injected,
    crashPoints: run.crashPoints,
    restarts: run.restarts,
    commands: {
      sent,
      resends: players.reduce((n, p) => n + p.resends, 0),
      acknowledged: [...acknowledged.values()].reduce((n, s) => n + s.size, 0),
      refused,
      lost: check.lost.length,
      duplicated: check.duplicated.length,
    },
    check,
    loops,
    durationMs: Date.now() - startedMs,
    ok: check.ok && refused === 0 && loops === 1,
  };
}

async function inject(
  kind: FaultKind,
  stack: RunningStack,
  random: () => number,
  proxy: Awaited<ReturnType<typeof startDynamoDbProxy>>,
  crashPoints: string[],
  log: (line: string) => void,
): Promise<boolean> {
  switch (kind) {
    case "kill-group":
      killGroup(stack.child);
      await stack.exited;
      return true;
    case "kill-node":
      stack.child.kill("SIGKILL");
      await stack.exited;
      return true;
    case "crash-point": {
      const plan: CrashPlan = {
        point: WRITE_POINTS[Math.floor(random() * WRITE_POINTS.length)] as CrashPlan["point"],
        phase: random() < 0.5 ? "before" : "after",
        nth: 1 + Math.floor(random() * 3),
      };
      proxy.arm(plan, () => killGroup(stack.child));
      // The write comes within a few laps (a loop still recovering from the last fault may take a
      // while); if it does not, the crash is a plain kill.
      await Promise.race([stack.exited, sleep(CRASH_POINT_WAIT_MS)]);
      if (proxy.fired) {
        crashPoints.push(`${plan.phase} ${plan.point} #${plan.nth}`);
        log(`  crashed ${plan.phase} ${plan.point} #${plan.nth} (seen at ${Date.now()})`);
      } else {
        proxy.arm({ ...plan, nth: Number.MAX_SAFE_INTEGER }, () => undefined);
        killGroup(stack.child);
      }
      await stack.exited;
      return true;
    }
    case "restart-dynamodb":
      stack.child.send({ type: "restart-dynamodb" });
      await message(stack.child, "done");
      log(`  DynamoDB Local back at ${Date.now()}`);
      return false;
    case "second-loop": {
      const sfn = new SFNClient(localClientConfig(stack.ready.stepfunctions));
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: stack.ready.env.LQ_STATE_MACHINE_ARN,
          name: `${WORLD}--d${Math.floor(random() * 1e9)}`,
          input: JSON.stringify({ worldId: WORLD, iteration: 0, predecessor: "" }),
        }),
      );
      sfn.destroy();
      return false;
    }
  }
}

/** The executions of the world's loop running now. */
async function runningLoops(stack: RunningStack): Promise<number> {
  const sfn = new SFNClient(localClientConfig(stack.ready.stepfunctions));
  try {
    const listed = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: stack.ready.env.LQ_STATE_MACHINE_ARN,
        statusFilter: "RUNNING",
      }),
    );
    return (listed.executions ?? []).filter(
      (e) => worldPrefixOfExecution(e.name ?? "") === loopNamePrefix(WORLD),
    ).length;
  } finally {
    sfn.destroy();
  }
}

async function startStack(options: StackProcessOptions): Promise<RunningStack> {
  const child = spawn(process.execPath, nodeScriptArgs(import.meta.url, "stack-process"), {
    // Its own process group: `kill-group` takes it, and nothing of the driver's.
    detached: true,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    env: {
      ...process.env,
      LQ_FAULT_STACK: JSON.stringify(options),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  });
  let stderr = "";
  // LQ_FAULT_LOG: a file that gets every stack process's own output, to see what went wrong.
  const logFile = process.env.LQ_FAULT_LOG;
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString("utf8")).slice(-4000);
    if (logFile !== undefined) appendFileSync(logFile, c);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await Promise.race([
    message(child, "ready") as Promise<Extract<StackProcessMessage, { type: "ready" }>>,
    exited.then(() => {
      throw new Error(`the stack process exited before it was ready: ${stderr.trim()}`);
    }),
  ]);
  return { child, ready, exited };
}

async function stopStack(stack: RunningStack): Promise<void> {
  if (stack.child.exitCode !== null) return;
  stack.child.send({ type: "stop" });
  await Promise.race([stack.exited, sleep(30_000)]);
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

function message(
  child: ChildProcess,
  type: StackProcessMessage["type"],
): Promise<StackProcessMessage> {
  return new Promise((resolve, reject) => {
    const on = (m: StackProcessMessage) => {
      if (m.type === "failed") {
        child.off("message", on);
        reject(new Error(`the stack process failed: ${m.message}`));
      } else if (m.type === type) {
        child.off("message", on);
        resolve(m);
      }
    };
    child.on("message", on);
  });
}

async function joinAll(players: readonly TrackedPlayer[], stack: RunningStack): Promise<void> {
  const url = `${stack.ready.websocket}?world=${WORLD}`;
  for (const p of players) {
    await until(`${p.playerId} to connect`, 60_000, async () => {
      try {
        await p.connect(url, stack.ready.tokens[p.playerId] ?? "");
        return true;
      } catch {
        return undefined;
      }
    });
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until<T>(
  what: string | (() => string),
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(
    `fault driver: timed out waiting for ${typeof what === "string" ? what : what()}`,
  );
}

/** The report as a few lines, for a test's output and the bench. */
export function formatFaultReport(r: FaultRunReport): string {
  const injected = FAULT_KINDS.map((k) => `${k} ${r.injected[k]}`).join(", ");
  const c = r.commands;
  return [
    `faults (seed ${r.seed}): ${Object.values(r.injected).reduce((a, b) => a + b, 0)} injected (${injected}); ${r.restarts} restarts; crash points hit: ${r.crashPoints.join("; ") || "none"}`,
    `commands: ${c.sent} sent, ${c.resends} resends, ${c.acknowledged} acknowledged, ${c.refused} refused, lost ${c.lost}, duplicated ${c.duplicated}; ${r.check.applied} applied in ${r.check.batches} batches`,
    ...r.check.lostTraces.map((t) => `lost ${t}`),
    `world: version ${r.check.version}, tick ${r.check.tick}, ${r.loops} loop(s) running; ledger ${r.check.verify}; replay ${r.check.replay}; export ${r.check.export}; ${(r.durationMs / 1000).toFixed(1)} s`,
  ].join("\n");
}
