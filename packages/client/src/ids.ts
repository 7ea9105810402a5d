/**
 * Frame ids. A command's id is its idempotency key for the player, across reconnects and page
 * reloads: a random session part (from `crypto.getRandomValues`, present in browsers and in
 * Node 20 as `globalThis.crypto`) and a counter. Two sessions share a prefix with a chance of
 * about 2^-64 per pair.
 */
import { ClientOptionsError } from "./errors.js";
import { FRAME_ID_PATTERN } from "./protocol.js";

/** The most characters a caller's id prefix may have (the counter needs the rest of 64). */
export const ID_PREFIX_MAX = 40;

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,40}$/;

interface RandomSource {
  getRandomValues(array: Uint8Array): Uint8Array;
}

function randomSource(): RandomSource {
  const g: { readonly crypto?: unknown } = globalThis;
  const crypto = g.crypto as Partial<RandomSource> | undefined;
  if (typeof crypto?.getRandomValues !== "function") {
    throw new ClientOptionsError(
      "idPrefix",
      "this runtime has no crypto.getRandomValues to make a session id: give idPrefix",
    );
  }
  return crypto as RandomSource;
}

/** A random session part: 8 bytes, as 16 hex digits. */
export function randomSessionId(): string {
  const bytes = randomSource().getRandomValues(new Uint8Array(8));
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * Digits of the counter: ids sort in the order they were made, as text, up to 36^8 (2.8 x 10^12)
 * of a session. The server applies a player's commands that arrived together (in one
 * millisecond, or one group of the inbox: docs/adr/0013) in the order of their ids, so that order
 * must be the order they were sent in.
 */
const COUNTER_DIGITS = 8;

/**
 * Ids `<prefix>.<n>` (n in base 36, from 1, zero-padded to 8 digits, so that ids sort in the
 * order they were made). `prefix` defaults to a random session id; a caller's own (a saved
 * session, to resend after a reload) must be 1 to 40 of `A-Za-z0-9_.:-`.
 */
export function frameIds(prefix: string = randomSessionId()): () => string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ClientOptionsError(
      "idPrefix",
      `must be 1 to ${ID_PREFIX_MAX} of A-Z a-z 0-9 _ . : -, got ${JSON.stringify(prefix)}`,
    );
  }
  let n = 0;
  return () => {
    n += 1;
    const id = `${prefix}.${n.toString(36).padStart(COUNTER_DIGITS, "0")}`;
    if (!FRAME_ID_PATTERN.test(id)) throw new RangeError(`frame id ${id} is not a protocol id`);
    return id;
  };
}
