/**
 * The bot client: real WebSocket players, each a client of the SDK (`@ledgerquest/client`) with
 * its own token, that play a project's game for demos and load. `ledgerquest bots` runs it
 * against the local stack; the load benchmark calls `runBots`.
 *
 * How a bot plays is the project's `bot` (`ledgerquest.config.ts`, a `BotFactory`): at a fixed
 * rate each bot asks its policy for a command, given the world as its client's store knows it
 * (the pushes, applied by the SDK), and sends it; the SDK resends a command with its id until it
 * is answered. The run counts the answers (accepted, duplicate, refused with a code).
 *
 * Bots play as existing players of the world (`player_0001`.. by default, the ids `seed` and
 * `dev` create): a bot that never sees its own player in the pushes is reported.
 *
 * Latency is measured twice: from a command's send to its ack, and to the push that shows it
 * (command to visible): the first push whose `applied` names the command's id, sent with the
 * world as it is after the tick that applied the command.
 */
export { DevTokenError, fetchDevToken } from "./bots/dev-token.js";
export {
  type BotSummary,
  type BotsOptions,
  type BotsProgress,
  type BotsReport,
  formatBotsReport,
  type LatencySummary,
  percentile,
  progressLine,
  summarizeLatency,
} from "./bots/report.js";
export { BotsError, DEFAULT_RATE_PER_S, MAX_RATE_PER_S, runBots } from "./bots/run.js";
