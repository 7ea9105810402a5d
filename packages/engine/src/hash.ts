import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

// One hasher reset from a pristine copy for every message (noble's documented `_cloneInto`),
// instead of a new hasher per call: the ledger hashes an entry per transfer, and the allocation
// was most of the cost for such short messages. Safe because hashing is synchronous and never
// re-enters.
const pristine = nobleSha256.create();
const worker = nobleSha256.create();

/** SHA-256 of bytes, written into `out` (32 bytes). */
export function sha256Into(bytes: Uint8Array, out: Uint8Array): Uint8Array {
  pristine._cloneInto(worker);
  worker.update(bytes);
  worker.digestInto(out);
  return out;
}

/** SHA-256 of bytes (the engine's one hash: state hashes, snapshot checksums, ledger chains). */
export function sha256(bytes: Uint8Array): Uint8Array {
  return sha256Into(bytes, new Uint8Array(32));
}

/** SHA-256 as 64 lowercase hex characters. */
export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

export function fromHex(hex: string): Uint8Array {
  return hexToBytes(hex);
}

/** SHA-256 of a UTF-8 text. */
export function sha256Text(text: string): Uint8Array {
  return sha256(new TextEncoder().encode(text));
}
