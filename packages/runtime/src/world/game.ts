/**
 * What the runtime needs from a game: its rules bound to a world's ledger, how to fill a new
 * world, its command schemas, who may command what, and what clients see. The arena example
 * (`examples/arena/src/module.ts`) is one.
 */
import type {
  Economy,
  JsonValue,
  Ledger,
  QuestSystem,
  Simulation,
  SimulationDefinition,
} from "@ledgerquest/engine";
import type { defineCommands } from "../definitions/commands.js";
import type { PlayerLimitsInput } from "../definitions/limits.js";

export interface GameRules {
  readonly definition: SimulationDefinition;
  /** Pays through the world's ledger; its transfer ids are scoped by the world id. */
  readonly economy: Economy;
  readonly quests?: QuestSystem;
}

/** One entity as clients see it: a stable id (its handle), a kind, a position. */
export interface EntityView {
  readonly id: number;
  readonly kind: string;
  readonly name?: string;
  readonly x: number;
  readonly y: number;
  /**
   * The entity's own shape, for kinds whose members differ (walls, zones); the others look as
   * their kind does in `GameDescription.kinds`. Half extents; a circle's radius is `hw`.
   */
  readonly shape?: "circle" | "box";
  readonly hw?: number;
  readonly hh?: number;
}

/** How a kind of entity looks: a shape with half extents (a circle's radius is `hw`). */
export interface EntityLook {
  readonly shape: "circle" | "box";
  readonly hw: number;
  readonly hh: number;
  /** What the kind is, in a few words (for a legend). */
  readonly label: string;
}

/** What a client needs to draw a world and explain its quests: the game's fixed description. */
export interface GameDescription {
  readonly rules: string;
  /** The world's extent, in world units. */
  readonly bounds: {
    readonly minX: number;
    readonly minY: number;
    readonly maxX: number;
    readonly maxY: number;
  };
  /** Simulated time per tick. */
  readonly tickMs: number;
  readonly kinds: Readonly<Record<string, EntityLook>>;
  /** The quest book, as the game defines it (`QuestDefinition`s, as JSON). */
  readonly quests: readonly JsonValue[];
  /** The commands a player may send, by type. */
  readonly commands: readonly string[];
  /**
   * The JSON Schema (draft 2020-12) of each command's data, by type, for clients that build forms
   * or examples; a command whose schema JSON Schema cannot express is left out.
   */
  readonly commandData?: Readonly<Record<string, JsonValue>>;
}

/**
 * How a world's connections are sent the world while its loop runs (`usecases/push.ts`; the
 * defaults are `DEFAULT_PUSH_SETTINGS` there). Each connection gets what is near its player's own
 * entity (the entity whose view `name` is the player's id), as deltas against the frame it got
 * before, at `hz` frames a second at most.
 */
export interface PushSettings {
  /** Frames a second the loop sends while a batch runs (above 0, at most 60). Default 20. */
  readonly hz?: number;
  /**
   * The area of interest, by count: the entities nearest the player's own (by the distance to
   * their shape), at most this many (a whole number from 1, or `Infinity`). Default 64, so a
   * frame's size does not grow with the crowd around a player.
   */
  readonly nearest?: number;
  /**
   * The area of interest, by distance: only entities within this many world units of the
   * player's own (above 0, or `Infinity`). Default `Infinity` (the count alone bounds the area).
   */
  readonly radius?: number;
  /**
   * Entities every connection is sent wherever it is (walls, landmarks), besides its area; they
   * do not count towards `nearest`. Called with each entity of every push: keep it cheap.
   */
  readonly always?: (entity: EntityView) => boolean;
  /**
   * What a connection whose player has no entity of its own (a watcher) is sent: `"world"`,
   * every entity; `"none"`, only the `always` ones (it asks the `state` query for the rest).
   * Default `"world"`.
   */
  readonly watchers?: "world" | "none";
  /** Decimal places of the positions sent (a whole number from 0 to 6). Default 2. */
  readonly decimals?: number;
  /**
   * A connection whose area did not change is sent nothing, but a frame at least this often (ms,
   * 50 to 60,000), so that its tick keeps moving. Also how often the ledger's head is sent at
   * most between commits. Default 1,000.
   */
  readonly idleMs?: number;
  /**
   * Every connection gets its whole area again this often (ms, at least 1,000, or `Infinity`):
   * a client whose deltas went astray is whole again by then. Default 10,000.
   */
  readonly keyframeMs?: number;
}

export interface WorldOptions {
  /** Players that exist from the start (the demo's `player_0001`). */
  readonly players: readonly string[];
  /** Game-specific options (bodies, bots, ...), as JSON. */
  readonly settings?: JsonValue;
}

export interface GameModule {
  /** The rules' name (`SimulationDefinition.name`). */
  readonly name: string;
  /** The rules bound to `ledger` for world `worldId`. Must be deterministic. */
  rules(ledger: Ledger, worldId: string): GameRules;
  /** Fills a new world at tick 0 (opening accounts and granting starting balances through the economy). */
  populate(sim: Simulation, rules: GameRules, options: WorldOptions): void;
  /** The commands players may send. */
  readonly commands: ReturnType<typeof defineCommands>;
  /**
   * Whether `player` may send this command (a player commands only its own entities). The runtime
   * already sets the command's actor to the authenticated player; this checks the data.
   */
  authorize(player: string, type: string, data: JsonValue, sim?: Simulation): boolean;
  /** What clients are sent of the world. */
  view(sim: Simulation): readonly EntityView[];
  /** The game's fixed description for clients (bounds, looks, quests); optional. */
  describe?(): GameDescription;
  /**
   * Commands and queries per connection, connections per player: any left out take
   * `DEFAULT_LIMITS` (definitions/limits.ts).
   */
  readonly limits?: PlayerLimitsInput;
  /** How connections are sent the world (`PushSettings`); any left out take their default. */
  readonly push?: PushSettings;
}
