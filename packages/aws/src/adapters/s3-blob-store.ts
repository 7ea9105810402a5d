/**
 * The `BlobStore` port over S3 (`@aws-sdk/client-s3`). One object per blob, written with a single
 * PutObject: the blobs are world states, exports and replays of a few MB, far below the 5 GB limit
 * of a single PUT, and one request keeps a put atomic and its checksum a plain SHA-256 (a multipart
 * upload's checksum is a checksum of part checksums).
 *
 * Integrity, end to end: a put stores the SHA-256 of the bytes twice:
 * - as `ChecksumSHA256`, so S3 itself refuses an upload damaged on the way (BadDigest) and the SDK
 *   checks the downloaded body against it on a get; S3 keeps it with the object.
 * - as user metadata `x-amz-meta-sha256` (hex), which this adapter checks on every get. S3
 *   emulators keep user metadata but not checksums (s3rver 3.7.1 accepts the checksum header and
 *   drops it), and the metadata also catches an object replaced by other code, which S3's own
 *   checksum would describe faithfully. A mismatch, or an object without the metadata, is a
 *   `CorruptRecordError`.
 */

import { createHash } from "node:crypto";
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  type BlobStore,
  CorruptRecordError,
  RuntimeError,
  StoreUnavailableError,
} from "@ledgerquest/runtime";
import { isTransientSdkError } from "./sdk-errors.js";

export interface S3BlobStoreOptions {
  /** The bucket that holds the blobs (the assets bucket in the stacks). */
  readonly bucket: string;
  /**
   * A folder in the bucket that every key goes under, joined with `/` (a trailing `/` is
   * optional), so that one bucket can hold several stores. Default: none; a blob key is the
   * object key.
   */
  readonly prefix?: string;
}

/** The user-metadata name of the hex SHA-256 (`x-amz-meta-sha256` on the wire). */
export const SHA256_METADATA = "sha256";

/** S3's limit on an object key, in UTF-8 bytes. */
const MAX_OBJECT_KEY_BYTES = 1024;

const SERVICE = "S3";

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;

  constructor(client: S3Client, options: S3BlobStoreOptions) {
    if (options.bucket === "") throw new RuntimeError("S3BlobStore: bucket must not be empty");
    this.#client = client;
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? "").replace(/\/+$/, "");
  }

  /** The object key that holds the blob `key`. */
  objectKey(key: string): string {
    if (key === "") throw new RuntimeError("blob key must not be empty");
    const objectKey = this.prefix === "" ? key : `${this.prefix}/${key}`;
    if (Buffer.byteLength(objectKey, "utf8") > MAX_OBJECT_KEY_BYTES) {
      throw new RuntimeError(
        `blob key too long: S3 object keys are at most ${MAX_OBJECT_KEY_BYTES} UTF-8 bytes: ${objectKey.slice(0, 80)}...`,
      );
    }
    return objectKey;
  }

  // Alike in form: sfn-workflow-starter.ts's start (one SDK command sent, its errors translated).
  async put(key: string, bytes: Uint8Array): Promise<void> {
    const objectKey = this.objectKey(key);
    const digest = createHash("sha256").update(bytes).digest();
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: bytes,
          ContentType: "application/octet-stream",
          ChecksumSHA256: digest.toString("base64"),
          Metadata: { [SHA256_METADATA]: digest.toString("hex") },
        }),
      );
    } catch (error) {
      throw translate(error, "PutObject", this.bucket, objectKey);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const objectKey = this.objectKey(key);
    let response: GetObjectCommandOutput;
    try {
      response = await this.#client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, ChecksumMode: "ENABLED" }),
      );
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw translate(error, "GetObject", this.bucket, objectKey);
    }
    const where = `s3://${this.bucket}/${objectKey}`;
    if (response.Body === undefined) {
      throw new RuntimeError(`S3 GetObject ${where} answered without a body`);
    }
    let bytes: Uint8Array;
    try {
      bytes = await response.Body.transformToByteArray();
    } catch (error) {
      // The object is there and the transfer broke (a reset connection, or the SDK finding the
      // body does not match S3's checksum): a second try reads it whole.
      throw new StoreUnavailableError(SERVICE, `GetObject ${where} (reading the body)`, {
        cause: error,
      });
    }
    const expected = response.Metadata?.[SHA256_METADATA];
    if (expected === undefined) {
      throw new CorruptRecordError(
        where,
        `no ${SHA256_METADATA} metadata: the object was not written by S3BlobStore`,
      );
    }
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== expected.toLowerCase()) {
      throw new CorruptRecordError(
        where,
        `SHA-256 of the ${bytes.length} bytes is ${actual}, the object's metadata says ${expected}`,
      );
    }
    return bytes;
  }
}

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
}

function isNoSuchKey(error: unknown): boolean {
  const e = shape(error);
  // GetObject says NoSuchKey; a 404 without a body (HEAD, some proxies) comes back as NotFound.
  // NoSuchBucket is a 404 too, and must not read as "no such blob": it is a wrong configuration.
  return e.name === "NoSuchKey" || (e.name === "NotFound" && e.$metadata?.httpStatusCode === 404);
}

/** Whether retrying the whole operation later may succeed (see `isTransientSdkError`). */
export const isTransientS3Error = isTransientSdkError;

/**
 * The runtime's error for an SDK failure. Transient ones (throttling, 5xx, network) become
 * `StoreUnavailableError`, which callers may retry; the rest (access denied, no such bucket, bad
 * request) are configuration or code errors that a retry would repeat, so a plain `RuntimeError`.
 * Both carry the SDK's error as `cause` and the bucket and key in the message.
 */
function translate(
  error: unknown,
  operation: string,
  bucket: string,
  objectKey: string,
): RuntimeError {
  const where = `s3://${bucket}/${objectKey}`;
  if (isTransientS3Error(error)) {
    return new StoreUnavailableError(SERVICE, `${operation} ${where}`, { cause: error });
  }
  const e = shape(error);
  const what = [e.name, e.message].filter((s) => typeof s === "string" && s !== "").join(": ");
  return new RuntimeError(`S3 ${operation} ${where} failed: ${what || String(error)}`, {
    cause: error,
  });
}
