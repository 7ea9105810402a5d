/**
 * The one contract test suite of the `BlobStore` port. Every adapter (memory, S3) registers it
 * from its own test file, so they all promise the same behaviour to the use cases:
 *
 * ```ts
 * describeBlobStoreContract("MemoryBlobStore", async () => ({ store: new MemoryBlobStore() }));
 * ```
 *
 * `setup` runs before every test and `cleanup` after it, so an adapter over a shared server can
 * give each test a fresh namespace (for example a new key prefix).
 */
import { describe, expect, it } from "vitest";
import { RuntimeError } from "../errors.js";
import { type BlobStore, contentKey } from "../ports/blob-store.js";
import { harnessPerTest } from "./harness.js";

export interface BlobStoreHarness {
  readonly store: BlobStore;
  readonly cleanup?: () => Promise<void>;
}

const MIB = 1024 * 1024;

/**
 * Deterministic bytes that differ from `seed` to `seed` and from position to position, so a
 * truncated, shifted or swapped blob never compares equal by accident (zero-filled arrays would).
 */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  // xorshift32; a zero state would stay zero, hence the `| 1`.
  let x = (seed * 0x9e3779b1) | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Index of the first byte where the two differ (the shorter length if one is a prefix of the
 * other), or -1 if they are equal. Vitest's deep equality walks a 6 MiB array element by element
 * and prints all of it on failure; this is quick and its failure says where.
 */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return i;
  }
  return a.length === b.length ? -1 : n;
}

function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  const got = actual as Uint8Array;
  expect(got.length).toBe(expected.length);
  expect(firstDifference(got, expected)).toBe(-1);
}

// Alike: the heads of blob-store.contract.ts, client-push.contract.ts, event-publisher.contract.ts
// and workflow-starter.contract.ts (a describe over a fresh harness per test, harness.ts's).
export function describeBlobStoreContract(
  name: string,
  setup: () => Promise<BlobStoreHarness>,
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    harnessPerTest(setup, (harness) => {
      store = harness.store;
    });

    it("answers undefined for a key that was never put", async () => {
      expect(await store.get("never/put")).toBeUndefined();
    });

    it("keeps a key and its extensions apart, and has no folders", async () => {
      // S3 has no folders, but an adapter over a file system or a listing could invent them.
      const outer = patternBytes(8, 1);
      const inner = patternBytes(9, 2);
      await store.put("worlds/w1/state", outer);
      await store.put("worlds/w1/state/inner", inner);
      expectSameBytes(await store.get("worlds/w1/state"), outer);
      expectSameBytes(await store.get("worlds/w1/state/inner"), inner);
      for (const missing of ["worlds/w1", "worlds/w1/", "worlds/w1/stat", "worlds/w1/state/"]) {
        expect(await store.get(missing), missing).toBeUndefined();
      }
    });

    it.each([
      ["0 bytes", 0],
      ["1 byte", 1],
      ["1 MiB", MIB],
      // Over DynamoDB's 400 KB item limit many times: the reason world states come here.
      ["6 MiB", 6 * MIB],
    ])("round-trips %s byte for byte", async (_label, length) => {
      const bytes = patternBytes(length, length + 7);
      const key = contentKey("worlds/w1/state", bytes);
      await store.put(key, bytes);
      expectSameBytes(await store.get(key), bytes);
    });

    it("stores exactly the bytes of a view, not the rest of its buffer", async () => {
      const whole = patternBytes(64, 3);
      const view = whole.subarray(10, 20);
      await store.put("views/a", view);
      expectSameBytes(await store.get("views/a"), whole.slice(10, 20));
    });

    it("accepts the same bytes under the same key again (puts are idempotent)", async () => {
      const bytes = patternBytes(4096, 11);
      const key = contentKey("worlds/w1/state", bytes);
      await store.put(key, bytes);
      await store.put(key, bytes);
      await store.put(key, bytes.slice());
      expectSameBytes(await store.get(key), bytes);
    });

    it("keeps keys with slashes apart, however alike they look", async () => {
      const a = patternBytes(100, 21);
      const b = patternBytes(100, 22);
      const keyA = contentKey("worlds/w1/state", a);
      expect(keyA).toMatch(/^worlds\/w1\/state\/[0-9a-f]{64}$/);
      // The same hash in another world's folder is another blob.
      const keyB = keyA.replace("worlds/w1/", "worlds/w2/");
      await store.put(keyA, a);
      await store.put(keyB, b);
      expectSameBytes(await store.get(keyA), a);
      expectSameBytes(await store.get(keyB), b);
      expect(await store.get(keyA.replace("worlds/w1/", "worlds/w3/"))).toBeUndefined();
    });

    it("does not alias the caller's arrays, on put or on get", async () => {
      const bytes = patternBytes(256, 31);
      const original = bytes.slice();
      await store.put("alias/a", bytes);
      bytes.fill(0);
      const first = await store.get("alias/a");
      expectSameBytes(first, original);
      first?.fill(0xff);
      expectSameBytes(await store.get("alias/a"), original);
    });

    it("serves concurrent puts of different keys, and concurrent identical puts of one key", async () => {
      const blobs = Array.from({ length: 16 }, (_, i) => patternBytes(64 * 1024 + i, 100 + i));
      const keys = blobs.map((b) => contentKey("worlds/many/state", b));
      expect(new Set(keys).size).toBe(blobs.length);
      const shared = patternBytes(10_000, 999);
      const sharedKey = contentKey("worlds/many/state", shared);
      await Promise.all([
        ...blobs.map((b, i) => store.put(keys[i] as string, b)),
        ...Array.from({ length: 4 }, () => store.put(sharedKey, shared)),
      ]);
      const got = await Promise.all(keys.map((k) => store.get(k)));
      got.forEach((g, i) => {
        expectSameBytes(g, blobs[i] as Uint8Array);
      });
      expectSameBytes(await store.get(sharedKey), shared);
    });

    it("refuses an empty key with a RuntimeError", async () => {
      await expect(store.put("", patternBytes(4, 5))).rejects.toBeInstanceOf(RuntimeError);
      await expect(store.get("")).rejects.toBeInstanceOf(RuntimeError);
    });
  });
}
