/**
 * @ledgerquest/client: LedgerQuest's client SDK for browsers and Node. Connect to a world with a
 * token, send the game's typed commands (each applied exactly once, through resends and
 * reconnects), follow the world's state, ask queries. See docs/reference/client-sdk.md.
 *
 * @example
 * ```ts
 * import { connect } from "@ledgerquest/client";
 * import type { Commands } from "my-game"; // CommandsOf<typeof game>
 *
 * const client = await connect<Commands>({ url, world: "demo", token });
 * const ack = await client.send("move", { dx: 1, dy: 0 });
 * if (!ack.ok) console.warn(ack.code, ack.path, ack.message);
 * client.on("state", () => draw(client.store.entities));
 * ```
 */
export {
  type BackoffOptions,
  backoffDelayMs,
  DEFAULT_BACKOFF,
  retryDelayMs,
} from "./backoff.js";
export {
  Client,
  type ClientEvents,
  type ClientFailureCode,
  type ClientOptions,
  type ClientProblem,
  type ConnectionStatus,
  connect,
  createClient,
  type Failure,
  type QueryOptions,
  type QueryResult,
  type ReconnectOptions,
  type RetryOptions,
  type SendOptions,
  type SendResult,
  type TokenProvider,
} from "./client.js";
export { ClientError, ClientOptionsError, NoWebSocketError } from "./errors.js";
export { exampleOf } from "./example.js";
export { frameIds, ID_PREFIX_MAX, randomSessionId } from "./ids.js";
export { type InterpolationOptions, Interpolator, lerp } from "./interpolation.js";
export {
  type AccountEntry,
  type AckFrame,
  type CommandMap,
  type EntityLook,
  type EntityView,
  type ErrorFrame,
  FRAME_ID_PATTERN,
  type GameDescription,
  type GatewayFailureFrame,
  type JournalEntry,
  type JsonValue,
  type LedgerQueryResult,
  MAX_FRAME_BYTES,
  type PlayerRecord,
  type QueryParams,
  type QueryResultFrame,
  type QueryResults,
  type QueryType,
  type ReplayMismatch,
  type ReplayReport,
  readServerFrame,
  SERVER_ERROR_CODES,
  type ServerErrorCode,
  type ServerFrame,
  type StatePushFrame,
  type StateQueryResult,
  type TransferEntry,
  type VerifyWorldProblem,
  type VerifyWorldReport,
  type WorldsQueryResult,
} from "./protocol.js";
export { globalWebSocket, type WebSocketConstructor, type WebSocketLike } from "./socket.js";
export { type ApplyResult, type StateChange, WorldStore } from "./store.js";
