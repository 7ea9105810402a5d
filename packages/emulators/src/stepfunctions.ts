/**
 * The local stack's Step Functions: an endpoint on loopback speaking AWS JSON 1.0 (`X-Amz-Target:
 * AWSStepFunctions.<Operation>`), so that `@aws-sdk/client-sfn` (and the AWS CLI) talk to it
 * unchanged, running the one-source ASL (`gameLoopDefinition`) with `aws-local-stepfunctions`.
 *
 * What it does as Step Functions does for a standard workflow (the API reference of
 * StartExecution, DescribeExecution, StopExecution and ListExecutions; "Handling errors in Step
 * Functions workflows"; "Invoke Lambda with Step Functions"; "Start a new AWS Step Functions state
 * machine from a running execution"):
 *
 * - `StartExecution`: names and inputs are checked as AWS checks them (`InvalidArn`,
 *   `StateMachineDoesNotExist`, `InvalidName`, `InvalidExecutionInput`, 256 KB); no name gets a
 *   UUID. A name already used answers as AWS answers it: while that execution runs, the same
 *   input is an idempotent repeat (200, the first start's ARN and date), another input is
 *   `ExecutionAlreadyExists`; once it has closed, any start is `ExecutionAlreadyExists`.
 * - Executions run at once, in process: `RUNNING`, then `SUCCEEDED` (with `output`), `FAILED` (with
 *   `error` and `cause`: a Fail state's, or an uncaught task error's), `TIMED_OUT` (the
 *   definition's `TimeoutSeconds`) or `ABORTED` (`StopExecution`, with the error and cause given).
 *   An output over 256 KB fails the execution with `States.DataLimitExceeded`. The context object
 *   has `$$.Execution.Id`, `.Name`, `.Input`, `.StartTime`, `.RoleArn` and `$$.StateMachine.Id`,
 *   `.Name`.
 * - Task states, by their resource:
 *   - `arn:aws:states:::lambda:invoke`: the local handler `taskHandlers[<state name>]` gets the
 *     `Payload` and returns the function's result, which the state sees as `{ ExecutedVersion,
 *     Payload, StatusCode: 200 }`. A handler that throws is a function error as Step Functions
 *     reports it: error = the error's `name` (what `Retry` and `Catch` match, such as
 *     `CommitConflictError`), cause = `{"errorMessage", "errorType", "trace"}` as JSON text.
 *   - A Lambda function ARN: the same handler gets the state's input and returns its result.
 *   - `arn:aws:states:::states:startExecution`: a new execution on this same endpoint, with the
 *     task's `StateMachineArn`, `Name` and `Input`; its result is `{ ExecutionArn, StartDate }`
 *     and its errors are `StepFunctions.<Code>Exception` (`ExecutionAlreadyExistsException`).
 *     This is how the game loop continues as a new execution.
 *   - Any other resource needs a handler (`taskHandlers[<state name>]`), which gets the state's
 *     effective input (after `Parameters`) and returns its result; every task may be overridden.
 *   A task without `TimeoutSeconds` has no timeout (as in AWS; the interpreter's default of 60 s
 *   is lifted).
 * - Wait states really wait, `waitScale` times their time (1 by default; a test passes 0.01), and
 *   so do Retry backoffs (`IntervalSeconds`, `MaxDelaySeconds`). StopExecution wakes a waiting
 *   execution at once. A running task handler is not interrupted (Step Functions does not stop a
 *   running Lambda either); it gets an `AbortSignal` in its context, and the execution stops after
 *   it returns.
 * - `DescribeStateMachine` and `ListStateMachines` for the machines given at start (a definition is
 *   one source: there is no CreateStateMachine).
 *
 * What it does not: verify SigV4 signatures (it only requires one), `.waitForTaskToken` and `.sync`
 * integrations, activities, JSONata (aws-local-stepfunctions ignores it: use JSONPath),
 * execution history (GetExecutionHistory), redrive, express workflows, the 25,000-event history
 * limit, state-level data limits, and persistence: executions live in memory and end with the
 * process (`close()` stops those still running).
 */
import { randomUUID } from "node:crypto";
import type {
  StateMachine as AslStateMachine,
  RunOptions,
  StateMachineDefinition,
} from "aws-local-stepfunctions";
import { LocalStepFunctionsError } from "./errors.js";
import {
  AwsServiceError,
  epochSeconds,
  type HttpRequest,
  type HttpResponse,
  handleAwsJson,
  type JsonObject,
  type ListeningEndpoint,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  listen,
  optionalString,
  page,
  requiredString,
  type ServiceTap,
} from "./protocol.js";
import type { StepFunctionsUsage } from "./usage.js";

// Alike: engine/src/sim/command.ts's JsonValue (the same type; the emulators depend on the
// runtime only, which does not export it).
/** A JSON value as a task handler receives it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** What a task handler is told besides its input. */
export interface TaskContext {
  readonly stateName: string;
  readonly stateMachineArn: string;
  readonly executionArn: string;
  readonly executionName: string;
  /** Aborted when the execution closes (stopped, timed out): a long handler may give up early. */
  readonly signal: AbortSignal;
}

/**
 * A Task state's local implementation. For a Lambda task: the function's handler, receiving the
 * payload (the Lambda event) and returning the function's result, which travels as JSON. For any
 * other: the state's effective input and the task's result. Throwing fails the task with the
 * error's `name` as the ASL error, which `Retry` and `Catch` match.
 */
export type TaskHandler = (input: JsonValue, context: TaskContext) => unknown;

export interface LocalStateMachine {
  /** The ASL (JSONPath), as an object or its JSON text: `gameLoopDefinition(...)`. */
  readonly definition: { readonly [key: string]: unknown } | string;
  /** By Task state name: `{ Tick: (payload) => result }`. */
  readonly taskHandlers?: { readonly [stateName: string]: TaskHandler };
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

/** An execution as DescribeExecution tells it (times in ms; JSON as text). */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly input: string;
  readonly startDateMs: number;
  readonly stopDateMs?: number;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface LocalStepFunctionsOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** By state machine name (1 to 80 letters, digits, `-`, `_`). */
  readonly stateMachines: { readonly [name: string]: LocalStateMachine };
  readonly account?: string;
  readonly region?: string;
  /**
   * How much of each Wait state's time, and of each Retry backoff, is really waited: 1 waits as
   * AWS does, 0.01 a hundredth, 0 not at all. Default 1.
   */
  readonly waitScale?: number;
  /** The `roleArn` DescribeStateMachine reports and `$$.Execution.RoleArn`. */
  readonly roleArn?: string;
  /**
   * Called when an execution closes. Default: a line on stderr for FAILED and TIMED_OUT ones, since
   * nothing else would tell a developer that a game loop died.
   */
  readonly onExecutionClosed?: (execution: ExecutionDescription) => void;
  readonly nowMs?: () => number;
  /** Records requests per operation and fails chosen ones as a whole (tests). Default: none. */
  readonly tap?: ServiceTap;
  /** Counts state transitions and executions, as Step Functions bills them (the local stack's `UsageMeter`). */
  readonly usage?: StepFunctionsUsage;
}

const SERVICE_TARGET = "AWSStepFunctions";
/** StartExecution's limit on the input, and Step Functions' on an execution's output. */
export const STEP_FUNCTIONS_MAX_PAYLOAD_BYTES = 256 * 1024;
const MAX_NAME_CHARS = 80;
/**
 * What StartExecution refuses in a name: whitespace, brackets, wildcards, the listed special
 * characters, and control characters (U+0000-001F, U+007F-009F).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: AWS refuses exactly these characters.
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;
const STATE_MACHINE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const STATE_MACHINE_ARN =
  /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:.+$/;
const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:.+$/;
const START_EXECUTION = "arn:aws:states:::states:startExecution";
/** The longest a Node timer can wait (2^31 - 1 ms); longer timers fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** A task timeout that never fires, as a task without TimeoutSeconds has in AWS. */
const NO_TASK_TIMEOUT_S = Math.floor(MAX_TIMER_MS / 1000);
const STATUSES: readonly ExecutionStatus[] = [
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
];

// ─── aws-local-stepfunctions, loaded once ────────────────────────────────────────────────────────

type AslModule = typeof import("aws-local-stepfunctions");
let aslModule: Promise<AslModule> | undefined;

/**
 * aws-local-stepfunctions targets Node 22 and calls `Promise.withResolvers`, which Node 20 lacks
 * (measured on Node 20): polyfill it before the module is loaded.
 */
function loadAsl(): Promise<AslModule> {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (P.withResolvers === undefined) {
    P.withResolvers = <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };
  }
  aslModule ??= import("aws-local-stepfunctions");
  return aslModule;
}

// ─── definitions: what runs each Task and Wait state ─────────────────────────────────────────────

type StateSpec = { readonly [key: string]: unknown };

/** The interpreter's task overrides (its JSON type is ours without `readonly`). */
type LocalHandlers = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>;

type TaskKind =
  | { readonly kind: "lambdaInvoke"; readonly handler: TaskHandler }
  | { readonly kind: "lambdaFunction"; readonly handler: TaskHandler }
  | { readonly kind: "startExecution" }
  | { readonly kind: "custom"; readonly handler: TaskHandler }
  | { readonly kind: "wait"; readonly wait: WaitSpec };

type WaitSpec =
  | { readonly seconds: number }
  | { readonly secondsFromInput: true }
  | { readonly timestamp: string }
  | { readonly timestampFromInput: true };

interface PreparedMachine {
  readonly name: string;
  readonly arn: string;
  /** The definition as given, as JSON text (DescribeStateMachine). */
  readonly definitionText: string;
  readonly runner: AslStateMachine;
  readonly tasks: ReadonlyMap<string, TaskKind>;
  readonly creationDateMs: number;
}

function isObject(value: unknown): value is StateSpec {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every `States` map of a definition, nested ones (Parallel branches, Map processors) included. */
function* stateMaps(machine: StateSpec): Generator<Record<string, unknown>> {
  if (!isObject(machine.States)) return;
  const states = machine.States as Record<string, unknown>;
  yield states;
  for (const state of Object.values(states)) {
    if (!isObject(state)) continue;
    if (Array.isArray(state.Branches)) {
      for (const branch of state.Branches) if (isObject(branch)) yield* stateMaps(branch);
    }
    for (const key of ["Iterator", "ItemProcessor"]) {
      const inner = state[key];
      if (isObject(inner)) yield* stateMaps(inner);
    }
  }
}

/**
 * Decides what runs each Task (and each Wait, which becomes a local task so that it can wait a
 * scaled time and wake when stopped), and rewrites the definition to run: Retry backoffs scaled,
 * tasks without a timeout given none (the interpreter would give them 60 s). Throws
 * `LocalStepFunctionsError` for a task nothing can run and a handler for no task.
 */
function prepareDefinition(
  machineName: string,
  definition: StateSpec,
  taskHandlers: { readonly [stateName: string]: TaskHandler },
  waitScale: number,
): { readonly runnable: StateSpec; readonly tasks: Map<string, TaskKind> } {
  const runnable = structuredClone(definition) as Record<string, unknown>;
  const tasks = new Map<string, TaskKind>();
  const where = `state machine ${machineName}`;
  if (typeof runnable.TimeoutSeconds === "number" && runnable.TimeoutSeconds > NO_TASK_TIMEOUT_S) {
    runnable.TimeoutSeconds = NO_TASK_TIMEOUT_S;
  }
  for (const states of stateMaps(runnable)) {
    for (const [name, state] of Object.entries(states)) {
      if (!isObject(state)) continue;
      if (state.Type === "Task" || state.Type === "Wait") {
        if (tasks.has(name)) {
          throw new LocalStepFunctionsError(
            `${where} has two Task or Wait states named ${name} (in different branches): local task handlers are keyed by state name, so rename one`,
          );
        }
      }
      if (Array.isArray(state.Retry) && waitScale !== 1) {
        states[name] = {
          ...state,
          Retry: state.Retry.map((r: unknown) => scaleRetrier(r, waitScale)),
        };
      }
      if (state.Type === "Task") {
        const resource = String(state.Resource);
        // Own properties only: a state named `constructor` must not find Object's.
        const handler = Object.hasOwn(taskHandlers, name) ? taskHandlers[name] : undefined;
        let kind: TaskKind;
        if (resource === LAMBDA_INVOKE) {
          if (handler === undefined) throw missingHandler(where, name, "invokes a Lambda function");
          kind = { kind: "lambdaInvoke", handler };
        } else if (LAMBDA_FUNCTION_ARN.test(resource)) {
          if (handler === undefined) throw missingHandler(where, name, "invokes a Lambda function");
          kind = { kind: "lambdaFunction", handler };
        } else if (handler !== undefined) {
          kind = { kind: "custom", handler };
        } else if (resource === START_EXECUTION) {
          kind = { kind: "startExecution" };
        } else {
          throw missingHandler(
            where,
            name,
            `uses ${resource}, which the local endpoint does not run itself (it runs ${LAMBDA_INVOKE} and ${START_EXECUTION}, not .sync or .waitForTaskToken)`,
          );
        }
        tasks.set(name, kind);
        const timed = state.TimeoutSeconds !== undefined || state.TimeoutSecondsPath !== undefined;
        const current = states[name] as Record<string, unknown>;
        if (!timed) current.TimeoutSeconds = NO_TASK_TIMEOUT_S;
        else if (
          typeof state.TimeoutSeconds === "number" &&
          state.TimeoutSeconds > NO_TASK_TIMEOUT_S
        ) {
          current.TimeoutSeconds = NO_TASK_TIMEOUT_S;
        }
      } else if (state.Type === "Wait") {
        if (Object.hasOwn(taskHandlers, name) && taskHandlers[name] !== undefined) {
          throw new LocalStepFunctionsError(
            `${where}: taskHandlers.${name} is given, but ${name} is a Wait state, not a Task`,
          );
        }
        const { task, wait } = waitAsTask(state);
        states[name] = task;
        tasks.set(name, { kind: "wait", wait });
      }
    }
  }
  for (const name of Object.keys(taskHandlers)) {
    if (!tasks.has(name)) {
      throw new LocalStepFunctionsError(
        `${where}: taskHandlers.${name} is given, but the definition has no Task state named ${name} (its tasks: ${
          [...tasks]
            .filter(([, k]) => k.kind !== "wait")
            .map(([n]) => n)
            .join(", ") || "none"
        })`,
      );
    }
  }
  return { runnable, tasks };
}

function missingHandler(where: string, state: string, what: string): LocalStepFunctionsError {
  return new LocalStepFunctionsError(
    `${where}: Task state ${state} ${what}; give taskHandlers.${state}, a function that receives its input and returns its result`,
  );
}

function scaleRetrier(retrier: unknown, waitScale: number): unknown {
  if (!isObject(retrier)) return retrier;
  const interval = typeof retrier.IntervalSeconds === "number" ? retrier.IntervalSeconds : 1;
  return {
    ...retrier,
    IntervalSeconds: interval * waitScale,
    ...(typeof retrier.MaxDelaySeconds === "number"
      ? { MaxDelaySeconds: retrier.MaxDelaySeconds * waitScale }
      : {}),
  };
}

/**
 * A Wait state as a Task state with the same input and output: InputPath, then the task's result
 * is its own input (the default ResultPath `$`), then OutputPath. A `*Path` field is read through
 * `Parameters`, so the interpreter's own JSONPath resolves it (and fails as AWS fails on a path
 * that finds nothing).
 */
function waitAsTask(state: StateSpec): { task: Record<string, unknown>; wait: WaitSpec } {
  const task: Record<string, unknown> = {
    Type: "Task",
    Resource: "arn:aws:states:::local:wait",
    TimeoutSeconds: NO_TASK_TIMEOUT_S,
  };
  for (const key of ["Comment", "InputPath", "OutputPath", "Next", "End"]) {
    if (key in state) task[key] = state[key];
  }
  let wait: WaitSpec;
  if (typeof state.Seconds === "number") {
    wait = { seconds: state.Seconds };
  } else if (typeof state.Timestamp === "string") {
    wait = { timestamp: state.Timestamp };
  } else if (typeof state.SecondsPath === "string") {
    task.Parameters = { "seconds.$": state.SecondsPath, "input.$": "$" };
    wait = { secondsFromInput: true };
  } else if (typeof state.TimestampPath === "string") {
    task.Parameters = { "timestamp.$": state.TimestampPath, "input.$": "$" };
    wait = { timestampFromInput: true };
  } else {
    wait = { seconds: 0 };
  }
  return { task, wait };
}

/** An error the interpreter reports with `name` as the ASL error and `message` as the cause. */
function aslError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** A Lambda function's error, as Step Functions reports it to Retry, Catch and the execution. */
function lambdaError(thrown: unknown): Error {
  const errorType = thrown instanceof Error ? thrown.name : "Error";
  const errorMessage = thrown instanceof Error ? thrown.message : String(thrown);
  const trace = thrown instanceof Error ? (thrown.stack ?? "").split("\n") : [];
  return aslError(errorType, JSON.stringify({ errorMessage, errorType, trace }));
}

/** A value as it comes back from a Lambda function: through JSON (undefined becomes null). */
function throughJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

/** Sleeps `ms`, however long, and wakes at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || !(ms > 0)) {
      resolve();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const arm = (leftMs: number) => {
      timer = setTimeout(
        () => {
          if (leftMs > MAX_TIMER_MS) {
            arm(leftMs - MAX_TIMER_MS);
            return;
          }
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        Math.min(leftMs, MAX_TIMER_MS),
      );
    };
    signal.addEventListener("abort", onAbort, { once: true });
    arm(ms);
  });
}

// ─── the service ─────────────────────────────────────────────────────────────────────────────────

interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDateMs: number;
  status: ExecutionStatus;
  stopDateMs?: number;
  output?: string;
  error?: string;
  cause?: string;
  readonly controller: AbortController;
  abortRun?: () => void;
  readonly closedWaiters: ((execution: ExecutionDescription) => void)[];
}

export interface StartExecutionInput {
  readonly stateMachineArn: string;
  readonly name?: string;
  /** JSON text. Default `{}`. */
  readonly input?: string;
}

export class LocalStepFunctions {
  readonly account: string;
  readonly region: string;
  readonly waitScale: number;
  readonly roleArn: string;
  readonly #machines = new Map<string, PreparedMachine>();
  /** By ARN, in start order. */
  readonly #executions = new Map<string, Execution>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #onClosed: (execution: ExecutionDescription) => void;
  readonly #nowMs: () => number;
  readonly #usage: StepFunctionsUsage | undefined;
  readonly #tap: ServiceTap | undefined;
  #closed = false;

  private constructor(options: Omit<LocalStepFunctionsOptions, "port" | "stateMachines">) {
    this.account = options.account ?? LOCAL_ACCOUNT;
    this.region = options.region ?? LOCAL_REGION;
    this.waitScale = options.waitScale ?? 1;
    this.roleArn =
      options.roleArn ?? `arn:aws:iam::${this.account}:role/ledgerquest-local-stepfunctions`;
    this.#onClosed = options.onExecutionClosed ?? reportClosed;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#usage = options.usage;
    this.#tap = options.tap;
    if (!(Number.isFinite(this.waitScale) && this.waitScale >= 0)) {
      throw new RangeError(
        `waitScale must be a finite number, at least 0 (1 waits as AWS does), got ${this.waitScale}`,
      );
    }
  }

  /**
   * Validates each definition (as aws-local-stepfunctions validates ASL; ARNs are not checked, a
   * local function name will do) and decides what runs each task. Throws
   * `LocalStepFunctionsError` naming the machine and state when something cannot run.
   */
  static async create(
    options: Omit<LocalStepFunctionsOptions, "port">,
  ): Promise<LocalStepFunctions> {
    const service = new LocalStepFunctions(options);
    const { StateMachine } = await loadAsl();
    for (const [name, machine] of Object.entries(options.stateMachines)) {
      if (!STATE_MACHINE_NAME.test(name)) {
        throw new LocalStepFunctionsError(
          `state machine name ${JSON.stringify(name)} is not valid: use 1 to 80 letters, digits, - or _`,
        );
      }
      let definition: unknown = machine.definition;
      if (typeof definition === "string") {
        try {
          definition = JSON.parse(definition);
        } catch (cause) {
          throw new LocalStepFunctionsError(`state machine ${name}: the definition is not JSON`, {
            cause,
          });
        }
      }
      if (!isObject(definition)) {
        throw new LocalStepFunctionsError(
          `state machine ${name}: the definition must be an ASL object ({ StartAt, States })`,
        );
      }
      try {
        new StateMachine(definition as unknown as StateMachineDefinition, {
          validationOptions: { checkArn: false },
        });
      } catch (cause) {
        throw new LocalStepFunctionsError(
          `state machine ${name}: ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause },
        );
      }
      const { runnable, tasks } = prepareDefinition(
        name,
        definition,
        machine.taskHandlers ?? {},
        service.waitScale,
      );
      const arn = service.stateMachineArn(name);
      service.#machines.set(arn, {
        name,
        arn,
        definitionText: JSON.stringify(definition),
        // Validated above as given; the rewrite only swaps Waits for local tasks and scales times.
        runner: new StateMachine(runnable as unknown as StateMachineDefinition, {
          validationOptions: { noValidate: true },
        }),
        tasks,
        creationDateMs: service.#nowMs(),
      });
    }
    return service;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
  }

  executionArn(stateMachineName: string, executionName: string): string {
    return `arn:aws:states:${this.region}:${this.account}:execution:${stateMachineName}:${executionName}`;
  }

  /** Every execution, in start order. */
  executions(): readonly ExecutionDescription[] {
    return [...this.#executions.values()].map(describe);
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return describe(this.#execution(executionArn));
  }

  /** Resolves with the execution once it has closed (at once if it has). */
  waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    const execution = this.#execution(executionArn);
    if (execution.status !== "RUNNING") return Promise.resolve(describe(execution));
    return new Promise((resolve) => execution.closedWaiters.push(resolve));
  }

  handle(request: HttpRequest): Promise<HttpResponse> {
    return handleAwsJson(
      request,
      "1.0",
      SERVICE_TARGET,
      {
        StartExecution: (input) => {
          const started = this.startExecution({
            stateMachineArn: requiredString(input, "stateMachineArn"),
            name: optionalString(input, "name"),
            input: optionalString(input, "input"),
          });
          return {
            executionArn: started.executionArn,
            startDate: epochSeconds(started.startDateMs),
          };
        },
        DescribeExecution: (input) =>
          wireExecution(this.describeExecution(requiredString(input, "executionArn")), true),
        StopExecution: (input) => {
          const stopped = this.stopExecution(requiredString(input, "executionArn"), {
            error: optionalString(input, "error"),
            cause: optionalString(input, "cause"),
          });
          return { stopDate: epochSeconds(stopped.stopDateMs ?? this.#nowMs()) };
        },
        ListExecutions: (input) => this.#listExecutions(input),
        DescribeStateMachine: (input) => {
          const machine = this.#machine(requiredString(input, "stateMachineArn"));
          return {
            stateMachineArn: machine.arn,
            name: machine.name,
            status: "ACTIVE",
            definition: machine.definitionText,
            roleArn: this.roleArn,
            type: "STANDARD",
            creationDate: epochSeconds(machine.creationDateMs),
          };
        },
        ListStateMachines: (input) => {
          const { items, nextToken } = page(
            [...this.#machines.values()],
            maxResultsOf(input),
            optionalString(input, "nextToken"),
          );
          return {
            stateMachines: items.map((m) => ({
              stateMachineArn: m.arn,
              name: m.name,
              type: "STANDARD",
              creationDate: epochSeconds(m.creationDateMs),
            })),
            ...(nextToken === undefined ? {} : { nextToken }),
          };
        },
      },
      this.#tap,
    );
  }

  /**
   * StartExecution, in process: the same checks and answers as over HTTP (an `AwsServiceError`
   * with AWS's error code when refused).
   */
  startExecution(request: StartExecutionInput): ExecutionDescription {
    if (this.#closed) {
      throw new AwsServiceError(
        "ServiceUnavailable",
        "the local Step Functions endpoint is closed: start the local stack again",
        503,
      );
    }
    const machine = this.#machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (name.length < 1 || name.length > MAX_NAME_CHARS || FORBIDDEN_NAME_CHARS.test(name)) {
      throw new AwsServiceError("InvalidName", `Invalid Name: '${name}'`);
    }
    const json = request.input ?? "{}";
    if (Buffer.byteLength(json, "utf8") > STEP_FUNCTIONS_MAX_PAYLOAD_BYTES) {
      throw new AwsServiceError(
        "ValidationException",
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${STEP_FUNCTIONS_MAX_PAYLOAD_BYTES}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (cause) {
      throw new AwsServiceError(
        "InvalidExecutionInput",
        `Invalid State Machine Execution Input: '${String(cause)}'`,
      );
    }

    const executionArn = this.executionArn(machine.name, name);
    const existing = this.#executions.get(executionArn);
    if (existing !== undefined) {
      // A retry of the same start while it runs is the same start (AWS's idempotency rule).
      if (existing.status === "RUNNING" && existing.input === json) return describe(existing);
      throw new AwsServiceError(
        "ExecutionAlreadyExists",
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    const execution: Execution = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      input: json,
      startDateMs: this.#nowMs(),
      status: "RUNNING",
      controller: new AbortController(),
      closedWaiters: [],
    };
    this.#executions.set(executionArn, execution);
    this.#usage?.executionStarted(machine.name, executionArn, json);
    this.#run(machine, execution, parsed);
    return describe(execution);
  }

  /**
   * StopExecution, in process: a running execution is ABORTED with `error` and `cause`; a closed
   * one is left as it is (its stop date is answered).
   */
  stopExecution(
    executionArn: string,
    reason: { readonly error?: string; readonly cause?: string } = {},
  ): ExecutionDescription {
    const execution = this.#execution(executionArn);
    if ((reason.error?.length ?? 0) > 256 || (reason.cause?.length ?? 0) > 32_768) {
      throw new AwsServiceError(
        "ValidationException",
        "1 validation error detected: error must be at most 256 characters and cause at most 32768",
      );
    }
    if (execution.status === "RUNNING") {
      this.#closeExecution(execution, "ABORTED", reason);
      execution.abortRun?.();
    }
    return describe(execution);
  }

  /**
   * Stops every running execution (ABORTED) and waits for the task handlers still running, which
   * are not interrupted.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const execution of this.#executions.values()) {
      if (execution.status === "RUNNING") {
        this.stopExecution(execution.executionArn, {
          cause: "The local Step Functions endpoint was closed.",
        });
      }
    }
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  #machine(stateMachineArn: string): PreparedMachine {
    if (!STATE_MACHINE_ARN.test(stateMachineArn)) {
      throw new AwsServiceError("InvalidArn", `Invalid Arn: '${stateMachineArn}'`);
    }
    const machine = this.#machines.get(stateMachineArn);
    if (machine === undefined) {
      throw new AwsServiceError(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${stateMachineArn}' (this local endpoint has ${[...this.#machines.keys()].join(", ") || "none"})`,
      );
    }
    return machine;
  }

  // Alike: #machine above (the same ARN check then lookup, each with its own AWS error code).
  #execution(executionArn: string): Execution {
    if (!EXECUTION_ARN.test(executionArn)) {
      throw new AwsServiceError("InvalidArn", `Invalid Arn: '${executionArn}'`);
    }
    const execution = this.#executions.get(executionArn);
    if (execution === undefined) {
      throw new AwsServiceError(
        "ExecutionDoesNotExist",
        `Execution Does Not Exist: '${executionArn}'`,
      );
    }
    return execution;
  }

  #listExecutions(input: JsonObject): JsonObject {
    const stateMachineArn = requiredString(input, "stateMachineArn");
    this.#machine(stateMachineArn);
    const statusFilter = optionalString(input, "statusFilter");
    if (statusFilter !== undefined && !STATUSES.includes(statusFilter as ExecutionStatus)) {
      throw new AwsServiceError(
        "ValidationException",
        `1 validation error detected: Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(", ")}]`,
      );
    }
    // Most recent first, as AWS lists them.
    const executions = [...this.#executions.values()]
      .filter(
        (e) =>
          e.stateMachineArn === stateMachineArn &&
          (statusFilter === undefined || e.status === statusFilter),
      )
      .reverse();
    const { items, nextToken } = page(
      executions,
      maxResultsOf(input),
      optionalString(input, "nextToken"),
    );
    return {
      executions: items.map((e) => wireExecution(describe(e), false)),
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }

  // ─── running ───────────────────────────────────────────────────────────────────────────────────

  #run(machine: PreparedMachine, execution: Execution, input: unknown): void {
    const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const [stateName, kind] of machine.tasks) {
      const context: TaskContext = {
        stateName,
        stateMachineArn: machine.arn,
        executionArn: execution.executionArn,
        executionName: execution.name,
        signal: execution.controller.signal,
      };
      handlers[stateName] = (taskInput) => this.#track(this.#runTask(kind, taskInput, context));
    }
    const run = machine.runner.run(input as Parameters<AslStateMachine["run"]>[0], {
      overrides: { taskResourceLocalHandlers: handlers as unknown as LocalHandlers },
      context: {
        Execution: {
          Id: execution.executionArn,
          Name: execution.name,
          RoleArn: this.roleArn,
          RedriveCount: 0,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    execution.abortRun = run.abort;
    // The interpreter queues every history event until someone reads them: read them, so a
    // long-running loop does not keep its whole history in memory.
    void (async () => {
      for await (const event of run.eventLogs) {
        // Not kept: there is no GetExecutionHistory here. Step Functions bills a transition for
        // every state entered and every retry of one.
        if (event.type === "StateEntered" || event.type === "StateRetried") {
          this.#usage?.stateTransition(machine.name);
        }
      }
    })().catch(() => {});
    run.result.then(
      (output) => {
        const text = JSON.stringify(output) ?? "null";
        if (Buffer.byteLength(text, "utf8") > STEP_FUNCTIONS_MAX_PAYLOAD_BYTES) {
          this.#closeExecution(execution, "FAILED", {
            error: "States.DataLimitExceeded",
            cause: `The execution's output is ${Buffer.byteLength(text, "utf8")} bytes, over Step Functions' limit of ${STEP_FUNCTIONS_MAX_PAYLOAD_BYTES}.`,
          });
        } else {
          this.#closeExecution(execution, "SUCCEEDED", { output: text });
        }
      },
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        if (e.name === "ExecutionAbortedError") return; // StopExecution closed it already.
        if (e.name === "ExecutionTimeoutError") {
          this.#closeExecution(execution, "TIMED_OUT", {
            error: "States.Timeout",
            cause: "The execution ran longer than the state machine's TimeoutSeconds.",
          });
          return;
        }
        // ExecutionError wraps the ASL error: its name is the error, its message the cause.
        const inner = e.name === "ExecutionError" && e.cause instanceof Error ? e.cause : e;
        this.#closeExecution(execution, "FAILED", { error: inner.name, cause: inner.message });
      },
    );
  }

  async #runTask(kind: TaskKind, input: JsonValue, context: TaskContext): Promise<JsonValue> {
    if (context.signal.aborted) {
      // The interpreter may still retry a state after a stop; nothing more may run.
      throw aslError("States.Runtime", "The execution was stopped.");
    }
    switch (kind.kind) {
      case "lambdaInvoke": {
        const request = isObject(input) ? input : {};
        try {
          const result = await kind.handler((request.Payload ?? null) as JsonValue, context);
          return { ExecutedVersion: "$LATEST", Payload: throughJson(result), StatusCode: 200 };
        } catch (error) {
          throw lambdaError(error);
        }
      }
      case "lambdaFunction":
        try {
          return throughJson(await kind.handler(input, context));
        } catch (error) {
          throw lambdaError(error);
        }
      case "custom":
        return throughJson(await kind.handler(input, context));
      case "startExecution":
        return this.#startFromTask(input);
      case "wait":
        return this.#wait(kind.wait, input, context.signal);
    }
  }

  /** The `states:startExecution` integration: a start on this same endpoint. */
  #startFromTask(input: JsonValue): JsonValue {
    const parameters = isObject(input) ? input : {};
    const taskInput = parameters.Input;
    try {
      if (typeof parameters.StateMachineArn !== "string") {
        throw new AwsServiceError("ValidationException", "StateMachineArn is required");
      }
      const started = this.startExecution({
        stateMachineArn: parameters.StateMachineArn,
        name: typeof parameters.Name === "string" ? parameters.Name : undefined,
        input:
          taskInput === undefined
            ? undefined
            : typeof taskInput === "string"
              ? taskInput
              : JSON.stringify(taskInput),
      });
      return { ExecutionArn: started.executionArn, StartDate: started.startDateMs };
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      const code = error.errorType.endsWith("Exception")
        ? error.errorType
        : `${error.errorType}Exception`;
      throw aslError(
        `StepFunctions.${code}`,
        `${error.message} (Service: Sfn; Status Code: ${error.status}; Error Code: ${error.errorType})`,
      );
    }
  }

  async #wait(wait: WaitSpec, input: JsonValue, signal: AbortSignal): Promise<JsonValue> {
    const parameters = isObject(input) ? input : {};
    let ms: number;
    let output: JsonValue = input;
    if ("seconds" in wait) {
      ms = wait.seconds * 1000;
    } else if ("timestamp" in wait) {
      ms = Date.parse(wait.timestamp) - Date.now();
    } else if ("secondsFromInput" in wait) {
      const seconds = parameters.seconds;
      output = parameters.input ?? null;
      if (!(typeof seconds === "number" && Number.isSafeInteger(seconds) && seconds >= 0)) {
        throw aslError(
          "States.Runtime",
          `The Wait state's SecondsPath must point to a whole number of seconds, at least 0; it found ${JSON.stringify(seconds)}.`,
        );
      }
      ms = seconds * 1000;
    } else {
      const timestamp = parameters.timestamp;
      output = parameters.input ?? null;
      const at = typeof timestamp === "string" ? Date.parse(timestamp) : Number.NaN;
      if (Number.isNaN(at)) {
        throw aslError(
          "States.Runtime",
          `The Wait state's TimestampPath must point to an ISO 8601 timestamp; it found ${JSON.stringify(timestamp)}.`,
        );
      }
      ms = at - Date.now();
    }
    await sleep(ms * this.waitScale, signal);
    return output;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    void promise.finally(() => this.#inflight.delete(promise)).catch(() => {});
    return promise;
  }

  #closeExecution(
    execution: Execution,
    status: Exclude<ExecutionStatus, "RUNNING">,
    result: { readonly output?: string; readonly error?: string; readonly cause?: string },
  ): void {
    if (execution.status !== "RUNNING") return;
    execution.status = status;
    execution.stopDateMs = this.#nowMs();
    this.#usage?.executionClosed(execution.executionArn);
    if (result.output !== undefined) execution.output = result.output;
    if (result.error !== undefined) execution.error = result.error;
    if (result.cause !== undefined) execution.cause = result.cause;
    // Wakes its Wait states and keeps its tasks from running again (the interpreter stops at the
    // next state, but a retry or a sleep of the current one would otherwise carry on).
    execution.controller.abort();
    const description = describe(execution);
    for (const wake of execution.closedWaiters.splice(0)) wake(description);
    try {
      this.#onClosed(description);
    } catch (error) {
      // The hook runs in the background: throwing there would crash the process, not a caller.
      console.error(`[local stepfunctions] onExecutionClosed threw: ${String(error)}`);
    }
  }
}

// Alike: aws's handlers/audit-stream.ts chainDeps, in shape only (a record copied field by field).
function describe(execution: Execution): ExecutionDescription {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    input: execution.input,
    startDateMs: execution.startDateMs,
    ...(execution.stopDateMs === undefined ? {} : { stopDateMs: execution.stopDateMs }),
    ...(execution.output === undefined ? {} : { output: execution.output }),
    ...(execution.error === undefined ? {} : { error: execution.error }),
    ...(execution.cause === undefined ? {} : { cause: execution.cause }),
  };
}

/** An execution as DescribeExecution (`full`) or ListExecutions answers it. */
function wireExecution(e: ExecutionDescription, full: boolean): JsonObject {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: epochSeconds(e.startDateMs),
    ...(e.stopDateMs === undefined ? {} : { stopDate: epochSeconds(e.stopDateMs) }),
    ...(full
      ? {
          input: e.input,
          inputDetails: { included: true },
          ...(e.output === undefined
            ? {}
            : { output: e.output, outputDetails: { included: true } }),
          ...(e.error === undefined ? {} : { error: e.error }),
          ...(e.cause === undefined ? {} : { cause: e.cause }),
        }
      : {}),
  };
}

/** `maxResults` of a list operation: 0 or absent is the default 100; at most 1,000. */
function maxResultsOf(input: JsonObject): number {
  const value = input.maxResults ?? 0;
  if (!(typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= 1000)) {
    throw new AwsServiceError(
      "ValidationException",
      "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 1000",
    );
  }
  return value === 0 ? 100 : value;
}

function reportClosed(execution: ExecutionDescription): void {
  if (execution.status === "FAILED" || execution.status === "TIMED_OUT") {
    console.error(
      `[local stepfunctions] execution ${execution.name} ${execution.status}: ${execution.error ?? ""}: ${execution.cause ?? ""}`,
    );
  }
}

export interface RunningLocalStepFunctions extends ListeningEndpoint {
  readonly service: LocalStepFunctions;
  /** The ARN of each state machine, by name. */
  readonly stateMachineArns: { readonly [name: string]: string };
  executions(): readonly ExecutionDescription[];
  describeExecution(executionArn: string): ExecutionDescription;
  waitForExecution(executionArn: string): Promise<ExecutionDescription>;
}

/**
 * Starts the local Step Functions on loopback. Throws `LocalStepFunctionsError` if a definition
 * is not valid ASL, a task has nothing to run it, or a handler has no task. `close()` stops
 * listening, then stops the running executions (see `LocalStepFunctions.close`).
 */
export async function startLocalStepFunctions(
  options: LocalStepFunctionsOptions,
): Promise<RunningLocalStepFunctions> {
  const service = await LocalStepFunctions.create(options);
  const endpoint = await listen((request) => service.handle(request), { port: options.port });
  let closing: Promise<void> | undefined;
  return {
    url: endpoint.url,
    port: endpoint.port,
    service,
    stateMachineArns: Object.fromEntries(
      Object.keys(options.stateMachines).map((name) => [name, service.stateMachineArn(name)]),
    ),
    executions: () => service.executions(),
    describeExecution: (arn) => service.describeExecution(arn),
    waitForExecution: (arn) => service.waitForExecution(arn),
    // Idempotent: a test may close early, and its cleanup closes again.
    close: () => {
      closing ??= (async () => {
        await endpoint.close();
        await service.close();
      })();
      return closing;
    },
  };
}
