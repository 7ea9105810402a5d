/**
 * The game loop as a Step Functions state machine (Amazon States Language, JSONPath): the one
 * definition the CDK ComputeStack deploys and the local stack runs.
 *
 *   Defaults ──► Tick ──► Continue? ──(active, under the iteration budget)──► Wait ──► Tick
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
 *
 * Execution names: every execution of a world's loop is named `<world prefix>--<suffix>`
 * (`loopExecutionName`). The prefix is the world id when Step Functions takes it as it is, else a
 * readable part and a digest (world ids may hold `:`, `@` and `.`, and be 128 characters long; an
 * execution name may not, nor be longer than 80): so names are always valid, and a list of running
 * executions says which worlds have a loop (`worldPrefixOfExecution`). The prefix travels in the
 * execution's input (`namePrefix`, given by the supervisor), so the state machine names a
 * continue-as-new's successor itself: `<prefix>--t<tick>`, after the tick it starts from (two loops
 * handing over at the same tick make one successor, not two). The tick Lambda's answer is the same
 * as before names were made so: a state machine deployed beside an older tick version (a canary
 * deployment shifts the tick's alias over 20 minutes) still runs.
 *
 * One loop per world: the loops themselves keep it (a lap of an execution that is not the world's
 * owner, while the owner's lease is fresh, ends that execution: see `runTickBatch`'s `owner`), and
 * the supervisor (`superviseGameLoops`) starts a loop for every active world that has none.
 */
import { sha256Hex } from "@ledgerquest/engine";

/** The Tick Lambda's input, built by the state machine. */
export interface TickTaskInput {
  readonly worldId: string;
  /** Laps completed in this execution. */
  readonly iteration: number;
  /** This execution's name: the batch's idempotency scope (retries of a lap share it). */
  readonly executionName: string;
  /**
   * The execution this one took over from (a continue-as-new's predecessor, or the dead loop the
   * supervisor replaced), `""` for none: it may take the world's loop over from that one at once.
   */
  readonly predecessor: string;
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
  /** See `TickTaskInput.predecessor`: `""` for none. */
  readonly predecessor: string;
  /**
   * `loopNamePrefix(worldId)`: what the loop's successors are named after. Default (an execution
   * started by hand): the world id, which is a valid name for most worlds.
   */
  readonly namePrefix: string;
}

/** Step Functions' longest execution name. */
export const EXECUTION_NAME_CHARS_MAX = 80;
/** Characters an execution name is made of (Step Functions and CloudWatch Logs both take these). */
const NAME_SAFE = /^[A-Za-z0-9_-]+$/;
/** A suffix: a lowercase letter and digits, never a dash, so the last `--` splits a name. */
const SUFFIX = /^[a-z][0-9]{1,15}$/;
const SEPARATOR = "--";
/** Room left for the prefix: 80 - `--` - the longest suffix (16). */
const PREFIX_CHARS_MAX = EXECUTION_NAME_CHARS_MAX - SEPARATOR.length - 16;
const DIGEST_CHARS = 16;

/**
 * `text` as a name of at most `charsMax` letters, digits, `_` and `-` (what Step Functions and
 * CloudWatch Logs both take): the text itself if it is one, else its other characters replaced by
 * `_`, cut to fit, and followed by `-` and 16 hex digits of its SHA-256, so that texts which
 * differ only in replaced or cut characters still give different names.
 */
export function safeExecutionName(
  text: string,
  charsMax: number = EXECUTION_NAME_CHARS_MAX,
): string {
  if (text.length <= charsMax && NAME_SAFE.test(text)) return text;
  const digest = sha256Hex(new TextEncoder().encode(text)).slice(0, DIGEST_CHARS);
  const readable = text.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, charsMax - DIGEST_CHARS - 1);
  return `${readable}-${digest}`;
}

/** The first part of every execution name of `worldId`'s loop (`safeExecutionName`, to fit). */
export function loopNamePrefix(worldId: string): string {
  return safeExecutionName(worldId, PREFIX_CHARS_MAX);
}

/**
 * The name of an execution of `worldId`'s loop: `<prefix>--<suffix>`, at most 80 characters of
 * letters, digits, `_` and `-`. The suffix is a lowercase letter and 1 to 15 digits: `t<tick>`
 * for a continue-as-new, `s<slot>` for a start by the supervisor (`LOOP_START_SLOT_MS`).
 */
export function loopExecutionName(worldId: string, suffix: string): string {
  if (!SUFFIX.test(suffix)) {
    throw new RangeError(
      `an execution name suffix is a lowercase letter and 1 to 15 digits, got "${suffix}"`,
    );
  }
  return `${loopNamePrefix(worldId)}${SEPARATOR}${suffix}`;
}

/** The world prefix of an execution name made by `loopExecutionName`, or undefined for another. */
export function worldPrefixOfExecution(executionName: string): string | undefined {
  const at = executionName.lastIndexOf(SEPARATOR);
  if (at <= 0 || !SUFFIX.test(executionName.slice(at + SEPARATOR.length))) return undefined;
  return executionName.slice(0, at);
}

/**
 * The execution named in a batch token (`<execution>#<iteration>`), or undefined when the token
 * is not a game loop's (a world just created or restored).
 */
export function executionOfToken(token: string): string | undefined {
  const at = token.lastIndexOf("#");
  if (at <= 0 || !/^\d+$/.test(token.slice(at + 1))) return undefined;
  return token.slice(0, at);
}

export interface GameLoopOptions {
  /** ARN of the tick Lambda (an alias ARN in the cloud; any name locally). */
  readonly tickFunctionArn: string;
  /** Laps per execution before continue-as-new. Default 1,000. */
  readonly maxIterations?: number;
}

/** Names of the states, for overrides (the local stack) and alarms (observability). */
export const GAME_LOOP_STATES = {
  defaults: "Defaults",
  tick: "Tick",
  choose: "Continue?",
  wait: "Wait",
  continueAsNew: "ContinueAsNew",
  stopped: "Stopped",
  failed: "TickFailed",
  handOverFailed: "HandOverFailed",
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
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a named exception (docs/ARCHITECTURE.md, "Long functions")
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
    StartAt: S.defaults,
    States: {
      // An execution started by hand (`{"worldId": "w"}`) gets the fields a Tick reads; the
      // supervisor and continue-as-new give them all. Once per execution: 4 history events.
      [S.defaults]: {
        Type: "Pass",
        Parameters: {
          defaults: { iteration: 0, predecessor: "", "namePrefix.$": "$.worldId" },
          "input.$": "$",
        },
        Next: "Merge",
      },
      Merge: {
        Type: "Pass",
        Parameters: { "loop.$": "States.JsonMerge($.defaults, $.input, false)" },
        OutputPath: "$.loop",
        Next: S.tick,
      },
      [S.tick]: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: {
          FunctionName: options.tickFunctionArn,
          Payload: {
            "worldId.$": "$.worldId",
            "iteration.$": "$.iteration",
            "executionName.$": "$$.Execution.Name",
            "predecessor.$": "$.predecessor",
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
          "predecessor.$": "$.predecessor",
          "namePrefix.$": "$.namePrefix",
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
          Input: {
            "worldId.$": "$.worldId",
            iteration: 0,
            "predecessor.$": "$$.Execution.Name",
            "namePrefix.$": "$.namePrefix",
          },
          // `loopExecutionName(worldId, "t<tick>")`, from the prefix the supervisor gave.
          "Name.$": "States.Format('{}--t{}', $.namePrefix, $.result.tick)",
        },
        Retry: [
          {
            ErrorEquals: ["StepFunctions.SdkClientException", "States.TaskFailed"],
            IntervalSeconds: 1,
            MaxAttempts: 3,
            BackoffRate: 2,
          },
        ],
        // A retry after the successor started finds it running: the hand-over is done. Any other
        // failure ends this execution too; the supervisor starts a loop for the world within its
        // period, so a failed hand-over never stops a world for good.
        Catch: [
          { ErrorEquals: ["StepFunctions.ExecutionAlreadyExistsException"], Next: S.stopped },
          { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: S.handOverFailed },
        ],
        End: true,
      },
      [S.stopped]: { Type: "Succeed" },
      [S.handOverFailed]: {
        Type: "Fail",
        Error: "HandOverFailed",
        Cause:
          "The successor execution could not be started; the supervisor starts the world's loop again.",
      },
      [S.failed]: {
        Type: "Fail",
        Error: "TickFailed",
        Cause:
          "The tick batch failed after its retries; the world's last commit stands and nothing is lost.",
      },
    },
  };
}

// ─── supervision ────────────────────────────────────────────────────────────────────────────────

/**
 * How often the loop supervisor sweeps every active world in AWS: EventBridge's shortest schedule.
 * With loop failures also reported as they happen (`loopEndedPattern`), a stopped loop is started
 * again within a minute.
 */
export const SUPERVISOR_SCHEDULE_EXPRESSION = "rate(1 minute)";

/** The execution statuses after which a world's loop must be started again. */
export const LOOP_ENDED_BADLY = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/** Step Functions' event for an execution's status change (on the account's default bus). */
export const EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change";

/**
 * The event pattern of a game-loop execution that ended badly (on the default event bus, where
 * Step Functions reports status changes): the rule that tells the supervisor at once.
 */
export function loopEndedPattern(stateMachineArn: string): Readonly<Record<string, unknown>> {
  return {
    source: ["aws.states"],
    "detail-type": [EXECUTION_STATUS_CHANGE],
    detail: { status: [...LOOP_ENDED_BADLY], stateMachineArn: [stateMachineArn] },
  };
}

/**
 * How long a loop's last commit keeps other loops of the same world away (`runTickBatch`'s
 * `loop.leaseMs`): several laps and waits, so a healthy owner never loses its world to a
 * duplicate, and short enough that a stuck one is replaced within about a minute.
 */
export function loopLeaseMs(lap: { readonly lapMs: number; readonly waitSeconds: number }): number {
  return Math.max(30_000, 3 * (lap.lapMs + lap.waitSeconds * 1000));
}
