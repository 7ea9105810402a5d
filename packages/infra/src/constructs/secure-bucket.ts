/**
 * The one way this app makes a bucket: private (every public access blocked, objects owned by the
 * bucket owner, no ACLs), encrypted with S3-managed keys, TLS only, versioned, and with incomplete
 * multipart uploads aborted after 7 days (they are billed while they wait and never complete).
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";

export interface SecureBucketProps {
  /** Where S3 writes this bucket's server access logs. @default none */
  readonly accessLogs?: { readonly bucket: s3.IBucket; readonly prefix: string };
  /** More lifecycle rules, besides aborting incomplete uploads. */
  readonly lifecycleRules?: readonly s3.LifecycleRule[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default true */
  readonly versioned?: boolean;
  readonly replicationRules?: readonly s3.ReplicationRule[];
}

export const ABORT_INCOMPLETE_UPLOADS_AFTER = Duration.days(7);

export function secureBucket(scope: Construct, id: string, props: SecureBucketProps = {}) {
  return new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: props.versioned ?? true,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    ...(props.accessLogs === undefined
      ? {}
      : {
          serverAccessLogsBucket: props.accessLogs.bucket,
          serverAccessLogsPrefix: props.accessLogs.prefix,
        }),
    lifecycleRules: [
      {
        id: "abort-incomplete-multipart-uploads",
        abortIncompleteMultipartUploadAfter: ABORT_INCOMPLETE_UPLOADS_AFTER,
      },
      ...(props.lifecycleRules ?? []),
    ],
    ...(props.replicationRules === undefined
      ? {}
      : { replicationRules: [...props.replicationRules] }),
  });
}
