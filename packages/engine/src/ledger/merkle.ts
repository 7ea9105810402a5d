import { fromHex, sha256, toHex } from "../hash.js";

/**
 * A Merkle tree over the journal's entry hashes, as Certificate Transparency defines it
 * (RFC 6962 §2.1, RFC 9162 §2.1): a tree of n leaves splits at the largest power of two below n,
 * and node = SHA-256(0x01 ‖ left ‖ right). The leaves are the entry hashes themselves, whose
 * preimages begin with the RFC's leaf prefix 0x00 (see encode.ts), so a leaf can never be passed
 * off as a node. The root, with the entry count and the chain head, is the ledger's digest; an
 * audit path of about log2(n) hashes proves that an entry is in the digested journal.
 */

const NODE = 1;

const nodeInput = new Uint8Array(65);

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const bytes = nodeInput;
  bytes[0] = NODE;
  bytes.set(left, 1);
  bytes.set(right, 33);
  return sha256(bytes);
}

/** SHA-256 of nothing: the root of an empty journal. */
export const EMPTY_ROOT = toHex(sha256(new Uint8Array(0)));

/**
 * Maintains the root as leaves are appended: O(log n) per append. `peaks` are the roots of the
 * perfect subtrees that make up the tree, largest first (the binary digits of n).
 */
/** A Merkle accumulator's state: its leaf count and the roots of its perfect subtrees. */
export interface MerkleState {
  readonly size: number;
  /** Hex roots of the perfect subtrees, largest first. */
  readonly peaks: readonly string[];
  readonly sizes: readonly number[];
}

export class MerkleAccumulator {
  private readonly peaks: Uint8Array[] = [];
  private readonly sizes: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  append(entryHash: Uint8Array): void {
    let hash = entryHash;
    let size = 1;
    while (this.sizes.length > 0 && this.sizes[this.sizes.length - 1] === size) {
      const left = this.peaks.pop() as Uint8Array;
      this.sizes.pop();
      hash = nodeHash(left, hash);
      size *= 2;
    }
    this.peaks.push(hash);
    this.sizes.push(size);
    this.count++;
  }

  /** The accumulator's whole state: enough to continue appending without the leaves. */
  state(): MerkleState {
    return { size: this.count, peaks: this.peaks.map(toHex), sizes: [...this.sizes] };
  }

  /** An accumulator continuing from `state` (checked: the sizes must be the binary digits of size). */
  static restore(state: MerkleState): MerkleAccumulator {
    const acc = new MerkleAccumulator();
    let total = 0;
    let previous = Number.POSITIVE_INFINITY;
    if (state.peaks.length !== state.sizes.length)
      throw new Error("peaks and sizes differ in length");
    for (let i = 0; i < state.sizes.length; i++) {
      const size = state.sizes[i] as number;
      // Peaks are perfect subtrees, strictly decreasing powers of two.
      if (!Number.isSafeInteger(size) || size < 1 || (size & (size - 1)) !== 0 || size >= previous)
        throw new Error(`peak ${i} has an impossible size ${size}`);
      previous = size;
      total += size;
      const peak = state.peaks[i] as string;
      if (!/^[0-9a-f]{64}$/.test(peak)) throw new Error(`peak ${i} is not a SHA-256 hex`);
      acc.peaks.push(fromHex(peak));
      acc.sizes.push(size);
    }
    if (total !== state.size) throw new Error(`peaks cover ${total} leaves, not ${state.size}`);
    acc.count = state.size;
    return acc;
  }

  /** The RFC 6962 root: the peaks folded from the right. */
  root(): string {
    if (this.peaks.length === 0) return EMPTY_ROOT;
    let hash = this.peaks[this.peaks.length - 1] as Uint8Array;
    for (let i = this.peaks.length - 2; i >= 0; i--)
      hash = nodeHash(this.peaks[i] as Uint8Array, hash);
    return toHex(hash);
  }
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The root of the tree over `leaves` (already leaf-hashed), computed recursively. */
function subtreeRoot(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return leaves[start] as Uint8Array;
  const k = largestPowerOfTwoBelow(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/** The root over a list of entry hashes (hex). */
export function merkleRoot(entryHashes: readonly string[]): string {
  if (entryHashes.length === 0) return EMPTY_ROOT;
  const leaves = entryHashes.map((h) => fromHex(h));
  return toHex(subtreeRoot(leaves, 0, leaves.length));
}

/** RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of `leaves`, bottom up. */
function auditPath(
  leaves: readonly Uint8Array[],
  index: number,
  start: number,
  end: number,
  out: Uint8Array[],
): void {
  const n = end - start;
  if (n <= 1) return;
  const k = largestPowerOfTwoBelow(n);
  if (index < k) {
    auditPath(leaves, index, start, start + k, out);
    out.push(subtreeRoot(leaves, start + k, end));
  } else {
    auditPath(leaves, index - k, start + k, end, out);
    out.push(subtreeRoot(leaves, start, start + k));
  }
}

/** Proof that the entry at `index` is in a journal of `size` entries. */
export interface InclusionProof {
  readonly index: number;
  readonly size: number;
  /** Sibling hashes from the leaf up to the root, hex. */
  readonly path: readonly string[];
}

/** The inclusion proof of entry `index` among `entryHashes` (the first `size` entries). */
export function proveInclusion(
  entryHashes: readonly string[],
  index: number,
  size = entryHashes.length,
): InclusionProof {
  if (!Number.isInteger(size) || size < 1 || size > entryHashes.length) {
    throw new RangeError(`size must be from 1 to ${entryHashes.length}, got ${size}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`index must be from 0 to ${size - 1}, got ${index}`);
  }
  const leaves = entryHashes.slice(0, size).map((h) => fromHex(h));
  const path: Uint8Array[] = [];
  auditPath(leaves, index, 0, size, path);
  return { index, size, path: path.map(toHex) };
}

/**
 * RFC 9162 §2.1.3.2: whether `entryHash` at `proof.index` hashes up, through `proof.path`, to
 * `root` of a tree of `proof.size` leaves. Needs nothing but the digest and the proof.
 */
export function verifyInclusion(entryHash: string, proof: InclusionProof, root: string): boolean {
  const { index, size, path } = proof;
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size)
    return false;
  if (!/^[0-9a-f]{64}$/.test(entryHash) || !path.every((p) => /^[0-9a-f]{64}$/.test(p)))
    return false;
  let fn = index;
  let sn = size - 1;
  let r = fromHex(entryHash);
  for (const p of path) {
    if (sn === 0) return false;
    const sibling = fromHex(p);
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sibling, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && toHex(r) === root;
}
