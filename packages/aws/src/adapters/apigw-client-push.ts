/**
 * The `ClientPush` port over the API Gateway Management API's PostToConnection
 * (`@aws-sdk/client-apigatewaymanagementapi`).
 *
 * The client's `endpoint` must be the WebSocket API's stage URL
 * (`https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`, or the local stack's): the SDK
 * appends `/@connections/{id}` to it. The message goes as its UTF-8 bytes, unchanged.
 *
 * Outcomes: `sent`; `gone` when API Gateway answers 410 GoneException (the client disconnected:
 * a normal outcome, the caller forgets the connection). A message over API Gateway's 128 KB
 * payload limit is refused before any request, with an `AwsAdapterError`. Other failures, after
 * the SDK's own retries: throttling (429 LimitExceededException), 5xx and network errors are a
 * `StoreUnavailableError` (transient: posting again later is fine); anything else (403
 * ForbiddenException for a wrong stage URL or missing permission, 413) is an `AwsAdapterError`
 * naming the connection, with the SDK's error as `cause`.
 */

import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { type ClientPush, type PushResult, StoreUnavailableError } from "@ledgerquest/runtime";
import { AwsAdapterError } from "../errors.js";
import { isTransientSdkError } from "./sdk-errors.js";

/** API Gateway's limit on a WebSocket message posted to a connection (128 KB). */
export const POST_TO_CONNECTION_MAX_BYTES = 128 * 1024;

const SERVICE = "ApiGatewayManagementApi";

export interface ApiGatewayClientPushOptions {
  /** Largest message sent, in UTF-8 bytes. Default `POST_TO_CONNECTION_MAX_BYTES`. */
  readonly maxMessageBytes?: number;
}

export class ApiGatewayClientPush implements ClientPush {
  readonly maxMessageBytes: number;
  readonly #client: ApiGatewayManagementApiClient;

  constructor(client: ApiGatewayManagementApiClient, options: ApiGatewayClientPushOptions = {}) {
    this.#client = client;
    this.maxMessageBytes = options.maxMessageBytes ?? POST_TO_CONNECTION_MAX_BYTES;
  }

  async post(connectionId: string, message: string): Promise<PushResult> {
    if (connectionId === "") throw new AwsAdapterError("connection id must not be empty");
    const data = new TextEncoder().encode(message);
    if (data.byteLength > this.maxMessageBytes) {
      throw new AwsAdapterError(
        `message to connection ${connectionId} is ${data.byteLength} bytes, over API Gateway's limit of ${this.maxMessageBytes}`,
      );
    }
    try {
      await this.#client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }),
      );
      return "sent";
    } catch (error) {
      if (error instanceof GoneException) return "gone";
      if (isTransientSdkError(error)) {
        throw new StoreUnavailableError(SERVICE, `PostToConnection to ${connectionId}`, {
          cause: error,
        });
      }
      const e = error as { name?: string; message?: string };
      throw new AwsAdapterError(
        `PostToConnection to ${connectionId} failed with ${e.name ?? "an error"}: ${e.message ?? String(error)}`,
        { cause: error },
      );
    }
  }
}
