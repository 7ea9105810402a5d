import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { InvalidArgumentError } from "./errors.js";
import { sha256Into } from "./sha256.js";

export { sha256Into };

/** A SHA-256 of the host's, for long messages (see `installSha256`). */
export type Sha256Function = (bytes: Uint8Array) => Uint8Array;

/**
 * From this length on, `sha256` hands the message to the installed function. Below it the
 * engine's own is as fast (a native hasher's per-call cost is a few microseconds): journal
 * entries and Merkle nodes stay here; snapshots, hashed every tick, go to the host's.
 */
export const SHA256_INSTALLED_MIN_BYTES = 4096;

let installed: Sha256Function | undefined;

/**
 * Lets `sha256` hash long messages with the host's implementation (Node's `crypto`, eight times
 * faster than any JavaScript on a 60 KB snapshot: the state hash of every tick). SHA-256 is one
 * function, so this changes no result: the candidate is checked against the engine's own on
 * messages of several lengths first and refused (`InvalidArgumentError`) if it differs.
 * `undefined` goes back to the engine's own. Process-wide: the runtime installs Node's.
 */
export function installSha256(fn: Sha256Function | undefined): void {
  if (fn !== undefined) {
    for (const length of [0, 3, 64, 1000, SHA256_INSTALLED_MIN_BYTES + 77]) {
      const probe = new Uint8Array(length);
      for (let i = 0; i < length; i++) probe[i] = (i * 131 + length) & 255;
      const theirs = fn(probe);
      const ours = sha256Into(probe, new Uint8Array(32));
      if (!(theirs instanceof Uint8Array) || bytesToHex(theirs) !== bytesToHex(ours)) {
        throw new InvalidArgumentError(
          `installSha256: the function does not compute SHA-256 (a ${length}-byte message hashed differently)`,
        );
      }
    }
  }
  installed = fn;
}

/** SHA-256 of bytes (the engine's one hash: state hashes, snapshot checksums, ledger chains). */
export function sha256(bytes: Uint8Array): Uint8Array {
  if (installed !== undefined && bytes.length >= SHA256_INSTALLED_MIN_BYTES) {
    // A copy of 32 bytes: callers get a plain Uint8Array of their own, whatever the host returns.
    return new Uint8Array(installed(bytes));
  }
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

const HEX_DIGITS = "0123456789abcdef";

/** Whether the lowercase hex string spells `bytes` (no string is built: used per journal entry). */
export function hexEquals(bytes: Uint8Array, hex: string): boolean {
  if (hex.length !== bytes.length * 2) return false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (
      hex.charCodeAt(2 * i) !== HEX_DIGITS.charCodeAt(b >> 4) ||
      hex.charCodeAt(2 * i + 1) !== HEX_DIGITS.charCodeAt(b & 15)
    ) {
      return false;
    }
  }
  return true;
}
