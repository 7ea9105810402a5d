/**
 * Determinism check: the same script, run three ways in fresh worlds, must give the same state
 * hash at every tick. The first run steps one tick per batch; the repeat runs the stretches
 * between scripted commands as single batches (so state kept outside the world, in a closure or
 * a module, shows up, and so does state that does not survive a batch's save and load); the third
 * snapshots at `snapshotAt`, restores into a fresh world and goes on from there (so state that a
 * snapshot or an export does not carry shows up).
 */
import type { JsonValue } from "@ledgerquest/engine";
import type { GameModule } from "@ledgerquest/runtime";
import { NondeterminismError, TestWorldOptionsError } from "./errors.js";
import { type CommandResult, createTestWorld, type TestWorld } from "./test-world.js";

/** One scripted command: sent by `player` when the world is at `tick`, applied by the next step. */
export interface ScriptedCommand {
  readonly tick: number;
  readonly player: string;
  readonly type: string;
  readonly data?: JsonValue;
  /** The command id. Default `s<index in the script>`, the same in every run. */
  readonly id?: string;
}

export interface DeterminismOptions {
  /** Default `"test"`. */
  readonly worldId?: string;
  /** Default `["alice", "bob"]`. */
  readonly players?: readonly string[];
  readonly settings?: JsonValue;
  readonly seed?: number | string;
  /** Ticks each run goes through (1 or more). */
  readonly ticks: number;
  readonly script?: readonly ScriptedCommand[];
  /** The tick the third run is snapshotted and restored at, 0 to `ticks`. Default `ticks / 2`, rounded down. */
  readonly snapshotAt?: number;
}

/** Which run differed from the first: the batched repeat, or the one restored from a snapshot. */
export type DeterminismRun = "repeat" | "restored";

export interface DeterminismReport {
  readonly ok: boolean;
  /** Ticks each run went through. */
  readonly ticks: number;
  /** The first run's state hash at every tick, from 0 to `ticks`. */
  readonly hashes: readonly string[];
  /** The earliest tick at which a run's state hash differs from the first run's. */
  readonly firstMismatch?: {
    readonly tick: number;
    readonly run: DeterminismRun;
    /** The first run's hash. */
    readonly expected: string;
    readonly actual: string;
  };
  /** Script commands the first run's world refused (index in the script, and why). */
  readonly refused: readonly {
    readonly index: number;
    readonly code: string;
    readonly message: string;
  }[];
}

/** Runs the script three ways and compares the state hashes tick by tick (see the module comment). */
export async function checkDeterminism(
  game: GameModule,
  options: DeterminismOptions,
): Promise<DeterminismReport> {
  const { ticks, snapshotAt, script } = checkOptions(options);
  const first = await runScript(game, options, script, ticks, { batched: false });
  const repeat = await runScript(game, options, script, ticks, { batched: true });
  const restored = await runScript(game, options, script, ticks, { batched: false, snapshotAt });
  const expected = first.world.stateHashes();
  let firstMismatch: DeterminismReport["firstMismatch"];
  for (const [run, got] of [
    ["repeat", repeat.world.stateHashes()],
    ["restored", restored.world.stateHashes()],
  ] as const) {
    const i = expected.findIndex((h, t) => got[t] !== h);
    if (i < 0 || (firstMismatch !== undefined && firstMismatch.tick <= i)) continue;
    firstMismatch = { tick: i, run, expected: expected[i] as string, actual: got[i] ?? "missing" };
  }
  return {
    ok: firstMismatch === undefined,
    ticks,
    hashes: expected,
    ...(firstMismatch === undefined ? {} : { firstMismatch }),
    refused: first.refused,
  };
}

/** `checkDeterminism`, throwing a `NondeterminismError` that says where the runs parted. */
export async function expectDeterministic(
  game: GameModule,
  options: DeterminismOptions,
): Promise<DeterminismReport> {
  const report = await checkDeterminism(game, options);
  const m = report.firstMismatch;
  if (m !== undefined) {
    const how =
      m.run === "repeat"
        ? "the same script run again (in longer batches)"
        : `the same script restored from a snapshot at tick ${options.snapshotAt ?? Math.floor(report.ticks / 2)}`;
    throw new NondeterminismError(
      `${game.name} is not deterministic: at tick ${m.tick}, ${how} hashes ${m.actual}, the first run ${m.expected}. Look for state outside the world (module or closure variables, Math.random, Date.now, iteration over unordered collections) in the systems that run before tick ${m.tick}.`,
    );
  }
  return report;
}

function checkOptions(options: DeterminismOptions) {
  const { ticks } = options;
  if (!Number.isSafeInteger(ticks) || ticks < 1)
    throw new TestWorldOptionsError(`ticks must be a positive integer, got ${ticks}`);
  const snapshotAt = options.snapshotAt ?? Math.floor(ticks / 2);
  if (!Number.isSafeInteger(snapshotAt) || snapshotAt < 0 || snapshotAt > ticks)
    throw new TestWorldOptionsError(`snapshotAt must be an integer from 0 to ${ticks}`);
  const script = options.script ?? [];
  for (const [i, c] of script.entries()) {
    if (!Number.isSafeInteger(c.tick) || c.tick < 0 || c.tick >= ticks)
      throw new TestWorldOptionsError(
        `script[${i}].tick must be an integer from 0 to ${ticks - 1}`,
      );
  }
  return { ticks, snapshotAt, script };
}

interface Run {
  readonly world: TestWorld;
  readonly refused: DeterminismReport["refused"];
}

async function runScript(
  game: GameModule,
  options: DeterminismOptions,
  script: readonly ScriptedCommand[],
  ticks: number,
  mode: { readonly batched: boolean; readonly snapshotAt?: number },
): Promise<Run> {
  let world = await createTestWorld(game, {
    ...(options.worldId === undefined ? {} : { worldId: options.worldId }),
    ...(options.players === undefined ? {} : { players: options.players }),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    snapshots: mode.snapshotAt !== undefined,
  });
  const refused: { index: number; code: string; message: string }[] = [];
  const byTick = new Map<number, number[]>();
  for (const [i, c] of script.entries()) byTick.set(c.tick, [...(byTick.get(c.tick) ?? []), i]);
  while (world.tickNumber < ticks) {
    const t = world.tickNumber;
    if (t === mode.snapshotAt) world = await world.restore(world.snapshot());
    for (const i of byTick.get(t) ?? []) {
      const c = script[i] as ScriptedCommand;
      const r: CommandResult = await world.command(c.player, c.type, c.data, {
        id: c.id ?? `s${i}`,
      });
      if (!r.ok) refused.push({ index: i, code: r.code, message: r.message });
    }
    await world.tick(mode.batched ? stretch(t, ticks, byTick) : 1);
  }
  // A snapshot at the last tick still goes through a restore: the end state must survive it.
  if (world.tickNumber === mode.snapshotAt) world = await world.restore(world.snapshot());
  return { world, refused };
}

/** Ticks from `t` up to the next tick with scripted commands (or the end). */
function stretch(t: number, ticks: number, byTick: ReadonlyMap<number, readonly number[]>): number {
  let end = t + 1;
  while (end < ticks && !byTick.has(end)) end++;
  return end - t;
}
