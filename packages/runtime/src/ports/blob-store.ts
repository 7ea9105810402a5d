import { sha256Hex } from "@ledgerquest/engine";

/**
 * The blob store port: bytes too big for an item (S3 in AWS): world states over the item limit,
 * exports, replays. Keys are content-addressed by the callers (they carry the SHA-256), so a put
 * is idempotent and a get can be checked.
 *
 * Every adapter passes `describeBlobStoreContract` (`testing/blob-store.contract.ts`), which pins
 * down the details: an empty key is refused with a `RuntimeError`; bytes round-trip exactly (zero
 * bytes included); the store never aliases the caller's arrays.
 */
export interface BlobStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or undefined if there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
}

/**
 * The content-addressed key of `bytes` under `prefix`: `<prefix>/<sha256 hex>`, for example
 * `worlds/w1/state/3a7b...`. A trailing `/` on the prefix is dropped rather than doubled; an empty
 * prefix gives the bare hash.
 */
export function contentKey(prefix: string, bytes: Uint8Array): string {
  const folder = prefix.replace(/\/+$/, "");
  const hash = sha256Hex(bytes);
  return folder === "" ? hash : `${folder}/${hash}`;
}
