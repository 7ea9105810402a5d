import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { sha256Into } from "./sha256.js";

export { sha256Into };

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
