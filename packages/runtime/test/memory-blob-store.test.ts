import { describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../src/adapters/memory/blob-store.js";
import { describeBlobStoreContract } from "../src/testing/blob-store.contract.js";

describeBlobStoreContract("MemoryBlobStore", async () => ({ store: new MemoryBlobStore() }));

describe("MemoryBlobStore", () => {
  it("counts one blob per key, however often it is put", async () => {
    const store = new MemoryBlobStore();
    await store.put("a", new Uint8Array([1]));
    await store.put("a", new Uint8Array([1]));
    await store.put("b", new Uint8Array([2]));
    expect(store.size).toBe(2);
  });

  it("stores nothing when it refuses a key", async () => {
    const store = new MemoryBlobStore();
    await expect(store.put("", new Uint8Array([1]))).rejects.toThrow("must not be empty");
    expect(store.size).toBe(0);
  });
});
