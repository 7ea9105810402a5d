// The local S3 through the real SDK: objects round-trip (with the checksums the project's S3 adapter
// sends), survive a restart on the same folder, and the server refuses what it should with errors
// that say why. The adapter itself runs against this S3 in packages/aws/test/s3-blob-store.test.ts.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetObjectCommand,
  ListBucketsCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalS3Error } from "../src/errors.js";
import { bucketNameProblem, type LocalS3, localS3ClientConfig, startLocalS3 } from "../src/s3.js";

const BUCKET = "ledgerquest-assets";

let directory: string;
const started: LocalS3[] = [];

async function start(options: Partial<Parameters<typeof startLocalS3>[0]> = {}): Promise<LocalS3> {
  const s3 = await startLocalS3({ directory, buckets: [BUCKET], ...options });
  started.push(s3);
  return s3;
}

/** Objects under `worlds/`, put with a SHA-256 checksum and read with checksum validation. */
function blobStore(endpoint: string) {
  const client = new S3Client({ ...localS3ClientConfig(endpoint), maxAttempts: 1 });
  return {
    async put(key: string, bytes: Uint8Array): Promise<void> {
      await client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `worlds/${key}`,
          Body: bytes,
          ChecksumAlgorithm: "SHA256",
        }),
      );
    },
    async get(key: string): Promise<Uint8Array | undefined> {
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket: BUCKET, Key: `worlds/${key}`, ChecksumMode: "ENABLED" }),
        );
        return await out.Body?.transformToByteArray();
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },
  };
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "lq-local-s3-"));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((s3) => s3.stop()));
  await rm(directory, { recursive: true, force: true });
});

describe("startLocalS3", () => {
  it("round-trips an object through the SDK, checksum and all", async () => {
    const s3 = await start();
    expect(s3.endpoint).toBe(`http://127.0.0.1:${s3.port}`);
    const store = blobStore(s3.endpoint);
    // Larger than one socket buffer, and not text, so that nothing is decoded on the way.
    const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024));
    await store.put("w-1/state-7.bin", bytes);
    const got = await store.get("w-1/state-7.bin");
    // Compared as one buffer: an element-wise deep equality of 3 MB takes half a minute.
    expect(got !== undefined && Buffer.from(got).equals(bytes)).toBe(true);
    expect(await store.get("w-1/state-8.bin")).toBeUndefined();
  });

  it("keeps buckets and blobs across a stop and a start on the same folder", async () => {
    const first = await start();
    const bytes = new TextEncoder().encode("a world's snapshot");
    await blobStore(first.endpoint).put("w-2/state.bin", bytes);
    await first.stop();
    await expect(blobStore(first.endpoint).get("w-2/state.bin")).rejects.toThrow();

    // The bucket exists already: starting again must neither fail nor empty it.
    const second = await start();
    expect(await blobStore(second.endpoint).get("w-2/state.bin")).toEqual(bytes);
    expect(await readdir(directory)).toEqual([BUCKET]);
  });

  it("stop is idempotent and leaves the folder", async () => {
    const s3 = await start();
    await s3.stop();
    await s3.stop();
    expect(await readdir(directory)).toEqual([BUCKET]);
  });

  it("accepts the access key ids it is given, and refuses others by name", async () => {
    const keyId = `lq-${randomUUID().slice(0, 8)}`;
    const s3 = await start({ buckets: [BUCKET, "second-bucket"] });
    const client = (accessKeyId: string) =>
      new S3Client({
        ...localS3ClientConfig(s3.endpoint),
        credentials: { accessKeyId, secretAccessKey: "anything" },
      });
    await expect(client(keyId).send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: "InvalidAccessKeyId",
    });
    await s3.stop();

    const again = await start({ accessKeyIds: [keyId] });
    const listed = await new S3Client({
      ...localS3ClientConfig(again.endpoint),
      credentials: { accessKeyId: keyId, secretAccessKey: "anything" },
    }).send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name).sort()).toEqual([BUCKET, "second-bucket"]);
  });

  it("says which bucket name breaks S3's rules, and creates nothing", async () => {
    await expect(start({ buckets: ["Assets_Bucket"] })).rejects.toThrow(
      /bucket name "Assets_Bucket" may hold only lowercase/,
    );
    await expect(start({ buckets: ["ab"] })).rejects.toBeInstanceOf(LocalS3Error);
    expect(await readdir(directory)).toEqual([]);
    expect(bucketNameProblem("10.0.0.1")).toMatch(/IP address/);
    expect(bucketNameProblem("a..b")).toMatch(/two dots/);
    expect(bucketNameProblem("ledgerquest-assets.v2")).toBeUndefined();
  });

  it("says so when its port is taken", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      await expect(start({ port })).rejects.toThrow(
        new RegExp(`port ${port} on 127.0.0.1 is in use`),
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
