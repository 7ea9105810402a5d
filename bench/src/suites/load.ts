/**
 * The load test on loopback: the whole local stack (`startLocalStack`, the game loop paced to real
 * time as `ledgerquest dev` runs it), a seeded arena, and 200 real WebSocket players (`runBots`,
 * in a process of their own, as players are) sending 5 commands a second each for 60 s. Reports
 * commands accepted and applied, ack and command-to-visible latency, whether the world kept 60
 * ticks/s, and checks that every accepted command was applied exactly once (a loss stops the
 * bench like a wrong checksum). In the same run it measures DynamoDB Local's own ceiling for
 * writes of the inbox's item size, the anchor the command rate is read against. Not a rate
 * comparison of two engines: the figures are notes.
 *
 * Settings through `LQ_LOAD="bots=200,seconds=60,rate=5,warmup=30,profile=0"`.
 */
import { fork } from "node:child_process";
import { dirname, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { BotsReport } from "@ledgerquest/cli";
import type { Suite } from "../harness.js";

interface LoadSettings {
  readonly bots: number;
  readonly seconds: number;
  readonly rate: number;
  /**
   * Seconds of the same load first, not counted: a local stack that has run a while is warm, and
   * a fresh one is not (DynamoDB Local's JIT spends half a core compiling through its first
   * minute, and takes several times the CPU per request meanwhile).
   */
  readonly warmup: number;
  /**
   * Non-zero: write a V8 CPU profile of the stack's process over the counted window to
   * `bench/results/load-stack.cpuprofile` (open it in Chrome's DevTools, or summarize it with
   * `node --import tsx bench/src/profile-summary.ts FILE`).
   */
  readonly profile: number;
}

function settings(): LoadSettings {
  const out = { bots: 200, seconds: 60, rate: 5, warmup: 30, profile: 0 };
  for (const part of (process.env.LQ_LOAD ?? "").split(",").filter(Boolean)) {
    const [k, v] = part.split("=");
    const n = Number(v);
    if ((k === "bots" || k === "seconds" || k === "rate") && Number.isFinite(n) && n > 0)
      out[k] = n;
    else if ((k === "warmup" || k === "profile") && Number.isFinite(n) && n >= 0) out[k] = n;
    else
      throw new Error(
        `LQ_LOAD: "${part}" is not bots=N, seconds=N, rate=N, warmup=N or profile=0|1`,
      );
  }
  return out;
}

// ─── the players: another process, as players are ───────────────────────────────────────────────

interface PlayersConfig extends LoadSettings {
  readonly websocketUrl: string;
  readonly idpUrl: string;
  readonly worldId: string;
}

const PLAYERS_ENV = "LQ_LOAD_PLAYERS";
const SELF = fileURLToPath(import.meta.url);
const REPO_ROOT = resolve(dirname(SELF), "../../..");

async function playersProcess(config: PlayersConfig): Promise<void> {
  const { runBots, fetchDevToken } = await import("@ledgerquest/cli");
  const { arenaBot } = await import("@ledgerquest/example-arena");
  const report = await runBots({
    policy: arenaBot,
    websocketUrl: config.websocketUrl,
    worldId: config.worldId,
    token: async (p) => (await fetchDevToken(config.idpUrl, p, { expiresInSeconds: 3600 })).token,
    count: config.bots,
    seconds: config.seconds,
    ratePerSecond: config.rate,
    onProgress: () => undefined,
  });
  process.send?.({ kind: "done", report, cpu: process.cpuUsage() });
  process.disconnect();
}

/** The players' report, and the CPU their process used (µs, as `process.cpuUsage`). */
interface PlayersOutcome {
  readonly report: BotsReport;
  readonly cpu: NodeJS.CpuUsage;
}

function runPlayers(config: PlayersConfig): Promise<PlayersOutcome> {
  // tsx loads this TypeScript module in the child, and the packages resolve to their sources
  // there too, as they do in the parent.
  const child = fork(SELF, [], {
    execArgv: ["--conditions=@ledgerquest/source", "--import", "tsx"],
    cwd: REPO_ROOT,
    env: { ...process.env, [PLAYERS_ENV]: JSON.stringify(config), NODE_NO_WARNINGS: "1" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolveReport, reject) => {
    let report: PlayersOutcome | undefined;
    child.on("message", (m: unknown) => {
      const got = m as { kind: string; report: BotsReport; cpu: NodeJS.CpuUsage };
      if (got.kind === "done") report = { report: got.report, cpu: got.cpu };
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (report !== undefined) resolveReport(report);
      else reject(new Error(`players process exited (${signal ?? code}) before it reported`));
    });
  });
}

/** A CPU profile of this process, from now until `stop` writes it to a file. */
async function startProfile(): Promise<{ stop(path: string): Promise<void> }> {
  const { Session } = await import("node:inspector/promises");
  const { writeFile } = await import("node:fs/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  // 1 ms samples: enough over a minute, and cheap beside the load.
  await session.post("Profiler.setSamplingInterval", { interval: 1000 });
  await session.post("Profiler.start");
  return {
    async stop(path: string) {
      const { profile } = await session.post("Profiler.stop");
      await writeFile(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

// ─── DynamoDB Local's ceiling for the inbox's writes ─────────────────────────────────────────────

/**
 * Writes per second DynamoDB Local takes of items the size of an inbox command (a `move` of a
 * player: the same attributes), from 64 concurrent writers for `seconds`: one conditional put per
 * call (a command's write alone), and 25 items per BatchWriteItem (the most it takes of them);
 * then commands per second the inbox adapter alone places (groups, claims and all).
 */
async function dynamoDbCeiling(
  endpoint: string,
  seconds: number,
): Promise<{ putsPerS: number; batchedPerS: number; inboxPerS: number }> {
  const { PutCommand, BatchWriteCommand, DynamoDBDocumentClient } = await import(
    "@aws-sdk/lib-dynamodb"
  );
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const doc = DynamoDBDocumentClient.from(client);
  const data = JSON.stringify({ dx: Math.SQRT1_2, dy: -Math.SQRT1_2 });
  let n = 0;
  const item = (i: number) => ({
    pk: `inbox#ceiling#${i % 4}`,
    sk: `${String(4_102_444_800_000 + i).padStart(16, "0")}#player_${String(i % 200).padStart(4, "0")}#c-${i.toString(36)}-0123456789ab`,
    type: "command",
    arrivedMs: 4_102_444_800_000 + i,
    playerId: `player_${String(i % 200).padStart(4, "0")}`,
    commandId: `c-${i.toString(36)}-0123456789ab`,
    commandType: "move",
    data,
  });
  async function rate(perCall: number, call: (i: number) => Promise<unknown>): Promise<number> {
    const endMs = Date.now() + seconds * 1000;
    let calls = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (Date.now() < endMs) {
          await call(n++);
          calls++;
        }
      }),
    );
    return (calls * perCall) / seconds;
  }
  try {
    const putsPerS = await rate(1, (i) =>
      doc.send(
        new PutCommand({
          TableName: "AuditLog",
          Item: item(i),
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    );
    const batchedPerS = await rate(25, (i) =>
      doc.send(
        new BatchWriteCommand({
          RequestItems: {
            AuditLog: Array.from({ length: 25 }, (_, k) => ({
              PutRequest: { Item: item(1_000_000_000 + i * 25 + k) },
            })),
          },
        }),
      ),
    );
    // The inbox itself, as the command handler uses it: 200 players submitting back to back to a
    // world of 4 shards, so that submits meet and group as they do under load.
    const { DynamoDbCommandInbox, tableNames } = await import("@ledgerquest/aws");
    const inbox = new DynamoDbCommandInbox(doc, { tables: tableNames() });
    const worldId = "ceiling";
    await inbox.openWorld(worldId, 4, 0);
    let accepted = 0;
    const endMs = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 200 }, async (_, p) => {
        const playerId = `player_${String(p).padStart(4, "0")}`;
        for (let i = 0; Date.now() < endMs; i++) {
          const r = await inbox.submit({
            worldId,
            shard: p % 4,
            playerId,
            commandId: `c-${i.toString(36)}-0123456789ab`,
            type: "move",
            data: { dx: Math.SQRT1_2, dy: -Math.SQRT1_2 },
            nowMs: Date.now(),
          });
          if (r.result === "accepted") accepted++;
        }
      }),
    );
    return { putsPerS, batchedPerS, inboxPerS: accepted / seconds };
  } finally {
    client.destroy();
  }
}

// ─── the run ─────────────────────────────────────────────────────────────────────────────────────

type UsageSnapshot = ReturnType<
  Awaited<ReturnType<typeof import("@ledgerquest/local")["startLocalStack"]>>["usage"]
>;

/**
 * DynamoDB requests a second each function made between two snapshots, busiest first, with the
 * kinds of item the requests of each busy one (20 a second or more) were on.
 */
function requestsPerS(before: UsageSnapshot, after: UsageSnapshot, seconds: number): string {
  const perS = (fn: string, kind?: string) => {
    const count = (u: UsageSnapshot) =>
      Object.entries(u.dynamodb[fn] ?? {})
        .filter(([k]) => kind === undefined || k === kind)
        .reduce((sum, [, t]) => sum + t.requests, 0);
    return (count(after) - count(before)) / seconds;
  };
  const busiest = Object.keys(after.dynamodb)
    .map((fn) => [fn, perS(fn)] as const)
    .filter(([, n]) => n >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  return busiest
    .map(([fn, n]) => {
      if (n < 20) return `${fn} ${n.toFixed(0)}`;
      const kinds = Object.keys(after.dynamodb[fn] ?? {})
        .map((kind) => [kind, perS(fn, kind)] as const)
        .filter(([, k]) => k >= 0.5)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, k]) => `${kind} ${k.toFixed(0)}`);
      return `${fn} ${n.toFixed(0)} (${kinds.join(", ")})`;
    })
    .join(", ");
}

function cpuS(cpu: NodeJS.CpuUsage, seconds: number): string {
  return ((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2);
}

function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? "-" : `${Math.round(v).toLocaleString("en-US")} ms`;
}

export const suite: Suite = {
  name: "load",
  description:
    "200 WebSocket players at 5 commands/s against the local stack for 60 s: commands, latency, ticks/s, nothing lost",
  oursName: "LedgerQuest",
  scenarios: [],
  async notes() {
    const load = settings();
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { findDynamoDbLocalOnPort, processCpuUs, startLocalStack } = await import(
      "@ledgerquest/local"
    );
    const { DEV_LOOP, seedWorlds } = await import("@ledgerquest/cli");
    const { arenaModule } = await import("@ledgerquest/example-arena");
    const stack = await startLocalStack({
      game: arenaModule,
      inMemory: true,
      ...DEV_LOOP,
      log: () => undefined,
    });
    try {
      const deps = stack.runtimeDeps();
      const worldId = "load";
      await seedWorlds(deps, {
        worlds: [{ worldId, players: load.bots, settings: { bodies: 1000, bots: 20, coins: 300 } }],
      });
      const tickMs = arenaModule.describe?.().tickMs ?? 1000 / 60;
      const players = {
        ...load,
        websocketUrl: stack.endpoints.websocket,
        idpUrl: stack.endpoints.idp,
        worldId,
      };
      if (load.warmup > 0) {
        await runPlayers({ ...players, seconds: load.warmup });
        // Its last commands go into a batch before the counted run begins.
        await new Promise((r) => setTimeout(r, 3000 + DEV_LOOP.ticksPerBatch * tickMs));
      }
      const before = await deps.store.getWorld(worldId);
      const startedMs = Date.now();
      const usageBefore = stack.usage();
      const cpuBefore = process.cpuUsage();
      const ddbPid = findDynamoDbLocalOnPort(Number(new URL(stack.endpoints.dynamodb).port));
      const ddbCpu = (): number | undefined =>
        ddbPid === undefined ? undefined : processCpuUs(ddbPid);
      const ddbCpuBefore = ddbCpu();
      // How long a socket's message or a drain's answer waited for the stack's one thread.
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const profiler = load.profile > 0 ? await startProfile() : undefined;
      const { report, cpu: playersCpu } = await runPlayers(players);
      await profiler?.stop(resolve(REPO_ROOT, "bench/results/load-stack.cpuprofile"));
      const stackCpu = process.cpuUsage(cpuBefore);
      const ddbCpuAfter = ddbCpu();
      const ddbCpuPerS =
        ddbCpuBefore === undefined || ddbCpuAfter === undefined
          ? "-"
          : ((ddbCpuAfter - ddbCpuBefore) / 1e6 / load.seconds).toFixed(2);
      loopDelay.disable();
      const requests = requestsPerS(usageBefore, stack.usage(), load.seconds);
      // Let the loop apply what was accepted last, then count what the batch records applied.
      await new Promise((r) => setTimeout(r, 3000 + DEV_LOOP.ticksPerBatch * tickMs));
      const after = await deps.store.getWorld(worldId);
      const elapsedS = (Date.now() - startedMs) / 1000;
      const from = (before?.version ?? 0) + 1;
      const to = after?.version ?? 0;
      const records = await deps.journal.listBatches(worldId, from, to);
      const applied = records.reduce((s, b) => s + b.commandsApplied, 0);
      const { appliedCommandCounts } = await import("@ledgerquest/runtime");
      const seen = await appliedCommandCounts(deps, worldId, from, to);
      const twice = [...seen.values()].filter((c) => c > 1).length;
      const lost = report.commands.accepted - seen.size;
      const ticks = (after?.tick ?? 0) - (before?.tick ?? 0);
      const behindMsMax = Math.max(0, ...records.map((r) => r.clock?.behindMsMax ?? 0));
      const skippedMs = records.reduce((s, r) => s + (r.clock?.skippedMs ?? 0), 0);
      // After the load, on the same warm JVM, with the stack's game loop still running beside.
      const ceiling = await dynamoDbCeiling(stack.endpoints.dynamodb, 10);
      const acceptedPerS = report.commands.accepted / load.seconds;
      const rows: [string, string][] = [
        ["bots connected (of)", `${report.connected} (${report.bots}); dropped ${report.dropped}`],
        [
          "commands sent / accepted / duplicate / rejected / unanswered",
          `${report.commands.sent} / ${report.commands.accepted} / ${report.commands.duplicate} / ${report.commands.rejected} / ${report.commands.unanswered}`,
        ],
        ["commands accepted per second", acceptedPerS.toFixed(0)],
        [
          "commands applied by the game loop (batch records)",
          `${applied} (${seen.size} distinct, ${twice} twice)`,
        ],
        [
          "applied minus acknowledged (negative: acknowledged, never applied)",
          `${-lost} (a positive count: applied, its ack not seen before the bot closed)`,
        ],
        [
          "ack latency p50 / p99 / max",
          `${ms(report.ackLatency.p50Ms)} / ${ms(report.ackLatency.p99Ms)} / ${ms(report.ackLatency.maxMs)} (${report.ackLatency.samples} samples)`,
        ],
        [
          "command-to-visible latency p50 / p99 / max",
          `${ms(report.latency.p50Ms)} / ${ms(report.latency.p99Ms)} / ${ms(report.latency.maxMs)} (${report.latency.samples} samples)`,
        ],
        ["state pushes received", report.pushes.toLocaleString("en-US")],
        [
          "world ticks/s over the run (target 60)",
          `${(ticks / elapsedS).toFixed(1)}; behind the clock at most ${behindMsMax} ms, ${skippedMs} ms given up`,
        ],
        ["batches committed", String(records.length)],
        [
          "CPU seconds per second: the stack's process / the players' / DynamoDB Local's JVM (2 cores in all)",
          `${cpuS(stackCpu, load.seconds)} / ${cpuS(playersCpu, load.seconds)} / ${ddbCpuPerS}`,
        ],
        ["DynamoDB requests per second, by function", requests],
        [
          "the stack's event loop delay p50 / p99 / max",
          `${ms(loopDelay.percentile(50) / 1e6)} / ${ms(loopDelay.percentile(99) / 1e6)} / ${ms(loopDelay.max / 1e6)}`,
        ],
        [
          "DynamoDB Local ceiling, same item size: conditional puts / batched (25 a call) items/s; the inbox alone (200 players back to back) commands/s",
          `${ceiling.putsPerS.toFixed(0)} / ${ceiling.batchedPerS.toFixed(0)}; ${ceiling.inboxPerS.toFixed(0)}`,
        ],
        [
          "commands accepted per second / each ceiling",
          `${((100 * acceptedPerS) / ceiling.putsPerS).toFixed(0)}% / ${((100 * acceptedPerS) / ceiling.batchedPerS).toFixed(0)}%; ${((100 * acceptedPerS) / ceiling.inboxPerS).toFixed(0)}%`,
        ],
      ];
      if (twice > 0 || seen.size < report.commands.accepted) {
        throw new Error(
          `load: ${lost} accepted command(s) were never applied and ${twice} applied twice`,
        );
      }
      return [
        [
          `${load.bots} bots x ${load.seconds} s at ${load.rate} command/s each, after ${load.warmup} s of the same load not counted, against the local stack (game loop paced to real time, ${DEV_LOOP.ticksPerBatch} ticks a lap, as \`ledgerquest dev\` runs it)`,
          "",
          "| figure | value |",
          "| --- | ---: |",
          ...rows.map(([k, v]) => `| ${k} | ${v} |`),
        ].join("\n"),
      ];
    } finally {
      await stack.stop();
    }
  },
};

// Forked by `runPlayers`: this module is then the players' process.
const playersConfig = process.env[PLAYERS_ENV];
if (playersConfig !== undefined && process.send !== undefined) {
  void playersProcess(JSON.parse(playersConfig) as PlayersConfig).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
