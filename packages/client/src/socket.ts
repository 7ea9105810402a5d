/**
 * The WebSocket the client needs, structurally: the browser's `WebSocket`, Node 22's global one,
 * and the `ws` package's class all fit. Handlers are set as `on…` properties, which all three have.
 */

/** An event handler; declared as a method so that each implementation's own event types fit. */
type Handler<E> = { bivarianceHack(event: E): void }["bivarianceHack"];

/** What the client uses of a WebSocket. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ readonly data: unknown }> | null;
  onerror: Handler<unknown> | null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class: `new WebSocket(url)`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket. */
export const OPEN = 1;

/** The global `WebSocket` (browsers, Node 22 and later), if this runtime has one. */
export function globalWebSocket(): WebSocketConstructor | undefined {
  const g: { readonly WebSocket?: unknown } = globalThis;
  return typeof g.WebSocket === "function" ? (g.WebSocket as WebSocketConstructor) : undefined;
}

const decoder = new TextDecoder();

/** A message's text: a string as browsers give it, or bytes (a `ws` binary frame). */
export function messageText(data: unknown): string | undefined {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return decoder.decode(data);
  if (ArrayBuffer.isView(data)) {
    return decoder.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return undefined;
}

/**
 * The HTTP status of a refused handshake, where the implementation says it (`ws` reports
 * "Unexpected server response: 404" in its error event; browsers say nothing).
 */
export function handshakeStatus(errorEvent: unknown): number | undefined {
  if (typeof errorEvent !== "object" || errorEvent === null) return undefined;
  const e = errorEvent as { readonly message?: unknown; readonly error?: { message?: unknown } };
  const message =
    typeof e.message === "string"
      ? e.message
      : typeof e.error?.message === "string"
        ? e.error.message
        : "";
  const match = /Unexpected server response: (\d{3})/.exec(message);
  return match === null ? undefined : Number(match[1]);
}
