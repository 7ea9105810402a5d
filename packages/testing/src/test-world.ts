/**
 * A game's world run headless for tests: the runtime's own use cases (create world, connect,
 * submit command, run tick batch, verify, replay, export and restore) over the memory adapters,
 * with a manual clock. Nothing here re-implements the runtime: a command goes through the same
 * frame parsing, schemas, `authorize`, admission and membership checks as a WebSocket client's,
 * and a tick through the same batch and commit path as the game loop's, so a game that passes its
 * tests here behaves the same on the local stack and on AWS.
 *
 * After every change (creation, a command, a batch) the world re-reads what the runtime committed
 * (the world item, its state, the new journal entries and batch records), so every read method is
 * synchronous and shows the committed world, never a half-applied one.
 */
import {
  type JournalEntry,
  type JsonValue,
  mintAccount,
  Simulation,
  sinkAccount,
} from "@ledgerquest/engine";
import {
  appliedCommandCounts,
  type BatchRecord,
  connect,
  createMemoryDeps,
  createWorld,
  decodeWorldState,
  type EntityView,
  ExportError,
  exportWorld,
  type GameModule,
  type LoadedWorld,
  loadWorldState,
  MAX_TICKS_PER_BATCH,
  ManualClock,
  type MemoryDeps,
  type ReplayReport,
  type ReplayWorldOptions,
  replayWorld,
  restoreWorld,
  runTickBatch,
  type StatePushFrame,
  submitCommand,
  type VerifyWorldReport,
  verifyWorld,
  type WorldExport,
  type WorldRecord,
} from "@ledgerquest/runtime";
import { SnapshotError, TestingKitError, TestWorldOptionsError } from "./errors.js";

/** The runtime's dependencies of a test world: memory adapters and a manual clock. */
export type TestWorldDeps = MemoryDeps & { readonly clock: ManualClock };

/** Players a test world has when the options name none. */
export const DEFAULT_TEST_PLAYERS: readonly string[] = ["alice", "bob"];
/** The world id when the options name none. */
export const DEFAULT_TEST_WORLD_ID = "test";

export interface TestWorldOptions {
  /** The world's id (it scopes the ledger's transfer ids). Default `"test"`. */
  readonly worldId?: string;
  /** The world's players (members: they may command). Default `["alice", "bob"]`. */
  readonly players?: readonly string[];
  /** The game's settings for this world; its settings schema checks them. */
  readonly settings?: JsonValue;
  /** The world's random seed. Default: the world id (as the runtime's default). */
  readonly seed?: number | string;
  /**
   * A `snapshot()` of another test world: the new world is that world, restored through the
   * runtime's restore (its history, pending commands and all). `worldId`, `players`, `settings`
   * and `seed` are then taken from the snapshot and must not be given.
   */
  readonly from?: Uint8Array;
  /**
   * Keep `snapshot()` available (default true). It costs an export of the world after every
   * change; property tests that never snapshot turn it off.
   */
  readonly snapshots?: boolean;
}

/** A command as a client would send it, answered as the WebSocket API answers it. */
export type CommandResult =
  | { readonly ok: true; readonly id: string; readonly result: "accepted" | "duplicate" }
  | {
      readonly ok: false;
      /** The error frame's code: `invalid_data`, `unknown_command`, `forbidden`, `not_a_member`, ... */
      readonly code: string;
      readonly message: string;
      /** Where the problem is (`data.dx`), when it is in a field. */
      readonly path?: string;
      /** The command id, when the frame had one. */
      readonly id?: string;
      /** With `rate_limited`: how long until the player may send again (advance with ticks). */
      readonly retryAfterMs?: number;
    };

export interface CommandOptions {
  /** The client's command id (unique per player; a reused id answers `duplicate`). Default `c<n>`. */
  readonly id?: string;
}

/** One domain event of the world (quests accepted, completed, failed; levels gained). */
export interface TestWorldEvent {
  /** The tick it happened at. */
  readonly tick: number;
  /** Its detail type (`Quest Completed`, `Level Up`, ...). */
  readonly type: string;
  readonly data: { readonly [key: string]: unknown };
  /** Deterministic: `<world>/<version>/<index>`. */
  readonly eventId: string;
}

/** What one unit's system and player accounts hold (verify's `UnitSummary` figures). */
export interface SupplyFigures {
  /** Issued through `mint:<unit>`, net: minus the mint's balance. */
  readonly minted: number;
  /** Taken out through `sink:<unit>`, net: the sink's balance. */
  readonly sunk: number;
  /** The balances of every account not owned by `system`. */
  readonly held: number;
}

/** What `tick(n)` did. */
export interface TickSummary {
  /** The world's tick after it. */
  readonly tick: number;
  readonly commandsApplied: number;
  readonly ledgerEntries: number;
  readonly events: number;
}

/** A game's world under test. Reads are synchronous and show the last commit. */
export interface TestWorld {
  readonly worldId: string;
  readonly players: readonly string[];
  /** The runtime's dependencies it runs on, for checks beyond this interface. */
  readonly deps: TestWorldDeps;
  /** The world's current tick (0 after creation). */
  readonly tickNumber: number;
  /** The world's committed version (one per batch). */
  readonly version: number;
  /**
   * Sends a command as player `player` would over its WebSocket: parsed, checked against the
   * game's schema of `type` and its `authorize`, admitted under the game's limits, refused for a
   * non-member, then queued for the next tick. Refusals are values, never thrown.
   */
  command(
    player: string,
    type: string,
    data?: JsonValue,
    options?: CommandOptions,
  ): Promise<CommandResult>;
  /**
   * Runs `n` ticks (default 1) through the runtime's `runTickBatch` and commit, as batches of at
   * most `MAX_TICKS_PER_BATCH`. Queued commands apply at the first of them. The manual clock
   * moves by the game's tick duration per tick, so rate limits refill as simulated time passes.
   */
  tick(n?: number): Promise<TickSummary>;
  /** The game's `view` of the committed state. */
  entities(): readonly EntityView[];
  /** An entity by its name (players are named after themselves) or its id (handle). */
  entity(nameOrId: string | number): EntityView | undefined;
  /** The domain events of every batch so far, in order. */
  events(): readonly TestWorldEvent[];
  /** A player's balance of a unit, from the world's ledger through the game's economy. */
  balance(player: string, unit: string): number;
  /** Every ledger entry of the world, as journaled (account openings and transfers). */
  journal(): readonly JournalEntry[];
  /** Per unit (sorted), what was minted, sunk and is held. */
  supply(): Readonly<Record<string, SupplyFigures>>;
  /** The state hash at the current tick. */
  hash(): string;
  /** The state hash of every tick since the world's genesis: index `i` is tick `genesisTick + i`. */
  stateHashes(): readonly string[];
  /** The tick the world's genesis state is at (0, or where a restored world's history began). */
  readonly genesisTick: number;
  /**
   * A copy of the committed simulation, for reading components the view leaves out. Changing it
   * changes nothing in the world.
   */
  simulation(): Simulation;
  /** `player/commandId` → how many batches applied it (the runtime's `appliedCommandCounts`). */
  appliedCommands(): Promise<Map<string, number>>;
  /**
   * The state frames the player's connection was pushed after each batch, as a client gets them
   * (a player connects with its first command).
   */
  received(player: string): readonly StatePushFrame[];
  /** The runtime's `verifyWorld`: journal chain, conservation, digest and projections. */
  verify(): Promise<VerifyWorldReport>;
  /** The runtime's `replayWorld`: re-simulates the history and compares every hash and entry. */
  replay(options?: ReplayWorldOptions): Promise<ReplayReport>;
  /**
   * The world as the runtime exports it (UTF-8 JSON of a `WorldExport`: state, journal, batch
   * records and inbox, pending commands included). Restore it with `restore` or with
   * `createTestWorld(game, { from })`.
   */
  snapshot(): Uint8Array;
  /** A new, independent world restored from a snapshot of this game (this world is untouched). */
  restore(snapshot: Uint8Array): Promise<TestWorld>;
}

/** Creates a world of `game` on fresh memory adapters, or restores one (`options.from`). */
export async function createTestWorld(
  game: GameModule,
  options: TestWorldOptions = {},
): Promise<TestWorld> {
  const deps = createMemoryDeps(game, new ManualClock());
  const keepSnapshots = options.snapshots ?? true;
  if (options.from !== undefined) return restoreInto(deps, options, keepSnapshots);
  const worldId = options.worldId ?? DEFAULT_TEST_WORLD_ID;
  const players = options.players ?? DEFAULT_TEST_PLAYERS;
  try {
    await createWorld(deps, {
      worldId,
      players,
      ...(options.settings === undefined ? {} : { settings: options.settings }),
      ...(options.seed === undefined ? {} : { seed: String(options.seed) }),
    });
  } catch (error) {
    throw new TestWorldOptionsError(
      `cannot create test world ${worldId} of ${game.name}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return openTestWorld(deps, worldId, players, keepSnapshots);
}

async function restoreInto(
  deps: TestWorldDeps,
  options: TestWorldOptions,
  keepSnapshots: boolean,
): Promise<TestWorld> {
  for (const key of ["worldId", "players", "settings", "seed"] as const) {
    if (options[key] !== undefined)
      throw new TestWorldOptionsError(`${key}: a restored world takes it from its snapshot`);
  }
  const doc = parseSnapshot(options.from as Uint8Array);
  // The clock goes on from the snapshot's time: the restored inbox's watermarks are its times.
  // (Read defensively: the restore below checks the document and names what is wrong with it.)
  const times = [doc.exportedAtMs, doc.world?.updatedAtMs, ...(doc.world?.cursors ?? [])];
  deps.clock.set(Math.max(deps.clock.nowMs(), ...times.filter((t) => Number.isSafeInteger(t))));
  try {
    await restoreWorld(deps, doc);
  } catch (error) {
    throw new SnapshotError(`cannot restore the snapshot: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const players = doc.players.map((p) => p.playerId).sort();
  const used = doc.inbox.map((c) => /^c(\d+)$/.exec(c.commandId)?.[1]).map((n) => Number(n ?? -1));
  return openTestWorld(deps, doc.world.worldId, players, keepSnapshots, Math.max(-1, ...used) + 1);
}

function parseSnapshot(bytes: Uint8Array): WorldExport {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as WorldExport;
  } catch (error) {
    throw new SnapshotError("not a test world snapshot (not UTF-8 JSON)", { cause: error });
  }
}

/** What the world re-reads after every change. */
interface Committed {
  readonly record: WorldRecord;
  readonly loaded: LoadedWorld;
  readonly view: readonly EntityView[];
}

async function openTestWorld(
  deps: TestWorldDeps,
  worldId: string,
  players: readonly string[],
  keepSnapshots: boolean,
  firstCommandNumber = 0,
): Promise<TestWorld> {
  const genesis = await genesisOf(deps, worldId);
  const world = new KitWorld(deps, worldId, players, keepSnapshots, genesis, firstCommandNumber);
  await world.refresh(true);
  return world;
}

/** The one implementation of `TestWorld`: see the interface for what each member does. */
class KitWorld implements TestWorld {
  readonly genesisTick: number;
  readonly #journal: JournalEntry[] = [];
  readonly #events: TestWorldEvent[] = [];
  readonly #hashes: string[];
  readonly #connected = new Set<string>();
  #nextCommand: number;
  #state: Committed | undefined;
  /** The last export, or why the runtime refused it; undefined without snapshots. */
  #snapshot: Uint8Array | ExportError | undefined;

  constructor(
    readonly deps: TestWorldDeps,
    readonly worldId: string,
    readonly players: readonly string[],
    private readonly keepSnapshots: boolean,
    genesis: { readonly tick: number; readonly hash: string },
    firstCommandNumber: number,
  ) {
    this.genesisTick = genesis.tick;
    this.#hashes = [genesis.hash];
    this.#nextCommand = firstCommandNumber;
  }

  get #now(): Committed {
    if (this.#state === undefined) throw new TestingKitError("the world is not loaded yet");
    return this.#state;
  }

  get tickNumber(): number {
    return this.#now.record.tick;
  }

  get version(): number {
    return this.#now.record.version;
  }

  /** Re-reads what the runtime committed since the last look; exports when asked to. */
  async refresh(exportNeeded: boolean): Promise<void> {
    const record = await this.deps.store.getWorld(this.worldId);
    if (record === undefined)
      throw new TestingKitError(`world ${this.worldId} is gone from its store`);
    if (this.#state === undefined || record.version !== this.#state.record.version) {
      const from = this.#state === undefined ? 1 : this.#state.record.version + 1;
      const loaded = await loadWorldState(this.deps, record);
      const { journal } = this.deps;
      const entries = await journal.readEntries(
        this.worldId,
        this.#journal.length,
        record.ledger.count,
      );
      this.#journal.push(...entries);
      this.#follow(await journal.listBatches(this.worldId, from, record.version));
      this.#state = { record, loaded, view: this.deps.game.view(loaded.sim) };
    }
    if (this.keepSnapshots && exportNeeded) {
      try {
        const doc = await exportWorld(this.deps, this.worldId);
        this.#snapshot = new TextEncoder().encode(JSON.stringify(doc));
      } catch (error) {
        // The runtime refuses to export a world that does not check (one that does not conserve
        // value, say): `snapshot()` says so, and the world runs on.
        if (!(error instanceof ExportError)) throw error;
        this.#snapshot = error;
      }
    }
  }

  /** Takes the per-tick hashes and the domain events of new batch records. */
  #follow(batches: readonly BatchRecord[]): void {
    for (const batch of batches) {
      const skip = Math.max(0, this.genesisTick - batch.fromTick);
      this.#hashes.push(...batch.hashes.slice(skip));
      for (const e of batch.events) {
        const tick = typeof e.detail.tick === "number" ? e.detail.tick : batch.fromTick;
        this.#events.push({ tick, type: e.detailType, data: e.detail, eventId: e.eventId });
      }
    }
  }

  async command(
    player: string,
    type: string,
    data?: JsonValue,
    options: CommandOptions = {},
  ): Promise<CommandResult> {
    const id = options.id ?? `c${this.#nextCommand++}`;
    const refused = await ensureConnected(this.deps, this.worldId, player, this.#connected);
    if (refused !== undefined) return refused;
    const body = JSON.stringify({
      action: "command",
      id,
      type,
      ...(data === undefined ? {} : { data }),
    });
    const connectionId = connectionOf(player);
    const r = await submitCommand(this.deps, { connectionId, playerId: player, body });
    if (!r.ok) {
      const { type: _frame, ...error } = r.error;
      return { ok: false, ...error };
    }
    if (r.result === "accepted") await this.refresh(true);
    return { ok: true, id: r.id, result: r.result };
  }

  async tick(n = 1): Promise<TickSummary> {
    if (!Number.isSafeInteger(n) || n < 1)
      throw new TestWorldOptionsError(`tick(n): n must be a positive integer, got ${n}`);
    const msPerTick = Math.max(1, Math.round(1000 / this.#now.loaded.sim.world.tickRateHz));
    const summary = { tick: 0, commandsApplied: 0, ledgerEntries: 0, events: 0 };
    for (let left = n; left > 0; ) {
      const maxTicks = Math.min(left, MAX_TICKS_PER_BATCH);
      // Simulated time passes with the ticks: the inbox's watermark moves past the queued
      // commands, and rate limits refill as they would for a client.
      this.deps.clock.advance(maxTicks * msPerTick);
      const token = `testing-kit#${this.version + 1}`;
      const r = await runTickBatch(this.deps, { worldId: this.worldId, token, maxTicks });
      summary.commandsApplied += r.commandsApplied;
      summary.ledgerEntries += r.ledgerEntries;
      summary.events += r.events;
      left -= r.ticks;
      await this.refresh(left === 0);
    }
    return { ...summary, tick: this.tickNumber };
  }

  entities(): readonly EntityView[] {
    return this.#now.view;
  }

  entity(nameOrId: string | number): EntityView | undefined {
    return this.#now.view.find((e) => (typeof nameOrId === "number" ? e.id : e.name) === nameOrId);
  }

  events(): readonly TestWorldEvent[] {
    return this.#events.slice();
  }

  balance(player: string, unit: string): number {
    return this.#now.loaded.rules.economy.balance(player, unit);
  }

  journal(): readonly JournalEntry[] {
    return this.#journal.slice();
  }

  supply(): Readonly<Record<string, SupplyFigures>> {
    return supplyOf(this.#now.loaded);
  }

  hash(): string {
    return this.#now.record.stateHash;
  }

  stateHashes(): readonly string[] {
    return this.#hashes.slice();
  }

  simulation(): Simulation {
    const { loaded } = this.#now;
    return Simulation.restore(loaded.rules.definition, loaded.sim.snapshot());
  }

  appliedCommands(): Promise<Map<string, number>> {
    return appliedCommandCounts(this.deps, this.worldId, 1, this.version);
  }

  received(player: string): readonly StatePushFrame[] {
    const messages = this.deps.push.received(connectionOf(player));
    return messages.map((m) => JSON.parse(m) as StatePushFrame);
  }

  verify(): Promise<VerifyWorldReport> {
    return verifyWorld(this.deps, this.worldId);
  }

  replay(options?: ReplayWorldOptions): Promise<ReplayReport> {
    return replayWorld(this.deps, this.worldId, options);
  }

  snapshot(): Uint8Array {
    const bytes = this.#snapshot;
    if (bytes === undefined)
      throw new SnapshotError("this world was created with { snapshots: false }");
    if (bytes instanceof ExportError) {
      throw new SnapshotError(`the runtime refuses to export this world: ${bytes.message}`, {
        cause: bytes,
      });
    }
    return bytes.slice();
  }

  restore(snapshot: Uint8Array): Promise<TestWorld> {
    return createTestWorld(this.deps.game, { from: snapshot, snapshots: this.keepSnapshots });
  }
}

function connectionOf(player: string): string {
  return `testing-kit:${player}`;
}

/** Connects the player once (a member or a watcher, as the runtime decides); a refusal is a value. */
async function ensureConnected(
  deps: TestWorldDeps,
  worldId: string,
  player: string,
  connected: Set<string>,
): Promise<CommandResult | undefined> {
  if (connected.has(player)) return undefined;
  // The client's socket: the batches push it their state frames (see `received`).
  deps.push.open(connectionOf(player));
  const r = await connect(deps, { connectionId: connectionOf(player), playerId: player, worldId });
  if (!r.ok) return { ok: false, code: r.code, message: r.message };
  connected.add(player);
  return undefined;
}

/** The tick and state hash of the world's genesis state (what every replay starts from). */
async function genesisOf(
  deps: TestWorldDeps,
  worldId: string,
): Promise<{ readonly tick: number; readonly hash: string }> {
  const record = await deps.store.getWorld(worldId);
  const key = record?.genesis?.key;
  const bytes = key === undefined ? undefined : await deps.blobs.get(key);
  if (record === undefined || bytes === undefined)
    throw new SnapshotError(`world ${worldId} has no genesis state`);
  const { snapshot } = decodeWorldState(bytes, `world ${worldId} genesis`);
  const loaded = await loadWorldState(deps, record);
  const sim = Simulation.restore(loaded.rules.definition, snapshot);
  return { tick: sim.tick, hash: sim.hash() };
}

/** Per unit, what its mint issued, its sink took and the other accounts hold. */
function supplyOf(loaded: Pick<LoadedWorld, "ledger">): Record<string, SupplyFigures> {
  const units = new Map<string, { minted: number; sunk: number; held: number }>();
  for (const a of loaded.ledger.listAccounts()) {
    const u = units.get(a.unit) ?? { minted: 0, sunk: 0, held: 0 };
    units.set(a.unit, u);
    const balance = a.credits - a.debits;
    if (a.id === mintAccount(a.unit)) u.minted = -balance;
    else if (a.id === sinkAccount(a.unit)) u.sunk = balance;
    else if (a.owner !== "system") u.held += balance;
  }
  return Object.fromEntries([...units].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
