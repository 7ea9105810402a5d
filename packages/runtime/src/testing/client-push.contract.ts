/**
 * The one contract test suite of the `ClientPush` port. Every adapter (memory, API Gateway
 * Management API) registers it from its own test file:
 *
 * ```ts
 * describeClientPushContract("memory", async () => {
 *   const push = new MemoryClientPush();
 *   return { push, connections: push, received: (id) => push.receivedBytes(id) };
 * });
 * ```
 *
 * The harness plays the clients: it opens and closes connections and shows the bytes that reached
 * each. `setup` runs before every test and `cleanup` after it.
 */
import { describe, expect, it } from "vitest";
import { RuntimeError } from "../errors.js";
import type { ClientPush } from "../ports/client-push.js";
import { harnessPerTest } from "./harness.js";

export interface ClientPushHarness {
  readonly push: ClientPush;
  readonly connections: {
    /** A client connects with this id. */
    open(connectionId: string): void;
    /** That client goes away. */
    close(connectionId: string): void;
  };
  /** The messages that reached the connection, as the bytes that travelled, in order. */
  received(connectionId: string): readonly Uint8Array[];
  readonly cleanup?: () => Promise<void>;
}

/** API Gateway's limit on a posted message, which every adapter keeps. */
const MESSAGE_LIMIT_BYTES = 128 * 1024;

/** Connection ids shaped like API Gateway's (base64 with padding: `=` must survive a URL). */
const A = "L0SM9cOFvHcCIhw=";
const B = "Hk2GZeSEvHcCE_w=";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Index of the first differing byte, or -1: quick on 128 KiB and says where on failure. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

// Alike: the heads of blob-store.contract.ts, client-push.contract.ts, event-publisher.contract.ts
// and workflow-starter.contract.ts (a describe over a fresh harness per test, harness.ts's).
export function describeClientPushContract(
  name: string,
  setup: () => Promise<ClientPushHarness>,
): void {
  describe(`ClientPush contract: ${name}`, () => {
    let h: ClientPushHarness;
    harnessPerTest(setup, (harness) => {
      h = harness;
    });

    /** Asserts that exactly `messages` reached `connectionId`, byte for byte. */
    function expectReceived(connectionId: string, messages: readonly string[]): void {
      const got = h.received(connectionId);
      expect(got.length).toBe(messages.length);
      messages.forEach((message, i) => {
        const bytes = got[i] as Uint8Array;
        expect(bytes.length, `message ${i} length`).toBe(utf8(message).length);
        expect(firstDifference(bytes, utf8(message)), `message ${i}: first differing byte`).toBe(
          -1,
        );
      });
    }

    it.each([
      ["a JSON frame", '{"type":"state","tick":42,"entities":[{"id":1,"x":0.5}]}'],
      ["accents, CJK, emoji and a ZWJ sequence", "Zoë ✓ 日本語 한국어 🎮 🧙‍♂️ 👩🏽‍🚀"],
      [
        "combining marks and right-to-left text",
        "e\u0301 \u05e9\u05dc\u05d5\u05dd \u0627\u0644\u0633\u0644\u0627\u0645",
      ],
      ["control characters and a NUL", "line1\nline2\r\n\ttab\u0000end\u001f"],
      ["a single character", "x"],
    ])("delivers %s to an open connection, byte for byte", async (_label, message) => {
      h.connections.open(A);
      expect(await h.push.post(A, message)).toBe("sent");
      expectReceived(A, [message]);
    });

    it("delivers a message of exactly the 128 KiB limit, counted in UTF-8 bytes", async () => {
      h.connections.open(A);
      // 65,536 two-byte characters: 128 KiB of bytes though only 64 Ki characters.
      const message = "é".repeat(MESSAGE_LIMIT_BYTES / 2);
      expect(await h.push.post(A, message)).toBe("sent");
      expectReceived(A, [message]);
    });

    it("refuses a message one byte over 128 KiB with a RuntimeError, delivering nothing", async () => {
      h.connections.open(A);
      const message = `${"é".repeat(MESSAGE_LIMIT_BYTES / 2)}!`;
      await expect(h.push.post(A, message)).rejects.toBeInstanceOf(RuntimeError);
      expectReceived(A, []);
      // The connection is still usable.
      expect(await h.push.post(A, "after")).toBe("sent");
      expectReceived(A, ["after"]);
    });

    it("delivers a connection's messages in the order posted", async () => {
      h.connections.open(A);
      const messages = Array.from({ length: 8 }, (_, i) => `{"seq":${i}}`);
      for (const message of messages) expect(await h.push.post(A, message)).toBe("sent");
      expectReceived(A, messages);
    });

    it("keeps connections apart", async () => {
      h.connections.open(A);
      h.connections.open(B);
      expect(await h.push.post(A, "for A")).toBe("sent");
      expect(await h.push.post(B, "for B")).toBe("sent");
      expect(await h.push.post(A, "for A again")).toBe("sent");
      expectReceived(A, ["for A", "for A again"]);
      expectReceived(B, ["for B"]);
    });

    it("answers gone, without an error, for a connection that never existed", async () => {
      expect(await h.push.post("bm9uZXhpc3RlbnQ=", "hello")).toBe("gone");
      expectReceived("bm9uZXhpc3RlbnQ=", []);
    });

    it("answers gone once the client has gone away, and delivers nothing more", async () => {
      h.connections.open(A);
      h.connections.open(B);
      expect(await h.push.post(A, "before")).toBe("sent");
      h.connections.close(A);
      expect(await h.push.post(A, "after")).toBe("gone");
      expect(await h.push.post(A, "after again")).toBe("gone");
      expectReceived(A, ["before"]);
      // Another client is not affected.
      expect(await h.push.post(B, "still here")).toBe("sent");
      expectReceived(B, ["still here"]);
    });

    it("delivers concurrent posts to several connections", async () => {
      const clients = Array.from({ length: 6 }, (_, i) => `Y29ubmVjdGlvbi${i}=`);
      for (const id of clients) h.connections.open(id);
      const results = await Promise.all(clients.map((id) => h.push.post(id, `hello ${id}`)));
      expect(results).toEqual(clients.map(() => "sent"));
      for (const id of clients) expectReceived(id, [`hello ${id}`]);
    });

    it("refuses an empty connection id with a RuntimeError", async () => {
      await expect(h.push.post("", "hello")).rejects.toBeInstanceOf(RuntimeError);
    });
  });
}
