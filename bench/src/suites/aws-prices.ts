/**
 * AWS list prices the tick-pipeline suite prices its measurements with: US East (N. Virginia),
 * us-east-1, on-demand, no free tier, no Savings Plans. Read on 2026-11-24 from stored copies of
 * the pages named below (not fetched live): check them again before quoting a figure.
 *
 * | service          | what is billed                                    | price (USD)             |
 * | ---------------- | ------------------------------------------------- | ----------------------- |
 * | Step Functions   | Standard workflow state transition                | 0.025 per 1,000         |
 * | Lambda (arm64)   | duration, per GB-second (first 7.5 B GB-s/month)  | 0.0000133334 per GB-s   |
 * | Lambda           | request (invocation)                              | 0.20 per 1,000,000      |
 * | DynamoDB         | on-demand write request unit (Standard class)     | 0.625 per 1,000,000     |
 * | DynamoDB         | on-demand read request unit (Standard class)      | 0.125 per 1,000,000     |
 * | EventBridge      | custom event put on a bus, per 64 KB chunk        | 1.00 per 1,000,000      |
 *
 * Where each figure comes from:
 * - Step Functions: https://aws.amazon.com/step-functions/pricing/ (its table lists US East
 *   (N. Virginia) at $0.0250 per 1,000 state transitions; "Step Functions counts a state
 *   transition each time a step of your workflow is executed ... including retries").
 * - Lambda: https://aws.amazon.com/lambda/pricing/ renders its rate table client side, so the
 *   stored page text does not hold the arm64 rate; it was cross-read from artillery's price table
 *   (`lib/platform/aws-lambda/prices.js`: arm64 1333340e-11 $/GB-s) and from a transcription of
 *   the page ($0.20 per million requests). Duration is billed per invocation rounded up to 1 ms.
 * - DynamoDB: on-demand throughput was cut by 50% on 2024-11-01, from $1.25 to $0.625 per million
 *   WRU and from $0.25 to $0.125 per million RRU. The post-cut figures are the ones in AWS's own
 *   cost calculator (aws/agent-toolkit-for-aws, `amazon-dynamodb/scripts/calculate_costs.py`,
 *   whose unit rules were checked against live ReturnConsumedCapacity) and in third-party
 *   write-ups from 2025; some pages still quote the pre-cut $1.25. The unit rules used here are
 *   from https://aws.amazon.com/dynamodb/pricing/on-demand/: a standard write of an item up to
 *   1 KB is 1 WRU, a transactional write needs 2 WRU per KB, a strongly consistent read up to
 *   4 KB is 1 RRU.
 * - EventBridge: https://aws.amazon.com/eventbridge/pricing/ ("each 64 KB chunk of a payload is
 *   billed as one event"); $1.00 per million custom events in us-east-1.
 */

/** One price: `usd` for every `per` units of `unit`. */
export interface Price {
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
}

export interface AwsPrices {
  readonly region: string;
  /** When the prices were read (ISO date). */
  readonly takenOn: string;
  readonly stepFunctionsTransition: Price;
  readonly lambdaArmGbSecond: Price;
  readonly lambdaRequest: Price;
  readonly dynamoDbWriteRequestUnit: Price;
  readonly dynamoDbReadRequestUnit: Price;
  readonly eventBridgeCustomEvent: Price;
}

export const AWS_PRICES: AwsPrices = {
  region: "us-east-1",
  takenOn: "2026-11-24",
  stepFunctionsTransition: { usd: 0.025, per: 1000, unit: "Standard state transition" },
  lambdaArmGbSecond: { usd: 0.0000133334, per: 1, unit: "GB-second (arm64)" },
  lambdaRequest: { usd: 0.2, per: 1_000_000, unit: "Lambda request" },
  dynamoDbWriteRequestUnit: { usd: 0.625, per: 1_000_000, unit: "write request unit (on-demand)" },
  dynamoDbReadRequestUnit: { usd: 0.125, per: 1_000_000, unit: "read request unit (on-demand)" },
  eventBridgeCustomEvent: { usd: 1, per: 1_000_000, unit: "custom event (64 KB chunk)" },
};

/** What `quantity` units cost at `price`, USD. */
export function costUsd(price: Price, quantity: number): number {
  return (price.usd * quantity) / price.per;
}

/** DynamoDB bills writes in 1 KB steps and strongly consistent reads in 4 KB steps. */
export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

/** Lambda gives a function one full vCPU at this memory size, and a proportional share below it. */
export const LAMBDA_FULL_VCPU_MB = 1769;

/** EventBridge bills each 64 KB chunk of an event as one event. */
export const EVENT_CHUNK_BYTES = 64 * 1024;
