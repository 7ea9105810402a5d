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
}
