/**
 * API Gateway's WebSocket API on one loopback port, running Lambda handlers in process, with the
 * `@connections` management endpoint on the same port so that
 * `@aws-sdk/client-apigatewaymanagementapi` posts to it unchanged. The local stack serves the
 * project's handlers on it; aws's tests post to it through the SDK and read what real WebSocket
 * clients received.
 *
 * What it does as API Gateway does (the AWS documentation for WebSocket APIs, its quotas page and
 * its REQUEST authorizer and Lambda proxy event formats):
 *
 * - Clients connect to `ws://127.0.0.1:<port>/<stage>`; another path is refused with 403.
 * - `$connect`: the REQUEST authorizer runs first (query string, headers, `methodArn`). It throws an
 *   error whose message is exactly `Unauthorized`: 401. It returns a policy that does not allow
 *   `execute-api:Invoke` on the method ARN (or denies it): 403. It throws anything else, returns a
 *   malformed policy, a context value that is not a string, number or boolean, or a result over
 *   8 KB: 500. On Allow, the `$connect` route runs with `requestContext.authorizer` = the policy's
 *   context plus `principalId` and `integrationLatency`, and a fresh connection id; an answer with a
 *   non-2xx `statusCode` refuses the handshake with that status and the answer's body. The socket
 *   opens only when `$connect` has succeeded, so nothing can reach the connection earlier.
 * - Messages: route selection evaluates the one-source `ROUTE_SELECTION_EXPRESSION`
 *   (`$request.body.action`) on the JSON body; a string value equal to a configured route key (one
 *   of `COMMAND_ROUTES`) picks that route, anything else (no such route, not JSON, no `action`)
 *   goes to `$default`. Every route's event carries the authorizer context of the connection.
 * - Route responses: the handler's `body` is sent back on the socket, as API Gateway does for a
 *   route with a route response (which `command.ts` expects the infra stack to configure). A
 *   handler that throws gets API Gateway's `{"message": "Internal server error", connectionId,
 *   requestId}` frame; one that takes longer than the integration timeout (29 s) gets `{"message":
 *   "Endpoint request timed out", ...}`; a message with no route and no `$default` gets
 *   `{"message": "Forbidden", ...}`.
 * - Limits: a frame over 32 KB, or a message (a frame and its continuations) over 128 KB, closes
 *   the connection with 1009 "Message too big", before any handler runs. The quotas page says
 *   exactly that ("if a larger message (or larger frame size) is received, the connection is
 *   closed with code 1009"), so the frame limit is enforced per frame, by reading each frame's
 *   header as it arrives, not per reassembled message: a 40 KB message sent as two 20 KB frames
 *   passes, as it does on AWS. A binary frame closes the connection with 1003 (AWS does not
 *   support binary frames in incoming messages). Compression (permessage-deflate) is not offered.
 * - `$disconnect` runs once per connection when it closes, whoever closes it, with
 *   `disconnectStatusCode` and `disconnectReason`. Its answer is ignored.
 * - Handlers of one connection run concurrently, as separate Lambda invocations do: API Gateway
 *   does not wait for one message's integration before invoking the next.
 * - `@connections`: `POST /{stage}/@connections/{id}` sends the body to the socket (text if it is
 *   UTF-8, else binary), `GET` answers `connectedAt`, `identity` and `lastActiveAt`, `DELETE`
 *   closes the socket (204). An unknown or closed connection is 410 `GoneException`, a body over
 *   128 KB 413 `PayloadTooLargeException`, another path or stage, or an unsigned request, 403
 *   `ForbiddenException`: the error type travels in `x-amzn-errortype`, where the SDK reads it.
 *   A `ServiceTap` (option `tap`) records these requests and fails chosen ones, for tests.
 * - Routes are this project's: the custom routes and the selection expression are the one-source
 *   definitions of `@ledgerquest/runtime` (`COMMAND_ROUTES`, `QUERY_ROUTE`,
 *   `ROUTE_SELECTION_EXPRESSION`) that the ApiStack deploys, not options, so the two cannot drift.
 *
 * What it does not do: verify SigV4 signatures (it only requires one, the local credentials are
 * dummies), TLS, throttling, the 2-hour connection limit and 10-minute idle timeout, authorizer
 * result caching, identity sources (API Gateway answers 401 without calling the authorizer when a
 * configured identity source is missing; here the authorizer always runs and decides), API keys,
 * request validation and mapping templates (only Lambda proxy integrations exist here).
 *
 * Where each concern lives, in this folder:
 *
 * - `gateway.ts`: `startWebSocketGateway` and the gateway: the upgrade, each connection's life
 *   (frames, messages, `$disconnect`), stopping.
 * - `handshake.ts`: the checks on an upgrade, the authorizer, `$connect` and its answer.
 * - `policy.ts`: the authorizer's answer: its size limit and IAM's evaluation of its policy.
 * - `routing.ts`: route selection on `$request.body.action`.
 * - `messages.ts`: a message's route invoked, and its answer or error frame sent back.
 * - `concurrency.ts`: the message routes' concurrency limit, their waiting line and throttling.
 * - `frames.ts`: frame and message size limits, close reasons.
 * - `management.ts`: the `@connections` API (HTTP and in process).
 * - `connections.ts`: the open connections and sending to them.
 * - `lambda.ts`: running an integration as Lambda would (context, timeout, failure).
 * - `events.ts`, `ids.ts`: the events' request context, header and query maps; AWS-style ids.
 * - `types.ts`, `options.ts`: the public types, the options and their defaults. Its error class,
 *   `WebSocketGatewayError`, is in the package's `errors.ts` with the other emulators'.
 */
export {
  API_GATEWAY_MAX_FRAME_BYTES,
  API_GATEWAY_MAX_MESSAGE_BYTES,
} from "./frames.js";
export { startWebSocketGateway } from "./gateway.js";
export {
  DEFAULT_MESSAGE_CONCURRENCY_MAX,
  DEFAULT_STAGE,
  type WebSocketGatewayOptions,
} from "./options.js";
export { API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES } from "./policy.js";
export type { CommandRouteKey } from "./routing.js";
export type {
  LambdaContext,
  WebSocketAuthorizerEvent,
  WebSocketAuthorizerHandler,
  WebSocketAuthorizerResult,
  WebSocketConnectionInfo,
  WebSocketGateway,
  WebSocketGatewayErrorSite,
  WebSocketGatewayHandlers,
  WebSocketIdentity,
  WebSocketLambdaHandler,
  WebSocketRequestContext,
  WebSocketRouteEvent,
  WebSocketRouteHandler,
  WebSocketRouteResult,
} from "./types.js";
