import { RuntimeError } from "../../errors.js";
import type { BlobStore } from "../../ports/blob-store.js";

/**
 * A `BlobStore` in a `Map`, for tests and single-process runs. It copies bytes on the way in and
 * on the way out: the use cases reuse and mutate buffers, and a store that handed back its own
 * array would let a caller change a stored world state without a put.
 */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>();

  async put(key: string, bytes: Uint8Array): Promise<void> {
    checkKey(key);
    this.#blobs.set(key, bytes.slice());
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    return this.#blobs.get(key)?.slice();
  }

  /** How many blobs are stored: lets a test see that a put happened or that one did not. */
  get size(): number {
    return this.#blobs.size;
  }
}

function checkKey(key: string): void {
  // The S3 adapter cannot store an empty key; refusing it here too keeps tests honest.
  if (key === "") throw new RuntimeError("blob key must not be empty");
}
