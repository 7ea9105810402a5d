/**
 * The emulators' own failures: a bad option at start, a definition an emulator cannot run, a
 * handler that misbehaved. One base class, so a caller can tell an emulator's failure from the
 * failure of what runs on it; the errors an emulated service answers its clients with are not
 * these (they are `AwsServiceError`s of `protocol.ts`, sent over the wire as AWS sends them).
 *
 * Alike: each class here and the next (one small class per emulator, so a catch can tell them
 * apart).
 */

/** The base of every emulator's failure. */
export class EmulatorError extends Error {
  override readonly name: string = "EmulatorError";
}

/** The EventBridge emulator's: a rule it cannot route, a target missing, the bus closed. */
export class LocalEventBridgeError extends EmulatorError {
  override readonly name: string = "LocalEventBridgeError";
}

/** The Step Functions emulator's: a definition or task it cannot run. */
export class LocalStepFunctionsError extends EmulatorError {
  override readonly name: string = "LocalStepFunctionsError";
}

/** The S3 emulator's: a bad bucket name, port or folder. */
export class LocalS3Error extends EmulatorError {
  override readonly name: string = "LocalS3Error";
}

/** The WebSocket API emulator's: a bad option at start, a handler that misbehaved, a throttle. */
export class WebSocketGatewayError extends EmulatorError {
  override readonly name: string = "WebSocketGatewayError";
}

/**
 * A test client's expectation of the gateway not met (`testing.ts`): a handshake refused that was
 * to succeed, or the other way round, or frames that did not arrive in time.
 */
export class GatewayClientError extends EmulatorError {
  override readonly name: string = "GatewayClientError";
}
