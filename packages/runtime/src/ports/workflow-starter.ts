/**
 * The workflow starter port: starts a world's game loop (a Step Functions execution in AWS).
 * Execution names are deterministic, so starting twice is answered `exists`, not a second loop.
 */
export type StartResult = "started" | "exists";

export interface WorkflowStarter {
  start(name: string, input: { readonly [key: string]: unknown }): Promise<StartResult>;
}
