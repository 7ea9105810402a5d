/**
 * The one contract test suite of the `WorkflowStarter` port. Every adapter (memory, Step
 * Functions) registers it from its own test file:
 *
 * ```ts
 * describeWorkflowStarterContract("memory", async () => {
 *   const starter = new MemoryWorkflowStarter();
 *   return { starter, executions: () => starter.executions(), finish: (n) => starter.finish(n) };
 * });
 * ```
 *
 * The rules are Step Functions' for a standard workflow, which the game loop is: a name starts at
 * most one execution; a repeat with the same input while it runs is a retry of the same start and
 * answered `started` (AWS answers it as it answered the first); a repeat with another input, or
 * after the execution finished, is `exists`. Either way there is never a second loop.
 */
import { describe, expect, it } from "vitest";
import { RuntimeError } from "../errors.js";
import type { WorkflowStarter } from "../ports/workflow-starter.js";
import { harnessPerTest } from "./harness.js";

export interface WorkflowStarterHarness {
  readonly starter: WorkflowStarter;
  /**
   * The executions that exist on the other side, in start order, with their input as it arrived
   * (parsed from its JSON). Names are the service's, which an adapter may derive from the name it
   * was given, so the suite compares inputs and counts, not names.
   */
  executions(): readonly { readonly input: unknown }[];
  /** Ends the execution that `start(name, …)` started, as when the loop stops. */
  finish(name: string): void;
  readonly cleanup?: () => Promise<void>;
}

/** Step Functions' limit on an execution's input, which every adapter keeps. */
const INPUT_LIMIT_BYTES = 256 * 1024;

const loopInput = (worldId: string, extra: { readonly [key: string]: unknown } = {}) => ({
  worldId,
  iteration: 0,
  ...extra,
});

// Alike: the heads of blob-store.contract.ts, client-push.contract.ts, event-publisher.contract.ts
// and workflow-starter.contract.ts (a describe over a fresh harness per test, harness.ts's).
export function describeWorkflowStarterContract(
  name: string,
  setup: () => Promise<WorkflowStarterHarness>,
): void {
  describe(`WorkflowStarter contract: ${name}`, () => {
    let h: WorkflowStarterHarness;
    harnessPerTest(setup, (harness) => {
      h = harness;
    });

    const inputs = () => h.executions().map((e) => e.input);

    it("starts an execution that receives its input as given", async () => {
      const input = {
        worldId: "world-1",
        iteration: 0,
        note: "Zoë ✓ 日本語 🎮",
        nested: { list: [1, 2.5, -3, null, true, "x"], empty: {}, none: [] },
        big: 9_007_199_254_740_991,
      };
      expect(await h.starter.start("loop-world-1-g1", input)).toBe("started");
      expect(inputs()).toEqual([input]);
    });

    it("answers exists to the same name with another input, and the first execution stands", async () => {
      expect(await h.starter.start("loop-world-1-g1", loopInput("world-1"))).toBe("started");
      expect(await h.starter.start("loop-world-1-g1", loopInput("world-1", { iteration: 5 }))).toBe(
        "exists",
      );
      expect(inputs()).toEqual([loopInput("world-1")]);
    });

    it("answers a repeat with the same input as the first start while it runs, starting nothing more", async () => {
      expect(await h.starter.start("loop-world-1-g1", loopInput("world-1"))).toBe("started");
      expect(await h.starter.start("loop-world-1-g1", loopInput("world-1"))).toBe("started");
      expect(inputs()).toEqual([loopInput("world-1")]);
    });

    it("answers exists to any start under the name of a finished execution", async () => {
      expect(await h.starter.start("loop-world-1-g1", loopInput("world-1"))).toBe("started");
      h.finish("loop-world-1-g1");
      expect(await h.starter.start("loop-world-1-g1", loopInput("world-1"))).toBe("exists");
      expect(await h.starter.start("loop-world-1-g1", loopInput("world-1", { iteration: 1 }))).toBe(
        "exists",
      );
      expect(inputs()).toEqual([loopInput("world-1")]);
    });

    it("starts one execution per name, however alike the names look", async () => {
      // Names that differ only in characters Step Functions does not allow in a name, in case,
      // or in length: an adapter that maps names must keep them apart.
      const names = [
        "world:1/a",
        "world_1_a",
        "world-1-a",
        "World:1/a",
        "w".repeat(200),
        `${"w".repeat(199)}x`,
      ];
      for (const [i, n] of names.entries()) {
        expect(await h.starter.start(n, loopInput(`world-${i}`)), n).toBe("started");
      }
      expect(inputs()).toEqual(names.map((_, i) => loopInput(`world-${i}`)));
      // And each maps to the same execution every time.
      for (const [i, n] of names.entries()) {
        expect(await h.starter.start(n, loopInput(`world-${i}`)), n).toBe("started");
        expect(await h.starter.start(n, loopInput("another")), n).toBe("exists");
      }
      expect(h.executions()).toHaveLength(names.length);
    });

    it("lists the running executions by name, and not the finished ones", async () => {
      expect(await h.starter.running()).toEqual([]);
      await h.starter.start("loop-a--m1", loopInput("a"));
      await h.starter.start("loop-b--m1", loopInput("b"));
      await h.starter.start("loop-c--m1", loopInput("c"));
      h.finish("loop-b--m1");
      expect([...(await h.starter.running())].sort()).toEqual(["loop-a--m1", "loop-c--m1"]);
    });

    it("starts one execution when the same start races itself", async () => {
      const same = await Promise.all(
        Array.from({ length: 5 }, () => h.starter.start("loop-world-2-g1", loopInput("world-2"))),
      );
      expect(same).toEqual(["started", "started", "started", "started", "started"]);
      const rivals = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          h.starter.start("loop-world-3-g1", loopInput("world-3", { rival: i })),
        ),
      );
      expect(rivals.filter((r) => r === "started")).toHaveLength(1);
      expect(rivals.filter((r) => r === "exists")).toHaveLength(4);
      expect(h.executions()).toHaveLength(2);
    });

    it("accepts an input up to 256 KB of JSON and refuses a larger one with a RuntimeError, starting nothing", async () => {
      const frame = JSON.stringify(loopInput("world-1", { pad: "" })).length;
      const fits = loopInput("world-1", { pad: "a".repeat(INPUT_LIMIT_BYTES - frame) });
      expect(new TextEncoder().encode(JSON.stringify(fits)).length).toBe(INPUT_LIMIT_BYTES);
      const tooBig = loopInput("world-2", { pad: `${"a".repeat(INPUT_LIMIT_BYTES - frame - 1)}é` });

      await expect(h.starter.start("loop-too-big", tooBig)).rejects.toBeInstanceOf(RuntimeError);
      expect(h.executions()).toEqual([]);
      expect(await h.starter.start("loop-fits", fits)).toBe("started");
      expect(inputs()).toEqual([fits]);
    });

    it("refuses an empty name with a RuntimeError, starting nothing", async () => {
      await expect(h.starter.start("", loopInput("world-1"))).rejects.toBeInstanceOf(RuntimeError);
      expect(h.executions()).toEqual([]);
    });
  });
}
