/** What the gateway is started with, and the defaults of what may be left out. */
import type { ServiceTap } from "../protocol.js";
import type { WebSocketUsage } from "../usage.js";
import type { WebSocketGatewayErrorSite, WebSocketGatewayHandlers } from "./types.js";

export const DEFAULT_STAGE = "local";

export interface WebSocketGatewayOptions {
  readonly handlers: WebSocketGatewayHandlers;
  /** Port on 127.0.0.1; default: a free one. */
  readonly port?: number;
  /** The stage: the first path segment of the socket URL and of `@connections`. Default `local`. */
  readonly stage?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** The API id in events and ARNs; default: 10 random characters, as AWS's. */
  readonly apiId?: string;
  /** Default 29 s, API Gateway's. */
  readonly integrationTimeoutMs?: number;
  /**
   * Called with what API Gateway would write to its logs or CloudWatch: a handler that threw or
   * timed out, a malformed answer. Default: `console.error`.
   */
  readonly onError?: (error: unknown, site: WebSocketGatewayErrorSite) => void;
  /**
   * Counts messages and connection time, as API Gateway bills them (the local stack's
   * `UsageMeter`). Default: none.
   */
  readonly usage?: WebSocketUsage;
  /**
   * Records each `@connections` request that reached a connection's route (operations
   * `PostToConnection`, `GetConnection` and `DeleteConnection`, input `{ ConnectionId, path }`, the
   * path as sent, percent-encoding included) and fails chosen ones as a whole (tests). Default:
   * none.
   */
  readonly tap?: ServiceTap;
  /**
   * Message-route invocations in flight at most, as a Lambda function's concurrency limit.
   * Messages beyond it wait their turn, up to `messageQueueMax` of them and `messageQueueWaitMsMax`
   * each; a message that cannot wait is throttled, and its sender gets API Gateway's
   * `Internal server error` frame (clients send it again later). Without a bound an overloaded
   * machine queues every message until every one times out. Default 64.
   */
  readonly messageConcurrencyMax?: number;
  /** Messages waiting for an invocation at most. Default 4,096. */
  readonly messageQueueMax?: number;
  /** How long a message may wait for an invocation. Default 2,000 ms. */
  readonly messageQueueWaitMsMax?: number;
}

/** See `WebSocketGatewayOptions.messageConcurrencyMax`. */
export const DEFAULT_MESSAGE_CONCURRENCY_MAX = 64;
export const DEFAULT_MESSAGE_QUEUE_MAX = 4096;
export const DEFAULT_MESSAGE_QUEUE_WAIT_MS_MAX = 2000;
