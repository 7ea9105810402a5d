/**
 * Logs, metrics and traces for the Lambda handlers, with Powertools for AWS Lambda used through
 * its plain class API (no middy). One `logger`, `metrics` and `tracer` exist per process, created
 * when this module loads, i.e. once per cold start.
 *
 * Outside Lambda (tests, the local stack) the same code runs quietly: the tracer is not even
 * loaded when `AWS_EXECUTION_ENV` is absent or tracing is off (the X-Ray SDK under it is a
 * sixth of a handler's bundle, so it is imported on the first traced invocation only), and metrics are dropped unless asked for (see
 * `observabilitySettings`), so nothing prints EMF blobs or "no metrics" warnings. Logs still go to
 * stdout as JSON at `POWERTOOLS_LOG_LEVEL` (default INFO).
 *
 * Known limit: the logger's per-invocation keys and the metrics buffer are process-wide. Lambda
 * runs one invocation at a time per environment (and Powertools scopes them itself when
 * `AWS_LAMBDA_MAX_CONCURRENCY` is set), but the local stack running handlers concurrently in one
 * process may see one invocation's correlation id on another's log lines.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { Context } from "aws-lambda";
import type { Environment } from "./config.js";

export const METRICS_NAMESPACE = "LedgerQuest";
export const DEFAULT_SERVICE_NAME = "ledgerquest";

/** The custom metrics LedgerQuest emits, by name. Each has one fixed unit (`recordMetric`). */
export const MetricName = {
  /** Wall time of one tick invocation's batch of fixed steps. */
  TickDurationMs: "TickDurationMs",
  TicksPerBatch: "TicksPerBatch",
  CommandsApplied: "CommandsApplied",
  LedgerEntries: "LedgerEntries",
  /** Retries of an idempotent commit after a transient failure. */
  CommitRetries: "CommitRetries",
  /** Commits refused because another writer moved the world's version first. */
  CommitConflicts: "CommitConflicts",
  ChainVerificationFailures: "ChainVerificationFailures",
  CommandsRejected: "CommandsRejected",
  /**
   * `$connect` attempts the authorizer refused (401 or 403). Kept apart because a 401 is a thrown
   * error, which Lambda's own `Errors` metric counts alongside real failures.
   */
  ConnectionsRejected: "ConnectionsRejected",
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit];

const METRIC_UNITS: Readonly<Record<MetricName, MetricUnitValue>> = {
  TickDurationMs: MetricUnit.Milliseconds,
  TicksPerBatch: MetricUnit.Count,
  CommandsApplied: MetricUnit.Count,
  LedgerEntries: MetricUnit.Count,
  CommitRetries: MetricUnit.Count,
  CommitConflicts: MetricUnit.Count,
  ChainVerificationFailures: MetricUnit.Count,
  CommandsRejected: MetricUnit.Count,
  ConnectionsRejected: MetricUnit.Count,
};

export interface ObservabilitySettings {
  /** `POWERTOOLS_SERVICE_NAME`, or `ledgerquest`. */
  readonly serviceName: string;
  /** Whether metrics are written to stdout as CloudWatch EMF. */
  readonly metricsEnabled: boolean;
}

// The spellings Powertools itself accepts for its boolean variables.
const TRUTHY = new Set(["1", "y", "yes", "t", "true", "on"]);

function isTruthy(value: string): boolean {
  return TRUTHY.has(value.trim().toLowerCase());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/**
 * Settings derived from the environment. Metrics follow `POWERTOOLS_METRICS_DISABLED` when it is
 * set; otherwise they are off under `POWERTOOLS_DEV` and, unlike Powertools' own default, off
 * outside Lambda (no `AWS_LAMBDA_FUNCTION_NAME`): EMF on a laptop's stdout reaches no CloudWatch
 * and only buries the logs. `POWERTOOLS_METRICS_DISABLED=false` shows them locally.
 */
export function observabilitySettings(env: Environment = process.env): ObservabilitySettings {
  const serviceName = nonEmpty(env.POWERTOOLS_SERVICE_NAME) ?? DEFAULT_SERVICE_NAME;
  const disabled = nonEmpty(env.POWERTOOLS_METRICS_DISABLED);
  const dev = nonEmpty(env.POWERTOOLS_DEV);
  const metricsEnabled =
    disabled !== undefined
      ? !isTruthy(disabled)
      : !(dev !== undefined && isTruthy(dev)) &&
        nonEmpty(env.AWS_LAMBDA_FUNCTION_NAME) !== undefined;
  return { serviceName, metricsEnabled };
}

/**
 * Powertools `Metrics` that drops what it buffered instead of printing it when metrics are off, and
 * publishes nothing (rather than warning) when nothing was recorded. Powertools can only be switched
 * off through environment variables, which this package should not rewrite.
 */
class GatedMetrics extends Metrics {
  readonly #enabled: boolean;

  constructor(options: { namespace: string; serviceName: string }, enabled: boolean) {
    super(options);
    this.#enabled = enabled;
  }

  override publishStoredMetrics(): this {
    if (this.#enabled && this.hasStoredMetrics()) return super.publishStoredMetrics();
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }
}

const settings = observabilitySettings();

export const logger: Logger = new Logger({ serviceName: settings.serviceName });

export const metrics: Metrics = new GatedMetrics(
  { namespace: METRICS_NAMESPACE, serviceName: settings.serviceName },
  settings.metricsEnabled,
);

/** Whether this process traces: in Lambda, unless `POWERTOOLS_TRACE_ENABLED` is `false`. */
export function tracingWanted(env: Environment = process.env): boolean {
  return (
    env.AWS_EXECUTION_ENV !== undefined && env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== "false"
  );
}

let tracerLoading: Promise<Tracer | undefined> | undefined;
let loadedTracer: Tracer | undefined;
/** SDK clients made before the tracer loaded: it captures them as it loads. */
const clientsToTrace: object[] = [];

/** The process's tracer, loaded on first use when tracing is wanted; undefined otherwise. */
export function getTracer(): Promise<Tracer | undefined> {
  tracerLoading ??= tracingWanted()
    ? import("@aws-lambda-powertools/tracer").then((m) => {
        const tracer = new m.Tracer({ serviceName: settings.serviceName });
        loadedTracer = tracer;
        for (const client of clientsToTrace.splice(0)) tracer.captureAWSv3Client(client);
        return tracer;
      })
    : Promise.resolve(undefined);
  return tracerLoading;
}

/**
 * Has the tracer record each call of an AWS SDK v3 client as a subsegment of the invocation's
 * trace (service, operation, table or bus, retries, errors), so that a lap's trace reaches from
 * Step Functions through the function into DynamoDB, EventBridge, S3 and API Gateway. Every client
 * the handlers build passes through here. Without tracing it returns the client as it is; the
 * tracer is loaded lazily (see `getTracer`), so a client made before it is captured when it loads,
 * which is before the first traced invocation runs.
 */
export function traceClient<T extends object>(client: T): T {
  if (!tracingWanted()) return client;
  if (loadedTracer !== undefined) loadedTracer.captureAWSv3Client(client);
  else clientsToTrace.push(client);
  return client;
}

/**
 * An X-Ray annotation on the invocation's trace (indexed: `annotation.worldId = "w-1"` finds a
 * world's laps in the X-Ray console); nothing without tracing.
 */
export function annotateTrace(key: string, value: string | number | boolean): void {
  if (loadedTracer?.isTracingEnabled()) loadedTracer.putAnnotation(key, value);
}

/** Adds one value of a LedgerQuest metric, in that metric's unit; published when the handler ends. */
export function recordMetric(name: MetricName, value: number): void {
  metrics.addMetric(name, METRIC_UNITS[name], value);
}

/** A Lambda handler in async form. */
export type LambdaHandler<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

export interface ObservedHandlerOptions<TEvent> {
  /**
   * The invocation's correlation id. Defaults to API Gateway's `requestContext.requestId`, or the
   * WebSocket `connectionId` when there is no request id.
   */
  readonly correlationId?: (event: TEvent) => string | undefined;
}

function stringField(record: unknown, key: string): string | undefined {
  if (typeof record !== "object" || record === null || !(key in record)) return undefined;
  const value: unknown = (record as Record<string, unknown>)[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The ids API Gateway puts on an event; the connection id ties a player's invocations together. */
function apiGatewayIds(event: unknown): { correlationId?: string; connectionId?: string } {
  const requestContext =
    typeof event === "object" && event !== null && "requestContext" in event
      ? event.requestContext
      : undefined;
  const requestId = stringField(requestContext, "requestId");
  const connectionId = stringField(requestContext, "connectionId");
  return { correlationId: requestId ?? connectionId, connectionId };
}

/**
 * Wraps a handler so that each invocation logs with the Lambda context and a correlation id (and
 * the WebSocket connection id), runs inside an X-Ray subsegment when tracing is on, and publishes
 * the metrics it recorded when it ends, whether it returns or throws. The per-invocation log keys
 * are cleared afterwards so they never leak into the next invocation.
 */
export function withObservability<TEvent, TResult>(
  handler: LambdaHandler<TEvent, TResult>,
  options: ObservedHandlerOptions<TEvent> = {},
): LambdaHandler<TEvent, TResult> {
  return async (event, context) => {
    // Only with debug sampling configured: the refresh also resets the level to the one read at
    // load, which would undo a level the local stack sets on the logger.
    if (process.env.POWERTOOLS_LOGGER_SAMPLE_RATE !== undefined)
      logger.refreshSampleRateCalculation();
    logger.addContext(context);
    const ids =
      options.correlationId === undefined
        ? apiGatewayIds(event)
        : { correlationId: options.correlationId(event) };
    if (ids.correlationId !== undefined) logger.appendKeys({ correlation_id: ids.correlationId });
    if (ids.connectionId !== undefined) logger.appendKeys({ connection_id: ids.connectionId });
    if (settings.metricsEnabled) metrics.captureColdStartMetric(context.functionName);
    const tracer = await getTracer();
    const segments = tracer === undefined ? undefined : openHandlerSegment(tracer);
    try {
      const result = await handler(event, context);
      if (segments !== undefined) tracer?.addResponseAsMetadata(result, process.env._HANDLER);
      return result;
    } catch (error) {
      if (segments !== undefined && error instanceof Error) tracer?.addErrorAsMetadata(error);
      throw error;
    } finally {
      if (segments !== undefined && tracer !== undefined) closeHandlerSegment(tracer, segments);
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

type Segment = NonNullable<ReturnType<Tracer["getSegment"]>>;

interface HandlerSegments {
  readonly parent: Segment;
  readonly handler: Segment;
}

// What Powertools' middy `captureLambdaHandler` does: a `## <handler>` subsegment under the
// facade segment Lambda opened, annotated with the cold start and the service.
function openHandlerSegment(tracer: Tracer): HandlerSegments | undefined {
  if (!tracer.isTracingEnabled()) return undefined;
  const parent = tracer.getSegment();
  if (parent === undefined) return undefined;
  const handler = parent.addNewSubsegment(`## ${process.env._HANDLER ?? "handler"}`);
  tracer.setSegment(handler);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  return { parent, handler };
}

function closeHandlerSegment(tracer: Tracer, segments: HandlerSegments): void {
  try {
    segments.handler.close();
  } catch (error) {
    // A segment that fails to serialize loses trace data, never the invocation's result.
    logger.warn("could not close the handler's trace segment", { error });
  }
  tracer.setSegment(segments.parent);
}
