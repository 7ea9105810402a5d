// `ledgerquest verify` and `ledgerquest replay`: the commands' cores over the memory adapters
// (what they print and the exit code, for a healthy world and a tampered one) and over the
// DynamoDB adapters against DynamoDB Local (what the commands read in the local stack and AWS),
// and the real command line in a child process for what needs no running stack (help, a missing
// stack).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { documentClient, dynamoDbStores, ensureTables, tableNames } from "@ledgerquest/aws";
import { arenaModule } from "@ledgerquest/example-arena";
import { localClientConfig } from "@ledgerquest/local";
import {
  connect,
  createMemoryDeps,
  createWorld,
  ManualClock,
  type MemoryClientPush,
  type MemoryDeps,
  MemoryJournal,
  type RuntimeDeps,
  runTickBatch,
  submitCommand,
} from "@ledgerquest/runtime";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { registerReplay, runReplay } from "../src/commands/replay.js";
import {
  type CommandIO,
  DEFAULT_WORLD,
  EXIT_COULD_NOT_CHECK,
  EXIT_FOUND_PROBLEMS,
  EXIT_OK,
  runVerify,
  startProgress,
} from "../src/commands/verify.js";

const WORLD = "cli-vr";
const TICKS_PER_BATCH = 40;
const BATCHES = 3;

let deps: MemoryDeps & { readonly clock: ManualClock };

/** A world with a player's commands and coins collected in each of its batches. */
async function playWorld(deps: RuntimeDeps & { clock: ManualClock; push: MemoryClientPush }) {
  await createWorld(deps, {
    worldId: WORLD,
    players: ["player_0001"],
    settings: { bodies: 10, bots: 8, coins: 400 },
  });
  await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: WORLD });
  deps.push.open("c1");
  for (let b = 0; b < BATCHES; b++) {
    const body = JSON.stringify({
      action: "command",
      id: `m${b}`,
      type: "move",
      data: { dx: b % 2 === 0 ? 1 : -1, dy: 0.25 },
    });
    const submitted = await submitCommand(deps, {
      connectionId: "c1",
      playerId: "player_0001",
      body,
    });
    expect(submitted).toMatchObject({ ok: true, result: "accepted" });
    deps.clock.advance(1000);
    await runTickBatch(deps, { worldId: WORLD, token: `t#${b}`, maxTicks: TICKS_PER_BATCH });
  }
}

beforeAll(async () => {
  deps = createMemoryDeps(arenaModule);
  await playWorld(deps);
});

/** Output captured as text. */
function capture(): {
  readonly io: CommandIO;
  readonly out: () => string;
  readonly err: () => string;
} {
  let out = "";
  let err = "";
  return {
    io: {
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s) },
    },
    out: () => out,
    err: () => err,
  };
}

describe("ledgerquest verify (the command's core)", () => {
  it("prints a report table for a healthy world and exits 0", async () => {
    const c = capture();
    expect(await runVerify(deps, WORLD, { json: false }, c.io)).toBe(EXIT_OK);
    const text = c.out();
    expect(text).toContain(
      `world ${WORLD} at version ${BATCHES}, tick ${BATCHES * TICKS_PER_BATCH}`,
    );
    expect(text).toMatch(
      /journal\s+\d+ entries .* chain, hashes, balances, unit sums and supply ok/,
    );
    expect(text).toMatch(/digest\s+count \d+, head [0-9a-f]{12}…, root [0-9a-f]{12}… +matches/);
    expect(text).toMatch(
      /unit gold\s+\d+ accounts, [\d,]+ held \(minted [\d,]+, sunk [\d,]+\)\s+held = minted - sunk/,
    );
    expect(text).toContain("result: OK");
    expect(c.err()).toBe(""); // a small journal draws no progress
  });

  it("prints JSON with --json", async () => {
    const c = capture();
    expect(await runVerify(deps, WORLD, { json: true }, c.io)).toBe(EXIT_OK);
    const report = JSON.parse(c.out()) as { ok: boolean; problems: unknown[]; version: number };
    expect(report).toMatchObject({ ok: true, problems: [], version: BATCHES });
  });

  // Alike: runtime's test/verify-replay.test.ts (the same edit of a projection, there checked on
  // the use case, here on the command's exit code and output).
  it("exits 1 naming the account whose projection is wrong", async () => {
    const account = "player_0001:gold";
    const held = await deps.store.getAccount(WORLD, account);
    if (held === undefined) throw new Error("no projection");
    const { version, ...balance } = held;
    await deps.store.putProjections(
      WORLD,
      version,
      [{ ...balance, credits: balance.credits + 1, balance: balance.balance + 1 }],
      [],
    );
    try {
      const c = capture();
      expect(await runVerify(deps, WORLD, { json: false }, c.io)).toBe(EXIT_FOUND_PROBLEMS);
      expect(c.out()).toMatch(
        new RegExp(
          `projection_mismatch\\s+account ${account} \\(v${version}\\)\\s+the journal gives`,
        ),
      );
      expect(c.out()).toContain("result: FAILED, 1 problem(s)");
    } finally {
      await deps.store.putProjections(WORLD, version, [balance], []);
    }
  });

  it("exits 2 with what to do for an unknown world", async () => {
    const c = capture();
    expect(await runVerify(deps, "nope", { json: false }, c.io)).toBe(EXIT_COULD_NOT_CHECK);
    expect(c.err()).toContain('verify: there is no world "nope" here: check the id');
    expect(c.out()).toBe("");
  });
});

describe("ledgerquest replay (the command's core)", () => {
  it("prints the ticks checked and exits 0 when every tick matches", async () => {
    const c = capture();
    expect(await runReplay(deps, WORLD, { json: false }, c.io)).toBe(EXIT_OK);
    const last = BATCHES * TICKS_PER_BATCH - 1;
    expect(c.out()).toContain(`replayed ticks 0 to ${last} from its genesis state at tick 0`);
    expect(c.out()).toMatch(new RegExp(`ticks checked\\s+${last + 1} \\(${last + 1} run\\)`));
    expect(c.out()).toContain("result: OK");
  });

  it("checks a range given with --from and --to", async () => {
    const c = capture();
    expect(await runReplay(deps, WORLD, { from: 30, to: 50, json: true }, c.io)).toBe(EXIT_OK);
    expect(JSON.parse(c.out())).toMatchObject({ ok: true, ticksChecked: 21, ticksRun: 51 });
  });

  it("exits 1 naming the tick, the expected and the actual hash on a mismatch", async () => {
    const record = await deps.journal.getBatch(WORLD, 2);
    if (record === undefined) throw new Error("no record");
    const forged = "cd".repeat(32);
    const journal = new MemoryJournal();
    for (const r of await deps.journal.listBatches(WORLD, 1, BATCHES))
      await journal.putBatch(r.version === 2 ? { ...r, hashes: r.hashes.with(5, forged) } : r);
    const world = await deps.store.getWorld(WORLD);
    await journal.appendEntries(
      WORLD,
      await deps.journal.readEntries(WORLD, 0, world?.ledger.count ?? 0),
      "copy",
    );
    const c = capture();
    expect(await runReplay({ ...deps, journal }, WORLD, { json: false }, c.io)).toBe(
      EXIT_FOUND_PROBLEMS,
    );
    const tick = TICKS_PER_BATCH + 5;
    expect(c.out()).toContain(`result: MISMATCH at tick ${tick}`);
    expect(c.out()).toMatch(new RegExp(`tick\\s+${tick} \\(batch 2\\)`));
    expect(c.out()).toMatch(new RegExp(`expected\\s+${forged}`));
    expect(c.out()).toMatch(new RegExp(`actual\\s+${record.hashes[5]}`));
  });

  it("exits 2 with the world's range for a range it has not run", async () => {
    const c = capture();
    expect(await runReplay(deps, WORLD, { to: 10_000, json: false }, c.io)).toBe(
      EXIT_COULD_NOT_CHECK,
    );
    expect(c.err()).toContain(
      `replay: ticks 0 to 10000 are not within what world ${WORLD} has run: ticks 0 to ${BATCHES * TICKS_PER_BATCH - 1}`,
    );
  });
});

describe("ledgerquest replay's arguments", () => {
  it("refuses --from after --to before reading anything, and says which way round they go", async () => {
    const untouched = new Proxy({} as typeof deps, {
      get: (_, key) => {
        throw new Error(`the replay read deps.${String(key)}`);
      },
    });
    const c = capture();
    expect(await runReplay(untouched, WORLD, { from: 500, to: 100, json: false }, c.io)).toBe(
      EXIT_COULD_NOT_CHECK,
    );
    expect(c.err()).toBe(
      "replay: --from 500 is after --to 100: give the first tick to compare, then the last (--from 100 --to 500?)\n",
    );
    expect(c.out()).toBe("");
  });

  it("names the world as verify does: the local stack's demo by default", () => {
    const program = new Command();
    registerReplay(program);
    const replay = program.commands.find((c) => c.name() === "replay");
    const world = replay?.registeredArguments[0];
    expect(world?.required).toBe(false);
    expect(world?.defaultValue).toBe(DEFAULT_WORLD);
  });
});

describe("over the DynamoDB adapters (DynamoDB Local)", () => {
  it("verifies and replays a world as the local stack and AWS store it", async () => {
    const client = new DynamoDBClient(localClientConfig(inject("dynamodbEndpoint")));
    const doc = documentClient(client);
    const tables = tableNames("verify-");
    await ensureTables(client, tables);
    const dynamo = {
      // Today, not the manual clock's 2023: DynamoDB Local's TTL sweep would delete a connection
      // stamped three hours after a day long past, and the player's later commands with it.
      ...createMemoryDeps(arenaModule, new ManualClock(Date.now())),
      ...dynamoDbStores(doc, tables),
    };
    await playWorld(dynamo);
    const verify = capture();
    expect(await runVerify(dynamo, WORLD, { json: true }, verify.io), verify.err()).toBe(EXIT_OK);
    const report = JSON.parse(verify.out()) as { transfers: number; projectionsChecked: number };
    expect(report.transfers).toBeGreaterThan(0);
    const replay = capture();
    expect(await runReplay(dynamo, WORLD, { json: true }, replay.io), replay.err()).toBe(EXIT_OK);
    expect(JSON.parse(replay.out())).toMatchObject({
      ok: true,
      ticksChecked: BATCHES * TICKS_PER_BATCH,
      commandsApplied: BATCHES,
    });
  });
});

describe("progress without a terminal", () => {
  it("is a line per tenth of the work, and nothing for small work", () => {
    const c = capture();
    const p = startProgress(c.io, undefined, "replay", "ticks", 1000, 100);
    for (let done = 0; done <= 1000; done += 50) p.update(done, 1000);
    p.stop();
    const lines = c.err().trim().split("\n");
    expect(lines).toHaveLength(11);
    expect(lines[3]).toBe("replay: 30% (300/1,000 ticks)");
    expect(lines.at(-1)).toBe("replay: 100% (1,000/1,000 ticks)");
    const quiet = capture();
    startProgress(quiet.io, undefined, "replay", "ticks", 99, 100).update(99, 99);
    expect(quiet.err()).toBe("");
  });
});

describe("the ledgerquest command line", () => {
  const main = resolve(import.meta.dirname, "../src/main.ts");
  const run = (...args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ["--conditions=@ledgerquest/source", "--import", "tsx", main, ...args],
      {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      },
    );
  let empty: string;
  beforeAll(() => {
    empty = mkdtempSync(join(tmpdir(), "lq-verify-"));
  });
  afterAll(() => {
    rmSync(empty, { recursive: true, force: true });
  });

  it("has help for verify and replay", async () => {
    const verify = await run("verify", "--help");
    expect(verify.stdout).toContain("Usage: ledgerquest verify [options] [world]");
    expect(verify.stdout).toContain("--aws");
    expect(verify.stdout).toContain("Exit codes: 0 all good, 1 problems found");
    const replay = await run("replay", "--help");
    expect(replay.stdout).toContain("Usage: ledgerquest replay [options] [world]");
    expect(replay.stdout).toContain("--from <tick>");
  });

  it("says how to start a local stack when none is running, and exits 2", async () => {
    const failed = await run("verify", "--data-dir", empty).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain("verify: no local stack is running");
    expect(failed?.stderr).toContain("start one with `npm start`");
  });
});
