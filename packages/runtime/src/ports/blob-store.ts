/**
 * The blob store port: bytes too big for an item (S3 in AWS): world states over the item limit,
 * exports, replays. Keys are content-addressed by the callers (they carry the SHA-256), so a put
 * is idempotent and a get can be checked.
 */
export interface BlobStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or undefined if there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
}
