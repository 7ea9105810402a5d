/**
 * Frame and message sizes, and what the socket carries: API Gateway's quotas (a frame over 32 KB,
 * or a message over 128 KB, closes the connection with 1009), the guard that reads each frame's
 * header to enforce them per frame, text or binary payloads, and close reasons.
 */
import type { RawData } from "ws";

/** API Gateway's WebSocket frame size quota (not adjustable). */
export const API_GATEWAY_MAX_FRAME_BYTES = 32 * 1024;
/** API Gateway's message payload size quota, for incoming messages and `@connections` posts. */
export const API_GATEWAY_MAX_MESSAGE_BYTES = 128 * 1024;

/**
 * Reads the header of every WebSocket frame a client sends, without keeping any payload, and
 * reports the first data frame over `maxFrameBytes` or the first message (a frame and its
 * continuations) over `maxMessageBytes`. `ws` knows only reassembled messages, and API Gateway's
 * 32 KB quota is per frame.
 */
export class FrameSizeGuard {
  readonly #header = Buffer.alloc(14);
  #headerBytes = 0;
  #payloadRemaining = 0;
  #messageBytes = 0;
  #tripped = false;

  constructor(
    readonly maxFrameBytes: number,
    readonly maxMessageBytes: number,
    readonly onOversize: () => void,
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.#tripped) {
      if (this.#payloadRemaining > 0) {
        const skipped = Math.min(this.#payloadRemaining, chunk.length - offset);
        this.#payloadRemaining -= skipped;
        offset += skipped;
        continue;
      }
      this.#header[this.#headerBytes++] = chunk[offset++] as number;
      if (this.#headerBytes < 2) continue;
      const second = this.#header[1] as number;
      const lengthCode = second & 0x7f;
      const needed =
        2 + (lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
      if (this.#headerBytes < needed) continue;
      this.#frame(
        lengthCode === 126
          ? this.#header.readUInt16BE(2)
          : lengthCode === 127
            ? Number(this.#header.readBigUInt64BE(2))
            : lengthCode,
      );
      this.#headerBytes = 0;
    }
  }

  #frame(payloadBytes: number): void {
    const first = this.#header[0] as number;
    const opcode = first & 0x0f;
    const final = (first & 0x80) !== 0;
    // Control frames (close, ping, pong) may sit between a message's frames and are tiny.
    if (opcode < 0x8) {
      this.#messageBytes += payloadBytes;
      if (payloadBytes > this.maxFrameBytes || this.#messageBytes > this.maxMessageBytes) {
        this.#tripped = true;
        this.onOversize();
        return;
      }
      if (final) this.#messageBytes = 0;
    }
    this.#payloadRemaining = payloadBytes;
  }
}

export function rawDataBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

export function describeClose(code: number): string {
  switch (code) {
    case 1000:
      return "Connection closed normally";
    case 1001:
      return "Going away";
    case 1005:
      return "Client-side close frame status not set";
    case 1006:
      return "Connection closed abnormally";
    default:
      return `Connection closed with code ${code}`;
  }
}
