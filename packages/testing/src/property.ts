/**
 * The conservation property for fast-check (a peer dependency: the author's test setup brings
 * it). This is the kit's only module that imports it.
 */
import type { JsonValue } from "@ledgerquest/engine";
import type { GameModule } from "@ledgerquest/runtime";
import fc from "fast-check";
import { type ConservationOptions, expectConservation } from "./conservation.js";
import { createTestWorld } from "./test-world.js";

/** A command the property sends: from `player`, of `type`, with `data`. */
export interface GeneratedCommand {
  readonly player: string;
  readonly type: string;
  readonly data?: JsonValue;
}

export interface ConservesMoneyOptions extends ConservationOptions {
  /** Default `"test"`. */
  readonly worldId?: string;
  /** Default `["alice", "bob"]`. */
  readonly players?: readonly string[];
  readonly settings?: JsonValue;
  readonly seed?: number | string;
  /** Commands to draw from; refused ones (bad data, forbidden) are part of the test. */
  readonly commands: fc.Arbitrary<GeneratedCommand>;
  /** Most commands in one sequence. Default 20. */
  readonly maxCommands?: number;
  /** Ticks run after the last command. Default 10. */
  readonly ticks?: number;
  /**
   * Runs for `assertConservesMoney` (default 50). `conservesMoney` returns a property, which
   * carries no run count: give yours to `fc.assert(property, { numRuns })`.
   */
  readonly numRuns?: number;
}

/**
 * A fast-check property: for random sequences of `commands` (each sent, then one tick run), then
 * `ticks` more, the world conserves value (`checkConservation`). A failure throws a
 * `ConservationError` naming the problems, and fast-check shrinks the sequence.
 *
 *   await fc.assert(conservesMoney(game, { commands: moveOrBuy }), { numRuns: 100 });
 */
export function conservesMoney(
  game: GameModule,
  options: ConservesMoneyOptions,
): fc.IAsyncProperty<[readonly GeneratedCommand[]]> {
  const maxCommands = options.maxCommands ?? 20;
  const ticks = options.ticks ?? 10;
  return fc.asyncProperty(
    fc.array(options.commands, { maxLength: maxCommands }),
    async (commands) => {
      const world = await createTestWorld(game, {
        ...(options.worldId === undefined ? {} : { worldId: options.worldId }),
        ...(options.players === undefined ? {} : { players: options.players }),
        ...(options.settings === undefined ? {} : { settings: options.settings }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        snapshots: false,
      });
      for (const c of commands) {
        await world.command(c.player, c.type, c.data);
        await world.tick();
      }
      if (ticks > 0) await world.tick(ticks);
      await expectConservation(world, options);
    },
  );
}

/** `fc.assert(conservesMoney(game, options), { numRuns })`: resolves, or rejects with the counterexample. */
export async function assertConservesMoney(
  game: GameModule,
  options: ConservesMoneyOptions,
): Promise<void> {
  await fc.assert(conservesMoney(game, options), { numRuns: options.numRuns ?? 50 });
}
