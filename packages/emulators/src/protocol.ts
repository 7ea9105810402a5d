/**
 * The server side of the AWS protocols the SDK speaks, for the emulators of AWS services (which
 * the local stack serves and the adapters' tests talk to). What they share: a loopback HTTP
 * listener that reads whole request bodies, the AWS JSON 1.0 / 1.1 RPC protocol (the one
 * EventBridge and Step Functions speak: `POST /` with `X-Amz-Target: <Service>.<Operation>`), and
 * its response and error shapes.
 *
 * Each endpoint is a `RequestHandler` plus its own state, so the local stack can serve several
 * behind one listener or each on its own port. None verifies signatures (the local credentials
 * are dummies, as with DynamoDB Local), but each refuses an unsigned request as AWS does, so a
 * client that forgot to sign fails here rather than first in the cloud.
 */
import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export interface HttpRequest {
  readonly method: string;
  /** The path as sent (still percent-encoded), without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers?: { readonly [name: string]: string };
  readonly body?: string | Uint8Array;
}

export type RequestHandler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export interface ListeningEndpoint {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections (the SDK keeps them alive). */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** Largest request body read, in bytes; larger ones are answered 413. Default 16 MiB. */
  readonly maxBodyBytes?: number;
}

/** Serves `handler` on 127.0.0.1 (an IP: Node may resolve `localhost` to ::1). */
export async function listen(
  handler: RequestHandler,
  options: ListenOptions = {},
): Promise<ListeningEndpoint> {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const server = createServer((req, res) => {
    void serve(handler, maxBodyBytes, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(
  handler: RequestHandler,
  maxBodyBytes: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let response: HttpResponse;
  try {
    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) {
      response = {
        status: 413,
        headers: { "content-type": "application/json" },
        body: '{"message":"Request too large"}',
      };
    } else {
      const url = new URL(req.url ?? "/", "http://localhost");
      response = await handler({
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      });
    }
  } catch (error) {
    // A bug in an endpoint: answer as AWS answers its own failures, and say what broke.
    response = {
      status: 500,
      headers: { "content-type": "application/json", "x-amzn-errortype": "InternalFailure" },
      body: JSON.stringify({ __type: "InternalFailure", message: String(error) }),
    };
  }
  if (res.destroyed) return;
  res.writeHead(response.status, { "x-amzn-requestid": randomUUID(), ...response.headers });
  res.end(response.body);
}

/** The whole body, or undefined once it passes `maxBytes` (the rest is drained unread). */
export async function readBody(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    length += buffer.length;
    if (length <= maxBytes) chunks.push(buffer);
  }
  return length > maxBytes ? undefined : Buffer.concat(chunks);
}

/** Whether the request carries a SigV4 signature (checked for presence, not validity). */
export function isSigned(request: HttpRequest): boolean {
  const authorization = request.headers.authorization;
  return (
    typeof authorization === "string" && authorization.startsWith("AWS4-HMAC-SHA256 Credential=")
  );
}

// ---------------------------------------------------------------------------------------------
// AWS JSON 1.0 / 1.1

export type AwsJsonVersion = "1.0" | "1.1";

/** A JSON object as parsed from a request body. */
export type JsonObject = { readonly [key: string]: unknown };

/**
 * A request a service refuses, thrown by an endpoint's operations and answered as AWS JSON
 * answers errors. `errorType` is the error's code as the SDK names its exception class
 * (`ExecutionAlreadyExists`, `ValidationException`).
 */
export class AwsServiceError extends Error implements ServiceFault {
  override readonly name = "AwsServiceError";

  constructor(
    readonly errorType: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Answers an AWS JSON RPC request: refuses unsigned requests and other targets, parses the body,
 * calls the named operation, and turns an `AwsServiceError` into the error response the SDK
 * reads. An operation not in `operations` is `UnknownOperationException`, as AWS answers it. A
 * `tap` records each request of a known operation and may fail it as a whole (`ServiceTap`).
 */
export async function handleAwsJson(
  request: HttpRequest,
  version: AwsJsonVersion,
  serviceTarget: string,
  operations: { readonly [operation: string]: (input: JsonObject) => unknown },
  tap?: ServiceTap,
): Promise<HttpResponse> {
  if (!isSigned(request)) {
    return awsJsonError(
      version,
      new AwsServiceError("MissingAuthenticationTokenException", "Missing Authentication Token"),
    );
  }
  const target = request.headers["x-amz-target"];
  const [service, operation] = typeof target === "string" ? target.split(".") : [];
  const run =
    request.method === "POST" && service === serviceTarget && operation !== undefined
      ? Object.hasOwn(operations, operation)
        ? operations[operation]
        : undefined
      : undefined;
  if (run === undefined) {
    return awsJsonError(
      version,
      new AwsServiceError(
        "UnknownOperationException",
        `Operation ${String(target)} is not supported by this local endpoint (it serves ${serviceTarget}.${Object.keys(operations).join(", ")})`,
      ),
    );
  }
  const input = jsonObjectBody(request);
  if (input === undefined) {
    return awsJsonError(
      version,
      new AwsServiceError("SerializationException", "The request body must be a JSON object"),
    );
  }
  const fault = tap?.take(operation as string, input);
  if (fault !== undefined) return awsJsonError(version, fault);
  try {
    return awsJsonResponse(version, await run(input));
  } catch (error) {
    if (error instanceof AwsServiceError) return awsJsonError(version, error);
    throw error;
  }
}

/** The request's JSON body as an object (an empty body is `{}`), or undefined if not one. */
export function jsonObjectBody(request: HttpRequest): JsonObject | undefined {
  if (request.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(request.body.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

export function awsJsonResponse(version: AwsJsonVersion, output: unknown): HttpResponse {
  return {
    status: 200,
    headers: { "content-type": `application/x-amz-json-${version}` },
    body: JSON.stringify(output ?? {}),
  };
}

/** An AWS JSON error: the SDK reads its code from `__type` (a namespace prefix is optional). */
export function awsJsonError(version: AwsJsonVersion, error: ServiceFault): HttpResponse {
  return {
    status: error.status,
    headers: { "content-type": `application/x-amz-json-${version}` },
    body: JSON.stringify({ __type: error.errorType, message: error.message }),
  };
}

/**
 * The operation an AWS JSON request names in `X-Amz-Target` (`AWSEvents.PutEvents` →
 * `PutEvents`), or undefined if it is not for `serviceTarget` or not a POST to `/`.
 */
export function jsonRpcOperation(request: HttpRequest, serviceTarget: string): string | undefined {
  const target = request.headers["x-amz-target"];
  if (request.method !== "POST" || request.path !== "/" || typeof target !== "string")
    return undefined;
  const [service, operation] = target.split(".");
  return service === serviceTarget && operation !== undefined && operation !== ""
    ? operation
    : undefined;
}

// ---------------------------------------------------------------------------------------------
// Failures, as services answer them and as tests inject them

/** A whole-request failure as a service answers it. */
export interface ServiceFault {
  readonly status: number;
  /** The error's code, e.g. `ThrottlingException`. */
  readonly errorType: string;
  readonly message: string;
}

/** Whole-request failures to answer, in order, each a number of times. */
export class FaultQueue {
  readonly #queue: { fault: ServiceFault; skip: number; remaining: number }[] = [];

  /**
   * After `afterRequests` requests that pass (counted once the faults queued before this one are
   * spent), the next `times` requests fail with `fault`.
   */
  add(fault: ServiceFault, times = 1, afterRequests = 0): void {
    if (times > 0) this.#queue.push({ fault, skip: afterRequests, remaining: times });
  }

  /** The fault for this request, if one is due. */
  take(): ServiceFault | undefined {
    const head = this.#queue[0];
    if (head === undefined) return undefined;
    if (head.skip > 0) {
      head.skip -= 1;
      return undefined;
    }
    head.remaining -= 1;
    if (head.remaining <= 0) this.#queue.shift();
    return head.fault;
  }
}

/**
 * What an emulator received, per operation, and the whole-request failures a test makes it answer:
 * for tests of a client's requests, retries and error handling. Opt-in (an emulator given none
 * keeps no log); a request it fails never reaches the operation, as when AWS refuses it.
 */
export class ServiceTap {
  readonly #received = new Map<string, JsonObject[]>();
  readonly #faults = new Map<string, FaultQueue>();

  /** The input of every request of `operation` that reached the emulator, failed ones too. */
  received(operation: string): readonly JsonObject[] {
    return this.#received.get(operation) ?? [];
  }

  /**
   * After `afterRequests` requests of `operation` that pass (counted once the faults queued before
   * this one are spent), the next `times` fail as a whole with `fault`.
   */
  fail(operation: string, fault: ServiceFault, times = 1, afterRequests = 0): void {
    let queue = this.#faults.get(operation);
    if (queue === undefined) {
      queue = new FaultQueue();
      this.#faults.set(operation, queue);
    }
    queue.add(fault, times, afterRequests);
  }

  /** Records a request of `operation`; the fault to answer it with, if one is due. */
  take(operation: string, input: JsonObject): ServiceFault | undefined {
    const received = this.#received.get(operation);
    if (received === undefined) this.#received.set(operation, [input]);
    else received.push(input);
    return this.#faults.get(operation)?.take();
  }
}

/** AWS JSON timestamps: epoch seconds, fractions allowed. */
export function epochSeconds(timeMs: number): number {
  return timeMs / 1000;
}

/** A string member of a request, or undefined when absent; anything else is a validation error. */
export function optionalString(input: JsonObject, member: string): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new AwsServiceError(
      "ValidationException",
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must be a string`,
    );
  }
  return value;
}

/** A required string member of a request. */
export function requiredString(input: JsonObject, member: string): string {
  const value = optionalString(input, member);
  if (value === undefined) {
    throw new AwsServiceError(
      "ValidationException",
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

/**
 * A page of `items` for an AWS list operation: `nextToken` is the offset of the next page, as
 * text. A token this endpoint did not issue is `InvalidToken`, as Step Functions answers.
 */
export function page<T>(
  items: readonly T[],
  maxResults: number,
  nextToken: string | undefined,
  invalidTokenType = "InvalidToken",
): { readonly items: readonly T[]; readonly nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined) {
    start = Number(nextToken);
    if (!Number.isSafeInteger(start) || start < 0 || String(start) !== nextToken) {
      throw new AwsServiceError(invalidTokenType, `Invalid Token: '${nextToken}'`);
    }
  }
  const end = start + maxResults;
  return end < items.length
    ? { items: items.slice(start, end), nextToken: String(end) }
    : { items: items.slice(start) };
}

/** The account of stand-in endpoints' ARNs (the one LocalStack uses too). */
export const LOCAL_ACCOUNT = "000000000000";
/** The region stand-in endpoints answer for unless told another. */
export const LOCAL_REGION = "us-east-1";
