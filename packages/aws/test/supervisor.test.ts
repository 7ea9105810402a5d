// The loop supervisor's handler: which worlds each EventBridge event asks about, and the whole
// handler over a memory store and the local Step Functions of @ledgerquest/emulators (names and
// inputs as AWS would get them; executions listed and described as it answers).
// Tests here build their handler's deps alike, each written out to read alone.
import { SFNClient } from "@aws-sdk/client-sfn";
import {
  type LocalStateMachine,
  type RunningLocalStepFunctions,
  startLocalStepFunctions,
} from "@ledgerquest/emulators";
import {
  createDomainEvent,
  EXECUTION_STATUS_CHANGE,
  loopNamePrefix,
  ManualClock,
  MemoryEntityStore,
  toPutEventsEntry,
} from "@ledgerquest/runtime";
import { sampleWorld } from "@ledgerquest/runtime/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StepFunctionsWorkflowStarter } from "../src/adapters/sfn-workflow-starter.js";
import {
  handleSupervisorEvent,
  InvalidSupervisorEventError,
  worldsOfSupervisorEvent,
} from "../src/handlers/supervisor.js";

const LOOP = "ledgerquest-beta-game-loop";
const ARN = `arn:aws:states:us-east-1:123456789012:stateMachine:${LOOP}`;
/** Executions that hold (an hour's Wait) until the emulator closes: running loops. */
const HOLD: LocalStateMachine = {
  definition: { StartAt: "Hold", States: { Hold: { Type: "Wait", Seconds: 3600, End: true } } },
};

const scheduled = {
  version: "0",
  id: "e1",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2026-12-06T12:00:00Z",
  region: "us-east-1",
  resources: ["arn:aws:events:us-east-1:123456789012:rule/sweep"],
  detail: {},
};

function statusChange(detail: Record<string, unknown>) {
  return {
    ...scheduled,
    "detail-type": EXECUTION_STATUS_CHANGE,
    source: "aws.states",
    detail: {
      executionArn: `${ARN.replace(":stateMachine:", ":execution:")}:w--s1`,
      stateMachineArn: ARN,
      name: "w--s1",
      status: "FAILED",
      input: JSON.stringify({ worldId: "tenant:w@1", iteration: 3, predecessor: "" }),
      ...detail,
    },
  };
}

/** A client of the local Step Functions. */
function sfnClient(url: string): SFNClient {
  return new SFNClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

function activated(worldId: string) {
  const event = createDomainEvent("World Activated", { worldId, version: 4 });
  const entry = toPutEventsEntry(event);
  return {
    ...scheduled,
    "detail-type": entry.DetailType,
    source: entry.Source,
    detail: JSON.parse(entry.Detail) as unknown,
  };
}

describe("which worlds an event asks about", () => {
  it("a schedule: all of them; World Activated: that world; a failed loop: the world in its input", () => {
    expect(worldsOfSupervisorEvent(scheduled, ARN)).toBeUndefined();
    expect(worldsOfSupervisorEvent(activated("w-7"), ARN)).toEqual(["w-7"]);
    expect(worldsOfSupervisorEvent(statusChange({}), ARN)).toEqual(["tenant:w@1"]);
  });

  it("refuses events it does not take, with a typed error", () => {
    const bad = [
      statusChange({ stateMachineArn: `${ARN}-other` }),
      statusChange({ input: "not json" }),
      statusChange({ input: JSON.stringify({ worldId: "no spaces allowed" }) }),
      { ...scheduled, source: "somebody.else" },
      { ...scheduled, "detail-type": "Tick Batch Committed" },
      "a string",
      null,
    ];
    for (const event of bad)
      expect(() => worldsOfSupervisorEvent(event, ARN), JSON.stringify(event)).toThrow();
    expect(() => worldsOfSupervisorEvent(statusChange({ input: "{" }), ARN)).toThrow(
      InvalidSupervisorEventError,
    );
  });
});

describe("the supervisor handler", () => {
  const opened: RunningLocalStepFunctions[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((e) => e.close()));
  });

  /** The local Step Functions with the loop's state machine, at `ARN`. */
  async function localStepFunctions(): Promise<RunningLocalStepFunctions> {
    const sfn = await startLocalStepFunctions({
      account: "123456789012",
      region: "us-east-1",
      stateMachines: { [LOOP]: HOLD },
      onExecutionClosed: () => {},
    });
    opened.push(sfn);
    expect(sfn.stateMachineArns[LOOP]).toBe(ARN);
    return sfn;
  }

  it("starts one validly named loop per active world without one, with the last owner as predecessor", async () => {
    const sfn = await localStepFunctions();
    const client = sfnClient(sfn.url);
    const store = new MemoryEntityStore();
    await store.createWorld(sampleWorld("tenant:w@1", { lastBatchToken: "tenant_w_1-x--s9#12" }));
    await store.createWorld(sampleWorld("asleep", { active: false }));
    const loaded = {
      stateMachineArn: ARN,
      deps: {
        store,
        loops: new StepFunctionsWorkflowStarter(client, { stateMachineArn: ARN }),
        clock: new ManualClock(1_765_000_000_000),
      },
    };
    const report = await handleSupervisorEvent(loaded, scheduled);
    expect(report.starts).toHaveLength(1);
    const [execution] = sfn.executions();
    expect(execution?.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(JSON.parse(execution?.input ?? "")).toEqual({
      worldId: "tenant:w@1",
      iteration: 0,
      predecessor: "tenant_w_1-x--s9",
      namePrefix: loopNamePrefix("tenant:w@1"),
    });
    // The failed loop's event for the same world, in the same slot: the loop runs, nothing more.
    const again = await handleSupervisorEvent(loaded, statusChange({}));
    expect(again).toMatchObject({ checked: 1, running: 1, starts: [] });
    expect(sfn.executions()).toHaveLength(1);
    client.destroy();
  });

  it("a loop found stopped by a sweep is a warning; one started again for an activated world is news", async () => {
    const sfn = await localStepFunctions();
    const arn = ARN;
    const client = sfnClient(sfn.url);
    const logged = (
      event: unknown,
      world: string,
    ): Promise<{ level: string; message: string }[]> => {
      const store = new MemoryEntityStore();
      const lines: string[] = [];
      // Powertools writes warnings and errors to stderr, the rest to stdout.
      const capture = (chunk: unknown) => {
        lines.push(String(chunk));
        return true;
      };
      const out = vi.spyOn(process.stdout, "write").mockImplementation(capture);
      const err = vi.spyOn(process.stderr, "write").mockImplementation(capture);
      const loaded = {
        stateMachineArn: arn,
        deps: {
          store,
          loops: new StepFunctionsWorkflowStarter(client, { stateMachineArn: arn }),
          clock: new ManualClock(1_765_000_000_000),
        },
      };
      return store
        .createWorld(sampleWorld(world, { lastBatchToken: `${world}-x--s9#12` }))
        .then(() => handleSupervisorEvent(loaded, event))
        .finally(() => {
          out.mockRestore();
          err.mockRestore();
        })
        .then(() =>
          lines
            .flatMap((l) => l.split("\n"))
            .filter((l) => l.startsWith("{"))
            .map((l) => JSON.parse(l) as { level: string; message: string }),
        );
    };
    const swept = await logged(scheduled, "swept");
    expect(swept).toContainEqual(
      expect.objectContaining({
        level: "WARN",
        message: "the world's game loop had stopped: started it again",
      }),
    );
    const activatedLogs = await logged(activated("woken"), "woken");
    expect(activatedLogs).toContainEqual(
      expect.objectContaining({
        level: "INFO",
        message: "the world was activated: started its game loop again",
      }),
    );
    expect(activatedLogs.filter((l) => l.level === "WARN")).toEqual([]);
  });
});
