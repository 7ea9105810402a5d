/**
 * What the emulators tell a usage meter, as the services bill it. The local stack's `UsageMeter`
 * (packages/local/src/usage.ts) implements all three; an emulator given none counts nothing.
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

/**
 * API Gateway bills WebSocket messages (in 32 KB units: the meter's to count) and connection
 * minutes; the WebSocket gateway reports each message with its size, and each connection as it
 * opens and closes.
 */
export interface WebSocketUsage {
  /** A message from a client (`in`), a route response (`reply`), or an `@connections` post. */
  webSocketMessage(kind: "in" | "reply" | "push", bytes: number): void;
  connectionOpened(connectionId: string): void;
  connectionClosed(connectionId: string): void;
}
