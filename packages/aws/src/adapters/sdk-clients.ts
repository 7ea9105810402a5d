/**
 * The HTTP timeouts of every AWS SDK client the handlers build, in one place.
 *
 * The SDK's Node request handler waits forever by default: no connection timeout, no request
 * timeout, no idle-socket timeout. A service endpoint that accepts a connection and never answers
 * (a half-open connection after a network fault, a stuck load balancer) then holds the invocation
 * until Lambda kills it at its own timeout, with no typed error, no retry and no log line saying
 * which call hung. With these, such a call fails with the SDK's `TimeoutError`, which the SDK's
 * retry strategy retries (up to its 3 attempts) and each adapter then reports as its typed error
 * (`StoreUnavailableError` for DynamoDB, Step Functions and API Gateway, `PublishError` for
 * EventBridge).
 *
 * Three timers, because each covers a different hang:
 * - `connectionTimeout`: the TCP connection is not up in time;
 * - `requestTimeout`: no response headers in time, counted from the start of the request (so a
 *   request body's upload included). The handler only warns about it unless
 *   `throwOnRequestTimeout` is set, so it is always set here;
 * - `socketTimeout`: the socket is idle that long, which also covers a response body that stops
 *   arriving after its headers (an S3 object read).
 *
 * The values bound the worst case of one SDK call to about `maxAttempts × requestTimeout` plus the
 * SDK's backoff: 3 × 3 s for DynamoDB keeps a command within its function's 10 s timeout, so the
 * client gets a typed answer rather than a killed invocation.
 */

/** The timeouts of one client, in milliseconds. */
export interface SdkTimeouts {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly socketTimeoutMs: number;
}

/**
 * Time for a TCP connection to a regional endpoint. Connections inside a region take
 * milliseconds; 2 s still survives one lost SYN, which Linux sends again after 1 s.
 */
export const SDK_CONNECTION_TIMEOUT_MS = 2_000;

/**
 * Time to the response headers of a small request. The slowest of ours, a Query of one 1 MB page
 * or a 100-item transaction, answers in well under a second.
 */
export const SDK_REQUEST_TIMEOUT_MS = 3_000;

/**
 * Time to the response headers of an S3 PutObject, whose body (a world state, a few MB at most)
 * is uploaded inside this time.
 */
export const S3_REQUEST_TIMEOUT_MS = 10_000;

/** Longest silence on an open socket: a response body that stops arriving. */
export const SDK_SOCKET_TIMEOUT_MS = 5_000;

/** The services the handlers call, each with its timeouts. */
export const SDK_TIMEOUTS = {
  dynamodb: {
    connectionTimeoutMs: SDK_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: SDK_REQUEST_TIMEOUT_MS,
    socketTimeoutMs: SDK_SOCKET_TIMEOUT_MS,
  },
  eventbridge: {
    connectionTimeoutMs: SDK_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: SDK_REQUEST_TIMEOUT_MS,
    socketTimeoutMs: SDK_SOCKET_TIMEOUT_MS,
  },
  sfn: {
    connectionTimeoutMs: SDK_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: SDK_REQUEST_TIMEOUT_MS,
    socketTimeoutMs: SDK_SOCKET_TIMEOUT_MS,
  },
  apigateway: {
    connectionTimeoutMs: SDK_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: SDK_REQUEST_TIMEOUT_MS,
    socketTimeoutMs: SDK_SOCKET_TIMEOUT_MS,
  },
  s3: {
    connectionTimeoutMs: SDK_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: S3_REQUEST_TIMEOUT_MS,
    socketTimeoutMs: SDK_SOCKET_TIMEOUT_MS,
  },
} as const satisfies Readonly<Record<string, SdkTimeouts>>;

export type SdkService = keyof typeof SDK_TIMEOUTS;

/**
 * The options of the SDK's Node request handler, as every v3 client takes them in its
 * `requestHandler` setting (the client builds its `NodeHttpHandler` from them).
 */
export interface SdkRequestHandlerOptions {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly throwOnRequestTimeout: true;
  readonly socketTimeout: number;
}

/**
 * The client options for `service`: spread into the options of every SDK client the handlers
 * build, with the call site's own options after them. `overrides` is for tests that need a short
 * timeout.
 */
export function sdkClientOptions(
  service: SdkService,
  overrides: Partial<SdkTimeouts> = {},
): { readonly requestHandler: SdkRequestHandlerOptions } {
  const timeouts = { ...SDK_TIMEOUTS[service], ...overrides };
  for (const [name, value] of Object.entries(timeouts)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a whole number of milliseconds, got ${value}`);
    }
  }
  return {
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeouts.socketTimeoutMs,
    },
  };
}
