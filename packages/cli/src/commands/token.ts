/**
 * `ledgerquest token <player>`: a dev token from the running local stack's identity provider, for
 * a WebSocket client, `wscat`, or a test in another process. The token alone goes to stdout, so
 * that `TOKEN=$(ledgerquest token player_0001)` works; what to do with it goes to stderr.
 */
import { type Command, InvalidArgumentError } from "commander";
import { dataDirOption } from "../args.js";

/**
 * Parses `--expires-in`: a non-zero whole number of seconds, negative for an already-expired
 * token. The bounds are the identity provider's to enforce (and say), so they live in one place.
 */
function lifetimeS(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n === 0) {
    throw new InvalidArgumentError(
      "--expires-in must be a non-zero whole number of seconds (negative: an already-expired token)",
    );
  }
  return n;
}

export interface TokenCommandOptions {
  readonly dataDir: string;
  readonly expiresIn?: number;
  readonly json: boolean;
}

/** What `ledgerquest token` does; exit code 1 with a message saying what to do on failure. */
export async function runToken(player: string, opts: TokenCommandOptions): Promise<void> {
  const { readLocalTarget } = await import("../target.js");
  const { fetchDevToken } = await import("../bots.js");
  try {
    const target = readLocalTarget(opts.dataDir);
    const issued = await fetchDevToken(
      target.idp,
      player,
      opts.expiresIn === undefined ? {} : { expiresInSeconds: opts.expiresIn },
    );
    if (opts.json) {
      console.log(JSON.stringify(issued));
      return;
    }
    console.log(issued.token);
    if (process.stderr.isTTY) {
      console.error(
        `\n(${player}, valid until ${issued.expiresAt}) connect with\n  ${target.websocket}?world=demo&token=<the token>`,
      );
    }
  } catch (error) {
    console.error(`token: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

/** `ledgerquest token`. */
export function registerToken(program: Command): void {
  program
    .command("token")
    .description("Print a dev token for a player from the running local stack's identity provider")
    .argument("<player>", "the player id, e.g. player_0001 (1-64 of A-Z a-z 0-9 _ -)")
    .option(
      "--expires-in <s>",
      "lifetime in seconds, at most a day (negative: an already-expired token, to test refusals)",
      lifetimeS,
    )
    .option("--json", "print {token, expiresAt} as JSON", false)
    .addOption(dataDirOption())
    .addHelpText(
      "after",
      '\nExample:\n  TOKEN=$(npx ledgerquest token player_0001)\n  npx wscat -c "ws://127.0.0.1:<port>/local?world=demo&token=$TOKEN"',
    )
    .action(async (player: string, opts: TokenCommandOptions) => {
      await runToken(player, opts);
    });
}
