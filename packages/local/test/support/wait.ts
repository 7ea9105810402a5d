/**
 * What the local stack's end-to-end tests share: waiting for a condition (with a bound, so a
 * broken stack fails the test instead of hanging it; a liveness bound, not a speed check), and a
 * WebSocket client that keeps every frame it is sent.
 */
import WebSocket from "ws";

/** Polls `probe` until it gives a value, for at most `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Opens a WebSocket and keeps every frame (parsed); rejects with `HTTP <status>` if refused. */
export function openSocket(url: string): Promise<{ ws: WebSocket; frames: unknown[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames: unknown[] = [];
    ws.on("message", (data) => frames.push(JSON.parse(String(data))));
    ws.once("open", () => resolve({ ws, frames }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}
