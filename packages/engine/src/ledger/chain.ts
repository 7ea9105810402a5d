/**
 * The chain check of a journal entry against the one before it: the one definition of "links and
 * hashes", used by `JournalVerifier` (whole journals, from the genesis) and by verifiers that
 * follow a journal from a saved head (the AuditLog stream consumer), so both agree on what a
 * broken link and an edited entry are.
 */
import { fromHex, hexEquals, toHex } from "../hash.js";
import { GENESIS, hashAccount, hashTransfer } from "./encode.js";
import type { JournalEntry } from "./types.js";

/** The last entry of a chain known to verify: its seq (-1 before the first) and its hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** The head of a chain with no entries yet. */
export const CHAIN_START: ChainHead = Object.freeze({ seq: -1, hash: GENESIS });

/** A link that does not hold: a misplaced entry or a wrong `prev`, or fields that were edited. */
export interface LinkProblem {
  readonly kind: "broken_link" | "hash_mismatch";
  /** The entry that fails (for a misplaced entry, the seq expected there). */
  readonly seq: number;
  readonly detail: string;
}

/** The hash of an entry's fields after the previous entry's hash (`prev`, as bytes). */
export function entryHash(prev: Uint8Array, e: JournalEntry): Uint8Array {
  return e.kind === "account"
    ? hashAccount(prev, e.seq, e.id, e.owner, e.unit, e.flags)
    : hashTransfer(prev, e.seq, e);
}

/**
 * Checks `e` as the entry after `head`: its seq, its `prev`, and that its fields hash to its
 * hash. Returns the entry's hash as bytes when it links, else the problem. `headBytes` is
 * `head.hash` as bytes, when the caller has it (saves decoding it).
 */
export function checkLink(
  head: ChainHead,
  e: JournalEntry,
  headBytes?: Uint8Array,
):
  | { readonly ok: true; readonly hash: Uint8Array }
  | { readonly ok: false; readonly problem: LinkProblem } {
  if (e.seq !== head.seq + 1) {
    return fail(
      "broken_link",
      head.seq + 1,
      `entry ${e.seq} came where entry ${head.seq + 1} belongs`,
    );
  }
  if (e.prev !== head.hash) {
    return fail(
      "broken_link",
      e.seq,
      `prev ${e.prev} is not the hash of entry ${head.seq} (${head.hash})`,
    );
  }
  const hash = entryHash(headBytes ?? fromHex(head.hash), e);
  if (!hexEquals(hash, e.hash)) {
    return fail("hash_mismatch", e.seq, `fields hash to ${toHex(hash)}, entry says ${e.hash}`);
  }
  return { ok: true, hash };
}

/**
 * Whether an entry's fields and its own `prev` hash to its hash: what can still be checked of an
 * entry seen without its predecessor (it does not prove the link).
 */
export function ownHashHolds(e: JournalEntry): boolean {
  let prev: Uint8Array;
  try {
    prev = fromHex(e.prev);
  } catch {
    return false;
  }
  return hexEquals(entryHash(prev, e), e.hash);
}

function fail(
  kind: LinkProblem["kind"],
  seq: number,
  detail: string,
): { readonly ok: false; readonly problem: LinkProblem } {
  return { ok: false, problem: { kind, seq, detail } };
}
