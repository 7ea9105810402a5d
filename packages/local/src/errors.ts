/** The local stack's base error: every failure of an emulator or of the stack itself. */
export class LocalStackError extends Error {
  override readonly name: string = "LocalStackError";
}

/** The WebSocket API emulator's own failures: a bad option at start, a handler that misbehaved, a throttle. */
export class WebSocketGatewayError extends LocalStackError {
  override readonly name: string = "WebSocketGatewayError";
}
