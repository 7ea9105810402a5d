// s3rver 3.7.1 ships no types; this declares the part of its API the tests use.
declare module "s3rver" {
  import type { AddressInfo } from "node:net";

  interface S3rverBucketConfig {
    readonly name: string;
    /** CORS or website configuration documents (XML). */
    readonly configs?: readonly (string | Uint8Array)[];
  }

  interface S3rverOptions {
    /** Default `localhost`. */
    readonly address?: string;
    /** Default 4568; 0 picks a free port. */
    readonly port?: number;
    /** Default false: it logs every request to the console. */
    readonly silent?: boolean;
    /** Where the buckets live on disk; default `<tmpdir>/s3rver`, shared between runs. */
    readonly directory?: string;
    readonly resetOnClose?: boolean;
    readonly allowMismatchedSignatures?: boolean;
    readonly vhostBuckets?: boolean;
    readonly serviceEndpoint?: string;
    readonly configureBuckets?: readonly S3rverBucketConfig[];
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Creates the configured buckets, listens, and resolves with the bound address. */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export = S3rver;
}
