/**
 * The saved Logs Insights queries (`LOG_QUERIES`) against the lines the handlers really print:
 * each query filters on messages the handlers log (the `LogMessage` constants), and every field it
 * relies on is on those lines, as Powertools writes them (JSON, one object a line).
 */
import { randomUUID } from "node:crypto";
import { arenaModule } from "@ledgerquest/example-arena";
import { createMemoryDeps, createWorld, type RuntimeDeps } from "@ledgerquest/runtime";
import type { Context } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handleCommand } from "../src/handlers/command.js";
import { createTickHandler, type TickSettings } from "../src/handlers/tick.js";
import { LOG_QUERIES, LogMessage } from "../src/log-queries.js";

type LogRecord = Record<string, unknown>;

// Alike: authorizer.test.ts's "the Lambda handler" capture (the same spies on Powertools' output).
let output: string[];

beforeEach(() => {
  output = [];
  const capture = (chunk: string | Uint8Array) => {
    output.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
});

function records(): LogRecord[] {
  return output
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogRecord);
}

/** A field of a record by its Logs Insights name (`clock.behindMsMax`: nested). */
function fieldOf(record: LogRecord, name: string): unknown {
  let value: unknown = record;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as LogRecord)[part];
  }
  return value;
}

/** The quoted strings of a query: the messages it filters on, and literal values. */
function literalsOf(query: string): string[] {
  return [...query.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
}

const context = (name: string): Context =>
  ({
    functionName: `ledgerquest-test-${name}`,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:ledgerquest-test-${name}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 60_000,
  }) as Context;

const PLAYERS = ["player_0001", "player_0002"];

async function newWorld(deps: RuntimeDeps): Promise<string> {
  const worldId = `w-${randomUUID().slice(0, 8)}`;
  await createWorld(deps, {
    worldId,
    players: PLAYERS,
    settings: { bodies: 4, bots: 1, coins: 3 },
  });
  return worldId;
}

const paced: TickSettings = {
  maxTicks: 30,
  waitSeconds: 0,
  deadlineMarginMs: 2_000,
  pace: "realtime",
};

/** Runs the handlers so that every line the queries filter on is printed once at least. */
async function printEveryQueriedLine(): Promise<LogRecord[]> {
  const deps = createMemoryDeps(arenaModule);
  const worldId = await newWorld(deps);
  const tick = createTickHandler(() => ({ deps, settings: paced }));
  await tick({ worldId, iteration: 1, executionName: "exec-a" }, context("tick"));
  // Down for a minute: the next lap gives the gap up, and says how far behind it was.
  deps.clock.advance(60_000);
  await tick({ worldId, iteration: 2, executionName: "exec-a" }, context("tick"));
  // A second loop while the first owns the world: it ends.
  await tick({ worldId, iteration: 1, executionName: "exec-b" }, context("tick"));
  // A rival moved the world while this batch committed.
  vi.spyOn(deps.store, "commitWorld").mockResolvedValueOnce("conflict");
  await expect(
    tick({ worldId, iteration: 3, executionName: "exec-a" }, context("tick")),
  ).rejects.toMatchObject({ name: "CommitConflictError" });
  // A command refused at the boundary.
  await handleCommand(deps, {
    requestContext: {
      routeKey: "command",
      connectionId: "conn-1=",
      requestId: "req-1",
      authorizer: { principalId: "player_0001", playerId: "player_0001" },
    },
    body: JSON.stringify({ action: "command", id: "c-1", type: "no_such_command", data: {} }),
    isBase64Encoded: false,
  } as unknown as Parameters<typeof handleCommand>[1]);
  return records();
}

describe("saved Logs Insights queries", () => {
  it("filter on the handlers' own messages and name fields they use", () => {
    const messages = new Set<string>(Object.values(LogMessage));
    expect(LOG_QUERIES.length).toBeGreaterThanOrEqual(6);
    for (const q of LOG_QUERIES) {
      const literals = literalsOf(q.query).filter((s) => s !== "ERROR");
      for (const literal of literals) expect(messages, `${q.id}: "${literal}"`).toContain(literal);
      for (const field of q.fields) expect(q.query, `${q.id} names ${field}`).toContain(field);
      expect(new Set(LOG_QUERIES.map((x) => x.id)).size).toBe(LOG_QUERIES.length);
    }
  });

  it("find every field they rely on in the lines the tick and command handlers print", async () => {
    const printed = await printEveryQueriedLine();
    const queried = LOG_QUERIES.filter(
      (q) => q.handlers.includes("tick") || q.id === "RejectedCommandsByCode",
    );
    for (const q of queried) {
      if (q.id === "ErrorsByFunction") continue;
      const wanted = new Set(literalsOf(q.query));
      const lines = printed.filter((r) => wanted.has(String(r.message)));
      expect(lines.length, `${q.id}: lines printed`).toBeGreaterThan(0);
      for (const field of q.fields) {
        expect(
          lines.some((r) => fieldOf(r, field) !== undefined),
          `${q.id}: field ${field} on a line of ${[...wanted].join(" / ")}`,
        ).toBe(true);
      }
    }
    // The lag the query charts is real: the lap after the gap was behind and gave time up.
    const laps = printed.filter((r) => r.message === LogMessage.TickBatchCommitted);
    expect(laps.map((r) => fieldOf(r, "worldId"))).toEqual([laps[0]?.worldId, laps[0]?.worldId]);
    expect(Number(fieldOf(laps[1] as LogRecord, "clock.skippedMs"))).toBeGreaterThan(0);
    expect(Number(fieldOf(laps[1] as LogRecord, "clock.behindMsMax"))).toBeGreaterThan(0);
    const rejected = printed.find((r) => r.message === LogMessage.CommandRejected);
    expect(rejected).toMatchObject({ code: "unknown_command", playerId: "player_0001" });
    const errors = printed.filter((r) => r.level === "ERROR");
    expect(errors).toEqual([]);
  });
});
