import {
  fromHex,
  GENESIS_BYTES,
  hashAccount,
  hashTransfer,
  type JournalEntry,
  toHex,
} from "@ledgerquest/engine";

/** The chain recomputed after an edit, as a forger with the whole journal would. */
export function rehash(entries: readonly JournalEntry[]): JournalEntry[] {
  let prev: Uint8Array = GENESIS_BYTES;
  return entries.map((e) => {
    const bytes =
      e.kind === "account"
        ? hashAccount(prev, e.seq, e.id, e.owner, e.unit, e.flags)
        : hashTransfer(prev, e.seq, e);
    const out = { ...e, prev: toHex(prev), hash: toHex(bytes) };
    prev = fromHex(out.hash);
    return out;
  });
}
