/** Ids of the forms AWS gives them: connection ids, request and message ids, API ids. */
import { randomBytes } from "node:crypto";

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * An id of the form API Gateway gives connections and requests (`L0SM9cOFvHcCIhw=`): 15
 * characters and a trailing `=`, which makes callers percent-encode it in URLs, as they must on
 * AWS. Letters and digits only, the characters of AWS's documented examples.
 */
export function awsStyleId(): string {
  return `${Array.from(randomBytes(15), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join("")}=`;
}

/** This process's prefix for request and message ids (see `requestStyleId`). */
const REQUEST_ID_PREFIX = Array.from(
  randomBytes(7),
  (byte) => ID_ALPHABET[byte % ID_ALPHABET.length],
).join("");
let requestIdsIssued = 0;

/**
 * A request or message id of `awsStyleId`'s form that needs only to be unique, not unguessable:
 * this process's random prefix and a counter. A connection id stays random (it is what lets a
 * caller post to the connection); two calls of `randomBytes` per frame were 5% of the gateway's
 * CPU under load.
 */
export function requestStyleId(): string {
  requestIdsIssued++;
  let n = requestIdsIssued;
  let digits = "";
  for (let i = 0; i < 8; i++) {
    digits = ID_ALPHABET[n % ID_ALPHABET.length] + digits;
    n = Math.floor(n / ID_ALPHABET.length);
  }
  return `${REQUEST_ID_PREFIX}${digits}=`;
}

export function randomApiId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join("");
}
