/** A JSON value: what a command may carry, so that command logs round-trip through storage. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * An input to the simulation, applied at one tick. Commands reach the engine already validated
 * and authorized by the runtime; the engine only orders and applies them. Within a tick, commands
 * apply in the order of the log, which the runtime fixes when it drains the inbox.
 */
export interface Command {
  /** Unique id (the client's command id), so a retried command is recognised. */
  readonly id: string;
  /** What to do, interpreted by the game's systems (`move`, `interact`, ...). */
  readonly type: string;
  /** The acting entity's name (`player_0001`), if the command has one. */
  readonly actor?: string;
  readonly data?: JsonValue;
}

/** The commands of one tick. A command log is a list of these in ascending tick order. */
export interface TickInput {
  readonly tick: number;
  readonly commands: readonly Command[];
}
