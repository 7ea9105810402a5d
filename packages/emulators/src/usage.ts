/**
 * What the emulators tell a usage meter, as the services bill it. The local stack's `UsageMeter`
 * (packages/local/src/usage.ts) implements both; an emulator given none counts nothing.
 */

/** EventBridge bills accepted events in 64 KB chunks of their entry size. */
export interface EventBridgeUsage {
  /** An event the bus accepted: its detail-type and its PutEvents entry size in bytes. */
  eventPut(detailType: string, bytes: number): void;
}

/** Step Functions bills standard workflows by state transition; executions are counted too. */
export interface StepFunctionsUsage {
  /** A state entered, or a retry of one, in an execution of `stateMachine`. */
  stateTransition(stateMachine: string): void;
  executionStarted(stateMachine: string, executionArn: string, input: string): void;
  executionClosed(executionArn: string): void;
}
