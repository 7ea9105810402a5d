/**
 * Run tick batch: the game loop's one Lambda invocation. Loads a world, runs many fixed steps
 * with the commands that arrive, and commits once. The commit protocol (docs/reference/commit-
 * protocol.md) makes it safe under at-least-once delivery, crashes at any point and rival batches:
 *
 *  1. Load the world item (version v) and its state.
 *  2. If a batch record for v+1 exists, its inputs are fixed: re-run exactly those (roll forward).
 *     Otherwise run live, draining the inbox behind watermarks, and write the batch record for
 *     v+1 with a create-only condition: this is the decision point. A rival that wrote first
 *     wins; this batch stops with `CommitConflictError` having written nothing else.
 *  3. Write the batch's ledger entries (deterministic seqs and hashes: a re-write is a no-op),
 *     the balances and player projections (monotonic by version), and the state blob if large.
 *  4. Commit: replace the world item if its version is still v. A crash before this leaves the
 *     world at v with the record in place, and whoever runs next finishes the same batch.
 *  5. Publish the domain events (at least once, deterministic ids) and push deltas to clients.
 */
import type { Command, JournalEntry, SimEvent } from "@ledgerquest/engine";
import {
  createDomainEvent,
  type DetailType,
  DOMAIN_EVENT_SOURCES,
  EVENT_SOURCES,
} from "../definitions/events.js";
import { executionOfToken } from "../definitions/workflow.js";
import { CommitConflictError, DeterminismError, NotFoundError } from "../errors.js";
import type { InboxCommand } from "../ports/command-inbox.js";
import type { PlayerRecord, WorldRecord } from "../ports/entity-store.js";
import type { OutgoingEvent } from "../ports/event-publisher.js";
import type { BatchEvent, BatchRecord, DrainPoint } from "../ports/journal.js";
import { domainEvents, runTick, toEngineCommand } from "../world/tick.js";
import { keptFor, type RuntimeDeps } from "./deps.js";
import { type PushCounts, WorldPusher } from "./push.js";
import {
  accountBalances,
  type LoadedWorld,
  loadWorldState,
  playerRecord,
  saveWorldState,
  supplyOf,
} from "./world-io.js";

export interface RunTickBatchInput {
  readonly worldId: string;
  /**
   * Who runs this batch, the same across retries of one attempt (the Step Functions execution
   * name and lap): it tells a retry of this batch from a rival's.
   */
  readonly token: string;
  /** Ticks to run at most (1 to 3,600). */
  readonly maxTicks: number;
  /** Start no tick after this time (ms since epoch): the invocation's deadline minus a margin. */
  readonly deadlineMs?: number;
  /**
   * Drain the inbox when this much time has passed since the last drain. Default 100 ms, or
   * 50 ms when paced.
   */
  readonly drainIntervalMs?: number;
  /**
   * Run in real time: each tick when it is due by the wall clock (the world's `pace` anchor keeps
   * the schedule across laps, so the time between laps is caught up), with pushes to the world's
   * connections at `pushHz` while the batch runs. Without it the batch runs as fast as it can
   * and pushes once, after its commit.
   */
  readonly pace?: PaceOptions;
  /**
   * The game loop this batch runs in. A world has one owner: the execution of its last commit
   * (named in `lastBatchToken`). A lap of another execution yields (outcome `superseded`: nothing
   * run, nothing written, and its loop ends) while the owner's last commit is younger than
   * `leaseMs`, unless it took the loop over from that very owner (`predecessor`). So a second loop
   * for a world (a duplicated start, a race of the supervisor with a hand-over) ends within a lap.
   */
  readonly loop?: {
    readonly execution: string;
    /** The execution this one took over from, `""` for none. */
    readonly predecessor: string;
    /** How long an owner's last commit keeps other loops away. */
    readonly leaseMs: number;
  };
}

export interface PaceOptions {
  /** Game time per tick (the game's `describe().tickMs`). */
  readonly tickMs: number;
  /** Pushes per second while the batch runs (the game's push rate). */
  readonly pushHz: number;
  /**
   * How far behind its schedule the world may fall and still catch up (running overdue ticks
   * back to back). Beyond it the world gives up the rest, which `TickBatchResult.clock` reports
   * as skipped: after a stop, a world resumes where it was rather than racing through the gap.
   * Default 1,000 ms.
   */
  readonly catchUpMsMax?: number;
}

/** How a paced batch kept the clock. */
export interface BatchClock {
  /** How far the world's game time was behind the wall clock when the batch ended. */
  readonly behindMs: number;
  /** The most it was behind during the batch. */
  readonly behindMsMax: number;
  /** Wall time given up (not caught up) during the batch. */
  readonly skippedMs: number;
}

export interface TickBatchResult {
  /**
   * `committed`: this call committed the batch; `already_committed`: a retry found it done;
   * `superseded`: another loop owns the world, so this one ran nothing and should end (`active`
   * is false).
   */
  readonly outcome: "committed" | "already_committed" | "superseded";
  readonly worldId: string;
  readonly version: number;
  readonly fromTick: number;
  readonly ticks: number;
  /** The world's tick after the batch. */
  readonly tick: number;
  readonly stateHash: string;
  readonly commandsApplied: number;
  readonly ledgerEntries: number;
  readonly events: number;
  /**
   * Whether the loop should go on: the world is active, or it is not but still holds commands it
   * accepted before it was deactivated (they are applied before the loop ends).
   */
  readonly active: boolean;
  /**
   * Whether this call retried a commit: it finished a batch whose record an earlier attempt
   * wrote, or found it committed (`already_committed`).
   */
  readonly retried: boolean;
  /** Frames pushed (during the batch and after its commit), and connections found gone. */
  readonly pushed: number;
  readonly gone: number;
  /** Bytes of the frames pushed. */
  readonly pushBytes: number;
  /** How a paced batch kept the clock (absent when not paced). */
  readonly clock?: BatchClock;
}

export const MAX_TICKS_PER_BATCH = 3600;

interface Outcome {
  readonly record: BatchRecord;
  readonly entries: readonly JournalEntry[];
  readonly touchedPlayers: readonly string[];
  /** A paced run's clock, and where its schedule stands for the next batch. */
  readonly paced?: {
    readonly clock: BatchClock;
    readonly anchor: NonNullable<WorldRecord["pace"]>;
  };
  readonly pushes?: PushCounts;
  /** By player: ids of commands applied after the last push of the run (the next push says so). */
  readonly appliedUnpushed?: ReadonlyMap<string, readonly string[]>;
}

export async function runTickBatch(
  deps: RuntimeDeps,
  input: RunTickBatchInput,
): Promise<TickBatchResult> {
  if (
    !Number.isInteger(input.maxTicks) ||
    input.maxTicks < 1 ||
    input.maxTicks > MAX_TICKS_PER_BATCH
  ) {
    throw new RangeError(
      `maxTicks must be an integer from 1 to ${MAX_TICKS_PER_BATCH}, got ${input.maxTicks}`,
    );
  }
  const { worldId, token } = input;
  const startMs = deps.clock.nowMs();
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new NotFoundError("world", worldId);
  if (world.version > 0 && world.lastBatchToken === token)
    return await finishCommitted(deps, world, startMs);
  if (input.loop !== undefined && ownedByAnother(world, input.loop, startMs))
    return superseded(world);

  // Steps 1-2: the batch's inputs, decided.
  const { outcome, loaded, retried } = await decideBatch(deps, world, input);
  const { record } = outcome;
  // Step 3: what the batch wrote, by deterministic keys. One write after another: sent at once
  // (tried, with the projections' chunks in parallel too), a loaded DynamoDB Local, which works
  // through them one at a time, ended the lap no sooner, and the submits queued behind them
  // (the load bench at 200 commands a second: ack p99 470 and 510 ms, against 340 and 360).
  const players = await writeProjections(deps, world, outcome, loaded);
  // Step 4: the commit.
  const committed = await commitBatch(deps, world, outcome, loaded);
  // Step 5: events and pushes.
  const after = await afterCommit(deps, committed, record, loaded, players, {
    startMs,
    applied: outcome.appliedUnpushed,
  });
  const live = outcome.pushes ?? { pushed: 0, gone: 0, bytes: 0 };
  const pushes = {
    pushed: live.pushed + after.pushed,
    gone: live.gone + after.gone,
    bytes: live.bytes + after.bytes,
  };
  if (record.token !== token) {
    throw new CommitConflictError(
      worldId,
      world.version + 1,
      `this call finished the pending batch of ${record.token} instead of running its own`,
    );
  }
  return result("committed", committed, record, pushes, retried, {
    active: await stillToRun(deps, committed),
    ...(outcome.paced === undefined ? {} : { clock: outcome.paced.clock }),
  });
}

/** A retry of a batch that did commit (it crashed while publishing or pushing): finish those. */
async function finishCommitted(
  deps: RuntimeDeps,
  world: WorldRecord,
  startMs: number,
): Promise<TickBatchResult> {
  const record = await deps.journal.getBatch(world.worldId, world.version);
  if (record === undefined)
    throw new NotFoundError("batch record", `${world.worldId}@${world.version}`);
  const loaded = await loadWorldState(deps, world);
  const pushes = await afterCommit(deps, world, record, loaded, [], { startMs });
  return result("already_committed", world, record, pushes, true, {
    active: await stillToRun(deps, world),
  });
}

/** Another execution holds the loop: nothing run, nothing written. */
function superseded(world: WorldRecord): TickBatchResult {
  return {
    outcome: "superseded",
    worldId: world.worldId,
    version: world.version,
    fromTick: world.tick,
    ticks: 0,
    tick: world.tick,
    stateHash: world.stateHash,
    commandsApplied: 0,
    ledgerEntries: 0,
    events: 0,
    active: false,
    retried: false,
    pushed: 0,
    gone: 0,
    pushBytes: 0,
  };
}

/**
 * Steps 1 and 2: the batch for v+1 and the state it runs on. A pending record's inputs are fixed
 * (re-run them); otherwise run live and write the record, create-only: the decision point.
 */
async function decideBatch(
  deps: RuntimeDeps,
  world: WorldRecord,
  input: RunTickBatchInput,
): Promise<{ outcome: Outcome; loaded: LoadedWorld; retried: boolean }> {
  const next = world.version + 1;
  const loaded = await loadWorldState(deps, world);
  const pending = await deps.journal.getBatch(world.worldId, next);
  if (pending !== undefined)
    return { outcome: await rerun(deps, world, loaded, pending), loaded, retried: true };
  const outcome = await runLive(deps, world, loaded, input);
  const put = await deps.journal.putBatch(outcome.record);
  if (put.result !== "exists") return { outcome, loaded, retried: false };
  if (put.existing.token !== input.token) {
    throw new CommitConflictError(
      world.worldId,
      next,
      `batch ${put.existing.token} took this version first`,
    );
  }
  // Our own earlier attempt decided this version with other inputs: finish that one.
  const again = await loadWorldState(deps, world);
  return { outcome: await rerun(deps, world, again, put.existing), loaded: again, retried: true };
}

/**
 * Step 3: the batch's ledger entries, then the balances of the accounts they moved and the
 * profiles of the players they (or the ticks' events) touched. Returns those players.
 */
async function writeProjections(
  deps: RuntimeDeps,
  world: WorldRecord,
  outcome: Outcome,
  loaded: LoadedWorld,
): Promise<Set<string>> {
  const { entries, record } = outcome;
  await deps.journal.appendEntries(world.worldId, entries, record.token);
  const changed = new Set<string>();
  for (const e of entries) {
    if (e.kind === "account") changed.add(e.id);
    else {
      changed.add(e.debit);
      changed.add(e.credit);
    }
  }
  const players = new Set(outcome.touchedPlayers);
  for (const id of changed) {
    const owner = loaded.ledger.account(id)?.owner;
    if (
      owner !== undefined &&
      owner !== "system" &&
      (loaded.rules.quests?.tracker(loaded.sim.world).hasPlayer(owner) ?? true)
    )
      players.add(owner);
  }
  await deps.store.putProjections(
    world.worldId,
    world.version + 1,
    accountBalances(loaded.ledger, [...changed].sort()),
    [...players].sort().map((p) => playerRecord(loaded, world.worldId, p)),
  );
  return players;
}

/** Step 4: the state saved, then the world item replaced if it is still at v. */
async function commitBatch(
  deps: RuntimeDeps,
  world: WorldRecord,
  outcome: Outcome,
  loaded: LoadedWorld,
): Promise<WorldRecord> {
  const { record } = outcome;
  const next = world.version + 1;
  const state = await saveWorldState(deps, world.worldId, loaded);
  const digest = loaded.ledger.digest();
  const committed: WorldRecord = {
    ...world,
    version: next,
    tick: loaded.sim.tick,
    state,
    cursors: record.cursors,
    ledger: { count: digest.count, head: digest.head, root: digest.root },
    stateHash: record.hashes[record.hashes.length - 1] ?? world.stateHash,
    lastBatchToken: record.token,
    updatedAtMs: deps.clock.nowMs(),
    ...(outcome.paced === undefined ? {} : { pace: outcome.paced.anchor }),
  };
  if ((await deps.store.commitWorld(committed, world.version)) === "conflict") {
    // Someone moved the world past v. The record for v+1 is this batch's, so whoever it was
    // committed this very batch (rolling it forward); the world can only be at v+1 or later.
    const now = await deps.store.getWorld(world.worldId);
    if (now === undefined || now.version < next) {
      throw new CommitConflictError(
        world.worldId,
        next,
        "the world moved while this batch committed",
      );
    }
  }
  return committed;
}

/**
 * Whether the loop goes on: the world is active, or it was deactivated but holds commands it
 * accepted before its inbox closed that no batch has applied yet (one arrived after this batch's
 * last drain, say). Those are applied first; then the loop ends.
 */
async function stillToRun(deps: RuntimeDeps, world: WorldRecord): Promise<boolean> {
  if (world.active) return true;
  for (let shard = 0; shard < world.cursors.length; shard++) {
    const after = world.cursors[shard] ?? 0;
    const waiting = await deps.inbox.read(world.worldId, shard, after, Number.MAX_SAFE_INTEGER, 1);
    if (waiting.length > 0) return true;
  }
  return false;
}

/** Whether another execution holds the world's loop (see `RunTickBatchInput.loop`). */
function ownedByAnother(
  world: WorldRecord,
  loop: NonNullable<RunTickBatchInput["loop"]>,
  nowMs: number,
): boolean {
  const owner = executionOfToken(world.lastBatchToken);
  return (
    owner !== undefined &&
    owner !== loop.execution &&
    owner !== loop.predecessor &&
    nowMs - world.updatedAtMs < loop.leaseMs
  );
}

function result(
  outcome: TickBatchResult["outcome"],
  world: WorldRecord,
  record: BatchRecord,
  pushes: PushCounts,
  retried: boolean,
  loop: { readonly active: boolean; readonly clock?: BatchClock },
): TickBatchResult {
  return {
    outcome,
    worldId: world.worldId,
    version: record.version,
    fromTick: record.fromTick,
    ticks: record.ticks,
    tick: record.fromTick + record.ticks,
    stateHash: record.hashes[record.hashes.length - 1] ?? world.stateHash,
    commandsApplied: record.commandsApplied,
    ledgerEntries: record.ledgerToSeq - record.ledgerFromSeq,
    events: record.events.length,
    active: loop.active,
    retried,
    pushed: pushes.pushed,
    gone: pushes.gone,
    pushBytes: pushes.bytes,
    ...(loop.clock === undefined ? {} : { clock: loop.clock }),
  };
}

/** Collects what a tick's events say about who changed. */
function touched(loaded: LoadedWorld, events: readonly SimEvent[], into: Set<string>): void {
  for (const ev of events) {
    if (ev.kind !== "custom") continue;
    const e = loaded.sim.world.tryResolve(ev.a);
    const name = e >= 0 ? loaded.sim.world.nameOfEntity(e) : undefined;
    if (name !== undefined && loaded.rules.quests?.tracker(loaded.sim.world).hasPlayer(name))
      into.add(name);
  }
}

/** What a live batch gathers as it runs: its inputs, its hashes, its events, who changed. */
interface LiveBatch {
  /** Where each shard's next drain starts: the applied drains move them. */
  readonly cursors: number[];
  readonly drains: DrainPoint[];
  readonly hashes: string[];
  readonly events: BatchEvent[];
  readonly players: Set<string>;
  /** By player: commands applied that no push has named yet (shared with the live pushes). */
  readonly appliedUnpushed: Map<string, string[]>;
  applied: number;
}

async function runLive(
  deps: RuntimeDeps,
  world: WorldRecord,
  loaded: LoadedWorld,
  input: RunTickBatchInput,
): Promise<Outcome> {
  const { sim, ledger, rules } = loaded;
  const fromSeq = ledger.size;
  const fromTick = sim.tick;
  const batch: LiveBatch = {
    cursors: [...world.cursors],
    drains: [],
    hashes: [],
    events: [],
    players: new Set(),
    appliedUnpushed: new Map(),
    applied: 0,
  };
  const drainIntervalMs = input.drainIntervalMs ?? (input.pace === undefined ? 100 : 50);
  const schedule =
    input.pace === undefined
      ? undefined
      : new Schedule(world, sim.tick, deps.clock.nowMs(), input.pace);
  const live =
    input.pace === undefined
      ? undefined
      : new LivePushes(
          deps,
          world,
          loaded,
          input.pace.pushHz,
          pusherFor(deps, world.worldId),
          batch.appliedUnpushed,
        );
  // Paced: drains run beside the ticks, and each is applied at the first tick after it returns,
  // so a slow store delays commands, never the world's clock. Unpaced: one every interval.
  const drainer: Drainer =
    input.pace === undefined
      ? new IntervalDrains(deps, world.worldId, batch.cursors, drainIntervalMs)
      : new BackgroundDrains(deps, world.worldId, batch.cursors, drainIntervalMs);
  for (let t = 0; t < input.maxTicks; t++) {
    const now = await tickDue(deps, schedule, sim.tick, t, input.deadlineMs);
    if (now === undefined) break;
    const commands = applyDrains(batch, await drainer.next(t === 0, now), sim.tick);
    // The next drain reads from the cursors as this one left them.
    drainer.applied(deps.clock.nowMs());
    batch.applied += commands.length;
    const tickEvents = runTick(sim, commands);
    const hash = sim.hash();
    batch.hashes.push(hash);
    domainEvents(sim, rules, world.worldId, tickEvents, batch.events);
    touched(loaded, tickEvents, batch.players);
    live?.tick(hash, tickEvents, deps.clock.nowMs());
  }
  // A drain still out when the batch ends is not applied: the cursors stay where the applied
  // ones left them, and the next batch reads those commands again (its watermark is higher).
  await drainer.settle();
  const pushes = await live?.settle();
  return liveOutcome(
    deps,
    world,
    input.token,
    loaded,
    batch,
    { fromTick, fromSeq },
    schedule,
    pushes,
  );
}

/** A live batch's record (its fixed inputs and what they gave) and what the commit needs. */
function liveOutcome(
  deps: RuntimeDeps,
  world: WorldRecord,
  token: string,
  { sim, ledger }: LoadedWorld,
  batch: LiveBatch,
  from: { readonly fromTick: number; readonly fromSeq: number },
  schedule: Schedule | undefined,
  pushes: PushCounts | undefined,
): Outcome {
  const clock = schedule?.report(sim.tick, deps.clock.nowMs());
  const record: BatchRecord = {
    worldId: world.worldId,
    version: world.version + 1,
    token,
    fromTick: from.fromTick,
    ticks: batch.hashes.length,
    drains: batch.drains,
    cursors: batch.cursors,
    commandsApplied: batch.applied,
    hashes: batch.hashes,
    ledgerFromSeq: from.fromSeq,
    ledgerToSeq: ledger.size,
    ledgerHead: ledger.digest().head,
    events: batch.events,
    createdAtMs: deps.clock.nowMs(),
    ...(clock === undefined ? {} : { clock }),
  };
  return {
    record,
    entries: ledger.entriesSince(from.fromSeq),
    touchedPlayers: [...batch.players],
    ...(schedule === undefined || clock === undefined
      ? {}
      : { paced: { clock, anchor: schedule.anchor } }),
    ...(pushes === undefined ? {} : { pushes }),
    appliedUnpushed: batch.appliedUnpushed,
  };
}

/**
 * Waits until the batch's next tick is due (paced) and returns the time then, or `undefined`
 * when the batch must end first: its deadline has come, or would before the tick is due.
 */
async function tickDue(
  deps: RuntimeDeps,
  schedule: Schedule | undefined,
  tick: number,
  t: number,
  deadlineMs: number | undefined,
): Promise<number | undefined> {
  let now = deps.clock.nowMs();
  if (t > 0 && deadlineMs !== undefined && now >= deadlineMs) return undefined;
  if (schedule === undefined) return now;
  const waitMs = schedule.untilDueMs(tick, now);
  if (waitMs > 0) {
    if (deadlineMs !== undefined && now + waitMs >= deadlineMs) return undefined;
    await deps.clock.sleep(waitMs);
    now = deps.clock.nowMs();
    schedule.yielded(now);
  } else if (t > 0 && schedule.sliceUsedAt(now)) {
    // Behind: catch up tick after tick, but every few milliseconds let the drains, the pushes
    // and (in a process that hosts more, as the local stack) the sockets run. Back to back, a
    // second's catch-up held the event loop for the second's ticks at once; a yield after every
    // tick gave a busy process's world one tick per turn of its event loop.
    await deps.clock.sleep(0);
    now = deps.clock.nowMs();
    schedule.yielded(now);
  }
  schedule.starting(tick, now);
  return now;
}

/** Applies drains that returned: moves the cursors, records the drains, and lists the commands. */
function applyDrains(
  batch: LiveBatch,
  drained: readonly ShardDrain[] | undefined,
  tick: number,
): Command[] {
  const commands: Command[] = [];
  for (const d of drained ?? []) {
    batch.cursors[d.shard] = d.upToMs;
    if (d.got.length === 0) continue;
    batch.drains.push({ tick, shard: d.shard, fromMs: d.from, toMs: d.upToMs });
    for (const c of d.got) {
      commands.push(toEngineCommand(c));
      const ids = batch.appliedUnpushed.get(c.playerId);
      if (ids === undefined) batch.appliedUnpushed.set(c.playerId, [c.commandId]);
      else ids.push(c.commandId);
    }
  }
  return commands;
}

/** How long a paced batch that is behind runs ticks back to back before it lets others run. */
const CATCH_UP_SLICE_MS = 10;

/**
 * A paced batch's schedule: tick `anchorTick + k` is due at `anchorMs + k * tickMs`. It continues
 * the world's anchor from the last paced batch when the world is at most `catchUpMsMax` behind it,
 * and starts a new one otherwise (a world that was stopped resumes; it does not race).
 */
class Schedule {
  #anchorMs: number;
  #anchorTick: number;
  readonly #tickMs: number;
  readonly #catchUpMsMax: number;
  #skippedMs = 0;
  #behindMsMax = 0;
  /** When the batch last let others run (see `CATCH_UP_SLICE_MS`). */
  #yieldedMs: number;

  constructor(world: WorldRecord, tick: number, nowMs: number, pace: PaceOptions) {
    this.#yieldedMs = nowMs;
    if (!(pace.tickMs > 0) || !(pace.pushHz > 0)) {
      throw new RangeError(
        `pace needs tickMs and pushHz above 0, got ${pace.tickMs}, ${pace.pushHz}`,
      );
    }
    this.#tickMs = pace.tickMs;
    this.#catchUpMsMax = pace.catchUpMsMax ?? 1000;
    const kept = world.pace;
    if (kept !== undefined && kept.anchorTick <= tick) {
      this.#anchorMs = kept.anchorMs;
      this.#anchorTick = kept.anchorTick;
      const behindMs = nowMs - this.#dueMs(tick);
      // Ahead of the schedule (a clock that stepped back) or too far behind (the loop was down,
      // or a lap failed): start afresh, and say how much time was given up.
      if (behindMs < -this.#tickMs || behindMs > this.#catchUpMsMax) {
        if (behindMs > 0) this.#skippedMs += behindMs;
        this.#restart(tick, nowMs);
      }
    } else {
      this.#anchorMs = nowMs;
      this.#anchorTick = tick;
    }
  }

  /** The batch let others run (it waited for a tick, or yielded while catching up) at `nowMs`. */
  yielded(nowMs: number): void {
    this.#yieldedMs = nowMs;
  }

  /** Whether a batch catching up has run back to back for its slice by `nowMs`. */
  sliceUsedAt(nowMs: number): boolean {
    return nowMs - this.#yieldedMs >= CATCH_UP_SLICE_MS;
  }

  get anchor(): NonNullable<WorldRecord["pace"]> {
    return { anchorMs: this.#anchorMs, anchorTick: this.#anchorTick };
  }

  #dueMs(tick: number): number {
    return this.#anchorMs + (tick - this.#anchorTick) * this.#tickMs;
  }

  #restart(tick: number, nowMs: number): void {
    this.#anchorMs = nowMs;
    this.#anchorTick = tick;
  }

  /** How long until `tick` is due (zero or less: it is due or late). */
  untilDueMs(tick: number, nowMs: number): number {
    return this.#dueMs(tick) - nowMs;
  }

  /** `tick` starts at `nowMs`: notes how late it is, and gives up what cannot be caught up. */
  starting(tick: number, nowMs: number): void {
    const behindMs = nowMs - this.#dueMs(tick);
    if (behindMs > this.#catchUpMsMax) {
      // Give up all but the catch-up allowance: the world is then exactly that far behind.
      const giveUpMs = behindMs - this.#catchUpMsMax;
      this.#skippedMs += giveUpMs;
      this.#anchorMs += giveUpMs;
    }
    this.#behindMsMax = Math.max(this.#behindMsMax, Math.min(behindMs, this.#catchUpMsMax));
  }

  /** How the batch kept the clock, with the world at `tick` (the next tick to run). */
  report(tick: number, nowMs: number): BatchClock {
    return {
      behindMs: Math.max(0, Math.round(nowMs - this.#dueMs(tick))),
      behindMsMax: Math.round(this.#behindMsMax),
      skippedMs: Math.round(this.#skippedMs),
    };
  }
}

/**
 * Pushes while a paced batch runs: at most `pushHz` a second, each showing the world after the
 * last tick run. A push does not hold up the ticks: while one is still being sent, the next slot
 * is skipped (the frame after it carries everything since).
 */
class LivePushes {
  readonly #periodMs: number;
  #nextMs = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #failure: { readonly error: unknown } | undefined;
  #profiles = new Set<string>();
  #pushed = 0;
  #gone = 0;
  #bytes = 0;

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly world: WorldRecord,
    private readonly loaded: LoadedWorld,
    pushHz: number,
    private readonly pusher: WorldPusher,
    /** Shared with the batch, which adds to it: what the next push tells each player. */
    private readonly applied: Map<string, string[]>,
  ) {
    this.#periodMs = 1000 / pushHz;
  }

  /** A tick ran (its hash and events): push if a slot is due and the last push is done. */
  tick(stateHash: string, events: readonly SimEvent[], nowMs: number): void {
    touched(this.loaded, events, this.#profiles);
    if (this.#inFlight !== undefined || nowMs < this.#nextMs) return;
    // Slots keep their rhythm (ticks land on whole milliseconds, a little either side of a
    // slot); after a skipped slot the next is a period from now.
    this.#nextMs =
      nowMs - this.#nextMs < this.#periodMs
        ? this.#nextMs + this.#periodMs
        : nowMs + this.#periodMs;
    const profiles = new Map<string, PlayerRecord>();
    for (const p of [...this.#profiles].sort())
      profiles.set(p, playerRecord(this.loaded, this.world.worldId, p));
    this.#profiles = new Set();
    const digest = this.loaded.ledger.digest();
    this.#inFlight = this.pusher
      .push({
        version: this.world.version,
        tick: this.loaded.sim.tick,
        stateHash,
        ledger: { count: digest.count, head: digest.head },
        view: this.deps.game.view(this.loaded.sim),
        profiles,
        applied: takeAll(this.applied),
      })
      .then(
        (counts) => {
          this.#pushed += counts.pushed;
          this.#gone += counts.gone;
          this.#bytes += counts.bytes;
        },
        (error: unknown) => {
          this.#failure ??= { error };
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
      });
  }

  /** Waits for the last push; a push that failed with an unexpected error fails the batch here. */
  async settle(): Promise<PushCounts> {
    await this.#inFlight;
    if (this.#failure !== undefined) throw this.#failure.error;
    return { pushed: this.#pushed, gone: this.#gone, bytes: this.#bytes };
  }
}

/** What one drain took from one shard: commands in `(from, upToMs]`. */
interface ShardDrain {
  readonly shard: number;
  readonly from: number;
  readonly upToMs: number;
  readonly got: readonly InboxCommand[];
}

/**
 * Closes every shard at `nowMs` and reads what arrived since its cursor. Shards drain in parallel
 * (a drain is two round trips each); their commands apply in shard order, which the record keeps,
 * so a re-run applies them in the same order.
 */
async function drainShards(
  deps: RuntimeDeps,
  worldId: string,
  cursors: readonly number[],
  nowMs: number,
): Promise<ShardDrain[]> {
  const drained = await Promise.all(
    cursors.map(async (from, shard) => {
      const wm = await deps.inbox.close(worldId, shard, nowMs);
      if (wm <= from) return undefined;
      return { shard, from, ...(await drainShard(deps, worldId, shard, from, wm)) };
    }),
  );
  return drained.filter((d) => d !== undefined);
}

/** Where a live batch's drains come from: at intervals (unpaced) or in the background (paced). */
interface Drainer {
  /** The drains to apply at this tick (`first`: the batch's first tick), if any. */
  next(first: boolean, nowMs: number): Promise<readonly ShardDrain[] | undefined>;
  /** The last drains were applied (the cursors moved). */
  applied(nowMs: number): void;
  /** Waits for a drain still out, and drops it. */
  settle(): Promise<void>;
}

/** An unpaced batch's drains: one every `intervalMs`, waited for at the tick it falls on. */
class IntervalDrains implements Drainer {
  #lastMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly worldId: string,
    private readonly cursors: readonly number[],
    private readonly intervalMs: number,
  ) {}

  async next(_first: boolean, nowMs: number): Promise<readonly ShardDrain[] | undefined> {
    if (nowMs - this.#lastMs < this.intervalMs) return undefined;
    this.#lastMs = nowMs;
    return await drainShards(this.deps, this.worldId, this.cursors, nowMs);
  }

  applied(): void {}

  async settle(): Promise<void> {}
}

/**
 * A paced batch's drains: one at a time, started every `intervalMs` (or as soon as the last one
 * was taken, when they take longer), read from the cursors as the applied drains left them.
 */
class BackgroundDrains implements Drainer {
  #lastStartMs = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #ready: readonly ShardDrain[] | undefined;
  #failure: { readonly error: unknown } | undefined;

  // Alike: IntervalDrains's constructor (the same inputs, drained on another schedule).
  constructor(
    private readonly deps: RuntimeDeps,
    private readonly worldId: string,
    /** The batch's cursors: this class reads them, the batch moves them as it applies drains. */
    private readonly cursors: readonly number[],
    private readonly intervalMs: number,
  ) {}

  /**
   * The first starts a drain of what queued while no batch ran, and does not wait for it: the
   * world's clock does not stop for a round trip at every lap (under load, a tenth of a second or
   * more); its commands apply at the first tick after it returns, as every drain's do.
   */
  async next(first: boolean, nowMs: number): Promise<readonly ShardDrain[] | undefined> {
    if (first) this.#launch(nowMs);
    return this.take();
  }

  applied(nowMs: number): void {
    if (
      this.#inFlight === undefined &&
      this.#ready === undefined &&
      nowMs - this.#lastStartMs >= this.intervalMs
    )
      this.#launch(nowMs);
  }

  #launch(nowMs: number): void {
    this.#lastStartMs = nowMs;
    this.#inFlight = drainShards(this.deps, this.worldId, [...this.cursors], nowMs)
      .then(
        (drained) => {
          this.#ready = drained;
        },
        (error: unknown) => {
          this.#failure ??= { error };
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
      });
  }

  /** The drain that returned since the last call, if any; a failed drain fails the batch here. */
  take(): readonly ShardDrain[] | undefined {
    if (this.#failure !== undefined) throw this.#failure.error;
    const ready = this.#ready;
    this.#ready = undefined;
    return ready;
  }

  /** Waits for a drain still out, and drops it (see the batch's end). */
  async settle(): Promise<void> {
    await this.#inFlight;
    this.#ready = undefined;
  }
}

/**
 * Commands one drain takes from one shard at most: a backlog (a world whose loop was down while
 * commands kept coming) is worked off over several drains instead of read into memory at once.
 */
export const DRAIN_COMMANDS_MAX = 1000;

/**
 * The shard's commands in `(fromMs, wmMs]`, at most `DRAIN_COMMANDS_MAX` of them: when there are
 * more, the drain ends before the first millisecond it cannot take whole, and the rest waits for
 * the next drain. Only a millisecond with more commands than that is taken whole, as a drain can
 * only end between milliseconds (the record names ranges of arrival times, which a re-run reads
 * again).
 */
async function drainShard(
  deps: RuntimeDeps,
  worldId: string,
  shard: number,
  fromMs: number,
  wmMs: number,
): Promise<{ readonly upToMs: number; readonly got: readonly InboxCommand[] }> {
  const got = await deps.inbox.read(worldId, shard, fromMs, wmMs, DRAIN_COMMANDS_MAX + 1);
  const first = got[DRAIN_COMMANDS_MAX];
  if (first === undefined) return { upToMs: wmMs, got };
  const cutMs = first.arrivedMs;
  if (cutMs - 1 > fromMs) return { upToMs: cutMs - 1, got: got.filter((c) => c.arrivedMs < cutMs) };
  return { upToMs: cutMs, got: await deps.inbox.read(worldId, shard, fromMs, cutMs) };
}

/** Re-runs a recorded batch from the same state with the same inputs, and checks every hash. */
async function rerun(
  deps: RuntimeDeps,
  world: WorldRecord,
  loaded: LoadedWorld,
  record: BatchRecord,
): Promise<Outcome> {
  const { sim, ledger, rules } = loaded;
  if (record.fromTick !== sim.tick || record.ledgerFromSeq !== ledger.size) {
    throw new CommitConflictError(
      world.worldId,
      record.version,
      "the batch record does not start where the world is",
    );
  }
  const byTick = new Map<number, Command[]>();
  for (const d of record.drains) {
    const got = await deps.inbox.read(world.worldId, d.shard, d.fromMs, d.toMs);
    const list = byTick.get(d.tick) ?? [];
    for (const c of got) list.push(toEngineCommand(c));
    byTick.set(d.tick, list);
  }
  const events: BatchEvent[] = [];
  const players = new Set<string>();
  let applied = 0;
  for (let t = 0; t < record.ticks; t++) {
    const commands = byTick.get(sim.tick) ?? [];
    applied += commands.length;
    const tickEvents = runTick(sim, commands);
    const hash = sim.hash();
    if (hash !== record.hashes[t]) {
      throw new DeterminismError(
        `re-running batch ${record.version} of world ${world.worldId}: tick ${sim.tick - 1} hashes ${hash}, recorded ${record.hashes[t]}`,
      );
    }
    domainEvents(sim, rules, world.worldId, tickEvents, events);
    touched(loaded, tickEvents, players);
  }
  if (applied !== record.commandsApplied || ledger.size !== record.ledgerToSeq) {
    throw new DeterminismError(
      `re-running batch ${record.version} of world ${world.worldId} applied other inputs`,
    );
  }
  return {
    record,
    entries: ledger.entriesSince(record.ledgerFromSeq),
    touchedPlayers: [...players],
  };
}

/** Publishes the batch's events and pushes what changed to the world's connections. */
async function afterCommit(
  deps: RuntimeDeps,
  world: WorldRecord,
  record: BatchRecord,
  loaded: LoadedWorld,
  players: Iterable<string>,
  timing: {
    /** When this call began: the push tells clients how long the batch took. */
    readonly startMs: number;
    /** Commands applied that no push has named yet. */
    readonly applied?: ReadonlyMap<string, readonly string[]>;
  },
): Promise<PushCounts> {
  const timeMs = record.createdAtMs;
  const outgoing: OutgoingEvent[] = record.events.map((e) => ({
    eventId: e.eventId,
    source: DOMAIN_EVENT_SOURCES[e.detailType as DetailType] ?? EVENT_SOURCES.game,
    detailType: e.detailType,
    detail: e.detail,
    timeMs,
  }));
  const committed = createDomainEvent("Tick Batch Committed", {
    worldId: world.worldId,
    version: record.version,
    fromTick: record.fromTick,
    toTick: record.fromTick + record.ticks,
    stateHash: record.hashes[record.hashes.length - 1] ?? world.stateHash,
    ledgerHead: record.ledgerHead,
    ledgerCount: record.ledgerToSeq,
    commandsApplied: record.commandsApplied,
  });
  const { eventId, ...detail } = committed.detail;
  outgoing.push({
    eventId,
    source: committed.source,
    detailType: committed.detailType,
    detail,
    timeMs,
  });
  // The events and the push go at once: neither waits on the other (both are after the commit,
  // and a retry of the lap redoes both).
  const published = deps.publisher.publish(outgoing);

  const profiles = new Map<string, PlayerRecord>();
  for (const p of players) profiles.set(p, playerRecord(loaded, world.worldId, p));
  const pusher = pusherFor(deps, world.worldId);
  pusher.invalidateConnections();
  const pushed = pusher.push({
    version: record.version,
    tick: record.fromTick + record.ticks,
    stateHash: record.hashes[record.hashes.length - 1] ?? world.stateHash,
    ledger: { count: record.ledgerToSeq, head: record.ledgerHead },
    view: deps.game.view(loaded.sim),
    profiles,
    batch: {
      ticks: record.ticks,
      commandsApplied: record.commandsApplied,
      ledgerEntries: record.ledgerToSeq - record.ledgerFromSeq,
      durationMs: Math.max(0, deps.clock.nowMs() - timing.startMs),
    },
    supply: supplyOf(loaded.ledger),
    ...(timing.applied === undefined ? {} : { applied: timing.applied }),
  });
  const [, counts] = await Promise.all([published, pushed]);
  return counts;
}

/** A copy of `map`'s entries, leaving it empty. */
function takeAll(map: Map<string, string[]>): ReadonlyMap<string, readonly string[]> {
  const out = new Map(map);
  map.clear();
  return out;
}

/**
 * One pusher per world and set of dependencies (a Lambda container's), kept across batches: what
 * it remembers having sent each connection lets the next batch's first frame be a delta.
 */
const pushers = new WeakMap<RuntimeDeps, Map<string, WorldPusher>>();

function pusherFor(deps: RuntimeDeps, worldId: string): WorldPusher {
  const byWorld = keptFor(pushers, deps, () => new Map<string, WorldPusher>());
  let pusher = byWorld.get(worldId);
  if (pusher === undefined) {
    pusher = new WorldPusher(deps, worldId);
    byWorld.set(worldId, pusher);
  }
  return pusher;
}
