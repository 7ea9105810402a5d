/**
 * AWS list prices LedgerQuest prices its measurements with (`ledgerquest cost`, the bench's
 * tick-pipeline suite): US East (N. Virginia), us-east-1, on-demand, first pricing tier, no free
 * tier, no Savings Plans. The one copy of every price in the repository.
 *
 * | service          | what is billed                                          | price (USD)             |
 * | ---------------- | ------------------------------------------------------- | ----------------------- |
 * | Step Functions   | Standard workflow state transition                      | 0.025 per 1,000         |
 * | Lambda (arm64)   | duration, per GB-second (first 7.5 B GB-s/month)        | 0.0000133334 per GB-s   |
 * | Lambda (x86_64)  | duration, per GB-second (first 6 B GB-s/month)          | 0.0000166667 per GB-s   |
 * | Lambda           | request (invocation)                                    | 0.20 per 1,000,000      |
 * | DynamoDB         | on-demand write request unit (Standard class)           | 0.625 per 1,000,000     |
 * | DynamoDB         | on-demand read request unit (Standard class)            | 0.125 per 1,000,000     |
 * | EventBridge      | custom event put on a bus, per 64 KB chunk              | 1.00 per 1,000,000      |
 * | API Gateway      | WebSocket message, in or out, per 32 KB (first 1 B/mo)  | 1.00 per 1,000,000      |
 * | API Gateway      | WebSocket connection minute                             | 0.25 per 1,000,000      |
 *
 * Where each figure comes from (stored copies of the pages, not fetched live: check them again
 * before quoting a figure):
 * - Step Functions (read 2026-11-24): https://aws.amazon.com/step-functions/pricing/ lists US East
 *   (N. Virginia) at $0.0250 per 1,000 state transitions; "Step Functions counts a state
 *   transition each time a step of your workflow is executed ... including retries".
 * - Lambda (read 2026-11-24; x86_64 2026-12-07): https://aws.amazon.com/lambda/pricing/ renders
 *   its rate table client side, so the stored page text does not hold the rates. arm64 was
 *   cross-read from artillery's price table (`lib/platform/aws-lambda/prices.js`: arm64
 *   1333340e-11 $/GB-s); x86_64 ($0.0000166667 per GB-s for the first 6 billion GB-s a month,
 *   US East) from cloudchipr.com/blog/aws-lambda-pricing and a transcription of the page in
 *   git.mcrn.ar/mariano/lambda_local_runner (docs/lambdas-md/lambda-13-cost.md); $0.20 per
 *   million requests is in the page's text. Duration is billed per invocation rounded up to 1 ms.
 * - DynamoDB (read 2026-11-24): on-demand throughput was cut by 50% on 2024-11-01, from $1.25 to
 *   $0.625 per million WRU and from $0.25 to $0.125 per million RRU. The post-cut figures are the
 *   ones in AWS's own cost calculator (aws/agent-toolkit-for-aws,
 *   `amazon-dynamodb/scripts/calculate_costs.py`, whose unit rules were checked against live
 *   ReturnConsumedCapacity) and in third-party write-ups from 2025; some pages still quote the
 *   pre-cut $1.25. The unit rules are from https://aws.amazon.com/dynamodb/pricing/on-demand/: a
 *   standard write of an item up to 1 KB is 1 WRU, a transactional write needs 2 WRU per KB, a
 *   strongly consistent read up to 4 KB is 1 RRU (an eventually consistent one half of that).
 * - EventBridge (read 2026-11-24): https://aws.amazon.com/eventbridge/pricing/ ("each 64 KB chunk
 *   of a payload is billed as one event"); $1.00 per million custom events in us-east-1.
 * - API Gateway WebSocket (read 2026-12-07): https://aws.amazon.com/api-gateway/pricing/ renders
 *   its rate tables from price tokens, so the figures were read from its worked WebSocket example
 *   (US regions), as transcribed on 2026-09-20 in api-evangelist/amazon-web-services
 *   (`plans/amazon-web-services-plans-pricing.yml`: $1.00 per million messages, $0.25 per
 *   million connection minutes) and in awsforengineers.com's "AWS API Gateway Pricing Explained"
 *   (US East: $1.00 per million messages for the first billion a month; above it, a lower rate
 *   not modelled here). The page: "Messages are metered in 32KB increments, so a 33KB message is
 *   metered as two messages", for messages sent and received alike.
 */
// The billing units (1 KB and 4 KB request units, 64 KB event chunks, 32 KB message units) are
// the meter's, in @ledgerquest/local's usage.ts; this module stays free of imports, so that
// `ledgerquest --help` does not load the local stack.

/** One price: `usd` for every `per` units of `unit`. */
export interface Price {
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
}

/** Lambda's processor choices: the deployment builds arm64 (packages/infra's GameFunction). */
export const LAMBDA_ARCHITECTURES = ["arm64", "x86_64"] as const;
export type LambdaArchitecture = (typeof LAMBDA_ARCHITECTURES)[number];

export interface AwsPrices {
  readonly region: string;
  /** When the oldest of the prices was read (ISO date); each source's date is above. */
  readonly takenOn: string;
  readonly stepFunctionsTransition: Price;
  readonly lambdaArmGbSecond: Price;
  readonly lambdaX86GbSecond: Price;
  readonly lambdaRequest: Price;
  readonly dynamoDbWriteRequestUnit: Price;
  readonly dynamoDbReadRequestUnit: Price;
  readonly eventBridgeCustomEvent: Price;
  readonly webSocketMessage: Price;
  readonly webSocketConnectionMinute: Price;
}

export const AWS_PRICES: AwsPrices = {
  region: "us-east-1",
  takenOn: "2026-11-24",
  stepFunctionsTransition: { usd: 0.025, per: 1000, unit: "Standard state transition" },
  lambdaArmGbSecond: { usd: 0.0000133334, per: 1, unit: "GB-second (arm64)" },
  lambdaX86GbSecond: { usd: 0.0000166667, per: 1, unit: "GB-second (x86_64)" },
  lambdaRequest: { usd: 0.2, per: 1_000_000, unit: "Lambda request" },
  dynamoDbWriteRequestUnit: { usd: 0.625, per: 1_000_000, unit: "write request unit (on-demand)" },
  dynamoDbReadRequestUnit: { usd: 0.125, per: 1_000_000, unit: "read request unit (on-demand)" },
  eventBridgeCustomEvent: { usd: 1, per: 1_000_000, unit: "custom event (64 KB chunk)" },
  webSocketMessage: { usd: 1, per: 1_000_000, unit: "WebSocket message (32 KB unit)" },
  webSocketConnectionMinute: { usd: 0.25, per: 1_000_000, unit: "WebSocket connection minute" },
};

/** The price of a GB-second of Lambda duration on `architecture`. */
export function lambdaGbSecondPrice(
  architecture: LambdaArchitecture,
  prices: AwsPrices = AWS_PRICES,
): Price {
  return architecture === "arm64" ? prices.lambdaArmGbSecond : prices.lambdaX86GbSecond;
}

/** What `quantity` units cost at `price`, USD. */
export function costUsd(price: Price, quantity: number): number {
  return (price.usd * quantity) / price.per;
}

/** Lambda gives a function one full vCPU at this memory size, and a proportional share below it. */
export const LAMBDA_FULL_VCPU_MB = 1769;
