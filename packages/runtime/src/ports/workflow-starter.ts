/**
 * The workflow starter port: starts a world's game loop (a Step Functions execution in AWS).
 * Execution names are deterministic, so starting twice never makes a second loop: as AWS does, a
 * repeat with the same input while the first runs is answered `started` (an idempotent retry),
 * and any other repeat `exists`.
 */
export type StartResult = "started" | "exists";

export interface WorkflowStarter {
  start(name: string, input: { readonly [key: string]: unknown }): Promise<StartResult>;
  /**
   * The names of the executions running now, all of them (the adapter pages through the list).
   * Step Functions' list is eventually consistent: an execution started a moment ago may be
   * missing, which is why a loop also yields to the world's owner by itself.
   */
  running(): Promise<readonly string[]>;
}
