import { LOCAL_REGION } from "@ledgerquest/emulators/protocol";

/**
 * The credentials the local stack's services are called with: the S3 emulator takes only this
 * access key id, and the others check none.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

/** An AWS SDK client's configuration for a local stack's service at `endpoint`. */
export function localClientConfig(endpoint: string): {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: typeof LOCAL_CREDENTIALS;
} {
  return { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}
