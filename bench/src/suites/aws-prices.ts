/**
 * The AWS prices the tick-pipeline suite prices its measurements with. The table (us-east-1,
 * on-demand, with each figure's source and the date it was read) is kept once, in
 * `packages/cli/src/pricing.ts`, which `ledgerquest cost` prices a local run with too; the billing
 * units are the local stack's usage meter's (`packages/local/src/usage.ts`).
 */
export {
  AWS_PRICES,
  type AwsPrices,
  costUsd,
  LAMBDA_FULL_VCPU_MB,
  type Price,
} from "@ledgerquest/cli";
export { EVENT_CHUNK_BYTES, READ_UNIT_BYTES, WRITE_UNIT_BYTES } from "@ledgerquest/local";
