/**
 * The AWS prices the tick-pipeline suite prices its measurements with. The table (us-east-1,
 * on-demand, with each figure's source and the date it was read) is kept once, in
 * `packages/cli/src/pricing.ts`, which `ledgerquest cost` prices a local run with too.
 */
export {
  AWS_PRICES,
  type AwsPrices,
  costUsd,
  EVENT_CHUNK_BYTES,
  LAMBDA_FULL_VCPU_MB,
  type Price,
  READ_UNIT_BYTES,
  WRITE_UNIT_BYTES,
} from "@ledgerquest/cli";
