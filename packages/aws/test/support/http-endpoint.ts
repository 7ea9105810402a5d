/**
 * What the local AWS protocol endpoints share: a loopback HTTP listener, whole request bodies,
 * request ids, the shapes of AWS's JSON responses and errors, and failures injected by tests.
 *
 * Each endpoint is a `RequestHandler` plus its own state, so the local stack can serve several
 * behind one listener later, or each on its own port as the tests do. None checks signatures
 * (any credentials are good, as with DynamoDB Local), but each refuses an unsigned request, as AWS
 * does: a client that forgot to sign fails here rather than first in the cloud.
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
  res.writeHead(response.status, { "x-amzn-requestid": randomUUID(), ...response.headers });
  res.end(response.body);
}

/** The whole body, or undefined once it passes `maxBytes` (the rest is drained unread). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
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
// AWS JSON 1.0 / 1.1 (the RPC protocols of EventBridge and Step Functions)

export type AwsJsonVersion = "1.0" | "1.1";

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

/** The request's JSON body as an object, or undefined if it is not one. */
export function jsonObjectBody(
  request: HttpRequest,
): { readonly [key: string]: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(request.body.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as { readonly [key: string]: unknown })
      : undefined;
  } catch {
    return undefined;
  }
}

export function awsJsonResponse(version: AwsJsonVersion, output: unknown): HttpResponse {
  return {
    status: 200,
    headers: { "content-type": `application/x-amz-json-${version}` },
    body: JSON.stringify(output),
  };
}

/** An AWS JSON error: the SDK reads its code from `__type` (a namespace prefix is optional). */
export function awsJsonError(version: AwsJsonVersion, fault: ServiceFault): HttpResponse {
  return {
    status: fault.status,
    headers: { "content-type": `application/x-amz-json-${version}` },
    body: JSON.stringify({ __type: fault.errorType, message: fault.message }),
  };
}

// ---------------------------------------------------------------------------------------------
// Failures injected by tests

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

/** Default account of the local endpoints' ARNs. */
export const LOCAL_ACCOUNT = "000000000000";
export const LOCAL_REGION = "us-east-1";
