/**
 * The game loop's Tick task: one invocation runs one batch of fixed-step ticks of one world and
 * commits it (`runTickBatch`), then tells the state machine whether to go on and how long to wait.
 *
 * Input and output are the workflow's `TickTaskInput` and `TickTaskOutput` (definitions/
 * workflow.ts), exactly. The batch token is `<executionName>#<iteration>`: the same across Step
 * Functions' retries of one lap (so a retry recognises its own commit), different for every lap
 * and every execution (so a rival is told apart).
 *
 * Errors are thrown unchanged: Lambda reports an error's `name` as its type, and the state
 * machine's Retry and Catch match on it (`CommitConflictError` is retried; `NotFoundError`,
 * `DeterminismError`, `InvalidTickInputError`, `ConfigError` end the loop in TickFailed).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  CommitConflictError,
  type GameModule,
  ID_PATTERN,
  loopLeaseMs,
  MAX_TICKS_PER_BATCH,
  pushSettingsOf,
  type RuntimeDeps,
  runTickBatch,
  type TickBatchResult,
  type TickTaskInput,
  type TickTaskOutput,
} from "@ledgerquest/runtime";
import type { Context } from "aws-lambda";
import * as z from "zod/mini";
import { type Environment, readConfig } from "../config.js";
import { AwsAdapterError } from "../errors.js";
import { LogMessage } from "../log-queries.js";
import {
  annotateTrace,
  type LambdaHandler,
  logger,
  MetricName,
  metrics,
  recordMetric,
  withObservability,
} from "../observability.js";
import { createRuntimeDeps, type RuntimeDepsOverrides, runtimeConfigSchema } from "../wiring.js";

/** The state machine's `Wait` takes 0 to 3,600 seconds (`TickTaskOutput.waitSeconds`). */
export const MAX_WAIT_SECONDS = 3600;

/**
 * The wall time of a batch divided by its ticks. Not one of `MetricName`'s (observability.ts):
 * it derives from TickDurationMs and TicksPerBatch, and is kept apart so a dashboard can chart the
 * per-tick cost against the tick period without metric math.
 */
export const AVERAGE_TICK_DURATION_METRIC = "AverageTickDurationMs";

/**
 * How far a paced batch's game time fell behind the wall clock at most (0 when it kept up), and
 * the wall time it gave up rather than catch up: a world that cannot keep real time shows here.
 */
export const BEHIND_METRIC = "ClockBehindMs";
export const SKIPPED_METRIC = "ClockSkippedMs";

/** The tick input was not what the state machine sends: a bug in the definition or a manual run. */
export class InvalidTickInputError extends AwsAdapterError {
  override readonly name = "InvalidTickInputError";

  constructor(
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid tick input: ${problems.join("; ")}`, options);
  }
}

/**
 * What the state machine sends. Fields it might add later are ignored rather than refused, so a
 * definition deployed ahead of this code does not stop every world's loop.
 */
export const tickTaskInputSchema = z.object({
  worldId: z
    .string()
    .check(z.regex(ID_PATTERN, "must be a world id (1 to 128 of A-Z a-z 0-9 _ . : @ -)")),
  iteration: z.int().check(z.minimum(0, "must be a whole number of laps, 0 or more")),
  // Step Functions' names are 1 to 80 characters.
  executionName: z.string().check(z.minLength(1), z.maxLength(80)),
  // Absent from executions started before the loop kept it: none.
  predecessor: z._default(z.string().check(z.maxLength(80)), ""),
}) satisfies z.ZodMiniType<TickTaskInput, unknown>;

export function parseTickTaskInput(input: unknown): TickTaskInput {
  const parsed = tickTaskInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidTickInputError(
    parsed.error.issues.map((issue) => `${issue.path.join(".") || "<input>"}: ${issue.message}`),
    { cause: parsed.error },
  );
}

/** How the tick handler paces batches. */
export interface TickSettings {
  /** Ticks a batch runs at most. */
  readonly maxTicks: number;
  /** What the state machine waits between batches, in whole seconds. */
  readonly waitSeconds: number;
  /** Time kept back from the invocation's deadline for the commit and the answer. */
  readonly deadlineMarginMs: number;
  /**
   * `realtime` (the default): the batch runs each tick when it is due by the wall clock, catching
   * up the time between laps (the world's pace anchor), and pushes to the world's connections at
   * the game's push rate while it runs; a lap of `maxTicks` ticks lasts their game time, and Lambda
   * bills all of it. `none`: the batch runs as fast as it can and pushes once, after its commit,
   * and the state machine's whole-second Wait is the only pacing (catching up a backlog, tests).
   */
  readonly pace?: "none" | "realtime";
}

/** A whole-number variable from `min` to `max`, `fallback` when unset or empty. */
function envInteger(expected: string, min: number, max: number, fallback: number) {
  return z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
      if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
      ctx.issues.push({
        code: "custom",
        input: value,
        message: `expected ${expected}, a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }),
  );
}

/** A game that does not describe itself is taken to tick at 60 Hz. */
const DEFAULT_TICK_MS = 1000 / 60;

/**
 * Ten seconds of game time per lap, in real time: 360 laps (and Step Functions' transitions of
 * each) per world-hour, a commit every ten seconds, pushes at the game's rate in between.
 */
export const DEFAULT_TICK_SETTINGS: TickSettings = {
  maxTicks: 600,
  waitSeconds: 0,
  deadlineMarginMs: 2_000,
  pace: "realtime",
};

export const tickConfigSchema = z.pipe(
  z.object({
    LQ_TICKS_PER_BATCH: envInteger(
      "the ticks a batch runs at most",
      1,
      MAX_TICKS_PER_BATCH,
      DEFAULT_TICK_SETTINGS.maxTicks,
    ),
    LQ_WAIT_SECONDS: envInteger(
      "the seconds to wait between batches",
      0,
      MAX_WAIT_SECONDS,
      DEFAULT_TICK_SETTINGS.waitSeconds,
    ),
    LQ_DEADLINE_MARGIN_MS: envInteger(
      "the milliseconds kept back from the invocation's deadline",
      0,
      900_000,
      DEFAULT_TICK_SETTINGS.deadlineMarginMs,
    ),
    LQ_PACE: z._default(z.enum(["none", "realtime"]), DEFAULT_TICK_SETTINGS.pace ?? "realtime"),
  }),
  z.transform(
    (env): TickSettings => ({
      maxTicks: env.LQ_TICKS_PER_BATCH,
      waitSeconds: env.LQ_WAIT_SECONDS,
      deadlineMarginMs: env.LQ_DEADLINE_MARGIN_MS,
      pace: env.LQ_PACE,
    }),
  ),
);

/** Runs one lap's batch. `remainingMs` is the invocation's time left (`getRemainingTimeInMillis`). */
export async function runTickTask(
  deps: RuntimeDeps,
  settings: TickSettings,
  rawInput: unknown,
  remainingMs: number,
): Promise<TickTaskOutput> {
  const input = parseTickTaskInput(rawInput);
  const { worldId } = input;
  const token = `${input.executionName}#${input.iteration}`;
  logger.appendKeys({ worldId });
  annotateTrace("worldId", worldId);
  const startedMs = performance.now();
  try {
    const tickMs = deps.game.describe?.().tickMs ?? DEFAULT_TICK_MS;
    const result = await runTickBatch(deps, {
      worldId,
      token,
      maxTicks: settings.maxTicks,
      ...(settings.pace === "none"
        ? {}
        : { pace: { tickMs, pushHz: pushSettingsOf(deps.game).hz } }),
      deadlineMs: deps.clock.nowMs() + remainingMs - settings.deadlineMarginMs,
      loop: {
        execution: input.executionName,
        predecessor: input.predecessor,
        leaseMs: loopLeaseMs({
          lapMs: settings.maxTicks * tickMs,
          waitSeconds: settings.waitSeconds,
        }),
      },
    });
    if (result.outcome === "superseded") {
      logger.warn(LogMessage.TickSuperseded, {
        version: result.version,
        token,
        predecessor: input.predecessor,
      });
      return { worldId, active: false, tick: result.tick, waitSeconds: 0 };
    }
    reportCommitted(result, performance.now() - startedMs, worldId, token);
    return {
      worldId,
      active: result.active,
      tick: result.tick,
      waitSeconds: settings.waitSeconds,
    };
  } catch (error) {
    if (error instanceof CommitConflictError) {
      recordMetric(MetricName.CommitConflicts, 1);
      logger.warn(LogMessage.TickCommitRace, {
        version: error.version,
        detail: error.detail,
        token,
      });
    } else {
      logger.error(LogMessage.TickBatchFailed, { error, token });
    }
    throw error;
  }
}

/** The metrics and the log line of a committed batch. */
function reportCommitted(
  result: TickBatchResult,
  durationMs: number,
  worldId: string,
  token: string,
): void {
  recordMetric(MetricName.TickDurationMs, durationMs);
  if (result.ticks > 0) {
    metrics.addMetric(
      AVERAGE_TICK_DURATION_METRIC,
      MetricUnit.Milliseconds,
      durationMs / result.ticks,
    );
  }
  recordMetric(MetricName.TicksPerBatch, result.ticks);
  recordMetric(MetricName.CommandsApplied, result.commandsApplied);
  recordMetric(MetricName.LedgerEntries, result.ledgerEntries);
  if (result.retried) recordMetric(MetricName.CommitRetries, 1);
  if (result.clock !== undefined) {
    metrics.addMetric(BEHIND_METRIC, MetricUnit.Milliseconds, result.clock.behindMsMax);
    if (result.clock.skippedMs > 0)
      metrics.addMetric(SKIPPED_METRIC, MetricUnit.Milliseconds, result.clock.skippedMs);
  }
  // Worlds are many: a dimension per world would be a metric per world. Metadata is searchable.
  metrics.addMetadata("worldId", worldId);
  logger.info(LogMessage.TickBatchCommitted, {
    outcome: result.outcome,
    retried: result.retried,
    version: result.version,
    fromTick: result.fromTick,
    ticks: result.ticks,
    commandsApplied: result.commandsApplied,
    ledgerEntries: result.ledgerEntries,
    events: result.events,
    pushed: result.pushed,
    gone: result.gone,
    pushBytes: result.pushBytes,
    ...(result.clock === undefined ? {} : { clock: result.clock }),
    active: result.active,
    durationMs: Math.round(durationMs),
    token,
  });
}

interface TickHandlerDeps {
  readonly deps: RuntimeDeps;
  readonly settings: TickSettings;
}

/**
 * The Lambda handler around `runTickTask`. `load` runs on the first invocation and its result is
 * kept for the life of the process; if it throws (bad configuration), the invocation fails with
 * the `ConfigError` and the next one tries again.
 */
export function createTickHandler(
  load: () => TickHandlerDeps,
): LambdaHandler<unknown, TickTaskOutput> {
  let loaded: TickHandlerDeps | undefined;
  return async (event, context: Context) => {
    loaded ??= load();
    return await runTickTask(
      loaded.deps,
      loaded.settings,
      event,
      context.getRemainingTimeInMillis(),
    );
  };
}

/** The runtime's variables and the tick's own, read at once so one error lists every problem. */
export const tickEnvironmentSchema = z.intersection(runtimeConfigSchema, tickConfigSchema);

/** The tick settings and runtime dependencies from `env`. */
export function tickHandlerDepsFromEnvironment(
  game: GameModule,
  env: Environment = process.env,
  overrides: RuntimeDepsOverrides = {},
): TickHandlerDeps {
  const config = readConfig(tickEnvironmentSchema, env);
  return {
    settings: {
      maxTicks: config.maxTicks,
      waitSeconds: config.waitSeconds,
      deadlineMarginMs: config.deadlineMarginMs,
      pace: config.pace ?? "realtime",
    },
    deps: createRuntimeDeps(config, game, overrides),
  };
}

/**
 * The Lambda entry point for `game`, configured from the environment (see `tickConfigSchema`): a
 * project's bundle calls this with the game its `ledgerquest.config.ts` names. `overrides`: for a
 * host that serves some ports in its own process (the local stack pushes straight into its
 * gateway); a deployment passes none.
 */
export function lambdaHandler(
  game: GameModule,
  overrides: RuntimeDepsOverrides = {},
): LambdaHandler<unknown, TickTaskOutput> {
  return withObservability(
    createTickHandler(() => tickHandlerDepsFromEnvironment(game, process.env, overrides)),
    {
      // Step Functions' input has no request id: the world ties a loop's invocations together.
      correlationId: (event) =>
        typeof event === "object" && event !== null && "worldId" in event
          ? String(event.worldId)
          : undefined,
    },
  );
}
