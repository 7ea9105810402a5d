/**
 * The `WorkflowStarter` port over Step Functions' StartExecution (`@aws-sdk/client-sfn`), for a
 * standard workflow (the game loop).
 *
 * The execution name is what makes a start idempotent, so it is a deterministic function of the
 * name the caller gives (`executionNameFor`). Step Functions answers:
 *
 * - a new name: the execution starts → `started`;
 * - the same name, execution still running, same input: AWS treats it as a retry of that start and
 *   answers it as the first (same ARN, same start date) → `started`, and no second execution;
 * - the same name with another input, or after the execution closed: `ExecutionAlreadyExists`
 *   → `exists`.
 *
 * The input goes as `JSON.stringify(input)`; one over Step Functions' 256 KB limit, or one that is
 * not JSON, is refused before any request with an `AwsAdapterError`. Other failures, after the
 * SDK's own retries: throttling, ExecutionLimitExceeded (too many open executions, until some end),
 * 5xx and network errors are a `StoreUnavailableError` (transient); anything else (a state machine
 * that does not exist, a bad ARN, missing permission) is an `AwsAdapterError` naming the
 * execution, with the SDK's error as `cause`. The client comes from the caller, so its endpoint
 * follows the SDK's normal configuration (`AWS_ENDPOINT_URL_SFN` for the local stack).
 */

import {
  ExecutionAlreadyExists,
  paginateListExecutions,
  type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import {
  type StartResult,
  StoreUnavailableError,
  safeExecutionName,
  type WorkflowStarter,
} from "@ledgerquest/runtime";
import { AwsAdapterError } from "../errors.js";
import { isTransientSdkError } from "./sdk-errors.js";

/** Step Functions' limit on an execution's input: 256 KB of UTF-8. */
export const START_EXECUTION_MAX_INPUT_BYTES = 256 * 1024;

/** Step Functions' limit on an execution name's length. */
export const EXECUTION_NAME_MAX_CHARS = 80;

const SERVICE = "StepFunctions";

/**
 * The execution name used for the caller's `name`: the name itself if Step Functions (and
 * CloudWatch Logs) take it as it is, else `safeExecutionName`'s readable form and digest, so that
 * names which differ only in replaced or cut characters still name different executions.
 */
export function executionNameFor(name: string): string {
  return safeExecutionName(name, EXECUTION_NAME_MAX_CHARS);
}

export interface StepFunctionsWorkflowStarterOptions {
  /** The state machine to start (the game loop's ARN from the stacks). Required. */
  readonly stateMachineArn: string;
  /** Largest input sent, in UTF-8 bytes of JSON. Default `START_EXECUTION_MAX_INPUT_BYTES`. */
  readonly maxInputBytes?: number;
}

export class StepFunctionsWorkflowStarter implements WorkflowStarter {
  readonly stateMachineArn: string;
  readonly maxInputBytes: number;
  readonly #client: SFNClient;

  constructor(client: SFNClient, options: StepFunctionsWorkflowStarterOptions) {
    if (options.stateMachineArn === "")
      throw new AwsAdapterError("stateMachineArn must not be empty");
    this.#client = client;
    this.stateMachineArn = options.stateMachineArn;
    this.maxInputBytes = options.maxInputBytes ?? START_EXECUTION_MAX_INPUT_BYTES;
  }

  async start(name: string, input: { readonly [key: string]: unknown }): Promise<StartResult> {
    if (name === "") throw new AwsAdapterError("execution name must not be empty");
    const json = this.#inputJson(name, input);
    const executionName = executionNameFor(name);
    try {
      await this.#client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName,
          input: json,
        }),
      );
      return "started";
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return "exists";
      const what = `StartExecution of ${executionName} on ${this.stateMachineArn}`;
      if (isTransientSdkError(error))
        throw new StoreUnavailableError(SERVICE, what, { cause: error });
      const e = error as { name?: string; message?: string };
      throw new AwsAdapterError(
        `${what} failed with ${e.name ?? "an error"}: ${e.message ?? String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async running(): Promise<readonly string[]> {
    const names: string[] = [];
    try {
      for await (const page of paginateListExecutions(
        { client: this.#client, pageSize: 1000 },
        { stateMachineArn: this.stateMachineArn, statusFilter: "RUNNING" },
      )) {
        for (const e of page.executions ?? []) if (e.name !== undefined) names.push(e.name);
      }
    } catch (error) {
      const what = `ListExecutions of ${this.stateMachineArn}`;
      if (isTransientSdkError(error))
        throw new StoreUnavailableError(SERVICE, what, { cause: error });
      const e = error as { name?: string; message?: string };
      throw new AwsAdapterError(
        `${what} failed with ${e.name ?? "an error"}: ${e.message ?? String(error)}`,
        { cause: error },
      );
    }
    return names;
  }

  #inputJson(name: string, input: { readonly [key: string]: unknown }): string {
    let json: string | undefined;
    try {
      json = JSON.stringify(input);
    } catch (error) {
      throw new AwsAdapterError(`input of execution ${name} is not JSON`, { cause: error });
    }
    if (json === undefined || !json.startsWith("{")) {
      throw new AwsAdapterError(`input of execution ${name} must be a JSON object`);
    }
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > this.maxInputBytes) {
      throw new AwsAdapterError(
        `input of execution ${name} is ${bytes} bytes of JSON, over Step Functions' limit of ${this.maxInputBytes}`,
      );
    }
    return json;
  }
}
