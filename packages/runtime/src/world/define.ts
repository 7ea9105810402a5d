/**
 * How a game team writes a game and names it to the engine: `defineGame` gives a `GameModule`
 * whose commands are typed from their own schemas, and `defineConfig` is what a project's
 * `ledgerquest.config.ts` exports by default (the game, the worlds `ledgerquest dev` and `seed`
 * create, and the deployment's settings).
 *
 * A client imports the game's command types only (`import type`), never its code:
 *
 *   const game = defineGame({ name: "tag@1", commands: { move: z.object(...) }, ... });
 *   export type Commands = CommandsOf<typeof game>;   // { move: { dx: number; dy: number } }
 */
import type { JsonValue, Simulation } from "@ledgerquest/engine";
import * as z from "zod/mini";
import { type CommandSchemas, defineCommands } from "../definitions/commands.js";
import { type PlayerLimitsInput, playerLimitsSchema } from "../definitions/limits.js";
import { ID_PATTERN } from "../definitions/tables.js";
import { RuntimeError } from "../errors.js";
import { pushSettingsProblems } from "../usecases/push.js";
import type {
  EntityView,
  GameDescription,
  GameModule,
  GameRules,
  PushSettings,
  WorldOptions,
} from "./game.js";

/** A game or project definition that cannot work, found when it is defined rather than run. */
export class GameDefinitionError extends RuntimeError {
  override readonly name = "GameDefinitionError";
}

/** One command as the game receives it, with `data` of its own schema's type. */
export type TypedCommand<C extends CommandSchemas> = {
  [K in keyof C & string]: {
    readonly id: string;
    readonly type: K;
    readonly actor: string;
    readonly data: z.output<C[K]>;
  };
}[keyof C & string];

/** What `defineGame` takes. `S` is the schema of the settings a world may be created with. */
export interface GameSpec<C extends CommandSchemas, S extends z.core.$ZodType> {
  /** The rules' name and version (`tag@1`): it is part of every world's fingerprint. */
  readonly name: string;
  /** The commands players may send, each a zod schema of its `data`. */
  readonly commands: C;
  /** The settings a world may be created with; validated before `populate` sees them. */
  readonly settings?: S;
  /** The rules bound to a world's ledger. Must be deterministic. */
  rules(ledger: Parameters<GameModule["rules"]>[0], worldId: string): GameRules;
  /** Fills a new world at tick 0; `settings` passed the settings schema. */
  populate(
    sim: Simulation,
    rules: GameRules,
    options: Omit<WorldOptions, "settings"> & { readonly settings: z.output<S> },
  ): void;
  /**
   * Whether `player` may send `command` (for example: it steers only its own entity). Default:
   * every member of the world may send every command. The actor is already the authenticated
   * player; this checks the data.
   */
  authorize?(player: string, command: TypedCommand<C>, sim?: Simulation): boolean;
  /** What clients are sent of the world. */
  view(sim: Simulation): readonly EntityView[];
  /** The game's fixed description for clients (bounds, looks, quests, commands). */
  readonly description?: Omit<GameDescription, "commands" | "rules">;
  /** Limits per connection and player; any left out take `DEFAULT_LIMITS`. */
  readonly limits?: PlayerLimitsInput;
  /**
   * How connections are sent the world: the rate, the area of interest around each player's
   * entity, what watchers get (`PushSettings`; any left out take `DEFAULT_PUSH_SETTINGS`: 20 Hz,
   * the 64 entities nearest the player's, the whole world to watchers, 2 decimals).
   */
  readonly push?: PushSettings;
}

/** A game made by `defineGame`: a `GameModule` that keeps its command schemas' types. */
export interface DefinedGame<C extends CommandSchemas = CommandSchemas> extends GameModule {
  /** The schemas of the commands, by type (for clients' types and test kits). */
  readonly commandSchemas: C;
}

/** The commands of a game, by type, with the `data` each takes: for typed clients. */
export type CommandsOf<G> =
  G extends DefinedGame<infer C> ? { [K in keyof C & string]: z.input<C[K]> } : never;

const gameNameSchema = z
  .string()
  .check(z.regex(/^[a-z][a-z0-9_-]{0,47}@[0-9]{1,6}$/, "must be `name@version`, as `tag@1`"));

/** Makes a game from its parts, checking them now: a bad name or schema fails at load, not in a world. */
export function defineGame<
  const C extends CommandSchemas,
  S extends z.core.$ZodType = z.core.$ZodType<JsonValue | undefined>,
>(spec: GameSpec<C, S>): DefinedGame<C> {
  const problems: string[] = [];
  if (!gameNameSchema.safeParse(spec.name).success) {
    problems.push(`name ${JSON.stringify(spec.name)} must be \`name@version\`, as \`tag@1\``);
  }
  if (spec.limits !== undefined && !playerLimitsSchema.safeParse(spec.limits).success) {
    problems.push("limits: see DEFAULT_LIMITS for the shape (commands, queries, verifies, ...)");
  }
  problems.push(...pushSettingsProblems(spec.push));
  let commands: ReturnType<typeof defineCommands> | undefined;
  try {
    commands = defineCommands(spec.commands);
  } catch (error) {
    problems.push(`commands: ${(error as Error).message}`);
  }
  if (problems.length > 0 || commands === undefined) {
    throw new GameDefinitionError(`game ${String(spec.name)}: ${problems.join("; ")}`);
  }
  const parseSettings = (raw: JsonValue | undefined): z.output<S> => {
    if (spec.settings === undefined) return raw as z.output<S>;
    const parsed = spec.settings["~standard"].validate(raw ?? undefined);
    if (parsed instanceof Promise) {
      throw new GameDefinitionError(`game ${spec.name}: the settings schema must be synchronous`);
    }
    if (parsed.issues !== undefined) {
      const issue = parsed.issues[0];
      const path = (issue?.path ?? []).map((p) => String(typeof p === "object" ? p.key : p));
      throw new GameDefinitionError(
        `game ${spec.name}: world settings${path.length > 0 ? `.${path.join(".")}` : ""}: ${issue?.message ?? "invalid"}`,
      );
    }
    return parsed.value as z.output<S>;
  };
  const description = spec.description;
  const types = commands.types;
  let described: GameDescription | undefined;
  const describe = (): GameDescription => {
    described ??= {
      ...(description as Omit<GameDescription, "commands" | "rules">),
      rules: spec.name,
      commands: types,
      commandData: commandDataOf(spec.commands),
    };
    return described;
  };
  const game: DefinedGame<C> = {
    name: spec.name,
    commands,
    commandSchemas: spec.commands,
    rules: (ledger, worldId) => spec.rules(ledger, worldId),
    populate: (sim, rules, options) =>
      spec.populate(sim, rules, { ...options, settings: parseSettings(options.settings) }),
    authorize: (player, type, data, sim) =>
      spec.authorize === undefined
        ? true
        : spec.authorize(
            player,
            { id: "", type, actor: player, data } as unknown as TypedCommand<C>,
            sim,
          ),
    view: (sim) => spec.view(sim),
    ...(description === undefined ? {} : { describe }),
    ...(spec.limits === undefined ? {} : { limits: spec.limits }),
    ...(spec.push === undefined ? {} : { push: spec.push }),
  };
  return game;
}

/** Each command's data as JSON Schema, leaving out what JSON Schema cannot say. */
function commandDataOf(schemas: CommandSchemas): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const type of Object.keys(schemas).sort()) {
    try {
      const { $schema: _draft, ...schema } = z.toJSONSchema(
        schemas[type] as z.core.$ZodType,
      ) as Record<string, JsonValue>;
      out[type] = schema;
    } catch {
      // A transform or a custom check has no JSON Schema: the client shows no template for it.
    }
  }
  return out;
}

/** A world `ledgerquest dev` and `ledgerquest seed` create when it does not exist. */
export interface WorldSpec {
  /** The world's id (1 to 128 of A-Z a-z 0-9 _ . : @ -). */
  readonly id: string;
  /** Players that exist from the start. Default: `player_0001` to `player_0004`. */
  readonly players?: readonly string[];
  /** The game's settings for this world (its `settings` schema checks them). */
  readonly settings?: JsonValue;
}

/** What a bot sees when it decides: the world as the last push showed it to its player. */
export interface BotView {
  readonly worldId: string;
  readonly tick: number;
  /** The bot's player. */
  readonly player: string;
  /** Every entity the bot's client knows, as the game's `view` shows them. */
  readonly entities: readonly EntityView[];
  /** The player's profile (balances, level, quests), as the last push that changed it said. */
  readonly you?: JsonValue;
  /** The bot's own clock, in milliseconds (a bot may give up on a goal after a while). */
  readonly nowMs: number;
}

/** A command a bot sends: a type of the game's and its data. */
export interface BotCommand {
  readonly type: string;
  readonly data?: JsonValue;
}

/**
 * How one bot plays: called at the bots' rate, it returns the next command, or undefined to send
 * nothing this time. `random` is in [0, 1). It runs in the bot's process, not in the simulation:
 * it need not be deterministic.
 */
export type BotPolicy = (view: BotView, random: () => number) => BotCommand | undefined;

/** Makes the policy of the bot playing `player` (a closure keeps whatever that bot remembers). */
export type BotFactory = (player: string) => BotPolicy;

/** What a project's `ledgerquest.config.ts` exports by default. */
export interface ProjectConfig {
  /** The game the project runs: the handlers, the local stack and the tools all use this one. */
  readonly game: GameModule;
  /** The worlds to create when missing; the first is the one the dashboard opens. Default `demo`. */
  readonly worlds?: readonly WorldSpec[];
  /** Settings of the deployment's stacks (`lq:*` context keys without the prefix), as JSON. */
  readonly deploy?: Readonly<Record<string, JsonValue>>;
  /** How `ledgerquest bots` plays (see `BotFactory`). Without it, `bots` says to add one. */
  readonly bot?: BotFactory;
}

const worldSpecSchema = z.strictObject({
  id: z.string().check(z.regex(ID_PATTERN, "must be 1 to 128 of A-Z a-z 0-9 _ . : @ -")),
  players: z.optional(
    z.array(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a player id"))),
  ),
  settings: z.optional(z.unknown()),
});

/** The default world when a project names none. */
export const DEFAULT_WORLD_ID = "demo";

/** Checks a project's configuration now, so a mistake names its field before anything starts. */
export function defineConfig(config: ProjectConfig): ProjectConfig {
  const problems: string[] = [];
  const game = config.game as Partial<GameModule> | undefined;
  if (
    game === undefined ||
    typeof game.rules !== "function" ||
    typeof game.populate !== "function" ||
    typeof game.view !== "function" ||
    game.commands === undefined
  ) {
    problems.push("game: must be a game made with defineGame (rules, populate, view, commands)");
  }
  if (config.bot !== undefined && typeof config.bot !== "function") {
    problems.push(
      "bot: must be a function (player) => (view, random) => { type, data } | undefined",
    );
  }
  const ids = new Set<string>();
  for (const [i, world] of (config.worlds ?? []).entries()) {
    const parsed = worldSpecSchema.safeParse(world);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problems.push(`worlds[${i}].${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
    } else if (ids.has(world.id)) {
      problems.push(`worlds[${i}].id: ${world.id} is named twice`);
    }
    ids.add(world.id);
  }
  if (problems.length > 0) {
    throw new GameDefinitionError(`ledgerquest.config: ${problems.join("; ")}`);
  }
  return config;
}

/** The worlds of a configuration, with the default when it names none. */
export function worldsOf(config: ProjectConfig): readonly WorldSpec[] {
  return config.worlds !== undefined && config.worlds.length > 0
    ? config.worlds
    : [{ id: DEFAULT_WORLD_ID }];
}
