/**
 * The workflow starter port: starts a world's game loop (a Step Functions execution in AWS).
 * Execution names are deterministic, so starting twice never makes a second loop: as AWS does, a
 * repeat with the same input while the first runs is answered `started` (an idempotent retry),
 * and any other repeat `exists`.
 */
export type StartResult = "started" | "exists";

export interface WorkflowStarter {
  start(name: string, input: { readonly [key: string]: unknown }): Promise<StartResult>;
}
