import { RuntimeError } from "../../errors.js";
import type { ClientPush, PushResult } from "../../ports/client-push.js";

/**
 * A `ClientPush` over connections held in memory, for use-case tests and single-process runs.
 * Like API Gateway, it carries a message as its UTF-8 bytes (so a string that has no exact UTF-8
 * form, a lone surrogate, arrives as U+FFFD here as it would there), refuses a message over API
 * Gateway's payload limit, and answers `gone` for a connection that is not open, whether it
 * closed or never existed.
 */

/** API Gateway's limit on a WebSocket message posted to a connection (128 KB). */
export const CLIENT_MESSAGE_MAX_BYTES = 128 * 1024;

export interface MemoryClientPushOptions {
  /** Largest message accepted, in UTF-8 bytes. Default `CLIENT_MESSAGE_MAX_BYTES`. */
  readonly maxMessageBytes?: number;
}

interface Connection {
  open: boolean;
  readonly messages: Uint8Array[];
}

// Alike: packages/aws/src/adapters/apigw-client-push.ts's post (the same checks, each adapter
// throwing its own error class).
export class MemoryClientPush implements ClientPush {
  readonly maxMessageBytes: number;
  readonly #connections = new Map<string, Connection>();

  constructor(options: MemoryClientPushOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? CLIENT_MESSAGE_MAX_BYTES;
  }

  async post(connectionId: string, message: string): Promise<PushResult> {
    if (connectionId === "") throw new RuntimeError("connection id must not be empty");
    const bytes = new TextEncoder().encode(message);
    if (bytes.byteLength > this.maxMessageBytes) {
      throw new RuntimeError(
        `message to connection ${connectionId} is ${bytes.byteLength} bytes, over the limit of ${this.maxMessageBytes}`,
      );
    }
    const connection = this.#connections.get(connectionId);
    if (connection === undefined || !connection.open) return "gone";
    connection.messages.push(bytes);
    return "sent";
  }

  /** A client connects. Opening an open connection changes nothing; reopening keeps its history. */
  open(connectionId: string): void {
    const connection = this.#connections.get(connectionId);
    if (connection === undefined) this.#connections.set(connectionId, { open: true, messages: [] });
    else connection.open = true;
  }

  /** The client goes away: later posts answer `gone`. What it received stays readable. */
  close(connectionId: string): void {
    const connection = this.#connections.get(connectionId);
    if (connection !== undefined) connection.open = false;
  }

  isOpen(connectionId: string): boolean {
    return this.#connections.get(connectionId)?.open === true;
  }

  /** The messages that reached the connection, decoded, in order. */
  received(connectionId: string): readonly string[] {
    const decoder = new TextDecoder();
    return this.receivedBytes(connectionId).map((bytes) => decoder.decode(bytes));
  }

  /** The messages that reached the connection as the bytes that travelled (copies), in order. */
  receivedBytes(connectionId: string): readonly Uint8Array[] {
    return (this.#connections.get(connectionId)?.messages ?? []).map((bytes) => bytes.slice());
  }
}
