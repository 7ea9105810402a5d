/**
 * The game loop as a Step Functions state machine (Amazon States Language, JSONPath): the one
 * definition the CDK ComputeStack deploys and the local stack runs.
 *
 *   Tick ──► Continue? ──(active, under the iteration budget)──► Wait ──► Tick
 *                │ inactive ──► Stopped                            (waitSeconds from the tick)
 *                │ budget spent ──► ContinueAsNew (a fresh execution for the same world)
 *   Tick fails after its retries ──► TickFailed
 *
 * One Tick is one Lambda invocation that runs a whole batch of fixed-step ticks and commits once
 * (ARCHITECTURE.md principle 5); the loop only paces batches. Standard workflows keep at most
 * 25,000 history events per execution, and one lap costs 11 (Task: entered, scheduled, started,
 * succeeded, exited; Pass, Choice and Wait: entered, exited), so an execution hands over to a
 * fresh one after `maxIterations` laps (default 1,000: 11,000 events, far from the limit even with
 * the retries a Task may take; at most 2,000).
 */

/** The Tick Lambda's input, built by the state machine. */
export interface TickTaskInput {
  readonly worldId: string;
  /** Laps completed in this execution. */
  readonly iteration: number;
  /** This execution's name: the batch's idempotency scope (retries of a lap share it). */
  readonly executionName: string;
}

/** What the Tick Lambda returns; the state machine reads exactly these fields. */
export interface TickTaskOutput {
  readonly worldId: string;
  /** False once the world should stop (no players, or shut down): the loop ends. */
  readonly active: boolean;
  /** The world's tick after the batch. */
  readonly tick: number;
  /** How long to wait before the next batch, in whole seconds (0 to 3,600). */
  readonly waitSeconds: number;
}

/** The state machine's input (and what continue-as-new passes on). */
export interface GameLoopInput {
  readonly worldId: string;
  readonly iteration: number;
}

export interface GameLoopOptions {
  /** ARN of the tick Lambda (an alias ARN in the cloud; any name locally). */
  readonly tickFunctionArn: string;
  /** Laps per execution before continue-as-new. Default 1,000. */
  readonly maxIterations?: number;
}

/** Names of the states, for overrides (the local stack) and alarms (observability). */
export const GAME_LOOP_STATES = {
  tick: "Tick",
  choose: "Continue?",
  wait: "Wait",
  continueAsNew: "ContinueAsNew",
  stopped: "Stopped",
  failed: "TickFailed",
} as const;

/**
 * Errors the Tick Lambda reports that a retry can fix: a rival batch took the version (the retry
 * runs the next one), a store was unavailable, or events could not be published (the retry finds
 * its batch committed and publishes again). Every write of the commit protocol is idempotent, so
 * retrying is always safe; `DeterminismError` and `JournalConflictError` are not retried.
 */
export const RETRYABLE_TICK_ERRORS = [
  "CommitConflictError",
  "StoreUnavailableError",
  "PublishError",
] as const;

/** The game-loop state machine definition, as a plain JSON object. */
export function gameLoopDefinition(options: GameLoopOptions): Record<string, unknown> {
  const maxIterations = options.maxIterations ?? 1000;
  if (!Number.isInteger(maxIterations) || maxIterations < 1 || maxIterations > 2000) {
    throw new RangeError(
      `maxIterations must be an integer from 1 to 2000 (25,000 history events at 11 per lap), got ${maxIterations}`,
    );
  }
  if (typeof options.tickFunctionArn !== "string" || options.tickFunctionArn.length === 0) {
    throw new RangeError("tickFunctionArn must name the tick Lambda");
  }
  const S = GAME_LOOP_STATES;
  return {
    Comment: "LedgerQuest game loop: one world, batched fixed-step ticks, one commit per batch",
    StartAt: S.tick,
    States: {
      [S.tick]: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: {
          FunctionName: options.tickFunctionArn,
          Payload: {
            "worldId.$": "$.worldId",
            "iteration.$": "$.iteration",
            "executionName.$": "$$.Execution.Name",
          },
        },
        ResultSelector: {
          "worldId.$": "$.Payload.worldId",
          "active.$": "$.Payload.active",
          "tick.$": "$.Payload.tick",
          "waitSeconds.$": "$.Payload.waitSeconds",
        },
        ResultPath: "$.result",
        Retry: [
          {
            ErrorEquals: [
              "Lambda.ServiceException",
              "Lambda.AWSLambdaException",
              "Lambda.SdkClientException",
              "Lambda.TooManyRequestsException",
            ],
            IntervalSeconds: 1,
            MaxAttempts: 6,
            BackoffRate: 2,
            JitterStrategy: "FULL",
          },
          {
            ErrorEquals: [...RETRYABLE_TICK_ERRORS],
            IntervalSeconds: 1,
            MaxAttempts: 3,
            BackoffRate: 2,
          },
        ],
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: S.failed }],
        Next: "Count",
      },
      Count: {
        Type: "Pass",
        Parameters: {
          "worldId.$": "$.worldId",
          "iteration.$": "States.MathAdd($.iteration, 1)",
          "result.$": "$.result",
        },
        Next: S.choose,
      },
      [S.choose]: {
        Type: "Choice",
        Choices: [
          { Variable: "$.result.active", BooleanEquals: false, Next: S.stopped },
          {
            Variable: "$.iteration",
            NumericGreaterThanEquals: maxIterations,
            Next: S.continueAsNew,
          },
        ],
        Default: S.wait,
      },
      [S.wait]: {
        Type: "Wait",
        SecondsPath: "$.result.waitSeconds",
        Next: S.tick,
      },
      [S.continueAsNew]: {
        Type: "Task",
        Resource: "arn:aws:states:::states:startExecution",
        Parameters: {
          "StateMachineArn.$": "$$.StateMachine.Id",
          Input: { "worldId.$": "$.worldId", iteration: 0 },
          "Name.$": "States.Format('{}-t{}', $.worldId, $.result.tick)",
        },
        Retry: [
          {
            ErrorEquals: ["StepFunctions.SdkClientException", "States.TaskFailed"],
            IntervalSeconds: 1,
            MaxAttempts: 3,
            BackoffRate: 2,
          },
        ],
        // A retry after the successor started finds it running: the hand-over is done.
        Catch: [
          { ErrorEquals: ["StepFunctions.ExecutionAlreadyExistsException"], Next: S.stopped },
        ],
        End: true,
      },
      [S.stopped]: { Type: "Succeed" },
      [S.failed]: {
        Type: "Fail",
        Error: "TickFailed",
        Cause:
          "The tick batch failed after its retries; the world's last commit stands and nothing is lost.",
      },
    },
  };
}
