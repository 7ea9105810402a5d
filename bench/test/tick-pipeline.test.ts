// The tick-pipeline benchmark in a tiny configuration against the test run's DynamoDB Local: the
// counts must agree with each other (every command applied exactly once, writes counted, costs
// finite). Timings are never asserted: speed is read from `npm run bench`.
import { describe, expect, inject, it } from "vitest";
import {
  itemBytes,
  parseOptionOverrides,
  runTickPipeline,
  transitionsPerLap,
} from "../src/suites/tick-pipeline.js";

describe("tick-pipeline benchmark", () => {
  it("applies every command the players sent exactly once, and counts what the batches wrote", async () => {
    const r = await runTickPipeline({
      endpoint: inject("dynamodbEndpoint"),
      bodies: 30,
      players: 4,
      bots: 0,
      coins: 10,
      warmupBatches: 1,
      batches: 2,
      ticksPerBatch: 30,
      naiveBatches: 2,
      commandIntervalMs: 20,
      commandsPerPlayerMax: 12,
      inboxShards: 2,
      lambdaMemoryMb: 1024,
    });

    const p = r.players;
    expect(p.submitted).toBeGreaterThan(0);
    expect(p.submitted).toBeLessThanOrEqual(4 * 12);
    expect(p.rejected).toEqual({});
    expect(p.failed).toEqual([]);
    const v = r.verification;
    expect(v.stored).toBe(p.submitted);
    expect(v.drainedOnce).toBe(v.stored);
    expect(v.drainedTwice).toBe(0);
    expect(v.missing).toBe(0);
    expect(v.unexpected).toBe(0);
    expect(v.applied).toBe(v.stored);
    const applied = [...r.warmup, ...r.batches, ...r.naive, r.settle].reduce(
      (s, b) => s + b.commandsApplied,
      0,
    );
    expect(applied).toBe(v.stored);

    expect(r.batches).toHaveLength(2);
    expect(r.naive).toHaveLength(2);
    for (const b of [...r.batches, ...r.naive]) {
      const d = b.dynamodb;
      expect(d.writeRequests).toBeGreaterThan(0);
      expect(d.writeItems).toBeGreaterThanOrEqual(d.writeRequests);
      expect(d.wru).toBeGreaterThanOrEqual(d.writeItems);
      expect(d.readRequests).toBeGreaterThan(0);
      const byCommand = Object.values(d.byCommand);
      expect(byCommand.reduce((s, t) => s + t.requests, 0)).toBe(d.writeRequests + d.readRequests);
      // The batch record and the world's compare-and-set are written every batch.
      expect(d.byCommand.PutItemCommand?.requests).toBeGreaterThanOrEqual(2);
      expect(b.batchRecordBytes).toBeGreaterThan(0);
      expect(b.worldItemBytes).toBeGreaterThan(b.batchRecordBytes / 100);
      expect(b.pushed).toBe(4);
      expect(b.events).toBeGreaterThanOrEqual(1);
    }
    expect(r.batches.every((b) => b.ticks === 30)).toBe(true);
    expect(r.naive.every((b) => b.ticks === 1)).toBe(true);
    // The command path wrote too, on its own client.
    expect(p.dynamodb.writeRequests).toBeGreaterThanOrEqual(p.submitted);

    const c = r.cost;
    expect(c.transitionsPerLap).toBe(4);
    for (const d of [c.batched, c.perTick, c.perTickMeasured]) {
      expect(Number.isFinite(d.totalUsd)).toBe(true);
      expect(d.totalUsd).toBeGreaterThan(0);
      for (const l of d.lines) expect(Number.isFinite(l.usd) && l.usd >= 0).toBe(true);
    }
    expect(c.batched.invocations).toBeCloseTo(1_000_000 / 30);
    expect(c.perTick.invocations).toBe(1_000_000);
    expect(c.batched.totalUsd).toBeLessThan(c.perTick.totalUsd);
    expect(c.batched.totalUsd).toBeLessThan(c.perTickMeasured.totalUsd);
    expect(c.ratio).toBeGreaterThan(1);
  });

  it("counts the game loop's lap from its ASL: Tick, Count, Continue?, Wait", () => {
    expect(transitionsPerLap()).toBe(4);
  });

  it("sizes items by DynamoDB's rules: names, values, 3 bytes a list or map and 1 a member", () => {
    // pk: 2+2; n: 1 + (5 digits: 3+1); b: 1+10; l: 1 + 3 + (1+2) + (1+1); m: 1 + 3 + (1+1+1)
    expect(
      itemBytes({ pk: "ab", n: 12345, b: new Uint8Array(10), l: [1, "x"], m: { a: true } }),
    ).toBe(4 + 5 + 11 + 9 + 7);
    expect(itemBytes({ gone: undefined, s: "é" })).toBe(1 + 2);
  });

  it("takes counts from LQ_TICK_PIPELINE and refuses unknown keys and bad counts", () => {
    expect(parseOptionOverrides("batches=3, players=50")).toEqual({ batches: 3, players: 50 });
    expect(parseOptionOverrides("")).toEqual({});
    expect(() => parseOptionOverrides("batchez=3")).toThrow(/unknown tick-pipeline option/);
    expect(() => parseOptionOverrides("batches=-1")).toThrow(/whole number/);
    expect(() => parseOptionOverrides("endpoint=1")).toThrow(/unknown/);
  });
});
