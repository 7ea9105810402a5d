import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";

/** Where world states too large for their item live in the assets bucket (runtime world-io.ts). */
export const WORLD_STATES_PREFIX = "worlds/";

/** The objects that hold world states: the resource the grants below name, as they name it. */
export function worldStateObjects(bucket: s3.IBucket): string {
  return bucket.arnForObjects(`${WORLD_STATES_PREFIX}*`);
}

/**
 * Read and write world states: objects under `worlds/` only. Listing the bucket is granted too,
 * so that reading a state that is not there answers 404 (which the blob store reports as absent)
 * rather than 403 (which S3 answers a reader without it).
 */
export function grantWorldStates(bucket: s3.IBucket, grantee: iam.IGrantable): iam.Grant {
  return grantOnWorldStates(bucket, grantee, ["s3:GetObject", "s3:PutObject"]);
}

/** Read world states only (the query function): objects under `worlds/`, and the 404 rule above. */
export function grantReadWorldStates(bucket: s3.IBucket, grantee: iam.IGrantable): iam.Grant {
  return grantOnWorldStates(bucket, grantee, ["s3:GetObject"]);
}

function grantOnWorldStates(
  bucket: s3.IBucket,
  grantee: iam.IGrantable,
  objectActions: readonly string[],
): iam.Grant {
  const objects = iam.Grant.addToPrincipal({
    grantee,
    actions: [...objectActions],
    resourceArns: [worldStateObjects(bucket)],
  });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ["s3:ListBucket"],
    // Unconditioned: S3 decides 404 or 403 for a missing key on this permission alone, with no
    // `s3:prefix` in that check's context.
    resourceArns: [bucket.bucketArn],
  });
  return objects;
}
