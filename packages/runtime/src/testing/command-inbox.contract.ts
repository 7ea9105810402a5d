/**
 * The contract of the command inbox port: every adapter (memory, DynamoDB) passes this suite.
 * Its tests start alike (a harness, a world of their own), as entity-store.contract.ts's do.
 */
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../errors.js";
import { type CommandInbox, compareInboxOrder, type NewCommand } from "../ports/command-inbox.js";
import { uniqueId } from "./entity-store.contract.js";

export interface CommandInboxHarness {
  readonly inbox: CommandInbox;
  readonly cleanup?: () => Promise<void>;
}

const cmd = (
  worldId: string,
  playerId: string,
  commandId: string,
  nowMs: number,
  shard = 0,
): NewCommand => ({
  worldId,
  shard,
  playerId,
  commandId,
  type: "move",
  data: { dx: 1, dy: -0.5, note: "ü✓", list: [1, null, true] },
  nowMs,
});

export function describeCommandInboxContract(
  name: string,
  setup: () => Promise<CommandInboxHarness>,
): void {
  describe(`CommandInbox contract: ${name}`, () => {
    it("accepts a command once per command id; a replay is a duplicate and stores nothing", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 2, 1000);
      expect(await inbox.submit(cmd(w, "p1", "c1", 2000))).toEqual({
        result: "accepted",
        arrivedMs: 2000,
      });
      expect(await inbox.submit({ ...cmd(w, "p1", "c1", 2100), type: "other" })).toEqual({
        result: "duplicate",
      });
      // The same command id from another player is another command.
      expect((await inbox.submit(cmd(w, "p2", "c1", 2000))).result).toBe("accepted");
      const read = await inbox.read(w, 0, 1000, 3000);
      expect(read.map((c) => [c.playerId, c.commandId, c.type])).toEqual([
        ["p1", "c1", "move"],
        ["p2", "c1", "move"],
      ]);
      expect(read[0]).toEqual({
        worldId: w,
        shard: 0,
        arrivedMs: 2000,
        playerId: "p1",
        commandId: "c1",
        type: "move",
        data: { dx: 1, dy: -0.5, note: "ü✓", list: [1, null, true] },
      });
      await cleanup?.();
    });

    it("reads a half-open range (after, upTo] in arrival order, per shard", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 2, 1000);
      await inbox.submit(cmd(w, "p1", "a", 1300));
      await inbox.submit(cmd(w, "p1", "b", 1100));
      await inbox.submit(cmd(w, "p1", "c", 1200));
      await inbox.submit(cmd(w, "p9", "d", 1200, 1));
      expect((await inbox.read(w, 0, 1000, 2000)).map((c) => c.commandId)).toEqual(["b", "c", "a"]);
      expect((await inbox.read(w, 0, 1100, 1200)).map((c) => c.commandId)).toEqual(["c"]);
      expect((await inbox.read(w, 1, 1000, 2000)).map((c) => c.commandId)).toEqual(["d"]);
      await cleanup?.();
    });

    it("a command arriving at or below the watermark is moved above it, never lost behind it", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 1, 1000);
      expect(await inbox.close(w, 0, 5000)).toBe(5000);
      // A submitter whose clock is behind: its command lands just above the watermark.
      const r = await inbox.submit(cmd(w, "p1", "late", 4000));
      expect(r).toEqual({ result: "accepted", arrivedMs: 5001 });
      expect(await inbox.read(w, 0, 1000, 5000)).toEqual([]);
      expect((await inbox.read(w, 0, 5000, 6000)).map((c) => c.commandId)).toEqual(["late"]);
      await cleanup?.();
    });

    it("watermarks only rise", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 1, 1000);
      expect(await inbox.close(w, 0, 3000)).toBe(3000);
      expect(await inbox.close(w, 0, 2000)).toBe(3000);
      await inbox.openWorld(w, 1, 1000); // idempotent: does not reset the watermark
      expect(await inbox.close(w, 0, 2500)).toBe(3000);
      await cleanup?.();
    });

    it("no command is lost between a drain and writes racing it", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 1, 0);
      let clock = 1000;
      const submitted: string[] = [];
      const drained: string[] = [];
      let cursor = 0;
      const writers = Array.from({ length: 4 }, async (_, p) => {
        for (let i = 0; i < 15; i++) {
          const id = `p${p}-${i}`;
          // Stale clocks on purpose: each writer's idea of now lags behind.
          const r = await inbox.submit(cmd(w, `p${p}`, id, clock - 50 * p));
          if (r.result === "accepted") submitted.push(id);
        }
      });
      const drainer = (async () => {
        for (let i = 0; i < 12; i++) {
          clock += 10;
          const wm = await inbox.close(w, 0, clock);
          for (const c of await inbox.read(w, 0, cursor, wm)) drained.push(c.commandId);
          cursor = wm;
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      await Promise.all([...writers, drainer]);
      const wm = await inbox.close(w, 0, clock + 1_000_000);
      for (const c of await inbox.read(w, 0, cursor, wm)) drained.push(c.commandId);
      expect(submitted).toHaveLength(60);
      expect([...drained].sort()).toEqual([...submitted].sort());
      expect(new Set(drained).size).toBe(drained.length);
      await cleanup?.();
    });

    it("many submits at once, ids sent twice among them, while drains race: each id stored once", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 2, 0);
      let clock = 1000;
      let cursors = [0, 0];
      const drained: string[] = [];
      const drain = async () => {
        clock += 5;
        const next = [...cursors];
        for (const shard of [0, 1]) {
          const wm = await inbox.close(w, shard, clock);
          for (const c of await inbox.read(w, shard, cursors[shard] ?? 0, wm))
            drained.push(`${c.playerId}/${c.commandId}`);
          next[shard] = wm;
        }
        cursors = next;
      };
      // 30 players send 8 commands each, all at once; every fourth one goes twice, concurrently.
      const sends = Array.from({ length: 30 }, (_, p) =>
        Array.from({ length: 8 }, (_, i) => {
          const c = cmd(w, `p${p}`, `c${i}`, clock, p % 2);
          return i % 4 === 0 ? [c, { ...c, data: "second" }] : [c];
        }).flat(),
      ).flat();
      const drains = (async () => {
        for (let i = 0; i < 6; i++) {
          await drain();
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
      const results = await Promise.all(sends.map((c) => inbox.submit(c)));
      await drains;
      clock += 1_000_000;
      await drain();
      const accepted = new Map<string, number>();
      let duplicates = 0;
      for (const [i, r] of results.entries()) {
        const c = sends[i] as NewCommand;
        if (r.result === "accepted") {
          const id = `${c.playerId}/${c.commandId}`;
          accepted.set(id, (accepted.get(id) ?? 0) + 1);
        } else {
          expect(r.result).toBe("duplicate");
          duplicates++;
        }
      }
      expect(accepted.size).toBe(240);
      expect([...accepted.values()].every((n) => n === 1)).toBe(true);
      expect(duplicates).toBe(60);
      expect([...drained].sort()).toEqual([...accepted.keys()].sort());
      await cleanup?.();
    });

    it("submits sent at once: each arrives no earlier than sent, is read once in (arrival, player, id) order, and a limit takes a prefix of that order", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 1, 1000);
      // 40 commands of 20 players at once, sent at four times: an adapter may store them in
      // groups that arrive together; the order a read gives must not depend on that.
      const sends = Array.from({ length: 40 }, (_, i) =>
        cmd(w, `p${(i * 7) % 20}`, `c${i}`, 1001 + (i % 4)),
      );
      const results = await Promise.all(sends.map((c) => inbox.submit(c)));
      const arrival = new Map<string, number>();
      for (const [i, r] of results.entries()) {
        const c = sends[i] as NewCommand;
        expect(r.result).toBe("accepted");
        if (r.result !== "accepted") continue;
        expect(r.arrivedMs).toBeGreaterThanOrEqual(c.nowMs);
        arrival.set(`${c.playerId}/${c.commandId}`, r.arrivedMs);
      }
      const all = await inbox.read(w, 0, 1000, Number.MAX_SAFE_INTEGER);
      expect(all).toHaveLength(40);
      for (const c of all) expect(c.arrivedMs).toBe(arrival.get(`${c.playerId}/${c.commandId}`));
      const key = (c: { arrivedMs: number; playerId: string; commandId: string }) =>
        `${c.arrivedMs}/${c.playerId}/${c.commandId}`;
      const order = [...all].sort(compareInboxOrder);
      const keys = all.map(key);
      expect(keys).toEqual(order.map(key));
      expect(new Set(keys).size).toBe(40);
      for (const limit of [1, 5, 13, 39, 40]) {
        expect((await inbox.read(w, 0, 1000, Number.MAX_SAFE_INTEGER, limit)).map(key)).toEqual(
          keys.slice(0, limit),
        );
      }
      await cleanup?.();
    });

    it("a closed world refuses commands, storing nothing and using no command id, until reopened", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 2, 1000);
      await inbox.setAccepting(w, 2, false);
      expect(await inbox.submit(cmd(w, "p1", "c1", 2000))).toEqual({ result: "closed" });
      expect(await inbox.submit(cmd(w, "p2", "c1", 2000, 1))).toEqual({ result: "closed" });
      expect(await inbox.read(w, 0, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
      await inbox.setAccepting(w, 2, true);
      // The id was not spent by the refused submit.
      expect((await inbox.submit(cmd(w, "p1", "c1", 2000))).result).toBe("accepted");
      await expect(inbox.setAccepting(uniqueId("w"), 1, false)).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await cleanup?.();
    });

    it("a submit whose deadline passed is busy, storing nothing and using no command id", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 1, 1000);
      expect(await inbox.submit({ ...cmd(w, "p1", "c1", 2000), deadlineMs: 1999 })).toEqual({
        result: "busy",
      });
      expect(await inbox.read(w, 0, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
      expect(
        (await inbox.submit({ ...cmd(w, "p1", "c1", 2000), deadlineMs: 2000 + 60_000 })).result,
      ).toBe("accepted");
      await cleanup?.();
    });

    it("a command accepted before the world closed is a duplicate when resent after", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 1, 1000);
      expect((await inbox.submit(cmd(w, "p1", "c1", 2000))).result).toBe("accepted");
      await inbox.setAccepting(w, 1, false);
      expect(await inbox.submit(cmd(w, "p1", "c1", 2100))).toEqual({ result: "duplicate" });
      expect(await inbox.submit(cmd(w, "p1", "c2", 2100))).toEqual({ result: "closed" });
      await cleanup?.();
    });

    it("reads at most `limit` commands, the first in arrival order", async () => {
      const { inbox, cleanup } = await setup();
      const w = uniqueId("w");
      await inbox.openWorld(w, 1, 1000);
      for (let i = 0; i < 7; i++) await inbox.submit(cmd(w, "p1", `c${i}`, 1001 + i));
      const three = await inbox.read(w, 0, 1000, 5000, 3);
      expect(three.map((c) => c.commandId)).toEqual(["c0", "c1", "c2"]);
      expect(await inbox.read(w, 0, 1000, 5000, 0)).toEqual([]);
      expect(await inbox.read(w, 0, 1000, 5000, 100)).toHaveLength(7);
      await cleanup?.();
    });

    it("refuses a world that was never opened with NotFoundError", async () => {
      const { inbox, cleanup } = await setup();
      await expect(inbox.submit(cmd(uniqueId("w"), "p1", "c", 1))).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await cleanup?.();
    });
  });
}
