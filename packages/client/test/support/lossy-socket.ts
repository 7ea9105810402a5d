/**
 * A WebSocket (over `ws`) that loses chosen frames from the server: a test's way to lose an ack
 * the server did send, as a connection that drops at the wrong moment would.
 */
import WebSocket from "ws";
import type { WebSocketConstructor, WebSocketLike } from "../../src/socket.js";

/** A socket class that drops each incoming frame `drop` says yes to (its text). */
export function lossyWebSocket(drop: (text: string) => boolean): WebSocketConstructor {
  return class LossyWebSocket implements WebSocketLike {
    readonly #ws: WebSocket;
    onopen: WebSocketLike["onopen"] = null;
    onmessage: WebSocketLike["onmessage"] = null;
    onerror: WebSocketLike["onerror"] = null;
    onclose: WebSocketLike["onclose"] = null;

    constructor(url: string) {
      this.#ws = new WebSocket(url);
      this.#ws.onopen = (event) => this.onopen?.(event);
      this.#ws.onerror = (event) => this.onerror?.(event);
      this.#ws.onclose = (event) => this.onclose?.(event);
      this.#ws.onmessage = (event) => {
        if (!drop(String(event.data))) this.onmessage?.(event);
      };
    }

    get readyState(): number {
      return this.#ws.readyState;
    }

    send(data: string): void {
      this.#ws.send(data);
    }

    close(code?: number, reason?: string): void {
      this.#ws.close(code, reason);
    }
  };
}
