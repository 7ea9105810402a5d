import { sha256 } from "../hash.js";
import { ByteWriter } from "../sim/bytes.js";
import type { AccountFlags, TransferFields, TransferMeta } from "./types.js";

/** The `prev` of the first journal entry. */
export const GENESIS = "0".repeat(64);
export const GENESIS_BYTES = new Uint8Array(32);

const KIND_ACCOUNT = 1;
const KIND_TRANSFER = 2;

function flagBits(flags: Required<AccountFlags>): number {
  return (flags.debitsMustNotExceedCredits ? 1 : 0) | (flags.creditsMustNotExceedDebits ? 2 : 0);
}

/** Metadata keys sorted, values tagged by type: the same record always encodes the same way. */
function writeMeta(w: ByteWriter, meta: TransferMeta): void {
  const keys = Object.keys(meta);
  if (keys.length > 1) keys.sort();
  w.varuint(keys.length);
  for (const key of keys) {
    w.string(key);
    const v = meta[key];
    if (typeof v === "string") {
      w.u8(1);
      w.string(v);
    } else if (typeof v === "number") {
      w.u8(2);
      w.f64(v);
    } else {
      w.u8(v ? 3 : 4);
    }
  }
}

const writer = new ByteWriter(512);
const NO_META: TransferMeta = Object.freeze({});

/**
 * Every entry's preimage starts with 0x00 and the previous entry's hash: the 0x00 is the Merkle
 * leaf prefix of RFC 6962 (nodes start with 0x01), so entry hashes serve as the tree's leaves.
 */
function begin(prev: Uint8Array): ByteWriter {
  writer.reset();
  writer.u8(0);
  writer.bytes(prev);
  return writer;
}

/** Hash of an account entry: SHA-256(0x00 ‖ prev ‖ 0x01 ‖ seq ‖ id ‖ owner ‖ unit ‖ flags). */
export function hashAccount(
  prev: Uint8Array,
  seq: number,
  id: string,
  owner: string,
  unit: string,
  flags: Required<AccountFlags>,
): Uint8Array {
  const w = begin(prev);
  w.u8(KIND_ACCOUNT);
  w.varuint(seq);
  w.string(id);
  w.string(owner);
  w.string(unit);
  w.u8(flagBits(flags));
  return sha256(w.written());
}

/**
 * Hash of a transfer entry: SHA-256(0x00 ‖ prev ‖ 0x02 ‖ seq ‖ id ‖ debit ‖ credit ‖ amount ‖ unit ‖
 * reason ‖ tick ‖ linked ‖ meta), strings as LEB128 length + UTF-8, integers as LEB128.
 */
export function hashTransfer(
  prev: Uint8Array,
  seq: number,
  t: Omit<TransferFields, "meta" | "linked"> & {
    readonly meta?: TransferMeta;
    readonly linked?: boolean;
  },
): Uint8Array {
  const w = begin(prev);
  w.u8(KIND_TRANSFER);
  w.varuint(seq);
  w.string(t.id);
  w.string(t.debit);
  w.string(t.credit);
  w.varuint(t.amount);
  w.string(t.unit);
  w.string(t.reason);
  w.varuint(t.tick);
  w.u8(t.linked === true ? 1 : 0);
  writeMeta(w, t.meta ?? NO_META);
  return sha256(w.written());
}
