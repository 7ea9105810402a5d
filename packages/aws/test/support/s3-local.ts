/**
 * A local S3 for tests: the emulators' S3 (`@ledgerquest/emulators`, s3rver speaking S3's HTTP
 * protocol, so the real SDK talks to it) on a free loopback port, over a fresh temporary folder,
 * with one bucket. About 50 ms to start, so each test file starts its own rather than sharing
 * global state.
 *
 * s3rver's known gaps (docs/local-stack.md): it ignores `If-None-Match: *`, drops the
 * `x-amz-checksum-*` headers, and paged listings need `--openssl-legacy-provider`. Tests must not
 * rely on those behaviours.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { localS3ClientConfig, startLocalS3 as startEmulator } from "@ledgerquest/emulators";

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** A bucket that exists and starts empty. */
  readonly bucket: string;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
}

export async function startLocalS3(options: { readonly bucket?: string } = {}): Promise<LocalS3> {
  const bucket = options.bucket ?? "ledgerquest-test";
  const directory = await mkdtemp(join(tmpdir(), "ledgerquest-s3-"));
  let s3: Awaited<ReturnType<typeof startEmulator>>;
  try {
    s3 = await startEmulator({ directory, buckets: [bucket] });
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: s3.endpoint,
    bucket,
    async stop() {
      try {
        await s3.stop();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}

/** An S3 client for a local endpoint: the emulator's settings (path style, its credentials). */
export function localS3Client(endpoint: string, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({ ...localS3ClientConfig(endpoint), ...overrides });
}

/** A loopback port nothing listens on: it was free a moment ago and has been closed. */
export async function closedPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
