/**
 * `ledgerquest env`: the running local stack's environment as shell exports, so that the AWS CLI
 * and any AWS SDK program talk to it: `eval "$(npm run -s ledgerquest -- env)"`, then
 * `aws dynamodb scan --table-name EntityTable`. Both read `AWS_ENDPOINT_URL_<SERVICE>` (the CLI
 * from version 1.29 and 2.13); region and credentials are the stack's dummy ones.
 */
import type { Command } from "commander";
import { dataDirOption } from "../args.js";
import type { LocalTarget } from "../target.js";

/** The variables an AWS tool needs, from the stack's handler environment. */
export function awsEnvironment(target: LocalTarget): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(target.env)) {
    if (name.startsWith("AWS_") || name.startsWith("LQ_")) out[name] = value;
  }
  // The CLI v1 reads the region from AWS_DEFAULT_REGION only.
  if (out.AWS_REGION !== undefined) out.AWS_DEFAULT_REGION = out.AWS_REGION;
  // The management API of the WebSocket stage, for `aws apigatewaymanagementapi`.
  if (out.LQ_WEBSOCKET_ENDPOINT !== undefined) {
    out.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI = out.LQ_WEBSOCKET_ENDPOINT;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** POSIX shell quoting: single quotes, with any single quote closed, escaped and reopened. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface EnvCommandOptions {
  readonly dataDir: string;
  readonly json: boolean;
}

export async function runEnv(opts: EnvCommandOptions): Promise<void> {
  const { readLocalTarget } = await import("../target.js");
  try {
    const vars = awsEnvironment(readLocalTarget(opts.dataDir));
    if (opts.json) {
      console.log(JSON.stringify(vars, null, 2));
      return;
    }
    for (const [name, value] of Object.entries(vars))
      console.log(`export ${name}=${shellQuote(value)}`);
  } catch (error) {
    console.error(`env: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

/**
 * `ledgerquest env`.
 * Alike: token.ts's and bots.ts's (a command on the running local stack: its `--data-dir`, a help
 * text); and token.ts's error line above.
 */
export function registerEnv(program: Command): void {
  program
    .command("env")
    .description(
      "Print the running local stack's endpoints as shell exports, for the AWS CLI and SDK programs",
    )
    .option("--json", "print the variables as one JSON object", false)
    .addOption(dataDirOption())
    .addHelpText(
      "after",
      '\nExample:\n  eval "$(npm run -s ledgerquest -- env)"\n  aws dynamodb get-item --table-name EntityTable --key \'{"entity_id":{"S":"world#demo"}}\'\n  aws stepfunctions list-executions --state-machine-arn "$LQ_STATE_MACHINE_ARN"',
    )
    .action(async (opts: EnvCommandOptions) => {
      await runEnv(opts);
    });
}
