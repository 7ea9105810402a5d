/**
 * A local Step Functions endpoint: `StartExecution` over AWS JSON 1.0 (`X-Amz-Target:
 * AWSStepFunctions.StartExecution`), as `@aws-sdk/client-sfn` sends it. It records executions of
 * the state machines it knows; running them (the ASL interpreter) is the local stack's business
 * and hooks in through `subscribe` and `closeExecution`.
 *
 * It answers a repeated name as Step Functions documents for standard workflows: while the
 * execution is open, the same input is an idempotent repeat, answered 200 with the first start's
 * `executionArn` and `startDate`; another input is 400 `ExecutionAlreadyExists`; once the execution
 * has closed, any start under its name is `ExecutionAlreadyExists`. Names and inputs are checked
 * as StartExecution checks them (`InvalidName`, `InvalidExecutionInput`, `InvalidArn`,
 * `StateMachineDoesNotExist`).
 */
import { randomUUID } from "node:crypto";
import {
  type AwsJsonVersion,
  awsJsonError,
  awsJsonResponse,
  FaultQueue,
  type HttpRequest,
  type HttpResponse,
  isSigned,
  jsonObjectBody,
  jsonRpcOperation,
  type ListeningEndpoint,
  type ListenOptions,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  listen,
  type ServiceFault,
} from "@ledgerquest/emulators/protocol";

const VERSION: AwsJsonVersion = "1.0";
const SERVICE_TARGET = "AWSStepFunctions";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** The input's JSON text, as sent. */
  readonly input: string;
  readonly startDateMs: number;
  readonly status: ExecutionStatus;
}

export interface StepFunctionsEndpointOptions {
  readonly account?: string;
  readonly region?: string;
  readonly nowMs?: () => number;
}

/** StartExecution's limit on the input: 256 KB of UTF-8. */
const MAX_INPUT_BYTES = 256 * 1024;
const MAX_NAME_CHARS = 80;
/**
 * What StartExecution refuses in a name: whitespace, brackets, wildcards, the listed special
 * characters, and control characters (U+0000-001F, U+007F-009F).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: AWS refuses exactly these characters.
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;
const STATE_MACHINE_ARN =
  /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;

export class StepFunctionsEndpoint {
  readonly account: string;
  readonly region: string;
  readonly #nowMs: () => number;
  readonly #stateMachines = new Set<string>();
  /** By execution ARN, in start order. */
  readonly #executions = new Map<string, Execution>();
  readonly #faults = new FaultQueue();
  readonly #listeners = new Set<(execution: Execution) => void>();
  #requests = 0;

  constructor(options: StepFunctionsEndpointOptions = {}) {
    this.account = options.account ?? LOCAL_ACCOUNT;
    this.region = options.region ?? LOCAL_REGION;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  listen(options?: ListenOptions): Promise<ListeningEndpoint> {
    return listen((request) => this.handle(request), options);
  }

  /** Registers a state machine (its definition is not this endpoint's concern); returns its ARN. */
  createStateMachine(name: string): string {
    const arn = `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
    this.#stateMachines.add(arn);
    return arn;
  }

  /** Every execution started, in start order. */
  executions(): readonly Execution[] {
    return [...this.#executions.values()];
  }

  /** Closes a running execution with `status`, as when its run ends. */
  closeExecution(
    executionArn: string,
    status: Exclude<ExecutionStatus, "RUNNING"> = "SUCCEEDED",
  ): void {
    const execution = this.#executions.get(executionArn);
    if (execution === undefined) throw new Error(`no execution ${executionArn}`);
    this.#executions.set(executionArn, { ...execution, status });
  }

  /** Calls `listener` with every execution started from now on; returns the unsubscribe function. */
  subscribe(listener: (execution: Execution) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** How many StartExecution requests arrived (failed ones included). */
  get requestCount(): number {
    return this.#requests;
  }

  /**
   * The next `times` requests fail as a whole with `fault`, after `afterRequests` that pass
   * (and after the failures already queued).
   */
  failRequests(fault: ServiceFault, times = 1, afterRequests = 0): void {
    this.#faults.add(fault, times, afterRequests);
  }

  handle(request: HttpRequest): HttpResponse {
    if (!isSigned(request)) {
      return awsJsonError(VERSION, {
        status: 400,
        errorType: "MissingAuthenticationTokenException",
        message: "Missing Authentication Token",
      });
    }
    const operation = jsonRpcOperation(request, SERVICE_TARGET);
    if (operation === "ListExecutions") return this.#listExecutions(jsonObjectBody(request) ?? {});
    if (operation !== "StartExecution") {
      return awsJsonError(VERSION, {
        status: 400,
        errorType: "UnknownOperationException",
        message: `Operation ${String(request.headers["x-amz-target"])} is not supported by this endpoint`,
      });
    }
    this.#requests += 1;
    const fault = this.#faults.take();
    if (fault !== undefined) return awsJsonError(VERSION, fault);
    return this.#startExecution(jsonObjectBody(request) ?? {});
  }

  #startExecution(input: { readonly [key: string]: unknown }): HttpResponse {
    const error = (errorType: string, message: string) =>
      awsJsonError(VERSION, { status: 400, errorType, message });

    const stateMachineArn = input.stateMachineArn;
    if (typeof stateMachineArn !== "string" || !STATE_MACHINE_ARN.test(stateMachineArn)) {
      return error("InvalidArn", `Invalid Arn: '${String(stateMachineArn)}'`);
    }
    if (!this.#stateMachines.has(stateMachineArn)) {
      return error(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    }
    const name = input.name === undefined ? randomUUID() : input.name;
    if (
      typeof name !== "string" ||
      name.length < 1 ||
      name.length > MAX_NAME_CHARS ||
      FORBIDDEN_NAME_CHARS.test(name)
    ) {
      return error("InvalidName", `Invalid Name: '${String(name)}'`);
    }
    const json = input.input === undefined ? "{}" : input.input;
    if (typeof json !== "string")
      return error("InvalidExecutionInput", "Invalid State Machine Execution Input");
    if (Buffer.byteLength(json, "utf8") > MAX_INPUT_BYTES) {
      return error(
        "ValidationException",
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_BYTES}`,
      );
    }
    try {
      JSON.parse(json);
    } catch (cause) {
      return error(
        "InvalidExecutionInput",
        `Invalid State Machine Execution Input: '${String(cause)}'`,
      );
    }

    const executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    const existing = this.#executions.get(executionArn);
    if (existing !== undefined) {
      if (existing.status === "RUNNING" && existing.input === json) return this.#started(existing);
      return error("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
    }
    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name,
      input: json,
      startDateMs: this.#nowMs(),
      status: "RUNNING",
    };
    this.#executions.set(executionArn, execution);
    for (const listener of this.#listeners) listener(execution);
    return this.#started(execution);
  }

  /** Pages of at most `maxResults` (default 100, as AWS), newest first; `nextToken` is an offset. */
  #listExecutions(input: { readonly [key: string]: unknown }): HttpResponse {
    const status = typeof input.statusFilter === "string" ? input.statusFilter : undefined;
    const max =
      typeof input.maxResults === "number" && input.maxResults > 0 ? input.maxResults : 100;
    const from = typeof input.nextToken === "string" ? Number(input.nextToken) : 0;
    const all = [...this.#executions.values()]
      .filter((e) => e.stateMachineArn === input.stateMachineArn)
      .filter((e) => status === undefined || e.status === status)
      .reverse();
    const page = all.slice(from, from + max);
    return awsJsonResponse(VERSION, {
      executions: page.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDateMs / 1000,
      })),
      ...(from + max < all.length ? { nextToken: String(from + max) } : {}),
    });
  }

  #started(execution: Execution): HttpResponse {
    // AWS JSON timestamps are epoch seconds.
    return awsJsonResponse(VERSION, {
      executionArn: execution.executionArn,
      startDate: execution.startDateMs / 1000,
    });
  }
}
