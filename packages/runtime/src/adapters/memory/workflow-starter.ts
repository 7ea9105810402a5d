import { RuntimeError } from "../../errors.js";
import type { StartResult, WorkflowStarter } from "../../ports/workflow-starter.js";

/**
 * A `WorkflowStarter` that records executions in memory, for use-case tests and single-process
 * runs. It answers as Step Functions answers StartExecution for a standard workflow:
 *
 * - a new name starts an execution: `started`;
 * - the same name again while that execution runs, with the same input: `started` again and no
 *   second execution (AWS treats it as a retry of the first start and answers it the same way);
 * - the same name with another input, or after the execution has finished: `exists`, and the
 *   first execution stands.
 *
 * The input travels as JSON, as it does to Step Functions: what an execution holds is the
 * parsed JSON, and "the same input" means the same JSON text.
 */

/** Step Functions' limit on an execution's input: 256 KB of UTF-8. */
export const WORKFLOW_INPUT_MAX_BYTES = 256 * 1024;

export type MemoryExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface MemoryExecution {
  readonly name: string;
  /** The input as the execution received it (parsed from its JSON). */
  readonly input: unknown;
  readonly status: MemoryExecutionStatus;
}

interface Execution {
  readonly name: string;
  readonly inputJson: string;
  status: MemoryExecutionStatus;
}

export class MemoryWorkflowStarter implements WorkflowStarter {
  /** In start order. */
  readonly #executions = new Map<string, Execution>();

  async start(name: string, input: { readonly [key: string]: unknown }): Promise<StartResult> {
    const inputJson = serializeInput(name, input);
    const existing = this.#executions.get(name);
    if (existing === undefined) {
      this.#executions.set(name, { name, inputJson, status: "RUNNING" });
      return "started";
    }
    return existing.status === "RUNNING" && existing.inputJson === inputJson ? "started" : "exists";
  }

  async running(): Promise<readonly string[]> {
    return [...this.#executions.values()].filter((e) => e.status === "RUNNING").map((e) => e.name);
  }

  /** Every execution started, in start order. */
  executions(): readonly MemoryExecution[] {
    return [...this.#executions.values()].map(({ name, inputJson, status }) => ({
      name,
      input: JSON.parse(inputJson) as unknown,
      status,
    }));
  }

  /** Ends a running execution (the loop stopped): its name cannot start anything again. */
  finish(name: string, status: Exclude<MemoryExecutionStatus, "RUNNING"> = "SUCCEEDED"): void {
    const execution = this.#executions.get(name);
    if (execution === undefined) throw new RuntimeError(`no execution named ${name}`);
    execution.status = status;
  }
}

/**
 * The input's JSON, or a `RuntimeError` saying why Step Functions would not take it.
 * Alike: packages/aws/src/adapters/sfn-workflow-starter.ts's #inputJson (the same checks, each
 * adapter throwing its own error class).
 */
function serializeInput(name: string, input: { readonly [key: string]: unknown }): string {
  if (name === "") throw new RuntimeError("execution name must not be empty");
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch (error) {
    throw new RuntimeError(`input of execution ${name} is not JSON`, { cause: error });
  }
  if (json === undefined || !json.startsWith("{")) {
    throw new RuntimeError(`input of execution ${name} must be a JSON object`);
  }
  const bytes = new TextEncoder().encode(json).byteLength;
  if (bytes > WORKFLOW_INPUT_MAX_BYTES) {
    throw new RuntimeError(
      `input of execution ${name} is ${bytes} bytes of JSON, over Step Functions' limit of ${WORKFLOW_INPUT_MAX_BYTES}`,
    );
  }
  return json;
}
