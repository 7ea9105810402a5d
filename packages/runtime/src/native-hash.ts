/**
 * The runtime runs on Node (in Lambda and locally): the engine's long SHA-256s (the state hash
 * of every tick, over the world's snapshot) go to Node's `crypto`, about eight times faster
 * there than JavaScript. The engine checks it against its own before using it, and the bytes
 * are the same either way: replays and hashes do not change.
 *
 * Called where worlds are loaded and saved rather than as an import's side effect, which a
 * bundler may drop from a package marked `sideEffects: false`.
 */
import { createHash } from "node:crypto";
import { installSha256 } from "@ledgerquest/engine";

let done = false;

export function useNodeSha256(): void {
  if (done) return;
  done = true;
  installSha256((bytes) => createHash("sha256").update(bytes).digest());
}
