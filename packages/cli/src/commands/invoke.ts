/**
 * `ledgerquest invoke <handler>`: runs one deployed handler once with an event file, against the
 * running local stack (default) or a stack started for this invocation (`--in-process`), and
 * prints the response (stdout), the handler's logs and a REPORT line (stderr); `--sample` prints a
 * ready event for the handler instead. As `sam local invoke` does for a SAM function.
 */
import { type Command, InvalidArgumentError } from "commander";
import { whole } from "../args.js";
import type { InvokableHandler } from "../invoke/samples.js";
import type { Project } from "../project.js";
import type { LocalTarget } from "../target.js";

export interface InvokeCommandOptions {
  readonly event?: string;
  readonly sample: boolean;
  readonly inProcess: boolean;
  readonly dataDir: string;
  readonly world?: string;
  readonly player: string;
  readonly timeout: number;
  readonly logLevel: string;
}

const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR", "SILENT"];

function logLevel(value: string): string {
  const level = value.toUpperCase();
  if (!LOG_LEVELS.includes(level)) {
    throw new InvalidArgumentError(`--log-level takes one of ${LOG_LEVELS.join(", ")}`);
  }
  return level;
}

/** Where the handler's services are: the running stack's, or one started now (then stopped). */
interface Services {
  readonly target?: LocalTarget;
  readonly deps?: () => import("@ledgerquest/runtime").RuntimeDeps;
  stop(): Promise<void>;
}

async function runningStack(opts: InvokeCommandOptions, required: boolean): Promise<Services> {
  const { readLocalTarget, useTarget } = await import("../target.js");
  let target: LocalTarget;
  try {
    target = readLocalTarget(opts.dataDir);
  } catch (error) {
    if (required) throw error;
    return { stop: async () => undefined };
  }
  useTarget(target);
  const { createRuntimeDeps, readConfig, runtimeConfigSchema } = await import("@ledgerquest/aws");
  const { currentProject } = await import("../project.js");
  const game = (await currentProject()).config.game;
  let deps: import("@ledgerquest/runtime").RuntimeDeps | undefined;
  return {
    target,
    deps: () => {
      deps ??= createRuntimeDeps(readConfig(runtimeConfigSchema, process.env), game);
      return deps;
    },
    stop: async () => undefined,
  };
}

/** A stack of this invocation's own, in memory, with the project's worlds seeded. */
async function stackInProcess(project: Project, err: (text: string) => void): Promise<Services> {
  const [{ startLocalStack }, { seedWorlds, worldSpecsOf }, { useTarget }] = await Promise.all([
    import("@ledgerquest/local"),
    import("./seed.js"),
    import("../target.js"),
  ]);
  err("starting a local stack for this invocation (in memory)...\n");
  // Its own lines go to stderr with the handler's logs: stdout carries the response only.
  const stack = await startLocalStack({
    game: project.config.game,
    inMemory: true,
    log: (line) => err(`${line}\n`),
  });
  const target: LocalTarget = {
    env: stack.env,
    websocket: stack.endpoints.websocket,
    idp: stack.endpoints.idp,
    pid: process.pid,
  };
  useTarget(target);
  await seedWorlds(stack.runtimeDeps(), { worlds: await worldSpecsOf(project.config) });
  return { target, deps: () => stack.runtimeDeps(), stop: () => stack.stop() };
}

/** The sample event for `handler`, filled from the running stack when there is one. */
async function printSample(
  handler: InvokableHandler,
  project: Project,
  services: Services,
  opts: InvokeCommandOptions,
): Promise<void> {
  const [{ sampleEvent }, { stackSampleContext }, { worldSpecsOf }] = await Promise.all([
    import("../invoke/samples.js"),
    import("../invoke/run.js"),
    import("./seed.js"),
  ]);
  const worldId = opts.world ?? (await worldSpecsOf(project.config))[0]?.worldId ?? "demo";
  const context = await stackSampleContext(services.target, services.deps, {
    game: project.config.game,
    worldId,
    playerId: opts.player,
    region: services.target?.env.AWS_REGION ?? "us-east-1",
  });
  process.stdout.write(`${JSON.stringify(sampleEvent(handler, context), null, 2)}\n`);
  if (services.target === undefined && handler === "authorizer") {
    process.stderr.write("(no local stack runs: the sample's token is a placeholder)\n");
  }
  if (handler === "command" || handler === "query" || handler === "disconnect") {
    process.stderr.write(
      "(its connection must exist: invoke connect with its sample first, which registers the same connection id)\n",
    );
  }
}

/** Invokes `handler` once on the event of `--event`, printing what `sam local invoke` prints. */
async function invokeWithEvent(
  handler: InvokableHandler,
  project: Project,
  opts: InvokeCommandOptions & { readonly event: string },
): Promise<boolean> {
  const run = await import("../invoke/run.js");
  const event = run.readEvent(opts.event);
  const output = { out: process.stdout, err: process.stderr };
  const services = opts.inProcess
    ? await stackInProcess(project, (t) => output.err.write(t))
    : await runningStack(opts, true);
  const { logger } = await import("@ledgerquest/aws");
  const level = logger.getLevelName();
  try {
    // The invoked handler's level, for this invocation only (a stack in this process has its own).
    logger.setLogLevel(opts.logLevel as typeof level);
    const fn = await run.loadHandler(handler, project.config.game);
    const result = await run.invokeOnce(handler, fn, event, {
      timeoutMs: opts.timeout * 1000,
      output,
    });
    logger.setLogLevel(level);
    output.out.write(`${JSON.stringify(result.response, null, 2)}\n`);
    output.err.write(`${run.reportLine(result)}\n`);
    return result.ok;
  } finally {
    logger.setLogLevel(level);
    await services.stop();
  }
}

/** What `ledgerquest invoke` does; exit code 1 (a message saying what to do) on failure. */
export async function runInvoke(name: string, opts: InvokeCommandOptions): Promise<void> {
  try {
    const [{ invokableHandler, InvokeError }, { currentProject }] = await Promise.all([
      import("../invoke/run.js"),
      import("../project.js"),
    ]);
    const handler = invokableHandler(name);
    const project = await currentProject();
    if (opts.sample) {
      await printSample(handler, project, await runningStack(opts, false), opts);
      return;
    }
    if (opts.event === undefined) {
      throw new InvokeError(
        `give the event: --event <file> (or - for stdin); print a ready one with \`ledgerquest invoke ${handler} --sample > event.json\``,
      );
    }
    if (!(await invokeWithEvent(handler, project, { ...opts, event: opts.event }))) {
      process.exitCode = 1;
    }
  } catch (error) {
    process.stderr.write(`invoke: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** `ledgerquest invoke`. */
export function registerInvoke(program: Command): void {
  program
    .command("invoke")
    .description(
      "Invoke one handler once with an event file, as Lambda would, against the running local stack (or one started for it); --sample prints a ready event",
    )
    .argument(
      "<handler>",
      "authorizer, connect, disconnect, command, query, tick, audit-stream or supervisor",
    )
    .option("-e, --event <file>", "the event, as JSON (- reads standard input)")
    .option("--sample", "print a ready event for the handler, and invoke nothing", false)
    .option(
      "--in-process",
      "start a local stack (in memory, the project's worlds seeded) for this invocation instead of using the running one",
      false,
    )
    .option("--world <id>", "the world the sample names (default: the config's first)")
    .option("--player <id>", "the player the sample acts as", "player_0001")
    .option("--timeout <s>", "the invocation's time limit", whole("--timeout", 1, 900), 60)
    .option("--log-level <level>", "the handler's log level", logLevel, "INFO")
    .option(
      "--data-dir <dir>",
      "the running local stack's data directory (where `ledgerquest dev` publishes its endpoints)",
      ".ledgerquest",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  npx ledgerquest invoke tick --sample > tick.json\n  npx ledgerquest invoke tick --event tick.json\n  npx ledgerquest invoke command --sample | npx ledgerquest invoke command --event -\n  npx ledgerquest invoke supervisor --sample > s.json && npx ledgerquest invoke supervisor -e s.json --in-process",
    )
    .action(async (handler: string, opts: InvokeCommandOptions) => {
      await runInvoke(handler, opts);
    });
}
