/**
 * With tracing on (in Lambda: `AWS_EXECUTION_ENV` set), every SDK client the handlers build is
 * captured by Powertools' tracer, so each call is a subsegment of the invocation's trace: a client
 * made before the tracer loaded (at cold start) is captured as it loads, one made after at once.
 * A fresh copy of the module is loaded with Lambda's variables, as a cold start would.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it, vi } from "vitest";

const XRAY_MIDDLEWARE = "XRaySDKInstrumentation";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("tracing of the SDK clients", () => {
  it("captures clients made before and after the tracer loads, and only with tracing on", async () => {
    vi.stubEnv("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x");
    vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", "ledgerquest-test-tick");
    vi.stubEnv("AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR");
    vi.resetModules();
    const observability = await import("../src/observability.js");
    const early = new DynamoDBClient({ region: "eu-west-1" });
    expect(observability.traceClient(early)).toBe(early);
    expect(early.middlewareStack.identify().join()).not.toContain(XRAY_MIDDLEWARE);

    const tracer = await observability.getTracer();
    expect(tracer?.isTracingEnabled()).toBe(true);
    expect(early.middlewareStack.identify().join()).toContain(XRAY_MIDDLEWARE);
    const late = observability.traceClient(new EventBridgeClient({ region: "eu-west-1" }));
    expect(late.middlewareStack.identify().join()).toContain(XRAY_MIDDLEWARE);
  });

  it("leaves clients alone outside Lambda", async () => {
    vi.stubEnv("AWS_EXECUTION_ENV", undefined);
    vi.resetModules();
    const observability = await import("../src/observability.js");
    const client = observability.traceClient(new DynamoDBClient({ region: "eu-west-1" }));
    expect(await observability.getTracer()).toBeUndefined();
    expect(client.middlewareStack.identify().join()).not.toContain(XRAY_MIDDLEWARE);
  });
});
