// The local endpoints look a state's task handler and a rule's target up by name: a name every
// object inherits (`constructor`, `toString`) must be missing like any other, and refused at
// start with the endpoint's typed error, not run as `Object` or `Object.prototype.toString`.
import { EVENT_RULES } from "@ledgerquest/runtime";
import { describe, expect, it } from "vitest";
import { LocalEventBridgeError, LocalStepFunctionsError } from "../src/errors.js";
import { type EventTargetRef, startLocalEventBridge } from "../src/eventbridge.js";
import { startLocalStepFunctions } from "../src/stepfunctions.js";

/** What `started` rejected with; a server that started anyway is closed, and the test fails. */
async function refusal(started: Promise<{ close(): Promise<void> }>): Promise<unknown> {
  try {
    const server = await started;
    await server.close();
  } catch (error) {
    return error;
  }
  throw new Error("the endpoint started");
}

describe("a state machine whose Task state is named like a prototype member", () => {
  it.each(["constructor", "toString", "hasOwnProperty"])(
    "%s without a handler is refused at start, naming the handler to give",
    async (name) => {
      const definition = {
        StartAt: name,
        States: {
          [name]: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", End: true },
        },
      };
      const error = await refusal(
        startLocalStepFunctions({
          stateMachines: { loop: { definition } },
          onExecutionClosed: () => {},
        }),
      );
      expect(error).toBeInstanceOf(LocalStepFunctionsError);
      expect((error as Error).message).toContain(`give taskHandlers.${name}`);
    },
  );
});

describe("a bus rule whose target is named like a prototype member", () => {
  it.each(["constructor", "toString", "valueOf"])(
    "%s without a handler is refused at start",
    async (name) => {
      const [rule] = EVENT_RULES;
      if (rule === undefined) throw new Error("the game has no event rules");
      // A rule read from JSON could name any target; the type admits only the game's.
      const ref = name as string as EventTargetRef;
      const error = await refusal(
        startLocalEventBridge({
          rules: [{ ...rule, target: { ...rule.target, ref } }],
          targets: {},
        }),
      );
      expect(error).toBeInstanceOf(LocalEventBridgeError);
      expect((error as Error).message).toContain(`targets.${name} is missing`);
    },
  );
});
