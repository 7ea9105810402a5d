/**
 * A world's persisted state: the simulation snapshot and the ledger checkpoint, in one blob, so
 * that the two can never be stored from different moments. Format v1:
 * `"LQWS" u8 version, u32 snapshot length, snapshot, ledger checkpoint as UTF-8 JSON`.
 */
import type { LedgerCheckpoint } from "@ledgerquest/engine";
import { CorruptRecordError } from "../errors.js";

const MAGIC = [0x4c, 0x51, 0x57, 0x53]; // "LQWS"
const VERSION = 1;
const HEADER_BYTES = 9;

export interface WorldState {
  readonly snapshot: Uint8Array;
  readonly ledger: LedgerCheckpoint;
}

export function encodeWorldState(state: WorldState): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(state.ledger));
  const out = new Uint8Array(HEADER_BYTES + state.snapshot.length + json.length);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  new DataView(out.buffer).setUint32(5, state.snapshot.length, true);
  out.set(state.snapshot, HEADER_BYTES);
  out.set(json, HEADER_BYTES + state.snapshot.length);
  return out;
}

export function decodeWorldState(bytes: Uint8Array, where: string): WorldState {
  if (bytes.length < HEADER_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new CorruptRecordError(where, "not a world state (bad magic)");
  }
  if (bytes[4] !== VERSION)
    throw new CorruptRecordError(where, `unknown world state version ${bytes[4]}`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(5, true);
  if (HEADER_BYTES + length > bytes.length)
    throw new CorruptRecordError(where, "snapshot length past the end");
  const snapshot = bytes.slice(HEADER_BYTES, HEADER_BYTES + length);
  let ledger: LedgerCheckpoint;
  try {
    ledger = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER_BYTES + length)),
    ) as LedgerCheckpoint;
  } catch (error) {
    throw new CorruptRecordError(where, "ledger checkpoint is not JSON", { cause: error });
  }
  return { snapshot, ledger };
}
