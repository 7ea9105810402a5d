/**
 * The log lines operators search, and the CloudWatch Logs Insights queries that search them.
 *
 * The handlers log through Powertools' logger, one JSON object a line: `level`, `message`,
 * `timestamp`, `service`, `function_name`, `cold_start`, `xray_trace_id`, `correlation_id` and the
 * line's own fields (Logs Insights discovers JSON fields, `clock.behindMsMax` included). The
 * messages below are the ones the queries filter on; the handlers log these very constants, so a
 * reworded message cannot silently empty a saved query. The infrastructure saves each query
 * (`AWS::Logs::QueryDefinition`) over the log groups of the functions it names and charts it on
 * the game's dashboard; `test/log-queries.test.ts` runs the handlers and checks that every field a
 * query names is on the lines it filters.
 */

/** Messages of the log lines the saved queries filter on. */
export const LogMessage = {
  /** tick: one line a committed batch, with its duration, ticks, commands and clock. */
  TickBatchCommitted: "tick batch committed",
  /** tick: a rival writer committed first; the state machine retries the batch. */
  TickCommitRace: "tick batch lost a commit race; the state machine retries it",
  /** tick: another execution owns the world's loop; this one ends. */
  TickSuperseded: "another loop owns this world: this one ends",
  TickBatchFailed: "tick batch failed",
  /** command: a frame refused, with its error `code`. */
  CommandRejected: "command rejected",
  /** authorizer: a token that proved who it was but may not connect (403), with `reason`. */
  ConnectionDenied: "connection denied",
  /** authorizer: no token, or one that did not verify (401), with `reason`. */
  ConnectionUnauthorized: "connection unauthorized",
  /** audit-stream: a world's journal broke its hash chain (`seq`, `kind`, `detail`). */
  ChainVerificationFailed: "ledger chain verification failed",
  /** audit-stream: a world's records failed for good (they go to the failures queue). */
  AuditRecordsFailed: "could not process a world's AuditLog records",
  /** audit-stream: DynamoDB or EventBridge failed; the batch is retried from that world. */
  AuditRecordsRetried: "AuditLog records will be retried: DynamoDB or EventBridge failed",
} as const;
export type LogMessage = (typeof LogMessage)[keyof typeof LogMessage];

// Alike: engine/src/economy/economy.ts's TradeResult, in shape only (documented readonly fields).
export interface LogQuery {
  /** A PascalCase id: the construct id and, in kebab case, the saved query's name. */
  readonly id: string;
  /** The question it answers: the dashboard widget's title. */
  readonly title: string;
  /** The handlers (bundle names, e.g. `tick`) whose log groups it reads. */
  readonly handlers: readonly string[];
  /** The JSON fields of the lines it filters that it relies on (checked against real lines). */
  readonly fields: readonly string[];
  /** The Logs Insights query. */
  readonly query: string;
}

/** A Logs Insights string literal. */
function quoted(message: LogMessage): string {
  return JSON.stringify(message);
}

function lines(...parts: string[]): string {
  return parts.join("\n| ");
}

/**
 * The questions an operator asks of the logs, one saved query each. Slow batches are sorted by
 * milliseconds per tick, which means the same paced (a batch lasts its game time) or not.
 */
export const LOG_QUERIES: readonly LogQuery[] = [
  {
    id: "SlowTickBatches",
    title: "Slowest tick batches (ms per tick)",
    handlers: ["tick"],
    fields: ["worldId", "ticks", "durationMs", "commandsApplied", "pushed", "version"],
    query: lines(
      `filter message = ${quoted(LogMessage.TickBatchCommitted)} and ticks > 0`,
      "fields @timestamp, worldId, durationMs / ticks as msPerTick, durationMs, ticks, commandsApplied, pushed, version",
      "sort msPerTick desc",
      "limit 50",
    ),
  },
  {
    id: "WorldsBehindRealTime",
    title: "Lag behind real time per world (ms)",
    handlers: ["tick"],
    fields: ["worldId", "clock.behindMsMax", "clock.skippedMs"],
    query: lines(
      `filter message = ${quoted(LogMessage.TickBatchCommitted)} and ispresent(clock.behindMsMax)`,
      "stats max(clock.behindMsMax) as behindMsMax, sum(clock.skippedMs) as skippedMs by worldId, bin(5m)",
      "sort behindMsMax desc",
      "limit 100",
    ),
  },
  {
    id: "RejectedCommandsByCode",
    title: "Rejected commands by code",
    handlers: ["command"],
    fields: ["code", "playerId"],
    query: lines(
      `filter message = ${quoted(LogMessage.CommandRejected)}`,
      "stats count(*) as rejected, count_distinct(playerId) as players by code",
      "sort rejected desc",
    ),
  },
  {
    id: "CommitConflicts",
    title: "Commit conflicts and superseded loops per world",
    handlers: ["tick"],
    fields: ["worldId", "version"],
    query: lines(
      `filter message in [${quoted(LogMessage.TickCommitRace)}, ${quoted(LogMessage.TickSuperseded)}]`,
      "stats count(*) as times, max(version) as lastVersion by worldId, message, bin(5m)",
      "sort times desc",
    ),
  },
  {
    id: "AuthorizerDenials",
    title: "Connections refused by the authorizer, by reason",
    handlers: ["authorizer"],
    fields: ["reason"],
    query: lines(
      `filter message in [${quoted(LogMessage.ConnectionDenied)}, ${quoted(LogMessage.ConnectionUnauthorized)}]`,
      "stats count(*) as refused by message, reason, bin(1h)",
      "sort refused desc",
    ),
  },
  {
    id: "LedgerProblems",
    title: "Ledger problems: broken chains, records given up or retried",
    handlers: ["audit-stream"],
    fields: ["worldId", "seq", "kind", "detail"],
    query: lines(
      `filter message in [${quoted(LogMessage.ChainVerificationFailed)}, ${quoted(LogMessage.AuditRecordsFailed)}, ${quoted(LogMessage.AuditRecordsRetried)}]`,
      "fields @timestamp, level, message, worldId, seq, kind, detail",
      "sort @timestamp desc",
      "limit 100",
    ),
  },
  {
    id: "ErrorsByFunction",
    title: "Errors by function and message",
    handlers: [
      "tick",
      "supervisor",
      "command",
      "query",
      "connect",
      "disconnect",
      "authorizer",
      "audit-stream",
    ],
    fields: ["level", "function_name"],
    query: lines(
      `filter level = "ERROR"`,
      "stats count(*) as errors by function_name, message",
      "sort errors desc",
    ),
  },
];
