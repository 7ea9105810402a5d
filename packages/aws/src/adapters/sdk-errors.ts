/**
 * Which AWS SDK errors mean "try again later", for every adapter: throttling, server faults,
 * errors the SDK's own retry strategy retries, and requests that got no answer. Adapters turn
 * these into the runtime's `StoreUnavailableError` (safe to retry: every write is idempotent).
 */

/** Error names the services use for "slow down" and "took too long". */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  // Every service.
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "InternalError",
  "InternalServerError",
  "ServiceUnavailable",
  // DynamoDB.
  "ProvisionedThroughputExceededException",
  "TransactionInProgressException",
  // S3; and a body that arrived damaged (its checksum did not match): sending it again fixes it.
  "SlowDown",
  "RequestThrottled",
  "RequestThrottledException",
  "BandwidthLimitExceeded",
  "BadDigest",
  "XAmzContentSHA256Mismatch",
  // API Gateway Management.
  "LimitExceededException",
  // Step Functions: too many open executions; they end.
  "ExecutionLimitExceeded",
]);

/** Node's codes for a connection that could not be made or was lost. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** Whether retrying the whole operation later may succeed. */
export function isTransientSdkError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === "number" && (status === 429 || status >= 500)) return true;
  // The SDK marks the errors its own retry strategy retries (throttling among them).
  if (e.$fault === "server" || (typeof e.$retryable === "object" && e.$retryable !== null)) {
    return true;
  }
  if (typeof e.name === "string" && TRANSIENT_NAMES.has(e.name)) return true;
  return typeof e.code === "string" && NETWORK_CODES.has(e.code);
}
