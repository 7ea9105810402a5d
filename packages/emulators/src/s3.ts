/**
 * The local stack's S3: `s3rver` (a Node emulator that speaks S3's REST protocol, so the real
 * `@aws-sdk/client-s3` talks to it) with its buckets kept as files under a folder, so that blobs
 * survive a restart of the stack.
 *
 * What clients must know (s3rver 3.7.1, measured here; docs/local-stack.md):
 * - Path-style addressing only (`forcePathStyle: true`, or `LQ_S3_FORCE_PATH_STYLE=true` for the
 *   handlers): `<bucket>.127.0.0.1` does not resolve.
 * - It checks no SigV4 signature, but refuses an access key id it does not know with
 *   InvalidAccessKeyId. It knows `S3RVER`; `accessKeyIds` adds others (the one the local stack
 *   puts in AWS_ACCESS_KEY_ID for every handler).
 * - Not emulated: `If-None-Match: *` (a conditional create overwrites), `x-amz-checksum-*` (accepted
 *   and dropped), versioning, bucket policies and TLS-only rules; MaxKeys is ignored with a
 *   delimiter, and paged listings fail with ERR_OSSL_EVP_UNSUPPORTED unless Node runs with
 *   `--openssl-legacy-provider`. Code must not rely on those locally.
 */
import { mkdir } from "node:fs/promises";
import { createServer, type RequestListener } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { LocalS3Error } from "./errors.js";
import { LOCAL_REGION } from "./protocol.js";

export interface LocalS3Options {
  /** Where the buckets live, one folder each; created if missing, kept on stop. */
  readonly directory: string;
  /** Buckets to create if missing (existing ones keep their objects). */
  readonly buckets: readonly string[];
  /** Port to listen on; default: a free one. */
  readonly port?: number;
  /** Default 127.0.0.1: an IP, since Node may resolve `localhost` to ::1 while this is IPv4. */
  readonly address?: string;
  /** Access key ids to accept besides `S3RVER` (secrets are not checked: see above). */
  readonly accessKeyIds?: readonly string[];
  /** s3rver logs every request; default true keeps it quiet. */
  readonly silent?: boolean;
}

export interface LocalS3 {
  /** `http://<address>:<port>`, for the clients' `endpoint` (and `AWS_ENDPOINT_URL_S3`). */
  readonly endpoint: string;
  readonly port: number;
  /** Stops listening once the requests in flight are answered; the folder stays. */
  stop(): Promise<void>;
}

/** The access key id s3rver always knows. */
export const LOCAL_S3_ACCESS_KEY_ID = "S3RVER";

/** Settings for an `S3Client` of a local endpoint (path style, its known credentials). */
export function localS3ClientConfig(endpoint: string): {
  endpoint: string;
  region: string;
  forcePathStyle: true;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    endpoint,
    region: LOCAL_REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: LOCAL_S3_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_S3_ACCESS_KEY_ID,
    },
  };
}

// s3rver 3.7.1 ships no types: the part used here, declared where it is used.
interface S3rverInstance {
  /** Creates the configured buckets that are missing. */
  configureBuckets(): Promise<void>;
  /** Its request listener (a Koa app's). */
  callback(): RequestListener;
  readonly logger: { close(): void };
}

interface S3rverConstructor {
  new (options: {
    address: string;
    port: number;
    silent: boolean;
    directory: string;
    configureBuckets: readonly { name: string }[];
    vhostBuckets: boolean;
  }): S3rverInstance;
}

interface S3rverAccountModule {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
}

const require = createRequire(import.meta.url);

/** S3's bucket naming rules (the ones s3rver does not check). */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return "must be 3 to 63 characters long";
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return "may hold only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit";
  }
  if (name.includes("..")) return "must not hold two dots in a row";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "must not look like an IP address";
  return undefined;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const address = options.address ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LocalS3Error(`port must be a whole number from 0 to 65535, not ${port}`);
  }
  for (const bucket of options.buckets) {
    const problem = bucketNameProblem(bucket);
    if (problem !== undefined) {
      throw new LocalS3Error(`bucket name ${JSON.stringify(bucket)} ${problem} (S3's rules)`);
    }
  }
  if (options.directory === "") {
    throw new LocalS3Error("directory must name the folder to keep the buckets in");
  }
  try {
    await mkdir(options.directory, { recursive: true });
  } catch (error) {
    throw new LocalS3Error(
      `cannot create the local S3 folder ${options.directory}: ${(error as Error).message}. ` +
        "Choose a folder you can write to.",
      { cause: error },
    );
  }

  const S3rver = require("s3rver") as S3rverConstructor;
  if (options.accessKeyIds !== undefined && options.accessKeyIds.length > 0) {
    // s3rver keeps its known keys in one process-wide registry; adding is harmless to others.
    const accounts = require("s3rver/lib/models/account.js") as S3rverAccountModule;
    for (const id of options.accessKeyIds) accounts.DUMMY_ACCOUNT.createKeyPair(id, id);
  }
  const server = new S3rver({
    address,
    port,
    silent: options.silent ?? true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
    // Path style only: otherwise any Host but an IP or `localhost` is taken for a bucket name.
    vhostBuckets: false,
  });
  try {
    await server.configureBuckets();
  } catch (error) {
    throw new LocalS3Error(
      `the local S3 could not create its buckets under ${options.directory}: ` +
        `${(error as Error).message}`,
      { cause: error },
    );
  }
  // Our own HTTP server rather than s3rver's `run`, which leaves a failed listen (a port in use)
  // as an uncaught exception instead of rejecting.
  const http = createServer(server.callback());
  let bound: AddressInfo;
  try {
    bound = await new Promise<AddressInfo>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, address, () => {
        http.off("error", reject);
        resolve(http.address() as AddressInfo);
      });
    });
  } catch (error) {
    server.logger.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new LocalS3Error(
        `port ${port} on ${address} is in use: choose another port for the local S3, or stop ` +
          "what listens there",
        { cause: error },
      );
    }
    throw new LocalS3Error(
      `the local S3 could not listen on ${address}:${port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${bound.port}`,
    port: bound.port,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        http.close((error) => {
          server.logger.close();
          if (error === undefined) resolve();
          else reject(error);
        });
        // close() waits for kept-alive client sockets, which an SDK client holds open for minutes.
        http.closeIdleConnections();
      });
      return stopped;
    },
  };
}
