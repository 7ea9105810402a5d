/**
 * Export and restore a world as one consistent cut: everything as of the world item's committed
 * version v, in one self-checking document, however busy the world is while it is read.
 *
 * The world item is read first; it names v, the ledger count and the state. What it names cannot
 * change under the reader: the journal is append-only (entries [0, count) are fixed), batch
 * records 1..v are written once, and the state is content-addressed. The projections (account
 * balances, player profiles) can: a batch writes them at v+1 before it commits the world item,
 * and they are not written all at once. So the export does not take them: it derives every
 * account balance from the journal and every player profile from the state at v. Each carries the
 * version it was written at, so that a restored world reads exactly as the original: for an
 * account that is exact, derived too (the last batch whose entries name it, 0 for creation only);
 * a profile is also rewritten for players a batch's events touched, which the cut does not hold,
 * so a profile keeps the version of the stored one when that is at most v and has the derived
 * content (it is then when this content was written), and gets v otherwise (what it is as of).
 *
 * The inbox goes whole: commands up to the world's cursors are the ones batches 1..v applied
 * (replay re-reads them), and those after are accepted but not yet applied, the world's future,
 * which a restored world drains in its next batch, so that moving a world loses none of them.
 * Commands accepted after the export read the inbox are not in it: stop a world's traffic before
 * exporting it to move it.
 *
 * Before the document is returned it is checked as a restore checks it (`checkCut`): the journal
 * verifies and matches the world's digest, each unit sums to zero and conserves value (held =
 * minted - sunk), the state's ledger equals the journal's, the state hash is the world's, the
 * batch records chain up to the world, and the inbox holds exactly the commands they applied. A
 * cut that does not check is refused (`ExportError`), never returned.
 *
 * A restore checks all that again before writing anything, then writes into stores where the
 * world does not exist, verifies what it wrote (`verifyWorld` and read-backs) and creates the
 * world item last, so that a restore that fails leaves no world behind.
 */
import {
  fromHex,
  type JournalEntry,
  JournalVerifier,
  Ledger,
  sha256Hex,
  toHex,
} from "@ledgerquest/engine";
import * as z from "zod/mini";
import { journalEntrySchema } from "../definitions/journal-entry.js";
import { ID_PATTERN } from "../definitions/tables.js";
import { pathOf, safeParse } from "../definitions/zod.js";
import { NotFoundError, RuntimeError } from "../errors.js";
import { contentKey } from "../ports/blob-store.js";
import type { InboxCommand } from "../ports/command-inbox.js";
import type { AccountBalance, PlayerRecord, StateRef, WorldRecord } from "../ports/entity-store.js";
import type { BatchRecord } from "../ports/journal.js";
import type { RuntimeDeps } from "./deps.js";
import { supplyProblems, type VerifyWorldReport, verifyWorld } from "./verify.js";
import {
  accountBalance,
  INLINE_STATE_BYTES_MAX,
  type LoadedWorld,
  loadWorldState,
  playerRecord,
} from "./world-io.js";

export const EXPORT_FORMAT = "ledgerquest-world-export";
/**
 * The version this code writes. 2: a consistent cut (projections derived at the world's version).
 * Version 1 documents (projections as read from a possibly running world) are still restored, with
 * their projections derived again rather than taken from the document.
 */
export const EXPORT_VERSION = 2;

/** A world as a JSON document (bytes as hex). */
export interface WorldExport {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: 1 | 2;
  readonly exportedAtMs: number;
  /** The world item, with its state bytes (hex) whether they were inline or in the blob store. */
  readonly world: Omit<WorldRecord, "state"> & {
    readonly state: { readonly sha256: string; readonly hex: string };
  };
  readonly genesis?: { readonly key: string; readonly sha256: string; readonly hex: string };
  /** Entries [0, world.ledger.count). */
  readonly journal: readonly JournalEntry[];
  /** Records 1 to world.version. */
  readonly batches: readonly BatchRecord[];
  /** Every command of the world's inbox: applied (up to its shard's cursor) and pending (after). */
  readonly inbox: readonly InboxCommand[];
  /** Every account's balance as of world.version, with the version it was written at. */
  readonly accounts: readonly (AccountBalance & { readonly version: number })[];
  /** Player profiles as of world.version (versions: see the module comment). */
  readonly players: readonly (PlayerRecord & { readonly version: number })[];
}

/** A world could not be exported as a consistent cut: the export was refused, nothing returned. */
export class ExportError extends RuntimeError {
  override readonly name = "ExportError";

  constructor(
    readonly worldId: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      `world ${worldId} does not check as a consistent cut, so it was not exported: ${summary(problems)}`,
      options,
    );
  }
}

/** A document was not restored (see `problems`), or what a restore wrote does not verify. */
export class RestoreError extends RuntimeError {
  override readonly name = "RestoreError";
  /** Every problem found, as sentences (the message names the first few). */
  readonly problems: readonly string[];

  constructor(
    /** Why, without the problems. */
    readonly reason: string,
    options?: { cause?: unknown; problems?: readonly string[] },
  ) {
    super(
      options?.problems === undefined ? reason : `${reason}: ${summary(options.problems)}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.problems = options?.problems ?? [];
  }
}

/** Problems named in an error message; the error's `problems` has them all. */
const PROBLEMS_IN_MESSAGE = 5;

function summary(problems: readonly string[]): string {
  const shown = problems.slice(0, PROBLEMS_IN_MESSAGE).join("; ");
  const more = problems.length - PROBLEMS_IN_MESSAGE;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

async function stateBytes(deps: RuntimeDeps, world: WorldRecord): Promise<Uint8Array> {
  if (world.state.kind === "inline") return world.state.bytes;
  const bytes = await deps.blobs.get(world.state.key);
  if (bytes === undefined) throw new NotFoundError("world state blob", world.state.key);
  return bytes;
}

/** Profile reads in flight at once (as verify reads projections). */
const PROFILE_READS_IN_FLIGHT = 16;

/** Commands of an export not applied by its world yet: after their shard's cursor. */
export function pendingCommands(doc: Pick<WorldExport, "world" | "inbox">): number {
  let n = 0;
  for (const c of doc.inbox)
    if (c.arrivedMs > (doc.world.cursors[c.shard] ?? Number.POSITIVE_INFINITY)) n++;
  return n;
}

/** Reads a world as one consistent cut at its committed version (see the module comment). */
export async function exportWorld(deps: RuntimeDeps, worldId: string): Promise<WorldExport> {
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new NotFoundError("world", worldId);
  const state = await stateBytes(deps, world);
  // Checks the bytes against their hash and the rules against this code's, and decodes them.
  const loaded = await loadWorldState(deps, {
    ...world,
    state: { kind: "inline", bytes: state, sha256: world.state.sha256 },
  });
  let genesis: WorldExport["genesis"];
  let genesisOk = true;
  if (world.genesis !== undefined) {
    const bytes = await deps.blobs.get(world.genesis.key);
    if (bytes === undefined) throw new NotFoundError("genesis blob", world.genesis.key);
    genesis = { ...world.genesis, hex: toHex(bytes) };
    genesisOk = sha256Hex(bytes) === world.genesis.sha256;
  }
  const journal = await deps.journal.readEntries(worldId, 0, world.ledger.count);
  const batches = await deps.journal.listBatches(worldId, 1, world.version);
  const inbox: InboxCommand[] = [];
  for (let shard = 0; shard < world.cursors.length; shard++) {
    inbox.push(...(await deps.inbox.read(worldId, shard, 0, Number.MAX_SAFE_INTEGER)));
  }
  const cut = checkCut({ world, journal, batches, inbox, loaded });
  if (!genesisOk) cut.problems.push("genesis: the state does not match its hash");
  if (cut.problems.length > 0) throw new ExportError(worldId, cut.problems);
  // Only the versions are taken from the stored profiles, never their content.
  const players: (PlayerRecord & { readonly version: number })[] = [];
  for (let i = 0; i < cut.players.length; i += PROFILE_READS_IN_FLIGHT) {
    const some = cut.players.slice(i, i + PROFILE_READS_IN_FLIGHT);
    const stored = await Promise.all(some.map((p) => deps.store.getPlayer(worldId, p.playerId)));
    some.forEach((p, j) => {
      players.push({ ...p, version: profileVersion(p, stored[j], world.version) });
    });
  }
  const { state: _s, ...rest } = world;
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAtMs: deps.clock.nowMs(),
    world: { ...rest, state: { sha256: world.state.sha256, hex: toHex(state) } },
    ...(genesis === undefined ? {} : { genesis }),
    journal,
    batches,
    inbox,
    accounts: cut.accounts,
    players,
  };
}

/**
 * The version of a derived profile: the stored one's, when that is at most `version` and has the
 * same content (it is when this content was written: nothing rewrote it up to `version`), else
 * `version` itself.
 */
function profileVersion(
  derived: PlayerRecord,
  stored: (PlayerRecord & { readonly version: number }) | undefined,
  version: number,
): number {
  if (stored === undefined || stored.version > version) return version;
  const { version: at, ...content } = stored;
  return canonical(content) === canonical(derived) ? at : version;
}

type WorldFields = Omit<WorldRecord, "state">;

interface CheckedCut {
  /** Everything that does not hold, as sentences; empty when the cut is consistent. */
  readonly problems: string[];
  /** Every account's balance as the journal gives it, in opening order, with its version. */
  readonly accounts: (AccountBalance & { readonly version: number })[];
  /** The profiles the state gives, sorted by player (their version: see `profileVersion`). */
  readonly players: PlayerRecord[];
}

/** Problems of one kind listed in full before the rest are counted. */
const PROBLEMS_PER_CHECK = 10;

/**
 * Whether journal, batch records, inbox and state are one world at `world.version`, and the
 * projections as of that version. Findings are returned, not thrown.
 */
function checkCut(cut: {
  readonly world: WorldFields;
  readonly journal: readonly JournalEntry[];
  readonly batches: readonly BatchRecord[];
  readonly inbox: readonly InboxCommand[];
  readonly loaded: LoadedWorld;
}): CheckedCut {
  const { world, journal, batches, inbox, loaded } = cut;
  const problems: string[] = [];
  const listed = (found: readonly string[], what: string) => {
    problems.push(...found.slice(0, PROBLEMS_PER_CHECK));
    if (found.length > PROBLEMS_PER_CHECK)
      problems.push(`and ${found.length - PROBLEMS_PER_CHECK} more ${what}`);
  };

  // The journal: chain, hashes, entries, unit sums; the digest the world commits to; conservation.
  const verifier = new JournalVerifier();
  for (const e of journal) verifier.push(e);
  const report = verifier.finish();
  if (!report.ok) {
    const p = report.problem;
    problems.push(
      `journal: ${p.kind} at ${"seq" in p ? `seq ${p.seq}` : "account" in p ? p.account : `unit ${p.unit}`}: ${p.detail}`,
    );
  }
  const stored = verifier.storedDigest();
  const digest = { count: String(stored.count), head: stored.head, root: stored.root ?? "none" };
  for (const field of ["count", "head", "root"] as const) {
    const want = String(world.ledger[field]);
    if (digest[field] !== want)
      problems.push(
        `journal: its ${field} is ${digest[field]}, the world's ledger ${field} ${want}`,
      );
  }
  for (const u of verifier.units()) {
    if (u.sum !== 0) problems.push(`unit ${u.unit}: balances sum to ${u.sum}, not 0`);
    else for (const p of supplyProblems([u])) problems.push(`unit ${u.unit}: ${p.detail}`);
  }

  // The state at v: its ledger checkpoint is the journal's, its simulation is the world's.
  const checkpoint = loaded.ledger.digest();
  for (const field of ["count", "head", "root"] as const) {
    if (String(checkpoint[field]) !== String(world.ledger[field]))
      problems.push(
        `state: its ledger ${field} is ${checkpoint[field]}, the world's ${world.ledger[field]}`,
      );
  }
  const differing: string[] = [];
  const inState = loaded.ledger.listAccounts();
  for (const a of inState) {
    const j = verifier.balance(a.id);
    if (j === undefined || j.debits !== a.debits || j.credits !== a.credits)
      differing.push(
        `state: account ${a.id} has debits ${a.debits}, credits ${a.credits}; the journal gives ${j === undefined ? "no such account" : `debits ${j.debits}, credits ${j.credits}`}`,
      );
  }
  if (inState.length !== verifier.accounts)
    differing.push(
      `state: its ledger has ${inState.length} accounts, the journal opens ${verifier.accounts}`,
    );
  listed(differing, "accounts that differ");
  if (loaded.sim.tick !== world.tick)
    problems.push(`state: at tick ${loaded.sim.tick}, the world at tick ${world.tick}`);
  const simHash = loaded.sim.hash();
  if (simHash !== world.stateHash)
    problems.push(`state: hashes ${simHash}, the world's state hash is ${world.stateHash}`);

  problems.push(...batchProblems(world, batches));
  listed(inboxProblems(world, batches, inbox), "commands");

  // A batch writes the balance of every account its entries name, so the last batch whose range
  // names an account is the version its balance was written at (0: only the world's creation).
  const writtenAt = new Map<string, number>();
  if (problems.length === 0) {
    for (const b of batches) {
      for (let seq = b.ledgerFromSeq; seq < b.ledgerToSeq; seq++) {
        const e = journal[seq] as JournalEntry;
        if (e.kind === "account") writtenAt.set(e.id, b.version);
        else {
          writtenAt.set(e.debit, b.version);
          writtenAt.set(e.credit, b.version);
        }
      }
    }
  }
  const accounts = [...verifier.accountTotals()].map((a) => ({
    ...accountBalance(a),
    version: writtenAt.get(a.id) ?? 0,
  }));
  return { problems, accounts, players: cutPlayers(loaded, world.worldId) };
}

/** Who has a profile: as a batch decides it (tracked players, and owners of accounts). */
function cutPlayers(loaded: LoadedWorld, worldId: string): PlayerRecord[] {
  const tracker = loaded.rules.quests?.tracker(loaded.sim.world);
  const ids = new Set<string>(tracker?.players ?? []);
  for (const a of loaded.ledger.listAccounts())
    if (a.owner !== "system" && (tracker?.hasPlayer(a.owner) ?? true)) ids.add(a.owner);
  return [...ids].sort().map((p) => playerRecord(loaded, worldId, p));
}

/** Batch records 1..v, each starting where the one before ended, the last ending at the world. */
function batchProblems(world: WorldFields, batches: readonly BatchRecord[]): string[] {
  const out: string[] = [];
  if (batches.length !== world.version) {
    out.push(`batches: ${batches.length} records for a world at version ${world.version}`);
    return out;
  }
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i] as BatchRecord;
    const next = batches[i + 1];
    if (b.version !== i + 1 || b.worldId !== world.worldId)
      out.push(`batches: record ${i + 1} is ${b.worldId}'s version ${b.version}`);
    else if (b.hashes.length !== b.ticks || b.ledgerToSeq < b.ledgerFromSeq)
      out.push(`batches: record ${b.version} is malformed (its hashes or ledger range)`);
    else if (
      next !== undefined &&
      (next.fromTick !== b.fromTick + b.ticks || next.ledgerFromSeq !== b.ledgerToSeq)
    )
      out.push(`batches: record ${next.version} does not start where ${b.version} ended`);
    if (out.length > 0) return out;
  }
  const last = batches.at(-1);
  if (last === undefined) return out;
  const lastHash = last.hashes.at(-1);
  if (
    last.fromTick + last.ticks !== world.tick ||
    last.ledgerToSeq !== world.ledger.count ||
    lastHash !== world.stateHash ||
    last.cursors.length !== world.cursors.length ||
    last.cursors.some((c, s) => c !== world.cursors[s])
  ) {
    out.push(
      `batches: record ${last.version} ends at tick ${last.fromTick + last.ticks}, seq ${last.ledgerToSeq}, state ${lastHash}, cursors ${last.cursors.join(",")}; the world is at tick ${world.tick}, seq ${world.ledger.count}, state ${world.stateHash}, cursors ${world.cursors.join(",")}`,
    );
  }
  return out;
}

/**
 * The inbox holds the world's commands, each once, and exactly as many up to the cursors as the
 * batches applied (each drain reads everything from its shard's cursor to the new one).
 */
function inboxProblems(
  world: WorldFields,
  batches: readonly BatchRecord[],
  inbox: readonly InboxCommand[],
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let applied = 0;
  for (const c of inbox) {
    const cursor = world.cursors[c.shard];
    if (c.worldId !== world.worldId || cursor === undefined) {
      out.push(`inbox: command ${c.playerId}/${c.commandId} is not of a shard of this world`);
      continue;
    }
    const key = `${c.playerId}#${c.commandId}`;
    if (seen.has(key)) out.push(`inbox: command ${c.playerId}/${c.commandId} appears twice`);
    seen.add(key);
    if (c.arrivedMs <= cursor) applied++;
  }
  const recorded = batches.reduce((n, b) => n + b.commandsApplied, 0);
  if (applied !== recorded)
    out.push(
      `inbox: ${applied} commands up to the world's cursors; its batch records applied ${recorded}`,
    );
  return out;
}

// ─── restore ─────────────────────────────────────────────────────────────────────────────────

export interface RestoreReport {
  readonly worldId: string;
  readonly version: number;
  readonly tick: number;
  readonly journalEntries: number;
  readonly batches: number;
  readonly commands: number;
  /** Commands accepted and not applied yet: the restored world's next batch drains them. */
  readonly pendingCommands: number;
  /** Account balances and player profiles written (each at the version it was written at). */
  readonly accounts: number;
  readonly players: number;
  /** `verifyWorld` on what was written (ok, or the restore would have failed). */
  readonly verify: VerifyWorldReport;
}

const whole = z.int().check(z.minimum(0));
const ms = z.number().check(z.minimum(0));
const text = z.string();
const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const hexBytes = z.string().check(z.regex(/^(?:[0-9a-f]{2})*$/));
const worldId = z.string().check(z.regex(ID_PATTERN));

const batchSchema = z.object({
  worldId,
  version: z.int().check(z.minimum(1)),
  token: text,
  fromTick: whole,
  ticks: whole,
  drains: z.array(z.object({ tick: whole, shard: whole, fromMs: ms, toMs: ms })),
  cursors: z.array(ms),
  commandsApplied: whole,
  hashes: z.array(hex64),
  ledgerFromSeq: whole,
  ledgerToSeq: whole,
  ledgerHead: hex64,
  events: z.array(
    z.object({ eventId: text, detailType: text, detail: z.record(z.string(), z.unknown()) }),
  ),
  createdAtMs: ms,
  clock: z.optional(z.object({ behindMs: whole, behindMsMax: whole, skippedMs: whole })),
}) satisfies z.ZodMiniType<BatchRecord>;

const commandSchema = z.object({
  worldId,
  shard: whole,
  arrivedMs: ms,
  playerId: text,
  commandId: text,
  type: text,
  data: z.json(),
}) satisfies z.ZodMiniType<InboxCommand>;

const exportSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.union([z.literal(1), z.literal(2)]),
  exportedAtMs: ms,
  world: z.object({
    worldId,
    rules: text,
    fingerprint: text,
    version: whole,
    tick: whole,
    state: z.object({ sha256: hex64, hex: hexBytes }),
    genesis: z.optional(z.object({ key: text, sha256: hex64 })),
    cursors: z.array(ms).check(z.minLength(1), z.maxLength(64)),
    ledger: z.object({ count: whole, head: hex64, root: hex64 }),
    stateHash: hex64,
    active: z.boolean(),
    lastBatchToken: text,
    updatedAtMs: ms,
  }),
  genesis: z.optional(z.object({ key: text, sha256: hex64, hex: hexBytes })),
  journal: z.array(journalEntrySchema),
  batches: z.array(batchSchema),
  inbox: z.array(commandSchema),
  accounts: z.array(
    z.object({
      accountId: text,
      owner: text,
      unit: text,
      debits: whole,
      credits: whole,
      balance: z.int(),
      version: whole,
    }),
  ),
  players: z.array(
    z.object({
      playerId: text,
      worldId,
      xp: z.number(),
      level: z.number(),
      balances: z.record(z.string(), z.number()),
      quests: z.record(z.string(), z.object({ state: text, progress: z.optional(z.number()) })),
      version: whole,
    }),
  ),
}) satisfies z.ZodMiniType<WorldExport>;

/** An export document as parsed: what `restoreWorld` reads. */
type ExportDocument = z.output<typeof exportSchema>;

/** JSON with sorted keys and bytes as hex: equal for equal values however they were built. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return toHex(v);
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** Where two lists of records differ, by their key, as sentences. */
function differences<T>(
  what: string,
  key: (item: T) => string,
  expected: readonly T[],
  actual: readonly T[],
): string[] {
  const out: string[] = [];
  const got = new Map(actual.map((a) => [key(a), canonical(a)]));
  for (const e of expected) {
    const k = key(e);
    const a = got.get(k);
    if (a === undefined) out.push(`${what} ${k} is missing`);
    else if (a !== canonical(e))
      out.push(`${what} ${k} differs: expected ${canonical(e)}, found ${a}`);
    got.delete(k);
  }
  for (const k of got.keys()) out.push(`${what} ${k} is not the world's`);
  return out;
}

/**
 * The players' profiles to restore, with the version each is written at. Throws `RestoreError`
 * when a version 2 document's projections are not the ones its journal and state give.
 */
function restoredPlayers(
  doc: ExportDocument,
  cut: CheckedCut,
): (PlayerRecord & { version: number })[] {
  const { world } = doc;
  const recorded = new Map(doc.players.map((p) => [p.playerId, p]));
  const players = cut.players.map((p) => {
    const r = recorded.get(p.playerId);
    // A version 2 document carries the derived profiles with their versions: taken as they are
    // (the content is compared below). A version 1 document's were read from a running world.
    const version =
      doc.version === 2 && r !== undefined && r.version <= world.version
        ? r.version
        : profileVersion(p, r, world.version);
    return { ...p, version };
  });
  if (doc.version === 2) {
    // The document's projections must be the ones its journal and state give: an edited balance
    // or profile is refused, never written. (Version 1 projections were read from a running world
    // and are not a cut: they are derived again instead.)
    const edited = [
      ...differences("account", (a) => a.accountId, cut.accounts, doc.accounts),
      ...differences("player", (p) => p.playerId, players, doc.players),
    ];
    if (edited.length > 0)
      throw new RestoreError(
        "the export's projections differ from what its journal and state give",
        { problems: edited },
      );
  }
  return players;
}

/** The state as the world item holds it: inline when small enough, else as a blob it writes. */
async function storeState(
  deps: RuntimeDeps,
  worldId: string,
  state: Uint8Array,
  sha256: string,
): Promise<StateRef> {
  if (state.length <= INLINE_STATE_BYTES_MAX) return { kind: "inline", bytes: state, sha256 };
  const key = contentKey(`worlds/${worldId}/state`, state);
  await deps.blobs.put(key, state);
  return { kind: "blob", key, sha256, bytesLength: state.length };
}

/** Writes everything but the world item: genesis, journal, batches, inbox, projections. */
async function writeHistory(
  deps: RuntimeDeps,
  doc: ExportDocument,
  genesis: Uint8Array | undefined,
  accounts: readonly (AccountBalance & { readonly version: number })[],
  players: readonly (PlayerRecord & { readonly version: number })[],
): Promise<void> {
  const { world } = doc;
  if (genesis !== undefined && doc.genesis !== undefined)
    await deps.blobs.put(doc.genesis.key, genesis);
  await deps.journal.appendEntries(world.worldId, doc.journal, `restore:${world.worldId}`);
  for (const b of doc.batches) await deps.journal.putBatch(b);
  await restoreInbox(deps, world, doc.inbox);
  const strip = <T extends { readonly version: number }>({ version: _v, ...rest }: T) => rest;
  const versions = new Set([...accounts, ...players].map((p) => p.version));
  for (const v of [...versions].sort((a, b) => a - b)) {
    await deps.store.putProjections(
      world.worldId,
      v,
      accounts.filter((a) => a.version === v).map(strip),
      players.filter((p) => p.version === v).map(strip),
    );
  }
}

/**
 * Checks an export and writes it into `deps`' stores (see the module comment). Refuses with
 * `RestoreError` a document that is not an export, that does not check as a consistent cut
 * (`checkCut`), whose projections are not the ones its journal and state give (version 2), whose
 * rules are not this code's, or whose world exists in the target; then nothing is written. After
 * writing it verifies what it wrote, and refuses to create the world item if that fails.
 */
export async function restoreWorld(deps: RuntimeDeps, input: unknown): Promise<RestoreReport> {
  const parsed = safeParse(exportSchema, input);
  if (!parsed.success) {
    throw new RestoreError("not a LedgerQuest world export", {
      problems: parsed.error.issues.map(
        (issue) => `${pathOf(issue.path) || "<document>"}: ${issue.message}`,
      ),
    });
  }
  const doc = parsed.data;
  const { world } = doc;
  const state = fromHex(world.state.hex);
  if (sha256Hex(state) !== world.state.sha256)
    throw new RestoreError("the world state does not match its hash");
  const genesis = doc.genesis === undefined ? undefined : fromHex(doc.genesis.hex);
  if (genesis !== undefined && sha256Hex(genesis) !== doc.genesis?.sha256)
    throw new RestoreError("the genesis state does not match its hash");
  if (world.genesis?.key !== doc.genesis?.key || world.genesis?.sha256 !== doc.genesis?.sha256)
    throw new RestoreError("the genesis state is not the one the world item names");
  const { state: _s, ...fields } = world;
  const inline: WorldRecord = {
    ...fields,
    state: { kind: "inline", bytes: state, sha256: world.state.sha256 },
  };
  let loaded: LoadedWorld;
  try {
    loaded = await loadWorldState(deps, inline);
  } catch (error) {
    throw new RestoreError(`the world state cannot be loaded here: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const cut = checkCut({
    world: fields,
    journal: doc.journal,
    batches: doc.batches,
    inbox: doc.inbox,
    loaded,
  });
  if (cut.problems.length > 0)
    throw new RestoreError("the export is not one consistent world", { problems: cut.problems });
  try {
    // Every entry re-applied with every check the ledger makes when it commits (field syntax too).
    Ledger.fromJournal(doc.journal);
  } catch (error) {
    throw new RestoreError(`the journal does not re-apply: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const players = restoredPlayers(doc, cut);
  if ((await deps.store.getWorld(world.worldId)) !== undefined) {
    throw new RestoreError(
      `world ${world.worldId} already exists in the target: restore into stores without it`,
    );
  }

  // Every write below is idempotent, so a restore that died half way can be run again.
  await writeHistory(deps, doc, genesis, cut.accounts, players);
  const stateRef = await storeState(deps, world.worldId, state, world.state.sha256);
  const record: WorldRecord = { ...fields, state: stateRef };

  // What was written, read back and verified before the world item makes the world exist.
  const verify = await verifyWorld(deps, world.worldId, { world: record });
  const problems = verify.problems.map((p) => `${p.kind}: ${p.detail}`);
  problems.push(...(await readBackProblems(deps, record, doc, players)));
  if (problems.length > 0)
    throw new RestoreError(
      `what was written for world ${world.worldId} does not verify, so the world item was not created`,
      { problems },
    );
  if ((await deps.store.createWorld(record)) === "exists") {
    throw new RestoreError(`world ${world.worldId} appeared in the target while restoring`);
  }
  const created = await deps.store.getWorld(world.worldId);
  if (canonical(created) !== canonical(record))
    throw new RestoreError(`the world item of ${world.worldId} does not read back as written`);
  return {
    worldId: world.worldId,
    version: world.version,
    tick: world.tick,
    journalEntries: doc.journal.length,
    batches: doc.batches.length,
    commands: doc.inbox.length,
    pendingCommands: pendingCommands(doc),
    accounts: cut.accounts.length,
    players: players.length,
    verify,
  };
}

/**
 * Commands keep their arrival times: open the shards below the first, submit in order, then raise
 * each shard's watermark to where the world had drained it (pending commands stay above it), and
 * leave the inbox taking commands only if the world is active (as `deactivateWorld` leaves it).
 */
async function restoreInbox(
  deps: RuntimeDeps,
  world: Pick<WorldRecord, "worldId" | "cursors" | "active">,
  commands: readonly InboxCommand[],
): Promise<void> {
  const { worldId, cursors } = world;
  let startMs = Number.POSITIVE_INFINITY;
  for (const c of commands) startMs = Math.min(startMs, c.arrivedMs - 1);
  for (const c of cursors) startMs = Math.min(startMs, c);
  await deps.inbox.openWorld(worldId, cursors.length, startMs);
  // A restore run again after one that got this far finds the shards as that one left them.
  await deps.inbox.setAccepting(worldId, cursors.length, true);
  const ordered = [...commands].sort((a, b) => a.arrivedMs - b.arrivedMs);
  for (const c of ordered) {
    const r = await deps.inbox.submit({ ...c, nowMs: c.arrivedMs });
    if (r.result === "accepted" && r.arrivedMs === c.arrivedMs) continue;
    // A restore run again after dying half way finds its own commands: the same one is fine.
    const there =
      r.result === "duplicate"
        ? (await deps.inbox.read(worldId, c.shard, c.arrivedMs - 1, c.arrivedMs)).find(
            (o) => o.playerId === c.playerId && o.commandId === c.commandId,
          )
        : undefined;
    if (there === undefined || canonical(there) !== canonical(c))
      throw new RestoreError(
        `command ${c.playerId}/${c.commandId} could not keep its arrival time`,
      );
  }
  for (let shard = 0; shard < cursors.length; shard++)
    await deps.inbox.close(worldId, shard, cursors[shard] as number);
  if (!world.active) await deps.inbox.setAccepting(worldId, cursors.length, false);
}

/** Batch records, inbox, profiles and blobs as the target now holds them, against the document. */
async function readBackProblems(
  deps: RuntimeDeps,
  record: WorldRecord,
  doc: z.output<typeof exportSchema>,
  expected: readonly (PlayerRecord & { readonly version: number })[],
): Promise<string[]> {
  const { worldId } = record;
  const out: string[] = [];
  const batches = await deps.journal.listBatches(worldId, 1, record.version);
  out.push(...differences("batch record", (b) => String(b.version), doc.batches, batches));
  const inbox: InboxCommand[] = [];
  for (let shard = 0; shard < record.cursors.length; shard++)
    inbox.push(...(await deps.inbox.read(worldId, shard, 0, Number.MAX_SAFE_INTEGER)));
  const commandKey = (c: InboxCommand) => `${c.playerId}/${c.commandId}`;
  out.push(...differences("command", commandKey, doc.inbox, inbox));
  const players = await Promise.all(expected.map((p) => deps.store.getPlayer(worldId, p.playerId)));
  out.push(
    ...differences(
      "player",
      (p) => p.playerId,
      expected,
      players.filter((p) => p !== undefined),
    ),
  );
  if (record.state.kind === "blob") {
    const bytes = await deps.blobs.get(record.state.key);
    if (bytes === undefined || sha256Hex(bytes) !== record.state.sha256)
      out.push(`state blob ${record.state.key} does not read back as written`);
  }
  if (record.genesis !== undefined) {
    const bytes = await deps.blobs.get(record.genesis.key);
    if (bytes === undefined || sha256Hex(bytes) !== record.genesis.sha256)
      out.push(`genesis blob ${record.genesis.key} does not read back as written`);
  }
  return out;
}
