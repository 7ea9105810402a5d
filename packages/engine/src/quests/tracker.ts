import { OWNER_ID } from "../economy/definition.js";
import type { Economy, LevelUp } from "../economy/economy.js";
import type { Resource } from "../ecs/resource.js";
import { useResource } from "../ecs/resource.js";
import type { World } from "../ecs/world.js";
import {
  DefinitionError,
  InvalidArgumentError,
  SnapshotCorruptError,
  SnapshotSchemaError,
} from "../errors.js";
import type { TransferResult } from "../ledger/types.js";
import { ByteReader, ByteWriter } from "../sim/bytes.js";
import type { QuestBook, QuestSpec } from "./definition.js";
import {
  checkFact,
  FACT_KINDS,
  factAmount,
  factSubject,
  makeFact,
  OBJECTIVE_OF_FACT,
  type QuestFact,
} from "./facts.js";

/**
 * The state of a quest for a player:
 * - `locked`: a prerequisite (quest or level) is not met yet;
 * - `available`: it can be accepted;
 * - `active`: accepted at `startTick`, its objectives are being tracked;
 * - `completed`: every objective is met; the rewards are being paid (normally within the tick),
 *   or, for a quest with `claim: "manual"`, wait until the player claims them (`claim`);
 * - `rewarded`: paid. Final for a quest that is not repeatable; a repeatable quest goes back to
 *   `available` at the end of the tick (its `completions` remember how often it was done);
 * - `failed`: it timed out with `onTimeout: "fail"`. Final, unless repeatable (then `available`
 *   again at the end of the tick).
 */
export type QuestState = "locked" | "available" | "active" | "completed" | "rewarded" | "failed";

/** The states in their encoding order. */
export const QUEST_STATES: readonly QuestState[] = [
  "locked",
  "available",
  "active",
  "completed",
  "rewarded",
  "failed",
];

// Alike in form only (named numbers): physics/physics.ts's flags.
const LOCKED = 0;
const AVAILABLE = 1;
const ACTIVE = 2;
const COMPLETED = 3;
const REWARDED = 4;
const FAILED = 5;

interface Entry {
  state: number;
  completions: number;
  startTick: number;
  completedTick: number;
  progress: number[];
}

/** A tracked player: their quests (encoded) and counts derived from them (not encoded). */
interface PlayerRecord {
  readonly name: string;
  /** Indexed by quest index. */
  readonly quests: Entry[];
  /** Derived: active quests with a time limit (the time-out pass skips players with none). */
  timed: number;
  /** Derived: completed quests awaiting their automatic payment (manual-claim ones are not counted). */
  unpaid: number;
  /** Derived: the quests changed since the last availability check. */
  dirty: boolean;
  /** Derived: the xp at the last availability check (-1: never checked). */
  xp: number;
}

/** A player's quest, as seen from outside. */
export interface QuestStatus {
  readonly player: string;
  readonly quest: string;
  readonly state: QuestState;
  /** Per objective, how much is done (at most its count). */
  readonly progress: readonly number[];
  /** When it was accepted (meaningful while active or completed). */
  readonly startTick: number;
  /** The tick the last completion happened (meaningful once completed). */
  readonly completedTick: number;
  /** How many times it has been completed. */
  readonly completions: number;
  /** The first tick at which it is expired, while active with a time limit. */
  readonly expiresAtTick: number | undefined;
}

export type QuestTransitionKind =
  | "available"
  | "accepted"
  | "progressed"
  | "completed"
  | "rewarded"
  | "reward_failed"
  | "expired"
  | "failed"
  | "abandoned";

/** Something that happened to a player's quest during a step (or an accept/abandon/claim). */
export interface QuestTransition {
  readonly kind: QuestTransitionKind;
  readonly player: string;
  readonly quest: string;
  readonly questIndex: number;
  readonly tick: number;
  /** The quest's state after it. */
  readonly state: QuestState;
  /** The completion number (completed, rewarded, reward_failed). */
  readonly completion?: number;
  /** The objective and its new progress (progressed). */
  readonly objective?: number;
  readonly progress?: number;
  /** The reward chain's ledger result (rewarded: `created`, or `exists` for a repeat; reward_failed: why). */
  readonly result?: TransferResult;
  /** Levels gained from the reward. */
  readonly levelUps?: readonly LevelUp[];
}

export type AcceptResult =
  | "accepted"
  | "unknown_quest"
  | "invalid_player"
  | "locked"
  | "already_active"
  /** Completed, its rewards not paid yet (failed payment, or a manual quest not claimed yet). */
  | "reward_pending"
  | "already_completed"
  | "failed";

export type AbandonResult = "abandoned" | "unknown_quest" | "not_active";

/**
 * The outcome of `QuestTracker.claim`. The checks are made in this order, the first that applies
 * answers: `unknown_player` (not tracked) · `unknown_quest` (not in the book) · `not_completed`
 * (locked, available, active or failed: nothing to claim; a repeatable quest is `available` again
 * from the end of the tick it was paid) · `already_claimed` (rewarded, and not completed again
 * since) · then the payment: `claimed` (the rewards are in the ledger: paid now, or found there
 * already, `exists`, on a replay) or `reward_failed` (the ledger refused; the quest stays
 * `completed` and can be claimed again).
 */
export type ClaimResult =
  | "claimed"
  | "unknown_player"
  | "unknown_quest"
  | "not_completed"
  | "already_claimed"
  | "reward_failed";

/**
 * The id of a quest reward transfer: `quest:<questId>:<player>:<completion>:<rewardIndex>`. The
 * same completion always gives the same ids, so paying it again is `exists`, a no-op.
 */
export function rewardTransferId(
  quest: string,
  player: string,
  completion: number,
  reward: number,
): string {
  return `quest:${quest}:${player}:${completion}:${reward}`;
}

/** The reason code of quest reward transfers. */
export const QUEST_REWARD_REASON = "quest.reward";

const ENCODING_VERSION = 1;

/**
 * Every player's quests: a world `Resource`, so it is in snapshots and the state hash. Players
 * are kept sorted by name and quests in book order; every pass (expiry, facts, rewards,
 * availability) walks them in that order, so the same inputs give the same transitions, ledger
 * transfers and bytes on every machine.
 *
 * The tracker does nothing by itself: the quest system (`createQuestSystem`) drives it once per
 * tick. The economy it pays rewards through holds the ledger, which lives outside the world: the
 * reward ids (`rewardTransferId`) make paying exactly-once however often a completion is
 * processed, including when a world is restored from an earlier snapshot and re-run against a
 * ledger that already holds the payments. Value is then never paid twice; but level checks read
 * the ledger as it is, and a repeated payment (`exists`) reports no level-up, so for a replay
 * that reproduces the world's state hashes bit for bit, pair the snapshot with the ledger as it
 * was at that snapshot (`Ledger.fromJournal(journal.slice(0, n))`).
 */
export class QuestTracker implements Resource {
  private readonly records = new Map<string, PlayerRecord>();
  /** Players, sorted by name (code unit order): the order of every pass. */
  private readonly order: PlayerRecord[] = [];
  private queue: QuestFact[] = [];
  /** Whether any quest needs a level (then availability also follows each player's xp). */
  private readonly levels: boolean;

  constructor(
    readonly book: QuestBook,
    readonly economy?: Economy,
  ) {
    if (book.needsEconomy && economy === undefined) {
      throw new DefinitionError(
        "these quests pay rewards or require levels: give the quest tracker an economy",
      );
    }
    this.levels = book.quests.some((q) => q.minLevel > 1);
    if (economy === undefined) return;
    // A book validated without this economy: check here, at load, what paying will need.
    if (this.levels && economy.spec.levels === undefined) {
      throw new DefinitionError("these quests require levels, but the economy defines none");
    }
    for (const q of book.quests) {
      for (const r of q.rewards) {
        if (!economy.hasUnit(r.unit)) {
          throw new DefinitionError(
            `quest "${q.id}" rewards unit "${r.unit}", which the economy does not have`,
          );
        }
      }
    }
  }

  // ─── players and state ───────────────────────────────────────────────────────────────────────

  /**
   * Starts tracking a player (every quest `locked` until the next step checks prerequisites).
   * Player names are entity names and wallet owners: 1 to 64 letters, digits, `_ . -`.
   */
  addPlayer(player: string): boolean {
    if (this.records.has(player)) return false;
    if (typeof player !== "string" || !OWNER_ID.test(player)) {
      throw new InvalidArgumentError(
        `player ${JSON.stringify(player)} is invalid: use 1 to 64 letters, digits, "_", "." or "-"`,
      );
    }
    const rec = record(
      player,
      this.book.quests.map((q) => blank(q)),
    );
    this.records.set(player, rec);
    this.order.splice(insertionPoint(this.order, player), 0, rec);
    return true;
  }

  hasPlayer(player: string): boolean {
    return this.records.has(player);
  }

  /** Tracked players, sorted. */
  get players(): readonly string[] {
    return this.order.map((r) => r.name);
  }

  /** A player's quest, or undefined if the player or quest is unknown. */
  status(player: string, questId: string): QuestStatus | undefined {
    const q = this.book.get(questId);
    const e = this.records.get(player)?.quests[q?.index ?? -1];
    return q && e ? statusOf(player, q, e) : undefined;
  }

  /** All of a player's quests, in book order. */
  log(player: string): QuestStatus[] {
    const rec = this.records.get(player);
    if (!rec) return [];
    return this.book.quests.map((q) => statusOf(player, q, rec.quests[q.index] as Entry));
  }

  /** States a fact to be applied at the next step (queued facts are in the snapshot). */
  queueFact(fact: QuestFact): void {
    checkFact(fact);
    this.queue.push(fact);
  }

  /** Facts waiting for the next step, oldest first. */
  get pendingFacts(): readonly QuestFact[] {
    return this.queue;
  }

  // ─── accept and abandon ──────────────────────────────────────────────────────────────────────

  /**
   * A player accepts (starts) a quest at `tick`: it must be available and its prerequisites met.
   * The player is tracked from now on if they were not. Transitions are appended to `out`.
   */
  accept(player: string, questId: string, tick: number, out: QuestTransition[] = []): AcceptResult {
    const q = this.book.get(questId);
    if (q === undefined) return "unknown_quest";
    if (typeof player !== "string" || !OWNER_ID.test(player)) return "invalid_player";
    this.addPlayer(player);
    const rec = this.records.get(player) as PlayerRecord;
    const e = rec.quests[q.index] as Entry;
    switch (e.state) {
      case ACTIVE:
        return "already_active";
      case COMPLETED:
        return "reward_pending";
      case REWARDED:
        if (!q.repeatable) return "already_completed";
        break;
      case FAILED:
        if (!q.repeatable) return "failed";
        break;
    }
    if (!this.prerequisitesMet(rec, q)) return "locked";
    if (e.state === LOCKED) {
      set(rec, q, e, AVAILABLE);
      out.push(transition("available", player, q, tick, e));
    }
    activate(rec, q, e, tick, out);
    return "accepted";
  }

  /**
   * A player gives up an active quest: it is `available` again, its progress cleared.
   * Alike: `claim` below (the same parameters; every per-player action of the tracker takes them).
   */
  abandon(
    player: string,
    questId: string,
    tick: number,
    out: QuestTransition[] = [],
  ): AbandonResult {
    const q = this.book.get(questId);
    if (q === undefined) return "unknown_quest";
    const rec = this.records.get(player);
    const e = rec?.quests[q.index];
    if (rec === undefined || e === undefined || e.state !== ACTIVE) return "not_active";
    reset(rec, q, e, AVAILABLE);
    out.push(transition("abandoned", player, q, tick, e));
    return "abandoned";
  }

  // ─── claim ─────────────────────────────────────────────────────────────────────────────────────

  /**
   * A player claims the rewards of a completed quest at `tick` (for quests with
   * `claim: "manual"`, which `step` does not pay). See `ClaimResult` for the answers and their
   * order of precedence; a claim that cannot apply changes nothing.
   *
   * The payment is exactly the automatic one: one linked chain with the ids
   * `rewardTransferId(quest, player, completion, i)`, stamped with the completion's tick (not the
   * claim's), so the same completion always submits the same transfers and a claim processed again
   * (a retry, a replay from a snapshot taken before it) is `exists` in the ledger and pays
   * nothing. Its transitions are those of an automatic payment, appended to `out`: `rewarded`
   * (the quest is then `rewarded`; a repeatable one is `available` again after the next step's
   * availability pass) or `reward_failed` (it stays `completed`). `world`, when given, receives
   * the economy's level-up events.
   *
   * An automatic quest can be claimed too: while it is `completed` (its payment failed and is
   * retried each step) a claim is simply an earlier retry; once paid it is `already_claimed`.
   */
  claim(
    player: string,
    questId: string,
    tick: number,
    out: QuestTransition[] = [],
    world?: World,
  ): ClaimResult {
    const rec = this.records.get(player);
    if (rec === undefined) return "unknown_player";
    const q = this.book.get(questId);
    if (q === undefined) return "unknown_quest";
    const e = rec.quests[q.index] as Entry;
    if (e.state === REWARDED) return "already_claimed";
    if (e.state !== COMPLETED) return "not_completed";
    return this.pay(rec, q, e, tick, out, world) ? "claimed" : "reward_failed";
  }

  // ─── the step ────────────────────────────────────────────────────────────────────────────────

  /**
   * One tick of quest progress, in this order:
   * 1. time-outs: an active quest accepted at tick s with limit L expires at tick s + L, before
   *    that tick's facts (so facts count during exactly L ticks);
   * 2. facts: the queued ones, then `facts`, in order; each advances every matching objective of
   *    every active quest of its player; a quest whose objectives are all met completes;
   * 3. rewards: each completed quest's rewards are paid as one linked chain with ids
   *    `quest:<id>:<player>:<completion>:<i>`, stamped with the completion's tick, then it is
   *    `rewarded` (a chain that fails leaves it `completed`, retried next step). Quests with
   *    `claim: "manual"` are skipped: they stay `completed` until `claim`;
   * 4. availability: locked quests whose prerequisites are met become available; repeatable
   *    rewarded or failed quests become available again; available `autoAccept` quests start.
   * `world`, when given, receives the economy's level-up events.
   *
   * Players are visited in name order and quests in book order. Players with nothing to do in a
   * pass are skipped (no timed quest, no unpaid completion, no change since the last
   * availability check); skipping changes no outcome, since each pass is idempotent.
   */
  step(tick: number, facts: readonly QuestFact[] = [], world?: World): QuestTransition[] {
    const out: QuestTransition[] = [];
    const quests = this.book.quests;

    for (const rec of this.order) {
      if (rec.timed === 0) continue;
      for (const q of quests) {
        const e = rec.quests[q.index] as Entry;
        if (e.state !== ACTIVE || q.timeLimitTicks === undefined) continue;
        if (tick < e.startTick + q.timeLimitTicks) continue;
        if (q.onTimeout === "fail") {
          reset(rec, q, e, FAILED);
          out.push(transition("failed", rec.name, q, tick, e));
        } else {
          reset(rec, q, e, AVAILABLE);
          out.push(transition("expired", rec.name, q, tick, e));
        }
      }
    }

    const queued = this.queue;
    this.queue = [];
    for (const fact of queued) this.apply(fact, tick, out);
    for (const fact of facts) {
      checkFact(fact);
      this.apply(fact, tick, out);
    }

    for (const rec of this.order) {
      if (rec.unpaid === 0) continue;
      for (const q of quests) {
        const e = rec.quests[q.index] as Entry;
        if (e.state === COMPLETED && q.claim === "auto") this.pay(rec, q, e, tick, out, world);
      }
    }

    for (const rec of this.order) this.refresh(rec, tick, out);
    return out;
  }

  private apply(fact: QuestFact, tick: number, out: QuestTransition[]): void {
    const rec = this.records.get(fact.player);
    if (rec === undefined) return;
    const kind = OBJECTIVE_OF_FACT[fact.kind];
    const subject = factSubject(fact);
    const amount = factAmount(fact);
    for (const q of this.book.quests) {
      const e = rec.quests[q.index] as Entry;
      if (e.state !== ACTIVE) continue;
      let done = true;
      q.objectives.forEach((o, j) => {
        let p = e.progress[j] as number;
        if (o.kind === kind && o.subject === subject && p < o.count) {
          p = Math.min(o.count, p + amount);
          e.progress[j] = p;
          out.push({
            ...transition("progressed", rec.name, q, tick, e),
            objective: j,
            progress: p,
          });
        }
        if (p < o.count) done = false;
      });
      if (done) {
        set(rec, q, e, COMPLETED);
        e.completions++;
        e.completedTick = tick;
        out.push({
          ...transition("completed", rec.name, q, tick, e),
          completion: e.completions,
        });
      }
    }
  }

  /** Pays a completed quest's current completion; whether it is now `rewarded`. */
  private pay(
    rec: PlayerRecord,
    q: QuestSpec,
    e: Entry,
    tick: number,
    out: QuestTransition[],
    world: World | undefined,
  ): boolean {
    const completion = e.completions;
    if (q.rewards.length === 0 || this.economy === undefined) {
      set(rec, q, e, REWARDED);
      out.push({ ...transition("rewarded", rec.name, q, tick, e), completion });
      return true;
    }
    const chain = this.economy.grantAll(rec.name, q.rewards, {
      tick: e.completedTick,
      ids: q.rewards.map((_, i) => rewardTransferId(q.id, rec.name, completion, i)),
      reason: QUEST_REWARD_REASON,
      meta: { quest: q.id, completion },
      ...(world === undefined ? {} : { world }),
    });
    if (chain.ok) {
      set(rec, q, e, REWARDED);
      out.push({
        ...transition("rewarded", rec.name, q, tick, e),
        completion,
        result: chain.result,
        levelUps: chain.levelUps,
      });
      return true;
    }
    out.push({
      ...transition("reward_failed", rec.name, q, tick, e),
      completion,
      result: chain.result,
    });
    return false;
  }

  private refresh(rec: PlayerRecord, tick: number, out: QuestTransition[]): void {
    const xp = this.levels ? (this.economy?.xpOf(rec.name) ?? 0) : 0;
    if (!rec.dirty && xp === rec.xp) return;
    for (const q of this.book.quests) {
      const e = rec.quests[q.index] as Entry;
      if (e.state === LOCKED) {
        if (!this.prerequisitesMet(rec, q)) continue;
        set(rec, q, e, AVAILABLE);
        out.push(transition("available", rec.name, q, tick, e));
      } else if ((e.state === REWARDED || e.state === FAILED) && q.repeatable) {
        reset(rec, q, e, AVAILABLE);
        out.push(transition("available", rec.name, q, tick, e));
      }
      if (e.state === AVAILABLE && q.autoAccept && this.prerequisitesMet(rec, q))
        activate(rec, q, e, tick, out);
    }
    rec.dirty = false;
    rec.xp = xp;
  }

  /** Prerequisite quests rewarded at least once, and the level reached. */
  private prerequisitesMet(rec: PlayerRecord, q: QuestSpec): boolean {
    for (const k of q.requires) {
      const p = rec.quests[k] as Entry;
      const paid = p.completions - (p.state === COMPLETED ? 1 : 0);
      if (paid < 1) return false;
    }
    if (q.minLevel > 1 && (this.economy?.levelOf(rec.name) ?? 1) < q.minLevel) return false;
    return true;
  }

  // ─── Resource ────────────────────────────────────────────────────────────────────────────────

  /**
   * Version 1 (varuints unless noted): u8 version · quest count, then per quest its id and
   * objective count (checked on decode) · player count, then per player (sorted) the name and per
   * quest: u8 state, completions, startTick, completedTick, progress per objective · queued fact
   * count, then per fact: u8 kind, player, subject, amount. Whether a manual-claim quest has
   * been claimed is its state (`completed` until claimed, then `rewarded`): nothing more is kept.
   */
  encode(): Uint8Array {
    const w = new ByteWriter(256);
    w.u8(ENCODING_VERSION);
    const quests = this.book.quests;
    w.varuint(quests.length);
    for (const q of quests) {
      w.string(q.id);
      w.varuint(q.objectives.length);
    }
    w.varuint(this.order.length);
    for (const rec of this.order) {
      w.string(rec.name);
      for (const e of rec.quests) {
        w.u8(e.state);
        w.varuint(e.completions);
        w.varuint(e.startTick);
        w.varuint(e.completedTick);
        for (const p of e.progress) w.varuint(p);
      }
    }
    w.varuint(this.queue.length);
    for (const f of this.queue) {
      w.u8(FACT_KINDS.indexOf(f.kind));
      w.string(f.player);
      w.string(factSubject(f));
      w.varuint(factAmount(f));
    }
    return w.finish();
  }

  decode(bytes: Uint8Array): void {
    const r = new ByteReader(bytes);
    const version = r.u8("the quest state version");
    if (version !== ENCODING_VERSION) {
      throw new SnapshotCorruptError(`quest state has unknown version ${version}`);
    }
    const quests = this.book.quests;
    const n = r.varuint("the quest count");
    if (n !== quests.length) {
      throw new SnapshotSchemaError(
        `the snapshot tracks ${n} quests, this quest book has ${quests.length}: restore with the quests it was taken with`,
      );
    }
    for (const q of quests) {
      const id = r.string("a quest id");
      const objectives = r.varuint("an objective count");
      if (id !== q.id || objectives !== q.objectives.length) {
        throw new SnapshotSchemaError(
          `quest #${q.index} is "${id}" with ${objectives} objectives in the snapshot but "${q.id}" with ${q.objectives.length} in this quest book`,
        );
      }
    }
    const order: PlayerRecord[] = [];
    const players = r.varuint("the player count");
    for (let i = 0; i < players; i++) {
      const player = r.string("a player name");
      const last = order[order.length - 1];
      if (!OWNER_ID.test(player) || (last !== undefined && !(last.name < player))) {
        throw new SnapshotCorruptError("quest players are not valid, sorted and unique");
      }
      const entries = quests.map((q) => {
        const state = r.u8("a quest state");
        if (state >= QUEST_STATES.length)
          throw new SnapshotCorruptError(`unknown quest state ${state}`);
        const e: Entry = {
          state,
          completions: r.varuint("a completion count"),
          startTick: r.varuint("a start tick"),
          completedTick: r.varuint("a completion tick"),
          progress: q.objectives.map(() => r.varuint("an objective's progress")),
        };
        q.objectives.forEach((o, j) => {
          if ((e.progress[j] as number) > o.count)
            throw new SnapshotCorruptError(`quest ${q.id} progress exceeds its objective`);
        });
        return e;
      });
      const rec = record(player, entries);
      quests.forEach((q, k) => {
        const state = (entries[k] as Entry).state;
        if (state === ACTIVE && q.timeLimitTicks !== undefined) rec.timed++;
        if (state === COMPLETED && q.claim === "auto") rec.unpaid++;
      });
      order.push(rec);
    }
    const queue: QuestFact[] = [];
    const facts = r.varuint("the fact count");
    for (let i = 0; i < facts; i++) {
      const kind = FACT_KINDS[r.u8("a fact kind")];
      if (kind === undefined) throw new SnapshotCorruptError("unknown quest fact kind");
      queue.push(
        makeFact(kind, r.string("a fact player"), r.string("a fact subject"), r.varuint()),
      );
    }
    if (r.remaining !== 0) throw new SnapshotCorruptError("unexpected bytes after the quest state");
    this.records.clear();
    for (const rec of order) this.records.set(rec.name, rec);
    this.order.length = 0;
    this.order.push(...order);
    this.queue = queue;
  }
}

/** The quest tracker of a world, stored under `name` (created on first use, or from the snapshot). */
export function useQuestTracker(
  world: World,
  book: QuestBook,
  economy?: Economy,
  name = "quests",
): QuestTracker {
  const tracker = useResource(world, name, () => new QuestTracker(book, economy));
  if (tracker.book !== book) {
    throw new DefinitionError(`resource "${name}" is a quest tracker for another quest book`);
  }
  return tracker;
}

function blank(q: QuestSpec): Entry {
  return {
    state: LOCKED,
    completions: 0,
    startTick: 0,
    completedTick: 0,
    progress: q.objectives.map(() => 0),
  };
}

function record(name: string, quests: Entry[]): PlayerRecord {
  return { name, quests, timed: 0, unpaid: 0, dirty: true, xp: -1 };
}

/** Sets a quest's state, keeping the player's derived counts. */
function set(rec: PlayerRecord, q: QuestSpec, e: Entry, state: number): void {
  const timed = q.timeLimitTicks !== undefined;
  const auto = q.claim === "auto";
  if (e.state === ACTIVE && timed) rec.timed--;
  if (e.state === COMPLETED && auto) rec.unpaid--;
  e.state = state;
  if (state === ACTIVE && timed) rec.timed++;
  if (state === COMPLETED && auto) rec.unpaid++;
  rec.dirty = true;
}

/** Sets the state and clears the progress of the attempt (completions are kept). */
function reset(rec: PlayerRecord, q: QuestSpec, e: Entry, state: number): void {
  set(rec, q, e, state);
  e.startTick = 0;
  for (let j = 0; j < e.progress.length; j++) e.progress[j] = 0;
}

function activate(
  rec: PlayerRecord,
  q: QuestSpec,
  e: Entry,
  tick: number,
  out: QuestTransition[],
): void {
  reset(rec, q, e, ACTIVE);
  e.startTick = tick;
  out.push(transition("accepted", rec.name, q, tick, e));
}

function transition(
  kind: QuestTransitionKind,
  player: string,
  q: QuestSpec,
  tick: number,
  e: Entry,
): QuestTransition {
  return {
    kind,
    player,
    quest: q.id,
    questIndex: q.index,
    tick,
    state: QUEST_STATES[e.state] as QuestState,
  };
}

function statusOf(player: string, q: QuestSpec, e: Entry): QuestStatus {
  return {
    player,
    quest: q.id,
    state: QUEST_STATES[e.state] as QuestState,
    progress: [...e.progress],
    startTick: e.startTick,
    completedTick: e.completedTick,
    completions: e.completions,
    expiresAtTick:
      e.state === ACTIVE && q.timeLimitTicks !== undefined
        ? e.startTick + q.timeLimitTicks
        : undefined,
  };
}

function insertionPoint(sorted: readonly PlayerRecord[], name: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as PlayerRecord).name < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
