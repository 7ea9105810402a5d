// `ledgerquest cost`: the pricing arithmetic on a run whose counts are round numbers, every
// expectation computed by hand from them; the command's answers to a missing or odd usage file;
// and a real run of the local stack priced end to end.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arenaModule } from "@ledgerquest/example-arena";
import {
  type LocalStack,
  startLocalStack,
  startUsageFile,
  type UsageSnapshot,
} from "@ledgerquest/local";
import { createWorld, getState } from "@ledgerquest/runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type CostConfig,
  CostError,
  costOf,
  formatCostReport,
  formatUsd,
  type LineName,
  memoryOption,
  runCost,
} from "../src/commands/cost.js";
import { AWS_PRICES } from "../src/pricing.js";

/**
 * 100 s of one world with 2 players: 50 Hz ticks (20 ms), laps of 50 ticks (1 s), paced, no
 * Wait: 100 laps, 5,000 ticks, 100 s of game time, 200 player-seconds.
 */
function run(overrides: Partial<UsageSnapshot> = {}): UsageSnapshot {
  return {
    format: "ledgerquest-usage/1",
    startedAt: "2026-12-07T00:00:00.000Z",
    takenAt: "2026-12-07T00:01:40.000Z",
    wallSeconds: 100,
    settings: {
      game: "arena@2",
      tickMs: 20,
      ticksPerLap: 50,
      waitSeconds: 0,
      pace: "realtime",
      supervisorEverySeconds: 10,
    },
    worldSeconds: 100,
    ticks: 5000,
    worlds: { w: { seconds: 100, ticks: 5000 } },
    stateMachines: { GameLoop: { transitions: 400, executions: 1 } },
    lambda: {
      tick: { invocations: 100, errors: 0, billedMs: 100_000 },
      command: { invocations: 200, errors: 0, billedMs: 10_000 },
      supervisor: { invocations: 10, errors: 0, billedMs: 1_000 },
    },
    dynamodb: {
      tick: {
        "EntityTable:world": {
          requests: 200,
          readUnits: 100,
          writeUnits: 1000,
          computed: 0,
          failed: 0,
        },
        "AuditLog:journal": {
          requests: 100,
          readUnits: 0,
          writeUnits: 200,
          computed: 100,
          failed: 0,
        },
      },
      command: {
        "AuditLog:inbox": {
          requests: 200,
          readUnits: 0,
          writeUnits: 1200,
          computed: 200,
          failed: 0,
        },
      },
      supervisor: {
        "EntityTable:worlds": { requests: 10, readUnits: 5, writeUnits: 0, computed: 0, failed: 0 },
      },
    },
    eventBridge: {
      "Tick Batch Committed": { entries: 100, chunks: 100, bytes: 50_000 },
      "Level Up": { entries: 10, chunks: 10, bytes: 2_000 },
    },
    webSocket: {
      in: { messages: 200, units: 200, bytes: 20_000 },
      replies: { messages: 200, units: 200, bytes: 20_000 },
      pushes: { messages: 2000, units: 4000, bytes: 100_000_000 },
      connections: 2,
      connectionSeconds: 200,
    },
    ...overrides,
  };
}

/** 2 worlds of 4 players, laps of 500 ticks (10 s), paced, arm64, AWS's 60 s supervisor. */
const CONFIG: CostConfig = {
  playersPerWorld: 4,
  worlds: 2,
  ticksPerLap: 500,
  waitSeconds: 0,
  pace: "realtime",
  architecture: "arm64",
  memoryMb: { tick: 1024, command: 512, supervisor: 256 },
  supervisorEverySeconds: 60,
};

const lineOf = (report: ReturnType<typeof costOf>, name: LineName) => {
  const line = report.lines.find((l) => l.name === name);
  if (line === undefined) throw new Error(`no line ${name}`);
  return line;
};

describe("costOf", () => {
  // Scale factors, by hand: 360 laps of 10 s in a world-hour (3.6 per measured lap); 3,600 game
  // seconds (36 per measured one); 4 players x 3,600 s over 200 measured player-seconds (72);
  // the supervisor's sweeps every 60 s instead of 10 (1/6), per hour over 100 s, shared by 2
  // worlds (3).
  const report = costOf(run(), CONFIG);

  it("scales each line by what drives it", () => {
    expect(report.lapsPerHour).toBe(360);
    expect(report.gameSecondsPerHour).toBe(3600);
    // 400 transitions x 3.6.
    expect(lineOf(report, "Step Functions state transitions").quantity).toBeCloseTo(1440, 9);
    // tick 100 x 3.6 + command 200 x 72 + supervisor 10 x 3.
    expect(lineOf(report, "Lambda requests").quantity).toBeCloseTo(360 + 14_400 + 30, 9);
    // tick: billed 1 s per second of world time, so 360 laps x 10 s x 1 GB; command 10 s x
    // 0.5 GB x 72; supervisor 1 s x 0.25 GB x 3.
    expect(lineOf(report, "Lambda duration").quantity).toBeCloseTo(3600 + 360 + 0.75, 9);
    // The world item per lap (1,000 x 3.6), the journal with game time (200 x 36), the
    // command's inbox per player (1,200 x 72).
    expect(lineOf(report, "DynamoDB write request units").quantity).toBeCloseTo(
      3600 + 7200 + 86_400,
      9,
    );
    expect(lineOf(report, "DynamoDB read request units").quantity).toBeCloseTo(360 + 15, 9);
    // One batch event a lap (100 x 3.6), level-ups with game time (10 x 36).
    expect(lineOf(report, "EventBridge events (64 KB chunks)").quantity).toBeCloseTo(360 + 360, 9);
    // In, replies and pushes, per player: (200 + 200 + 4,000) x 72.
    expect(lineOf(report, "API Gateway messages (32 KB units)").quantity).toBeCloseTo(316_800, 9);
    expect(lineOf(report, "API Gateway connection minutes").quantity).toBe(240);
  });

  it("prices the lines and names the one that dominates", () => {
    const expected: Record<LineName, number> = {
      "Step Functions state transitions": (1440 * 0.025) / 1000,
      "Lambda requests": (14_790 * 0.2) / 1e6,
      "Lambda duration": 3960.75 * 0.0000133334,
      "DynamoDB write request units": (97_200 * 0.625) / 1e6,
      "DynamoDB read request units": (375 * 0.125) / 1e6,
      "EventBridge events (64 KB chunks)": 720 / 1e6,
      "API Gateway messages (32 KB units)": 316_800 / 1e6,
      "API Gateway connection minutes": (240 * 0.25) / 1e6,
    };
    let total = 0;
    for (const [name, usd] of Object.entries(expected) as [LineName, number][]) {
      expect(lineOf(report, name).usdPerWorldHour, name).toBeCloseTo(usd, 12);
      expect(lineOf(report, name).usdPerPlayerHour, name).toBeCloseTo(usd / 4, 12);
      total += usd;
    }
    expect(report.usdPerWorldHour).toBeCloseTo(total, 12);
    expect(report.usdPerPlayerHour).toBeCloseTo(total / 4, 12);
    expect(report.usdPerHour).toBeCloseTo(total * 2, 12);
    expect(report.usdPerMonth).toBeCloseTo(total * 2 * 730, 9);
    expect(report.dominant.name).toBe("API Gateway messages (32 KB units)");
    expect(report.dominant.share).toBeCloseTo(0.3168 / total, 12);
    // Its biggest source first: the pushes.
    expect(report.dominant.sources[0]).toEqual({
      source: "pushes",
      driver: "player",
      quantity: 288_000,
    });
  });

  it("splits the Lambda lines by function, with each one's billed time per invocation", () => {
    expect(report.functions).toEqual([
      // 360 laps of 10 s.
      {
        name: "tick",
        driver: "lap",
        memoryMb: 1024,
        invocations: 360,
        billedMsPerInvocation: 10_000,
        gbSeconds: 3600,
      },
      // 10 s over 200 invocations: 50 ms each.
      {
        name: "command",
        driver: "player",
        memoryMb: 512,
        invocations: 14_400,
        billedMsPerInvocation: 50,
        gbSeconds: 360,
      },
      {
        name: "supervisor",
        driver: "deployment",
        memoryMb: 256,
        invocations: 30,
        billedMsPerInvocation: 100,
        gbSeconds: 0.75,
      },
    ]);
  });

  it("prices $connect once a session: as long as the run's, or as long as asked", () => {
    // 2 connections over 200 player-seconds: sessions of 100 s.
    const withConnect = run({
      lambda: { ...run().lambda, connect: { invocations: 2, errors: 0, billedMs: 400 } },
    });
    const memoryMb = { ...CONFIG.memoryMb, connect: 512 };
    const connect = (r: ReturnType<typeof costOf>) => r.functions.find((f) => f.name === "connect");
    // As measured: 36 sessions per player-hour, 4 players: 144 an hour.
    expect(connect(costOf(withConnect, { ...CONFIG, memoryMb }))?.invocations).toBeCloseTo(144, 9);
    // Sessions of 10 minutes: 6 per player-hour, 24 an hour; 200 ms each at 0.5 GB: 2.4 GB-s.
    const tenMinutes = connect(costOf(withConnect, { ...CONFIG, memoryMb, sessionMinutes: 10 }));
    expect(tenMinutes?.driver).toBe("session");
    expect(tenMinutes?.invocations).toBeCloseTo(24, 9);
    expect(tenMinutes?.gbSeconds).toBeCloseTo(2.4, 9);
  });

  it("prices a push rate given instead of the measured one, at the measured size", () => {
    const at20 = costOf(run(), { ...CONFIG, pushesPerPlayerSecond: 20 });
    // 20 a second x 4 players x 3,600 s x 2 units (4,000 units over 2,000 pushes).
    const pushes = lineOf(at20, "API Gateway messages (32 KB units)").sources.find(
      (s) => s.source === "pushes",
    );
    expect(pushes?.quantity).toBe(576_000);
  });

  it("prices x86_64 at its own GB-second rate", () => {
    const x86 = costOf(run(), { ...CONFIG, architecture: "x86_64" });
    expect(lineOf(x86, "Lambda duration").usdPerWorldHour).toBeCloseTo(3960.75 * 0.0000166667, 12);
    expect(AWS_PRICES.lambdaX86GbSecond.usd).toBe(0.0000166667);
  });

  it("leaves GB-seconds per world-hour alone when only the lap length changes", () => {
    const short = costOf(run(), { ...CONFIG, ticksPerLap: 50 });
    expect(short.lapsPerHour).toBe(3600);
    expect(lineOf(short, "Step Functions state transitions").quantity).toBeCloseTo(14_400, 9);
    expect(
      lineOf(short, "Lambda duration").sources.find((s) => s.source === "tick")?.quantity,
    ).toBeCloseTo(3600, 9);
  });

  it("prices an unpaced loop from an unpaced run: laps as fast as the tick computes", () => {
    // 100 laps of 50 ticks billed 25 s: 5 ms a tick. Laps of 600 ticks then take 3 s: 1,200 an
    // hour, 1,200 x 12 s = 14,400 s of game time an hour, 4x the clock.
    const unpaced = run({
      settings: { ...run().settings, pace: "none" },
      lambda: { ...run().lambda, tick: { invocations: 100, errors: 0, billedMs: 25_000 } },
    });
    const r = costOf(unpaced, { ...CONFIG, pace: "none", ticksPerLap: 600 });
    expect(r.lapsPerHour).toBeCloseTo(1200, 9);
    expect(r.gameSecondsPerHour).toBeCloseTo(14_400, 9);
    expect(
      lineOf(r, "Lambda duration").sources.find((s) => s.source === "tick")?.quantity,
    ).toBeCloseTo(3600, 9);
    expect(r.notes.some((n) => n.includes("does not keep the clock") && n.includes("4.00x"))).toBe(
      true,
    );
  });

  it("says what the figures rest on", () => {
    expect(report.notes.some((n) => n.includes("the run lasted 100 s"))).toBe(true);
    expect(report.notes.some((n) => n.includes("300 of 510 DynamoDB requests"))).toBe(true);
    expect(report.notes.some((n) => n.includes("failed in the run"))).toBe(false);
    const failing = run({
      lambda: { ...run().lambda, command: { invocations: 200, errors: 20, billedMs: 10_000 } },
    });
    expect(
      costOf(failing, CONFIG).notes.some((n) =>
        n.startsWith("10% of the command function's 200 invocations failed in the run"),
      ),
    ).toBe(true);
    const many = costOf(run(), { ...CONFIG, playersPerWorld: 200 });
    expect(many.notes.some((n) => n.includes("2.0 players per world on average"))).toBe(true);
  });

  it("refuses a run it cannot price, saying what to do", () => {
    expect(() => costOf(run({ worldSeconds: 0 }), CONFIG)).toThrow(CostError);
    expect(() => costOf(run({ worldSeconds: 0 }), CONFIG)).toThrow(/ledgerquest dev/);
    const noPlayers = run({ webSocket: { ...run().webSocket, connectionSeconds: 0 } });
    expect(() => costOf(noPlayers, CONFIG)).toThrow(/ledgerquest bots/);
    expect(costOf(noPlayers, { ...CONFIG, playersPerWorld: 0 }).usdPerPlayerHour).toBe(0);
    const { tick: _, ...noTick } = run().lambda;
    expect(() => costOf(run({ lambda: noTick }), CONFIG)).toThrow(/no game-loop lap/);
    expect(() => costOf(run(), { ...CONFIG, memoryMb: { tick: 1024 } })).toThrow(
      /--memory command=<MB>/,
    );
  });
});

describe("the command's parts", () => {
  it("reads --memory pairs and refuses sizes Lambda does not take", () => {
    expect(memoryOption("tick=2048, command=1024")).toEqual({ tick: 2048, command: 1024 });
    expect(memoryOption("query=256", { tick: 2048 })).toEqual({ tick: 2048, query: 256 });
    expect(() => memoryOption("tick=64")).toThrow(/128 to 10240/);
    expect(() => memoryOption("tick")).toThrow(/<function>=<MB>/);
  });

  it("writes dollars to three significant digits below a dollar, cents above", () => {
    expect(formatUsd(0)).toBe("$0");
    expect(formatUsd(0.0123456)).toBe("$0.0123");
    expect(formatUsd(0.000046875)).toBe("$0.0000469");
    expect(formatUsd(12.345)).toBe("$12.35");
    expect(formatUsd(1234.5)).toBe("$1,234.50");
  });

  it("prints a table with every line, the total and the dominant line", () => {
    const text = formatCostReport(costOf(run(), CONFIG), "/tmp/usage.json");
    for (const l of costOf(run(), CONFIG).lines) expect(text).toContain(`| ${l.name} |`);
    expect(text).toContain("| **total** |");
    expect(text).toMatch(/dominant: API Gateway messages \(32 KB units\), 67% of the total/);
  });
});

describe("ledgerquest cost", () => {
  const folder = mkdtempSync(join(tmpdir(), "lq-cost-"));
  const logged: string[] = [];
  beforeAll(() => {
    vi.spyOn(console, "log").mockImplementation((line: string) => void logged.push(line));
    vi.spyOn(console, "error").mockImplementation((line: string) => void logged.push(line));
  });
  afterEach(() => {
    logged.length = 0;
    process.exitCode = undefined;
  });
  afterAll(() => {
    vi.restoreAllMocks();
    rmSync(folder, { recursive: true, force: true });
  });
  const options = {
    worlds: 1,
    arch: "arm64" as const,
    dataDir: folder,
    json: true,
    memory: { tick: 1024, command: 512, supervisor: 256 },
  };

  it("says to run ledgerquest dev first when nothing was recorded", async () => {
    expect(await runCost(options)).toBeUndefined();
    expect(process.exitCode).toBe(1);
    expect(logged.join("\n")).toMatch(
      /^cost: no usage recorded yet .*run `ledgerquest dev` \(or `npm start`\) for a few minutes first/,
    );
  });

  it("says what is wrong with a usage file it cannot read", async () => {
    const file = join(folder, "odd.json");
    writeFileSync(file, "{ not json");
    expect(await runCost({ ...options, usage: file })).toBeUndefined();
    expect(logged.join("\n")).toMatch(/is not JSON .*delete it and run `ledgerquest dev` again/);
  });

  it("defaults to the run's players and the deployment's loop, and prints JSON", async () => {
    const file = join(folder, "usage.json");
    writeFileSync(file, JSON.stringify(run()));
    const report = await runCost({ ...options, ticksPerLap: 500 });
    expect(process.exitCode).toBeUndefined();
    expect(report?.config.playersPerWorld).toBe(2);
    expect(report?.config.pace).toBe("realtime");
    const printed = JSON.parse(logged.join("\n")) as { dominant: { name: string } };
    expect(printed.dominant.name).toBe("API Gateway messages (32 KB units)");
  });
});

describe("a real run, priced", () => {
  let stack: LocalStack;
  const folder = mkdtempSync(join(tmpdir(), "lq-cost-run-"));

  beforeAll(async () => {
    stack = await startLocalStack({
      game: arenaModule,
      inMemory: true,
      ticksPerBatch: 30,
      waitSeconds: 0,
      pace: true,
      log: () => {},
    });
    // As `ledgerquest dev` does.
    const writer = startUsageFile({
      file: join(folder, "usage.json"),
      snapshot: () => stack.usage(),
      everySeconds: 1,
    });
    const deps = stack.runtimeDeps();
    const { world } = await createWorld(deps, {
      worldId: "priced",
      players: ["player_0001"],
      settings: { bodies: 20, bots: 2, coins: 20 },
    });
    await stack.activate("priced", world.version);
    await until(async () => ((await getState(deps, { worldId: "priced" }))?.version ?? 0) >= 1);
    const WebSocket = (await import("ws")).default;
    const ws = new WebSocket(
      `${stack.endpoints.websocket}?world=priced&token=${await stack.token("player_0001")}`,
    );
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send(JSON.stringify({ action: "command", id: "p-1", type: "move", data: { dx: 1, dy: 0 } }));
    await until(() => (stack.usage().lambda.tick?.invocations ?? 0) >= 4);
    ws.close();
    await stack.stop();
    writer.stop();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it("gives every line a figure and names the dominant one", async () => {
    const logged: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((l: string) => void logged.push(l));
    const report = await runCost({
      players: 1,
      worlds: 1,
      arch: "arm64",
      dataDir: folder,
      json: false,
      memory: {
        authorizer: 256,
        connect: 512,
        disconnect: 512,
        command: 512,
        query: 1024,
        tick: 1024,
        "audit-stream": 512,
        supervisor: 256,
      },
    });
    spy.mockRestore();
    expect(report).toBeDefined();
    for (const line of report?.lines ?? []) expect(line.quantity, line.name).toBeGreaterThan(0);
    expect(report?.usdPerWorldHour).toBeGreaterThan(0);
    expect(logged.join("\n")).toContain(`dominant: ${report?.dominant.name}`);
  });
});

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
