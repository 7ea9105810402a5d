// The bot client and the `token`, `seed` and `bots` commands against the local stack started in
// this process: real WebSockets, real tokens from the dev identity provider, the game loop run by
// the local Step Functions after `seed` publishes `World Activated` on the local bus.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { arenaBot, arenaModule, steer } from "@ledgerquest/example-arena";
import { type LocalStack, startLocalStack } from "@ledgerquest/local";
import type { EntityView } from "@ledgerquest/runtime";
import { Command, CommanderError } from "commander";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { type BotsReport, percentile, runBots, summarizeLatency } from "../src/bots.js";
import { registerBots } from "../src/commands/bots.js";
import { registerEnv } from "../src/commands/env.js";
import { registerSeed, seedWorlds } from "../src/commands/seed.js";
import { registerToken } from "../src/commands/token.js";
import { useConfigOption } from "../src/project.js";
import { writeLocalTarget } from "../src/target.js";

const execFileAsync = promisify(execFile);

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out");
}

const WORLD = "bots-test";

// Alike: cost.test.ts's stack (the arena in memory); and the runBots calls below, each written out
// with the options its test is about.
let stack: LocalStack;
let dataDir: string;
let noStackDir: string;

beforeAll(async () => {
  stack = await startLocalStack({
    game: arenaModule,
    inMemory: true,
    ticksPerBatch: 30,
    waitSeconds: 0,
    log: () => undefined,
  });
  const [seeded] = await seedWorlds(stack.runtimeDeps(), {
    worlds: [{ worldId: WORLD, players: 3, settings: { bodies: 30, bots: 2, coins: 150 } }],
  });
  expect(seeded).toMatchObject({ result: "created", activated: true });
  // The tests below play for a few seconds each: let the game loop get going first (its first
  // lap loads the handlers and warms DynamoDB Local), so that they measure play, not start-up.
  const { getState } = await import("@ledgerquest/runtime");
  const deps = stack.runtimeDeps();
  await until(
    async () => ((await getState(deps, { worldId: WORLD }))?.version ?? 0) >= 3 || undefined,
    60_000,
  );
  // What `ledgerquest dev` publishes for the other commands, pointing at this stack.
  dataDir = mkdtempSync(join(tmpdir(), "lq-cli-"));
  noStackDir = mkdtempSync(join(tmpdir(), "lq-cli-none-"));
  writeLocalTarget(dataDir, {
    env: stack.env,
    websocket: stack.endpoints.websocket,
    idp: stack.endpoints.idp,
    pid: process.pid,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  for (const dir of [dataDir, noStackDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("runBots", () => {
  it("connects every bot, plays, and reports accepted commands, pushes and latency", async () => {
    const progress: number[] = [];
    const report = await runBots({
      policy: arenaBot,
      websocketUrl: stack.endpoints.websocket,
      worldId: WORLD,
      token: (player) => stack.token(player),
      count: 3,
      seconds: 5,
      ratePerSecond: 4,
      progressEveryMs: 500,
      onProgress: (p) => progress.push(p.sent),
    });
    expect(report).toMatchObject({
      bots: 3,
      connected: 3,
      failedToConnect: 0,
      dropped: 0,
      gatewayErrors: 0,
      unseenPlayers: [],
      errors: [],
    });
    // How many a loaded machine sends in 5 s is its speed, not the bots' behaviour: each sent.
    expect(report.players.every((b) => b.sent > 0)).toBe(true);
    expect(report.commands.accepted).toBe(report.commands.sent);
    expect(report.commands).toMatchObject({ duplicate: 0, rejected: 0, unanswered: 0 });
    expect(report.pushes).toBeGreaterThan(0);
    expect(report.latency.samples).toBe(report.commands.accepted);
    expect(report.latency.p50Ms).toBeGreaterThan(0);
    expect(report.latency.p99Ms).toBeGreaterThanOrEqual(report.latency.p50Ms ?? 0);
    for (const bot of report.players) {
      expect(bot, bot.playerId).toMatchObject({ connected: true, seenSelf: true, rejected: 0 });
      expect(bot.pushes, bot.playerId).toBeGreaterThan(0);
    }
    expect(progress.length).toBeGreaterThan(0);
  }, 60_000);

  it("says so when the world has no such player (it may watch, and its commands are refused)", async () => {
    const report = await runBots({
      policy: arenaBot,
      websocketUrl: stack.endpoints.websocket,
      worldId: WORLD,
      token: (player) => stack.token(player),
      count: 1,
      players: ["player_bot_0001"],
      seconds: 5,
      ratePerSecond: 4,
    });
    expect(report.connected).toBe(1);
    expect(report.commands.accepted).toBe(0);
    expect(report.commands.rejected).toBeGreaterThan(0);
    expect(report.errors.map((e) => e.message)).toEqual([
      expect.stringContaining("rejected (not_a_member)"),
    ]);
    expect(report.unseenPlayers).toEqual(["player_bot_0001"]);
  }, 60_000);

  it("reports a bot that cannot connect, with the server's reason", async () => {
    const report = await runBots({
      policy: arenaBot,
      websocketUrl: stack.endpoints.websocket,
      worldId: "no-such-world",
      token: (player) => stack.token(player),
      count: 2,
      seconds: 1,
    });
    expect(report).toMatchObject({ connected: 0, failedToConnect: 2 });
    expect(report.errors).toEqual([
      {
        message:
          'connect: the server refused the connection (HTTP 404): world "no-such-world" does not exist',
        count: 2,
      },
    ]);
    expect(report.commands.sent).toBe(0);
  }, 60_000);

  it("WebSocket players complete quests and claim one; the rewards are in the journal and their balances", async () => {
    // No game bots here: only the WebSocket players collect, so whoever finishes a quest is one.
    const { getState } = await import("@ledgerquest/runtime");
    const deps = stack.runtimeDeps();
    const worldId = "quest-ws";
    await seedWorlds(deps, {
      worlds: [{ worldId, players: 2, settings: { bodies: 0, bots: 0, coins: 1500 } }],
    });
    const players = ["player_0001", "player_0002"];
    const profile = async (p: string) =>
      (await getState(deps, { worldId, playerId: p }))?.player ?? undefined;
    // Play until a player has the bounty ("earn 15 gold" after "pick up 10 gold") completed.
    const stop = new AbortController();
    let finisher: string | undefined;
    const watch = (async () => {
      const deadline = Date.now() + 90_000;
      while (finisher === undefined && Date.now() < deadline && !stop.signal.aborted) {
        for (const p of players) {
          if ((await profile(p))?.quests.bounty?.state === "completed") finisher = p;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      stop.abort();
    })();
    const report = await runBots({
      policy: arenaBot,
      websocketUrl: stack.endpoints.websocket,
      worldId,
      token: (player) => stack.token(player),
      count: 2,
      seconds: 90,
      ratePerSecond: 5,
      signal: stop.signal,
    });
    stop.abort();
    await watch;
    expect(report.commands.rejected).toBe(0);
    expect(finisher, "a WebSocket player completed the bounty").toBeDefined();
    const who = finisher as string;
    const done = await profile(who);
    // "Pick up 10 gold" paid itself (xp 5); the bounty waits for its claim.
    expect(done?.quests.first_coins?.state).toBe("rewarded");
    expect(done?.balances.xp).toBeGreaterThanOrEqual(5);
    const goldBefore = done?.balances.gold ?? 0;

    // The player claims the bounty with a `quest.claim` command over its own connection.
    const ws = new WebSocket(
      `${stack.endpoints.websocket}?world=${worldId}&token=${await stack.token(who)}`,
    );
    const frames: { type: string; id?: string; result?: string }[] = [];
    ws.on("message", (d) => frames.push(JSON.parse(String(d))));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    ws.send(
      JSON.stringify({
        action: "command",
        id: "claim-bounty",
        type: "quest.claim",
        data: { quest: "bounty" },
      }),
    );
    const claimed = await until(async () => {
      const p = await profile(who);
      return p?.quests.bounty?.state === "rewarded" ? p : undefined;
    });
    ws.close();
    expect(frames).toContainEqual({ type: "ack", id: "claim-bounty", result: "accepted" });
    // At least the bounty's 20: the player may still drift onto a coin after the bots stop.
    expect(claimed.balances.gold).toBeGreaterThanOrEqual(goldBefore + 20);
    // Projections are written just before the world item commits: wait for the commit too.
    const rewards = await until(async () => {
      const state = await getState(deps, { worldId });
      const journal = await deps.journal.readEntries(worldId, 0, state?.ledger.count ?? 0);
      const paid = journal.filter(
        (e) =>
          e.kind === "transfer" && e.reason === "quest.reward" && e.credit.startsWith(`${who}:`),
      );
      return paid.some((e) => e.kind === "transfer" && e.unit === "gold") ? paid : undefined;
    });
    expect(rewards).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ unit: "xp", amount: 5, credit: `${who}:xp` }),
        expect.objectContaining({ unit: "gold", amount: 20, credit: `${who}:gold` }),
      ]),
    );
  }, 150_000);

  it("refuses options it cannot run", async () => {
    const base = {
      policy: arenaBot,
      websocketUrl: stack.endpoints.websocket,
      worldId: WORLD,
      token: (player: string) => stack.token(player),
      count: 1,
      seconds: 1,
    };
    await expect(runBots({ ...base, count: 0 })).rejects.toThrow(/count must be/);
    await expect(runBots({ ...base, ratePerSecond: 0 })).rejects.toThrow(/ratePerSecond/);
    await expect(runBots({ ...base, players: ["player 1"] })).rejects.toThrow(/must match/);
    await expect(runBots({ ...base, count: 2, players: ["p1", "p1"] })).rejects.toThrow(/repeats/);
  });
});

describe("steering and statistics", () => {
  const view = (...entities: EntityView[]) => entities;

  it("heads for the nearest coin it knows, as a unit direction within the move bounds", () => {
    const me: EntityView = { id: 1, kind: "player", name: "player_0001", x: 10, y: 10 };
    const near: EntityView = { id: 2, kind: "coin", x: 13, y: 14 };
    const far: EntityView = { id: 3, kind: "coin", x: 100, y: 10 };
    const other: EntityView = { id: 4, kind: "player", name: "player_0002", x: 11, y: 10 };
    expect(steer(view(me, near, far, other), "player_0001")).toEqual({
      dx: 0.6,
      dy: 0.8,
      coin: 2,
    });
    expect(steer(view(me, near, far), "player_0001", new Set([2]))).toEqual({
      dx: 1,
      dy: 0,
      coin: 3,
    });
    // Without its own position or any coin, there is nowhere to head for.
    expect(steer(view(near, other), "player_0001")).toBeUndefined();
    expect(steer(view(me, other), "player_0001")).toBeUndefined();
  });

  it("takes nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
    expect(summarizeLatency([30.4, 10.2, 20.6])).toEqual({
      samples: 3,
      p50Ms: 21,
      p99Ms: 30,
      maxMs: 30,
    });
  });
});

/** A program with the commands under test, whose output and exits the test sees. */
function program(): { run: (...args: string[]) => Promise<void>; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const p = new Command()
    .name("ledgerquest")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  // The project the commands run in: the arena example, as `--config` would name it.
  useConfigOption(
    fileURLToPath(new URL("../../../examples/arena/ledgerquest.config.ts", import.meta.url)),
  );
  registerToken(p);
  registerEnv(p);
  registerSeed(p);
  registerBots(p);
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  return {
    run: async (...args) => {
      await p.parseAsync(["node", "ledgerquest", ...args]);
    },
    out,
    err,
  };
}

describe("the commands", () => {
  it.each([
    ["token", /Usage: ledgerquest token \[options\] <player>[\s\S]*--expires-in <s>/],
    ["seed", /Usage: ledgerquest seed[\s\S]*--players <n>[\s\S]*--no-activate[\s\S]*--aws/],
    ["bots", /Usage: ledgerquest bots[\s\S]*--count <n>[\s\S]*--seconds <s>[\s\S]*--rate <per-s>/],
  ])("%s --help says what it does and takes", async (command, usage) => {
    const { run, out } = program();
    const help = run(command, "--help");
    await expect(help).rejects.toThrow(CommanderError);
    await expect(help).rejects.toMatchObject({ code: "commander.helpDisplayed" });
    expect(out.join("")).toMatch(usage);
  });

  it("refuses bad option values, naming the option", async () => {
    const { run, err } = program();
    await expect(run("bots", "--count", "0")).rejects.toThrow(CommanderError);
    await expect(run("bots", "--rate", "fast")).rejects.toThrow(CommanderError);
    await expect(run("token", "player_0001", "--expires-in", "0")).rejects.toThrow(CommanderError);
    const text = err.join("");
    expect(text).toMatch(/--count must be a whole number from 1 to 1000/);
    expect(text).toMatch(/--rate must be a number of commands per second/);
    expect(text).toMatch(/--expires-in must be a non-zero whole number/);
  });

  it("env prints the stack's endpoints as shell exports a shell can evaluate", async () => {
    const { run, out } = program();
    await run("env", "--data-dir", dataDir);
    const script = out.join("\n");
    expect(script).toMatch(/^export AWS_ACCESS_KEY_ID='local'$/m);
    // What a shell makes of the exports is the stack's environment, quoting and all.
    const echoed = execFileSync(
      "sh",
      [
        "-c",
        `${script}\nprintf '%s\\n' "$AWS_ENDPOINT_URL_DYNAMODB" "$AWS_DEFAULT_REGION" "$AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"`,
      ],
      { encoding: "utf8" },
    ).split("\n");
    expect(echoed.slice(0, 3)).toEqual([
      stack.endpoints.dynamodb,
      stack.env.AWS_REGION,
      stack.env.LQ_WEBSOCKET_ENDPOINT,
    ]);
    out.length = 0;
    await run("env", "--json", "--data-dir", dataDir);
    expect(JSON.parse(out.join(""))).toMatchObject({
      AWS_ENDPOINT_URL_SFN: stack.env.AWS_ENDPOINT_URL_SFN,
    });
  });

  // The AWS CLI is not one of the project's dependencies; where it is installed, it must work
  // against the stack with nothing but `ledgerquest env`'s variables.
  const awsCli = spawnSync("aws", ["--version"], { encoding: "utf8" }).status === 0;
  it.runIf(awsCli)(
    "the AWS CLI talks to the stack with env's variables",
    async () => {
      const { run, out } = program();
      await run("env", "--json", "--data-dir", dataDir);
      const env = { ...process.env, ...(JSON.parse(out.join("")) as Record<string, string>) };
      // Asynchronously: the stack's endpoints answer from this very process.
      const aws = async (...args: string[]) =>
        JSON.parse((await execFileAsync("aws", [...args, "--output", "json"], { env })).stdout);
      expect((await aws("dynamodb", "list-tables")).TableNames).toEqual([
        "AuditLog",
        "EntityTable",
      ]);
      const world = await aws(
        "dynamodb",
        "get-item",
        "--table-name",
        "EntityTable",
        "--key",
        JSON.stringify({ entity_id: { S: `world#${WORLD}` } }),
      );
      expect(Number(world.Item.version.N)).toBeGreaterThanOrEqual(0);
      expect(
        await aws(
          "events",
          "put-events",
          "--entries",
          JSON.stringify([
            {
              Source: "cli.test",
              DetailType: "Ping",
              Detail: "{}",
              EventBusName: "ledgerquest.eventbus",
            },
          ]),
        ),
      ).toMatchObject({ FailedEntryCount: 0 });
      const executions = await aws(
        "stepfunctions",
        "list-executions",
        "--state-machine-arn",
        env.LQ_STATE_MACHINE_ARN ?? "",
      );
      expect(executions.executions.map((e: { name: string }) => e.name)).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^${WORLD}-`))]),
      );
      const gone = aws(
        "apigatewaymanagementapi",
        "post-to-connection",
        "--connection-id",
        "nope",
        "--data",
        "{}",
      );
      await expect(gone).rejects.toThrow(/GoneException/);
    },
    60_000,
  );

  it("token prints a token from the running stack, and its expiry with --json", async () => {
    const { run, out } = program();
    await run("token", "player_0002", "--data-dir", dataDir);
    expect(decodeJwt(out[0] ?? "").sub).toBe("player_0002");

    out.length = 0;
    await run("token", "player_0003", "--expires-in", "120", "--json", "--data-dir", dataDir);
    const issued = JSON.parse(out[0] ?? "{}") as { token: string; expiresAt: string };
    const claims = decodeJwt(issued.token);
    expect(claims.sub).toBe("player_0003");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    expect(Date.parse(issued.expiresAt)).toBe((claims.exp ?? 0) * 1000);
    expect(process.exitCode).toBeUndefined();
  });

  it("token says what to do when no stack runs, or the player id is bad", async () => {
    const { run, err, out } = program();
    await run("token", "player_0001", "--data-dir", noStackDir);
    expect(process.exitCode).toBe(1);
    expect(err.join("\n")).toMatch(/no local stack is running .* start one with `npm start`/);

    process.exitCode = undefined;
    await run("token", "not a player", "--data-dir", dataDir);
    expect(process.exitCode).toBe(1);
    expect(err.join("\n")).toMatch(/no token for "not a player": name the player in \?player=<id>/);
    expect(out).toEqual([]);
  });

  it("seed finds the world the stack has, and says so", async () => {
    const { run, out } = program();
    await run("seed", "--world", WORLD, "--players", "3", "--data-dir", dataDir);
    expect(out.join("\n")).toMatch(
      /world "bots-test": exists \(tick [\d,]+, version \d+\): left as it is/,
    );
    expect(process.exitCode).toBeUndefined();
  });

  it("bots plays and prints the report; exit 0 when every bot connected", async () => {
    const { run, out } = program();
    await run(
      "bots",
      "--world",
      WORLD,
      "--count",
      "2",
      "--first",
      "2",
      "--seconds",
      "2",
      "--json",
      "--data-dir",
      dataDir,
    );
    const report = JSON.parse(out.join("\n")) as BotsReport;
    expect(report).toMatchObject({ connected: 2, failedToConnect: 0 });
    expect(report.players.map((p) => p.playerId)).toEqual(["player_0002", "player_0003"]);
    expect(report.commands.accepted).toBeGreaterThan(0);
    expect(report.commands.rejected).toBe(0);
    expect(process.exitCode).toBeUndefined();
  }, 60_000);

  it("bots refuses, before connecting, players the world does not have", async () => {
    const { run, err } = program();
    await run("bots", "--world", WORLD, "--count", "5", "--data-dir", dataDir);
    expect(process.exitCode).toBe(1);
    expect(err.join("\n")).toMatch(
      /world "bots-test" has no player_0004, player_0005.*ledgerquest seed --world bots-test-5 --players 5/,
    );
  });

  it("bots says how to start a stack when none runs", async () => {
    const { run, err } = program();
    await run("bots", "--data-dir", noStackDir);
    expect(process.exitCode).toBe(1);
    expect(err.join("\n")).toMatch(/no local stack is running/);
  });
});
