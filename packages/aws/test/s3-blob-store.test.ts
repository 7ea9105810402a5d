import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { sha256Hex } from "@ledgerquest/engine";
import {
  CorruptRecordError,
  contentKey,
  RuntimeError,
  StoreUnavailableError,
} from "@ledgerquest/runtime";
import { describeBlobStoreContract } from "@ledgerquest/runtime/testing/blob-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3BlobStore } from "../src/adapters/s3-blob-store.js";
import { closedPort, type LocalS3, localS3Client, startLocalS3 } from "./support/s3-local.js";

let s3: LocalS3;
let client: S3Client;
let namespaces = 0;

beforeAll(async () => {
  s3 = await startLocalS3();
  client = localS3Client(s3.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

/** A store under a prefix no other test uses, so each test starts with an empty store. */
function freshStore(): S3BlobStore {
  namespaces += 1;
  return new S3BlobStore(client, { bucket: s3.bucket, prefix: `contract-${namespaces}` });
}

describeBlobStoreContract("S3BlobStore over s3rver", async () => ({ store: freshStore() }));

async function rawGet(
  key: string,
): Promise<{ bytes: Uint8Array; metadata: Record<string, string> }> {
  const out = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  if (out.Body === undefined) throw new Error(`no body for ${key}`);
  return { bytes: await out.Body.transformToByteArray(), metadata: out.Metadata ?? {} };
}

// Tests below start alike (a store, a blob put): each then checks one thing of what S3 holds.
describe("S3BlobStore layout", () => {
  it("puts a blob under prefix/key with its SHA-256 as metadata", async () => {
    const store = new S3BlobStore(client, { bucket: s3.bucket, prefix: "layout/" });
    const bytes = new TextEncoder().encode("a world state");
    const key = contentKey("worlds/w1/state", bytes);
    await store.put(key, bytes);
    const raw = await rawGet(`layout/${key}`);
    expect(new TextDecoder().decode(raw.bytes)).toBe("a world state");
    expect(raw.metadata.sha256).toBe(sha256Hex(bytes));
    expect(key.endsWith(`/${sha256Hex(bytes)}`)).toBe(true);
  });

  it("uses the blob key as the object key when there is no prefix", async () => {
    const store = new S3BlobStore(client, { bucket: s3.bucket });
    expect(store.objectKey("top/level")).toBe("top/level");
    await store.put("top/level", new Uint8Array([7, 8, 9]));
    expect([...(await rawGet("top/level")).bytes]).toEqual([7, 8, 9]);
  });

  it("refuses a key S3 could not store, before sending anything", async () => {
    const store = new S3BlobStore(client, { bucket: s3.bucket, prefix: "long" });
    await expect(store.put("k".repeat(1020), new Uint8Array(1))).rejects.toThrow(/too long/);
    expect(store.objectKey("k".repeat(1019))).toHaveLength(1024);
  });
});

describe("S3BlobStore integrity", () => {
  it("reports bytes changed behind its back as a CorruptRecordError", async () => {
    const store = new S3BlobStore(client, { bucket: s3.bucket, prefix: "tamper" });
    const bytes = new TextEncoder().encode("gold: 100");
    const key = contentKey("worlds/w1/state", bytes);
    await store.put(key, bytes);
    const original = await rawGet(`tamper/${key}`);
    // Same length, same metadata, one byte different: only the checksum can tell.
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: `tamper/${key}`,
        Body: new TextEncoder().encode("gold: 900"),
        Metadata: original.metadata,
      }),
    );
    const error = await store.get(key).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect((error as CorruptRecordError).key).toBe(`s3://${s3.bucket}/tamper/${key}`);
    expect((error as CorruptRecordError).reason).toContain(sha256Hex(bytes));
  });

  it("reports an object without the checksum metadata as a CorruptRecordError", async () => {
    const store = new S3BlobStore(client, { bucket: s3.bucket, prefix: "foreign" });
    await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: "foreign/x", Body: new Uint8Array([1, 2]) }),
    );
    await expect(store.get("x")).rejects.toBeInstanceOf(CorruptRecordError);
  });
});

describe("S3BlobStore error translation", () => {
  it("reports a missing bucket as a RuntimeError that is not retryable, not as a missing key", async () => {
    const store = new S3BlobStore(client, { bucket: "no-such-bucket" });
    const error = await store.get("a/b").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain("s3://no-such-bucket/a/b");
    expect((error as Error).message).toContain("NoSuchBucket");
  });

  it("reports an endpoint that is down as StoreUnavailableError, with the SDK's error as cause", async () => {
    const port = await closedPort();
    // One attempt: the SDK's retries would only repeat the refused connection.
    const down = localS3Client(`http://127.0.0.1:${port}`, { maxAttempts: 1 });
    try {
      const store = new S3BlobStore(down, { bucket: "b1", prefix: "p" });
      const onGet = await store.get("worlds/w1/state/abc").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(onGet).toBeInstanceOf(StoreUnavailableError);
      const unavailable = onGet as StoreUnavailableError;
      expect(unavailable.service).toBe("S3");
      expect(unavailable.operation).toBe("GetObject s3://b1/p/worlds/w1/state/abc");
      expect((unavailable.cause as { code?: string }).code).toBe("ECONNREFUSED");
      await expect(store.put("k", new Uint8Array([1]))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      down.destroy();
    }
  });

  describe("against a server that answers every request with an S3 error", () => {
    let server: Server;
    let reply = { status: 503, code: "SlowDown" };

    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        req.on("end", () => {
          res.writeHead(reply.status, { "content-type": "application/xml" });
          res.end(
            `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${reply.code}</Code>` +
              `<Message>${reply.code} from the stub</Message><RequestId>r1</RequestId></Error>`,
          );
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    async function failure(status: number, code: string): Promise<unknown> {
      reply = { status, code };
      const { port } = server.address() as AddressInfo;
      const stubbed = localS3Client(`http://127.0.0.1:${port}`, { maxAttempts: 1 });
      try {
        return await new S3BlobStore(stubbed, { bucket: "b1" }).get("k").then(
          () => undefined,
          (e: unknown) => e,
        );
      } finally {
        stubbed.destroy();
      }
    }

    it.each([
      [503, "SlowDown"],
      [500, "InternalError"],
      [503, "ServiceUnavailable"],
    ])("%i %s is StoreUnavailableError", async (status, code) => {
      const error = await failure(status, code);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).cause).toMatchObject({ name: code });
    });

    it("403 AccessDenied is a plain RuntimeError naming the code", async () => {
      const error = await failure(403, "AccessDenied");
      expect(error).toBeInstanceOf(RuntimeError);
      expect(error).not.toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain("AccessDenied");
      expect((error as Error).message).toContain("s3://b1/k");
      expect((error as Error).cause).toMatchObject({ name: "AccessDenied" });
    });
  });
});
