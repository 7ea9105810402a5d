// `ledgerquest invoke`: every handler run once on its sample event against a real local stack
// (DynamoDB Local, the emulators, the dev identity provider), through the command as a user
// types it; the response alone on stdout, the logs and the REPORT line on stderr; failures with
// exit code 1 and a message saying what to do; and a stack of the invocation's own (--in-process).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { arenaModule } from "@ledgerquest/example-arena";
import { type LocalStack, startLocalStack } from "@ledgerquest/local";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerInvoke } from "../src/commands/invoke.js";
import { seedWorlds } from "../src/commands/seed.js";
import { readEvent } from "../src/invoke/run.js";
import { INVOKABLE_HANDLERS } from "../src/invoke/samples.js";
import { useConfigOption } from "../src/project.js";
import { writeLocalTarget } from "../src/target.js";

const CONFIG = fileURLToPath(
  new URL("../../../examples/arena/ledgerquest.config.ts", import.meta.url),
);
// Alike: bots.test.ts's and cost.test.ts's stacks (the arena in memory; each file starts its own).
let stack: LocalStack;
let dataDir: string;
let files: string;

beforeAll(async () => {
  stack = await startLocalStack({
    game: arenaModule,
    inMemory: true,
    ticksPerBatch: 30,
    waitSeconds: 0,
    log: () => undefined,
  });
  await seedWorlds(stack.runtimeDeps(), { worlds: [{ worldId: "demo", players: 2 }] });
  dataDir = mkdtempSync(join(tmpdir(), "lq-invoke-"));
  files = mkdtempSync(join(tmpdir(), "lq-invoke-events-"));
  writeLocalTarget(dataDir, {
    env: stack.env,
    websocket: stack.endpoints.websocket,
    idp: stack.endpoints.idp,
    pid: process.pid,
  });
  useConfigOption(CONFIG);
}, 120_000);

afterAll(async () => {
  useConfigOption(undefined);
  await stack?.stop();
  for (const dir of [dataDir, files]) if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly out: string;
  readonly err: string;
  readonly exitCode: number;
}

/** `ledgerquest invoke ...args`, its stdout and stderr captured. */
async function invoke(...args: string[]): Promise<Run> {
  let out = "";
  let err = "";
  const outSpy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const errSpy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = 0;
  try {
    const program = new Command().exitOverride();
    registerInvoke(program);
    await program.parseAsync(["invoke", ...args], { from: "user" });
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, exitCode };
}

/** The sample of `handler`, written to a file; returns the file and the event. */
async function sample(handler: string): Promise<{ file: string; event: Record<string, unknown> }> {
  const run = await invoke(handler, "--sample", "--data-dir", dataDir);
  expect(run.exitCode, run.err).toBe(0);
  const file = join(files, `${handler}.json`);
  writeFileSync(file, run.out);
  return { file, event: JSON.parse(run.out) as Record<string, unknown> };
}

/** Invokes `handler` on its sample; the response (stdout, JSON) and stderr. */
async function invokeSample(handler: string): Promise<{ response: unknown; err: string }> {
  const { file } = await sample(handler);
  const run = await invoke(handler, "--event", file, "--data-dir", dataDir);
  expect(run.exitCode, run.err).toBe(0);
  expect(run.err).toMatch(/REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\t.*Status: ok/);
  return { response: JSON.parse(run.out) as unknown, err: run.err };
}

function body(response: unknown): Record<string, unknown> {
  return JSON.parse(String((response as { body?: string }).body)) as Record<string, unknown>;
}

describe("ledgerquest invoke", () => {
  it("prints a ready sample for every handler, filled from the running stack", async () => {
    for (const handler of INVOKABLE_HANDLERS) {
      const { event } = await sample(handler);
      expect(event, handler).toBeTypeOf("object");
    }
    const authorizer = (await sample("authorizer")).event as {
      queryStringParameters: { token: string; world: string };
    };
    expect(authorizer.queryStringParameters.world).toBe("demo");
    expect(authorizer.queryStringParameters.token.split(".")).toHaveLength(3);
    const stream = (await sample("audit-stream")).event as {
      Records: { eventName: string; dynamodb: { Keys: { pk: { S: string } } } }[];
    };
    expect(stream.Records[0]?.eventName).toBe("INSERT");
    expect(stream.Records[0]?.dynamodb.Keys.pk.S).toMatch(/^journal#demo#/);
  });

  it("runs a player's connection through connect, command, query and disconnect", async () => {
    const connected = await invokeSample("connect");
    expect(body(connected.response)).toMatchObject({ type: "connected", worldId: "demo" });
    // The game's first command, with data from its schema: accepted, not refused.
    const command = await invokeSample("command");
    expect(body(command.response)).toMatchObject({ type: "ack", result: "accepted" });
    const query = await invokeSample("query");
    expect(body(query.response)).toMatchObject({ type: "result", query: "state" });
    expect(body(query.response).data).toMatchObject({ worldId: "demo" });
    const gone = await invokeSample("disconnect");
    expect(gone.response).toMatchObject({ statusCode: 200 });
  });

  it("runs the authorizer, the stream verifier, the supervisor and a tick, with their logs", async () => {
    const allowed = await invokeSample("authorizer");
    expect(allowed.response).toMatchObject({
      principalId: "player_0001",
      policyDocument: { Statement: [{ Effect: "Allow" }] },
    });
    const verified = await invokeSample("audit-stream");
    expect(verified.response).toEqual({ batchItemFailures: [] });
    const supervised = await invokeSample("supervisor");
    expect(supervised.response).toMatchObject({ checked: 1, failures: [] });
    expect(supervised.err).toContain('"message":"supervised game loops"');
    // The world's own loop owns it: a second loop's lap ends, and says why in its log.
    const tick = await invokeSample("tick");
    expect(tick.response).toMatchObject({ worldId: "demo", active: false });
    expect(tick.err).toContain("another loop owns this world");
  });

  it("reports a handler that threw as Lambda does, with exit code 1", async () => {
    const file = join(files, "bad-tick.json");
    writeFileSync(file, JSON.stringify({ worldId: "demo" }));
    const run = await invoke("tick", "--event", file, "--data-dir", dataDir);
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.out)).toMatchObject({ errorType: "InvalidTickInputError" });
    expect(run.err).toContain("Status: error");
  });

  it("says what to do when the handler, the event or the stack is missing", async () => {
    const unknown = await invoke("ticks", "--sample");
    expect(unknown.exitCode).toBe(1);
    expect(unknown.err).toContain('no handler "ticks": the handlers are authorizer, connect');
    const noEvent = await invoke("tick", "--data-dir", dataDir);
    expect(noEvent.err).toContain("give the event: --event <file>");
    const missing = await invoke(
      "tick",
      "--event",
      join(files, "nope.json"),
      "--data-dir",
      dataDir,
    );
    expect(missing.err).toContain("cannot read the event file");
    expect(missing.err).toContain("ENOENT");
    const notJson = join(files, "not.json");
    writeFileSync(notJson, "{ worldId: demo");
    expect((await invoke("tick", "--event", notJson, "--data-dir", dataDir)).err).toContain(
      "is not JSON",
    );
    const event = join(files, "tick-event.json");
    writeFileSync(
      event,
      JSON.stringify({ worldId: "demo", iteration: 0, executionName: "x", predecessor: "" }),
    );
    const noStack = await invoke("tick", "--event", event, "--data-dir", join(files, "none"));
    expect(noStack.exitCode).toBe(1);
    expect(noStack.err).toContain("no local stack is running");
    expect(() => readEvent("-", () => '{"worldId":"demo"}')).not.toThrow();
    expect(readEvent("-", () => '{"worldId":"demo"}')).toEqual({ worldId: "demo" });
  });

  it("starts a stack of its own with --in-process, and stops it", async () => {
    const { file } = await sample("supervisor");
    const run = await invoke("supervisor", "--event", file, "--in-process", "--log-level", "warn");
    expect(run.exitCode, run.err).toBe(0);
    // The project's worlds, seeded into the fresh stack; stdout holds the response only.
    expect(JSON.parse(run.out)).toMatchObject({ checked: 1, failures: [] });
    expect(run.err).toContain("starting a local stack for this invocation");
    expect(run.err).toContain("stopped DynamoDB Local");
  });
});
