/**
 * Replay a world: re-simulate its history from the state it was created with and the commands
 * its batch records name, and compare every tick's state hash with the recorded one and every
 * ledger entry the re-run makes with the journal's. It answers "does this code, on this machine,
 * give exactly the history the world went through?", for a whole world or a stretch of ticks.
 *
 * A re-run follows `run-tick-batch.ts`'s `rerun` step by step: per batch record, in version
 * order, the commands of each drain are re-read from the inbox and applied at the drain's tick
 * (in record order), through `runTick`. Between batches the state goes through a snapshot and a
 * ledger checkpoint, as it did live (each batch loaded the state the one before saved), so state
 * that a snapshot does not keep cannot make a replay pass that the live world would not.
 *
 * Findings are values: the report names the first mismatch (tick, expected and actual). Errors
 * are for what makes a replay impossible: no such world, no genesis state, other rules.
 */
import {
  type Command,
  fingerprintOf,
  type JournalEntry,
  Ledger,
  Simulation,
  sha256Hex,
  toHex,
} from "@ledgerquest/engine";
import { CorruptRecordError, NotFoundError, RuntimeError } from "../errors.js";
import type { WorldRecord } from "../ports/entity-store.js";
import type { BatchRecord } from "../ports/journal.js";
import { decodeWorldState, type WorldState } from "../world/state.js";
import { runTick, toEngineCommand } from "../world/tick.js";
import type { RuntimeDeps } from "./deps.js";
import type { LoadedWorld } from "./world-io.js";

/** What a replay needs of the runtime's dependencies. */
export type ReplayDeps = Pick<RuntimeDeps, "store" | "journal" | "inbox" | "blobs" | "game">;

/** Batch records read per call (a 600-tick record is about 20 KB). */
const BATCHES_PER_READ = 25;
/** Progress is reported at least this often, in ticks, and at the end of every batch. */
const PROGRESS_EVERY_TICKS = 60;

/** Why a world cannot be replayed at all. */
export class ReplayUnavailableError extends RuntimeError {
  override readonly name = "ReplayUnavailableError";

  constructor(
    readonly worldId: string,
    readonly reason: "no_genesis" | "rules_differ",
    message: string,
  ) {
    super(message);
  }
}

/** A tick range outside what the world has run. */
export class InvalidReplayRangeError extends RuntimeError {
  override readonly name = "InvalidReplayRangeError";
}

export type ReplayMismatch =
  /** Tick `tick`'s state hash after the re-run differs from the batch record's. */
  | {
      readonly kind: "state_hash";
      readonly tick: number;
      readonly version: number;
      readonly expected: string;
      readonly actual: string;
      /** The batch's commands: as its record counts them, and as its inbox ranges give them now. */
      readonly commands: { readonly recorded: number; readonly found: number };
      readonly detail: string;
    }
  /** The entry the re-run made at `seq` (during tick `tick`) differs from the journal's. */
  | {
      readonly kind: "ledger_entry";
      readonly tick: number;
      readonly version: number;
      readonly seq: number;
      /** The journal's entry hash (`missing` if the journal has none at `seq`). */
      readonly expected: string;
      /** The re-run's entry hash. */
      readonly actual: string;
      readonly detail: string;
    }
  /**
   * A count that differs: `ledger_count`, the re-run of batch `version` made fewer ledger entries
   * than its record and journal hold; `commands_count`, the batch's inbox ranges give another
   * number of commands than its record counts.
   */
  | {
      readonly kind: "ledger_count" | "commands_count";
      readonly tick: number;
      readonly version: number;
      readonly expected: number;
      readonly actual: number;
      readonly detail: string;
    }
  /** No batch record for `version`, or one that does not start where the one before ended. */
  | {
      readonly kind: "batch_missing" | "batch_discontinuous";
      readonly tick: number;
      readonly version: number;
      readonly detail: string;
    }
  /** The end of the re-run differs from the world item (tick, state hash, ledger digest). */
  | {
      readonly kind: "final_state";
      readonly tick: number;
      readonly version: number;
      readonly field: "tick" | "stateHash" | "ledgerCount" | "ledgerHead" | "ledgerRoot";
      readonly expected: string;
      readonly actual: string;
      readonly detail: string;
    };

export type ReplayMismatchKind = ReplayMismatch["kind"];

export interface ReplayProgress {
  /** The world's tick the re-run has reached (the next to run). */
  readonly tick: number;
  readonly version: number;
  /** Ticks run since genesis, of `ticksTotal` (a replay always starts at genesis). */
  readonly ticksDone: number;
  readonly ticksTotal: number;
}

export interface ReplayWorldOptions {
  /** First tick whose hash is compared. Default: the first tick the world ran. */
  readonly fromTick?: number;
  /** Last tick whose hash is compared. Default: the last tick the world committed. */
  readonly toTick?: number;
  readonly onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayReport {
  /** True when every compared hash and entry matched. */
  readonly ok: boolean;
  readonly worldId: string;
  /** The range compared (empty when `toTick < fromTick`: a world that never ran). */
  readonly fromTick: number;
  readonly toTick: number;
  /** The tick the genesis state starts at, where every replay begins. */
  readonly genesisTick: number;
  /** Batch records re-run, wholly or in part. */
  readonly batches: number;
  /** Ticks simulated (from genesis) and ticks whose hash was compared. */
  readonly ticksRun: number;
  readonly ticksChecked: number;
  readonly commandsApplied: number;
  /** Ledger entries compared with the journal's. */
  readonly entriesChecked: number;
  /** The first mismatch; the replay stops there. */
  readonly mismatch?: ReplayMismatch;
  readonly elapsedMs: number;
}

export async function replayWorld(
  deps: ReplayDeps,
  worldId: string,
  options: ReplayWorldOptions = {},
): Promise<ReplayReport> {
  const startMs = performance.now();
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new NotFoundError("world", worldId);
  const genesis = await loadGenesis(deps, world);
  const genesisTick = genesis.sim.tick;
  const { fromTick, toTick } = replayRange(world, genesisTick, options);
  const ticksTotal = Math.max(0, toTick - genesisTick + 1);

  let loaded = genesis;
  let batches = 0;
  let ticksChecked = 0;
  let commandsApplied = 0;
  let entriesChecked = 0;
  let mismatch: ReplayMismatch | undefined;
  let lastProgressTick = genesisTick;
  const progress = (version: number) => {
    lastProgressTick = loaded.sim.tick;
    options.onProgress?.({
      tick: loaded.sim.tick,
      version,
      ticksDone: loaded.sim.tick - genesisTick,
      ticksTotal,
    });
  };

  let version = 1;
  /** The last batch re-run to its end. */
  let completed = 0;
  replay: while (ticksTotal > 0 && version <= world.version && loaded.sim.tick <= toTick) {
    const records = await deps.journal.listBatches(
      worldId,
      version,
      Math.min(version + BATCHES_PER_READ - 1, world.version),
    );
    if (records.length === 0) {
      mismatch = batchMissing(world, loaded.sim.tick, version);
      break;
    }
    for (const record of records) {
      if (record.version !== version) {
        mismatch = batchMissing(world, loaded.sim.tick, version);
        break replay;
      }
      if (record.fromTick > toTick) break replay;
      mismatch = discontinuity(record, loaded);
      if (mismatch !== undefined) break replay;
      batches++;
      const ran = await replayBatch(deps, loaded, record, { fromTick, toTick }, () => {
        if (loaded.sim.tick - lastProgressTick >= PROGRESS_EVERY_TICKS) progress(version);
      });
      ticksChecked += ran.ticksChecked;
      commandsApplied += ran.commandsApplied;
      entriesChecked += ran.entriesChecked;
      progress(version);
      if (ran.mismatch !== undefined) {
        mismatch = ran.mismatch;
        break replay;
      }
      if (!ran.completed) break replay;
      completed = version;
      if (loaded.sim.tick > toTick) break replay;
      loaded = roundTrip(deps, worldId, loaded);
      version++;
    }
  }
  mismatch ??= atTheEnd(world, loaded, completed, toTick);

  return {
    ok: mismatch === undefined,
    worldId,
    fromTick,
    toTick,
    genesisTick,
    batches,
    ticksRun: loaded.sim.tick - genesisTick,
    ticksChecked,
    commandsApplied,
    entriesChecked,
    ...(mismatch === undefined ? {} : { mismatch }),
    elapsedMs: performance.now() - startMs,
  };
}

function batchMissing(world: WorldRecord, tick: number, version: number): ReplayMismatch {
  return {
    kind: "batch_missing",
    tick,
    version,
    detail: `world ${world.worldId} is at version ${world.version} but has no batch record for version ${version}`,
  };
}

/** The world's state at creation, from the blob store, checked by its SHA-256. */
async function loadGenesis(deps: ReplayDeps, world: WorldRecord): Promise<LoadedWorld> {
  if (world.genesis === undefined) {
    throw new ReplayUnavailableError(
      world.worldId,
      "no_genesis",
      `world ${world.worldId} was created before worlds kept their state at creation (genesis), so there is nothing to replay from; create a new world to replay it`,
    );
  }
  const expected = toHex(fingerprintOf(deps.game.rules(new Ledger(), world.worldId).definition));
  if (expected !== world.fingerprint) {
    throw new ReplayUnavailableError(
      world.worldId,
      "rules_differ",
      `world ${world.worldId} runs rules ${world.rules} (fingerprint ${world.fingerprint}); this code's ${deps.game.name} has fingerprint ${expected}: replay with the version that ran it`,
    );
  }
  const bytes = await deps.blobs.get(world.genesis.key);
  if (bytes === undefined) throw new NotFoundError("genesis state blob", world.genesis.key);
  const where = `world ${world.worldId} genesis`;
  if (sha256Hex(bytes) !== world.genesis.sha256)
    throw new CorruptRecordError(where, "genesis bytes do not match their hash");
  return restore(deps, world.worldId, decodeWorldState(bytes, where));
}

/** As `loadWorldState` does: the ledger from its checkpoint, the rules bound to it, the sim. */
function restore(deps: ReplayDeps, worldId: string, state: WorldState): LoadedWorld {
  const ledger = Ledger.fromCheckpoint(state.ledger);
  const rules = deps.game.rules(ledger, worldId);
  const sim = Simulation.restore(rules.definition, state.snapshot);
  return { sim, ledger, rules };
}

/** Saves and loads the state as a batch boundary does live. */
function roundTrip(deps: ReplayDeps, worldId: string, loaded: LoadedWorld): LoadedWorld {
  return restore(deps, worldId, {
    snapshot: loaded.sim.snapshot(),
    ledger: loaded.ledger.checkpoint(),
  });
}

function replayRange(
  world: WorldRecord,
  genesisTick: number,
  options: ReplayWorldOptions,
): { fromTick: number; toTick: number } {
  const lastTick = world.tick - 1;
  for (const [name, tick] of [
    ["fromTick", options.fromTick],
    ["toTick", options.toTick],
  ] as const) {
    if (tick !== undefined && (!Number.isSafeInteger(tick) || tick < 0))
      throw new InvalidReplayRangeError(`${name} must be a whole number >= 0, got ${tick}`);
  }
  const fromTick = options.fromTick ?? genesisTick;
  const toTick = options.toTick ?? lastTick;
  // No range asked: everything the world ran, which for a world that never ran is nothing.
  if (options.fromTick === undefined && options.toTick === undefined) return { fromTick, toTick };
  if (lastTick < genesisTick) {
    throw new InvalidReplayRangeError(
      `world ${world.worldId} has not run a tick yet: there is nothing to replay`,
    );
  }
  if (fromTick < genesisTick || toTick > lastTick || fromTick > toTick) {
    throw new InvalidReplayRangeError(
      `ticks ${fromTick} to ${toTick} are not within what world ${world.worldId} has run: ticks ${genesisTick} to ${lastTick}`,
    );
  }
  return { fromTick, toTick };
}

interface BatchRun {
  /** Whether every tick of the batch ran (false when the range ended inside it). */
  readonly completed: boolean;
  readonly ticksChecked: number;
  readonly commandsApplied: number;
  readonly entriesChecked: number;
  readonly mismatch?: ReplayMismatch;
}

/** A record that does not start where the batch before it ended (tick, ledger seq). */
function discontinuity(record: BatchRecord, loaded: LoadedWorld): ReplayMismatch | undefined {
  const { sim, ledger } = loaded;
  if (record.fromTick === sim.tick && record.ledgerFromSeq === ledger.size) return undefined;
  return {
    kind: "batch_discontinuous",
    tick: sim.tick,
    version: record.version,
    detail: `batch ${record.version} starts at tick ${record.fromTick} and ledger seq ${record.ledgerFromSeq}; the batch before it ended at tick ${sim.tick} and seq ${ledger.size}`,
  };
}

/**
 * What is wrong once the records ran out without a mismatch: they ended before the range did (the
 * world item claims ticks no record accounts for), or, replayed to the world's last tick, the
 * state differs from the world item's.
 */
function atTheEnd(
  world: WorldRecord,
  loaded: LoadedWorld,
  completed: number,
  toTick: number,
): ReplayMismatch | undefined {
  if (loaded.sim.tick <= toTick) {
    return {
      kind: "batch_missing",
      tick: loaded.sim.tick,
      version: completed + 1,
      detail: `the batch records of world ${world.worldId} end at tick ${loaded.sim.tick - 1}, before tick ${toTick}`,
    };
  }
  if (completed === world.version && toTick === world.tick - 1) {
    return finalState(world, loaded, completed);
  }
  return undefined;
}

/** The commands a batch applied, by tick, read back from the inbox ranges its record names. */
async function commandsByTick(
  deps: ReplayDeps,
  record: BatchRecord,
): Promise<{ byTick: Map<number, Command[]>; found: number }> {
  const byTick = new Map<number, Command[]>();
  let found = 0;
  for (const d of record.drains) {
    const got = await deps.inbox.read(record.worldId, d.shard, d.fromMs, d.toMs);
    const list = byTick.get(d.tick) ?? [];
    for (const c of got) list.push(toEngineCommand(c));
    byTick.set(d.tick, list);
    found += got.length;
  }
  return { byTick, found };
}

/**
 * Re-runs one batch record from `loaded` (which must be where the record starts), comparing
 * hashes of ticks in the range and, when the batch reaches into the range, its ledger entries.
 * Stops after `range.toTick`.
 */
async function replayBatch(
  deps: ReplayDeps,
  loaded: LoadedWorld,
  record: BatchRecord,
  range: { readonly fromTick: number; readonly toTick: number },
  onTick: () => void,
): Promise<BatchRun> {
  const { sim, ledger } = loaded;
  const { worldId, version } = record;
  const { byTick, found } = await commandsByTick(deps, record);
  const lastTick = record.fromTick + record.ticks - 1;
  // Batches wholly before the range are run for their state only: a range is how a user says
  // where to look, and the ticks before it are trusted as far as their hashes go.
  const inRange = lastTick >= range.fromTick;
  const journal: readonly JournalEntry[] = inRange
    ? await deps.journal.readEntries(worldId, record.ledgerFromSeq, record.ledgerToSeq)
    : [];
  let ticksChecked = 0;
  let applied = 0;
  let seq = record.ledgerFromSeq;
  let completed = false;
  const done = (mismatch?: ReplayMismatch): BatchRun => ({
    completed,
    ticksChecked,
    commandsApplied: applied,
    entriesChecked: seq - record.ledgerFromSeq,
    ...(mismatch === undefined ? {} : { mismatch }),
  });

  for (let t = 0; t < record.ticks; t++) {
    const tick = sim.tick;
    const commands = byTick.get(tick) ?? [];
    applied += commands.length;
    runTick(sim, commands);
    if (tick >= range.fromTick) {
      const actual = sim.hash();
      const expected = record.hashes[t] ?? "missing";
      ticksChecked++;
      if (actual !== expected) {
        return done({
          kind: "state_hash",
          tick,
          version,
          expected,
          actual,
          commands: { recorded: record.commandsApplied, found },
          detail: `tick ${tick} (batch ${version}) hashes ${actual}; the record says ${expected}${found === record.commandsApplied ? "" : `; the batch's inbox ranges give ${found} command(s), the record counts ${record.commandsApplied}`}`,
        });
      }
    }
    if (inRange && ledger.size > seq) {
      for (const made of ledger.entriesSince(seq)) {
        const held = journal[made.seq - record.ledgerFromSeq];
        const differs = entryDifference(made, held);
        if (differs !== undefined) {
          return done({
            kind: "ledger_entry",
            tick,
            version,
            seq: made.seq,
            expected: held?.hash ?? "missing",
            actual: made.hash,
            detail: `ledger entry ${made.seq}, made at tick ${tick} (batch ${version}): ${differs}`,
          });
        }
        seq = made.seq + 1;
      }
    }
    // The range ends inside this batch: what it ran is checked, the rest is not the user's ask.
    if (tick === range.toTick && t < record.ticks - 1) return done();
    onTick();
  }
  completed = true;
  if (inRange && ledger.size < record.ledgerToSeq) {
    return done({
      kind: "ledger_count",
      tick: sim.tick - 1,
      version,
      expected: record.ledgerToSeq - record.ledgerFromSeq,
      actual: ledger.size - record.ledgerFromSeq,
      detail: `batch ${version} made ${ledger.size - record.ledgerFromSeq} ledger entries on re-run; its record and the journal hold ${record.ledgerToSeq - record.ledgerFromSeq}`,
    });
  }
  if (inRange && found !== record.commandsApplied) {
    return done({
      kind: "commands_count",
      tick: sim.tick - 1,
      version,
      expected: record.commandsApplied,
      actual: found,
      detail: `batch ${version}'s inbox ranges give ${found} command(s); its record counts ${record.commandsApplied}`,
    });
  }
  return done();
}

/** Why the re-run's entry differs from the journal's, or undefined when they are the same. */
function entryDifference(made: JournalEntry, held: JournalEntry | undefined): string | undefined {
  if (held === undefined) return "the journal has no entry there";
  if (made.hash !== held.hash) return `hashes ${made.hash}; the journal's is ${held.hash}`;
  // Equal hashes with other fields: the stored entry was edited and its hash left alone.
  const fields = fieldsOf(made);
  const other = fieldsOf(held);
  for (const key of Object.keys(fields)) {
    if (fields[key] !== other[key])
      return `its ${key} is ${fields[key]}; the journal's is ${other[key]} (under the same hash)`;
  }
  return undefined;
}

function fieldsOf(e: JournalEntry): Record<string, string> {
  const base = { kind: e.kind, seq: String(e.seq), prev: e.prev, id: e.id };
  if (e.kind === "account") {
    return { ...base, owner: e.owner, unit: e.unit, flags: JSON.stringify(sortedRecord(e.flags)) };
  }
  return {
    ...base,
    debit: e.debit,
    credit: e.credit,
    amount: String(e.amount),
    unit: e.unit,
    reason: e.reason,
    tick: String(e.tick),
    linked: String(e.linked),
    meta: JSON.stringify(sortedRecord(e.meta)),
  };
}

function sortedRecord(r: { readonly [key: string]: unknown }): [string, unknown][] {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function finalState(
  world: WorldRecord,
  loaded: LoadedWorld,
  version: number,
): ReplayMismatch | undefined {
  const digest = loaded.ledger.digest();
  const tick = loaded.sim.tick - 1;
  const checks: [
    "tick" | "stateHash" | "ledgerCount" | "ledgerHead" | "ledgerRoot",
    string,
    string,
  ][] = [
    ["tick", String(world.tick), String(loaded.sim.tick)],
    ["stateHash", world.stateHash, loaded.sim.hash()],
    ["ledgerCount", String(world.ledger.count), String(digest.count)],
    ["ledgerHead", world.ledger.head, digest.head],
    ["ledgerRoot", world.ledger.root, digest.root],
  ];
  for (const [field, expected, actual] of checks) {
    if (expected !== actual)
      return {
        kind: "final_state",
        tick,
        version,
        field,
        expected,
        actual,
        detail: `after the last batch (${version}) the re-run's ${field} is ${actual}; the world item says ${expected}`,
      };
  }
  return undefined;
}
