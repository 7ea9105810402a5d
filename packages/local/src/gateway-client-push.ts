/**
 * The `ClientPush` port straight into the local WebSocket gateway of the same process: what
 * PostToConnection does, without the SDK and the HTTP request.
 *
 * Why the local stack's game loop uses it: a push through the SDK to the local `@connections`
 * endpoint costs 0.4 to 0.7 ms of CPU (the SDK's middleware and signing, the HTTP request on both
 * ends); 200 players at 20 pushes a second are 4,000 posts, more than this machine's two cores
 * can spare beside the world. In process a post is a socket write. The outcomes are the SDK
 * adapter's (`sent`, `gone`; an empty id or a message over 128 KB refused with a
 * `RuntimeError`, delivering nothing), and both pass the one `ClientPush` contract suite; the
 * SDK path itself stays tested against this gateway's `@connections` route.
 *
 * A deployment posts through `ApiGatewayClientPush`; what those posts cost there is in
 * docs/benchmarks.md.
 */

import { API_GATEWAY_MAX_MESSAGE_BYTES, type WebSocketGateway } from "@ledgerquest/emulators";
import { type ClientPush, type PushResult, RuntimeError } from "@ledgerquest/runtime";

export class GatewayClientPush implements ClientPush {
  readonly maxMessageBytes = API_GATEWAY_MAX_MESSAGE_BYTES;

  constructor(private readonly gateway: Pick<WebSocketGateway, "postToConnection">) {}

  async post(connectionId: string, message: string): Promise<PushResult> {
    if (connectionId === "") throw new RuntimeError("connection id must not be empty");
    // Only a message that could be over the limit is measured in bytes (UTF-8 is at most 3
    // bytes per UTF-16 unit): the common push is far below it.
    if (message.length * 3 > this.maxMessageBytes) {
      const bytes = Buffer.byteLength(message, "utf8");
      if (bytes > this.maxMessageBytes) {
        throw new RuntimeError(
          `message to connection ${connectionId} is ${bytes} bytes, over API Gateway's limit of ${this.maxMessageBytes}`,
        );
      }
    }
    return this.gateway.postToConnection(connectionId, message);
  }
}
