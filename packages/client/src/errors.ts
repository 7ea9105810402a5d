/**
 * The few things the client throws: options that cannot work, found when the client is made.
 * Everything that happens on the wire (refused commands, lost connections, timeouts) is a value,
 * never an exception: see `SendResult` and `QueryResult`.
 */

/** The base of every error the client throws. */
export class ClientError extends Error {
  override readonly name: string = "ClientError";
}

/** An option that cannot work (a bad URL, a world id the server would refuse, a negative delay). */
export class ClientOptionsError extends ClientError {
  override readonly name: string = "ClientOptionsError";
  /** The option at fault, as a path (`reconnect.maxDelayMs`). */
  readonly option: string;

  constructor(option: string, message: string, options?: { readonly cause?: unknown }) {
    super(`${option}: ${message}`, options);
    this.option = option;
  }
}

/**
 * No WebSocket class to connect with: the global `WebSocket` is missing (Node 20) and none was
 * given. Pass `WebSocket` (the `ws` package's class), or use `@ledgerquest/client/node`.
 */
export class NoWebSocketError extends ClientOptionsError {
  override readonly name: string = "NoWebSocketError";

  constructor() {
    super(
      "WebSocket",
      'this runtime has no global WebSocket (Node 20): pass one (`import WebSocket from "ws"`) or import from @ledgerquest/client/node',
    );
  }
}
